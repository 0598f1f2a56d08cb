//! Blob storage, read-only: the outputs a restore writes into its staging storage account.
//!
//! Served on its own port, path-style (`https://127.0.0.1:PORT/{account}/{container}/{blob}`),
//! the way Azure's storage emulators are addressed, so the official storage SDKs accept it.
//! Requests authenticate with an Entra token for `https://storage.azure.com/` and carry
//! `x-ms-version`, as the Blob service requires, or with a user delegation SAS (see
//! [`crate::sas`]); errors are the service's XML.

use std::sync::Arc;

use axum::Router;
use std::collections::HashMap;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::{Shared, sas};

fn storage_error(status: StatusCode, code: &str, message: &str) -> Response {
    storage_error_with(status, code, message, None)
}

/// The service's XML error, with an `AuthenticationErrorDetail` when authentication failed.
fn storage_error_with(
    status: StatusCode,
    code: &str,
    message: &str,
    detail: Option<&str>,
) -> Response {
    let request_id = uuid::Uuid::new_v4();
    let detail = detail
        .map(|d| {
            format!(
                "<AuthenticationErrorDetail>{}</AuthenticationErrorDetail>",
                xml_escape(d)
            )
        })
        .unwrap_or_default();
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>{code}</Code><Message>{}\nRequestId:{request_id}</Message>{detail}</Error>",
        xml_escape(message)
    );
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml"),
    );
    headers.insert(
        "x-ms-error-code",
        HeaderValue::from_str(code).unwrap_or(HeaderValue::from_static("Unknown")),
    );
    response
}

/// A blob's content, once it exists (restores write their outputs when they finish).
pub(crate) fn read(state: &Shared, account: &str, container: &str, blob: &str) -> Option<String> {
    let now = crate::token::now();
    state
        .tenant()
        .subscriptions
        .iter()
        .flat_map(|s| &s.storage_accounts)
        .filter(|a| a.name.eq_ignore_ascii_case(account))
        .flat_map(|a| &a.blobs)
        .find(|b| b.container == container && b.name == blob && b.available_at <= now)
        .map(|b| b.content.clone())
}

fn account_exists(state: &Shared, account: &str) -> bool {
    state
        .tenant()
        .subscriptions
        .iter()
        .flat_map(|s| &s.storage_accounts)
        .any(|a| a.name.eq_ignore_ascii_case(account))
}

