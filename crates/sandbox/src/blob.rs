//! Blob storage, read-only: the outputs a restore writes into its staging storage account.
//!
//! Served on its own port, path-style (`https://127.0.0.1:PORT/{account}/{container}/{blob}`),
//! the way Azure's storage emulators are addressed, so the official storage SDKs accept it.
//! Requests authenticate with an Entra token for `https://storage.azure.com/` and carry
//! `x-ms-version`, as the Blob service requires; errors are the service's XML.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::Shared;

fn storage_error(status: StatusCode, code: &str, message: &str) -> Response {
    let request_id = uuid::Uuid::new_v4();
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>{code}</Code><Message>{message}\nRequestId:{request_id}</Message></Error>"
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

async fn get_blob(
    State(state): State<Arc<Shared>>,
    Path((account, container, blob)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let auth = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if auth.is_none() {
        // Anonymous reads of a private container look like a missing resource, as on Azure.
        return storage_error(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            "The specified resource does not exist.",
        );
    }
    if state
        .tokens
        .check(auth, &["https://storage.azure.com/".to_owned()])
        .is_err()
    {
        return storage_error(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationInfo",
            "Authentication information is not given in the correct format, or the token is not for https://storage.azure.com/.",
        );
    }
    if headers.get("x-ms-version").is_none() {
        return storage_error(
            StatusCode::BAD_REQUEST,
            "MissingRequiredHeader",
            "An HTTP header that's mandatory for this request is not specified: x-ms-version.",
        );
    }
    let now = crate::token::now();
    let tenant = state.tenant();
    let Some(found) = tenant
        .subscriptions
        .iter()
        .flat_map(|s| &s.storage_accounts)
        .find(|a| a.name.eq_ignore_ascii_case(&account))
    else {
        return storage_error(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            "The specified resource does not exist.",
        );
    };
    match found
        .blobs
        .iter()
        .find(|b| b.container == container && b.name == blob && b.available_at <= now)
    {
        Some(b) => {
            let mut response = b.content.clone().into_response();
            let h = response.headers_mut();
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

/// The blob routes.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/{account}/{container}/{*blob}", get(get_blob))
        .fallback(|| async {
            storage_error(
                StatusCode::BAD_REQUEST,
                "InvalidUri",
                "The requested URI does not represent any resource on the server.",
            )
        })
        .with_state(shared)
}