fn query_map(query: Option<&str>) -> HashMap<String, String> {
    url_form::parse(query.unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

fn sas_refused(detail: &str) -> Response {
    storage_error_with(
        StatusCode::FORBIDDEN,
        "AuthenticationFailed",
        "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.",
        Some(detail),
    )
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Checks a bearer token for storage and the `x-ms-version` header.
fn check_bearer(
    state: &Shared,
    headers: &HeaderMap,
) -> Result<crate::token::Claims, Box<Response>> {
    let auth = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if auth.is_none() {
        // Anonymous reads of a private container look like a missing resource, as on Azure.
        return Err(Box::new(storage_error(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            "The specified resource does not exist.",
        )));
    }
    let claims = state
        .tokens
        .check(auth, &["https://storage.azure.com/".to_owned()])
        .map_err(|_| {
            Box::new(storage_error(
                StatusCode::UNAUTHORIZED,
                "InvalidAuthenticationInfo",
                "Authentication information is not given in the correct format, or the token is not for https://storage.azure.com/.",
            ))
        })?;
    if headers.get("x-ms-version").is_none() {
        return Err(Box::new(storage_error(
            StatusCode::BAD_REQUEST,
            "MissingRequiredHeader",
            "An HTTP header that's mandatory for this request is not specified: x-ms-version.",
        )));
    }
    Ok(claims)
}

/// Checks that `uri` (a blob URL with a SAS) lets an anonymous caller read its blob, and
/// returns the blob: what ARM does with a deployment's `templateLink`.
pub(crate) fn read_with_sas(state: &Shared, uri: &str) -> Result<String, String> {
    let rest = uri
        .strip_prefix(&state.blob_endpoint)
        .ok_or_else(|| "only the sandbox's blob endpoint is reachable".to_owned())?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let path = percent_encoding::percent_decode_str(path)
        .decode_utf8_lossy()
        .into_owned();
    let mut parts = path.trim_start_matches('/').splitn(3, '/');
    let (account, container, blob) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    if query.is_empty() {
        return Err(
            "the link has no SAS, and the container does not allow anonymous reads".to_owned(),
        );
    }
    let grant = sas::verify(
        &state.tokens,
        &query_map(Some(query)),
        account,
        container,
        blob,
        crate::token::now(),
    )
    .map_err(|refusal| format!("its SAS was refused: {}", refusal.0))?;
    if !grant.permissions.contains('r') {
        return Err("its SAS does not grant read (sp has no 'r')".to_owned());
    }
    read(state, account, container, blob).ok_or_else(|| format!("'{path}' does not exist"))
}

async fn get_blob(
    State(state): State<Arc<Shared>>,
    Path((account, container, blob)): Path<(String, String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let query = query_map(query.as_deref());
    if query.contains_key("sig") {
        match sas::verify(
            &state.tokens,
            &query,
            &account,
            &container,
            &blob,
            crate::token::now(),
        ) {
            Ok(grant) if grant.permissions.contains('r') => {}
            Ok(_) => {
                return storage_error(
                    StatusCode::FORBIDDEN,
                    "AuthorizationPermissionMismatch",
                    "This request is not authorized to perform this operation using this permission.",
                );
            }
            Err(refusal) => return sas_refused(&refusal.0),
        }
    } else if let Err(response) = check_bearer(&state, &headers) {
        return *response;
    }
    if !account_exists(&state, &account) {
        return storage_error(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            "The specified resource does not exist.",
        );
    }
    match read(&state, &account, &container, &blob) {
        Some(content) => {
            let total = content.len();
            let range = headers
                .get("x-ms-range")
                .or_else(|| headers.get(axum::http::header::RANGE))
                .and_then(|v| v.to_str().ok())
                .map(|r| byte_range(r, total));
            let mut response = match range {
                None => content.into_response(),
                Some(Some((first, last))) => {
                    let mut partial = (
                        StatusCode::PARTIAL_CONTENT,
                        content.as_bytes()[first..=last].to_vec(),
                    )
                        .into_response();
                    if let Ok(value) =
                        HeaderValue::from_str(&format!("bytes {first}-{last}/{total}"))
                    {
                        partial
                            .headers_mut()
                            .insert(axum::http::header::CONTENT_RANGE, value);
                    }
                    partial
                }
                Some(None) => {
                    return storage_error(
                        StatusCode::RANGE_NOT_SATISFIABLE,
                        "InvalidRange",
                        "The range specified is invalid for the current size of the resource.",
                    );
                }
            };
            let h = response.headers_mut();
            h.insert(
                axum::http::header::ETAG,
                HeaderValue::from_static("\"0x8DD0000000000000\""),
            );
            h.insert(
                axum::http::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            h.insert("x-ms-blob-type", HeaderValue::from_static("BlockBlob"));
            h.insert("x-ms-version", HeaderValue::from_static("2025-01-05"));
            response
        }
        None => storage_error(
            StatusCode::NOT_FOUND,
            "BlobNotFound",
            "The specified blob does not exist.",
        ),
    }
}

/// The inclusive byte range `bytes=first-[last]` asks for in a body of `total` bytes, clamped to
/// its end; `None` when it starts past the end or cannot be read.
fn byte_range(header: &str, total: usize) -> Option<(usize, usize)> {
    let (first, last) = header.strip_prefix("bytes=")?.split_once('-')?;
    let first: usize = first.trim().parse().ok()?;
    let last = match last.trim() {
        "" => total.checked_sub(1)?,
        text => text.parse::<usize>().ok()?.min(total.checked_sub(1)?),
    };
    (first <= last).then_some((first, last))
}

/// The body of a user delegation key request.
#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct KeyInfo {
    start: Option<String>,
    expiry: String,
}

/// `POST /{account}/?restype=service&comp=userdelegationkey`: a key to sign SASs with.
async fn post_account(
    State(state): State<Arc<Shared>>,
    Path(account): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: String,
) -> Response {
    let query = query_map(query.as_deref());
    if query.get("restype").map(String::as_str) != Some("service")
        || query.get("comp").map(String::as_str) != Some("userdelegationkey")
    {
        return storage_error(
            StatusCode::BAD_REQUEST,
            "UnsupportedHttpVerb",
            "The resource doesn't support the specified HTTP verb; the sandbox's account endpoint only issues user delegation keys.",
        );
    }
    let claims = match check_bearer(&state, &headers) {
        Ok(claims) => claims,
        Err(response) => return *response,
    };
    if !account_exists(&state, &account) {
        return storage_error(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            "The specified resource does not exist.",
        );
    }
    let Ok(info) = quick_xml::de::from_str::<KeyInfo>(&body) else {
        return storage_error(
            StatusCode::BAD_REQUEST,
            "InvalidXmlDocument",
            "XML specified is not syntactically valid: expected <KeyInfo> with <Expiry>.",
        );
    };
    let now = crate::token::now();
    let start = match info.start.as_deref().map(sas::parse_time) {
        None => now,
        Some(Some(start)) => start,
        Some(None) => return invalid_key_time("Start"),
    };
    let Some(expiry) = sas::parse_time(&info.expiry) else {
        return invalid_key_time("Expiry");
    };
    if expiry <= start || expiry < now || expiry > now + sas::MAX_KEY_LIFETIME_SECS {
        return storage_error(
            StatusCode::BAD_REQUEST,
            "InvalidXmlNodeValue",
            "The value for one of the XML nodes is not in the correct format: Expiry must be after Start and at most seven days from now.",
        );
    }
    let version = headers
        .get("x-ms-version")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let key = sas::DelegationKey {
        oid: claims.oid,
        tid: claims.tid,
        start,
        expiry,
        version,
    };
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><UserDelegationKey><SignedOid>{}</SignedOid><SignedTid>{}</SignedTid><SignedStart>{}</SignedStart><SignedExpiry>{}</SignedExpiry><SignedService>b</SignedService><SignedVersion>{}</SignedVersion><Value>{}</Value></UserDelegationKey>",
        xml_escape(&key.oid),
        xml_escape(&key.tid),
        sas::format_time(key.start),
        sas::format_time(key.expiry),
        xml_escape(&key.version),
        key.value(&state.tokens)
    );
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml"),
    );
    h.insert("x-ms-version", HeaderValue::from_static("2025-01-05"));
    response
}

fn invalid_key_time(node: &str) -> Response {
    storage_error(
        StatusCode::BAD_REQUEST,
        "InvalidXmlNodeValue",
        &format!(
            "The value for one of the XML nodes is not in the correct format: {node} must be an ISO 8601 UTC time."
        ),
    )
}

/// The blob routes.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/{account}", post(post_account))
        .route("/{account}/", post(post_account))
        .route("/{account}/{container}/{*blob}", get(get_blob))
        .fallback(|| async {
            storage_error(
                StatusCode::BAD_REQUEST,
                "InvalidUri",
                "The requested URI does not represent any resource on the server.",
            )
        })
        .layer(axum::middleware::from_fn(crate::request_ids::stamp))
        .with_state(shared)
}

#[cfg(test)]
mod tests {
    #[test]
    fn byte_ranges_clamp_to_the_body_and_refuse_what_starts_past_it() {
        use super::byte_range;
        assert_eq!(byte_range("bytes=0-33554431", 10), Some((0, 9)));
        assert_eq!(byte_range("bytes=2-4", 10), Some((2, 4)));
        assert_eq!(byte_range("bytes=5-", 10), Some((5, 9)));
        assert_eq!(byte_range("bytes=10-", 10), None);
        assert_eq!(byte_range("bytes=0-", 0), None);
        assert_eq!(byte_range("lines=1-2", 10), None);
    }
}
