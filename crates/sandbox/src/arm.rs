//! Azure Resource Manager: authentication, api-version checks, routing and the error envelope.
//!
//! ARM matches paths case-insensitively (resource ids are case-insensitive), so requests are
//! routed here by lower-cased segments rather than by axum's case-sensitive router. Every
//! response carries ARM's request-tracking and rate-limit headers.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::token::{Claims, Rejection};
use crate::{Shared, api_versions};

/// An ARM error: a status plus the `{"error":{"code","message"}}` envelope.
#[derive(Debug)]
pub struct ArmError {
    status: StatusCode,
    code: std::borrow::Cow<'static, str>,
    message: String,
    www_authenticate: Option<String>,
}

impl ArmError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
            www_authenticate: None,
        }
    }

    /// An error whose code is only known at run time.
    pub(crate) fn owned(status: StatusCode, code: String, message: String) -> Self {
        Self {
            status,
            code: code.into(),
            message,
            www_authenticate: None,
        }
    }

    /// The error's code.
    pub(crate) fn code(&self) -> &str {
        &self.code
    }

    /// The error's message.
    pub(crate) fn message(&self) -> &str {
        &self.message
    }

    /// 500 for a failure inside the sandbox.
    pub(crate) fn internal(message: &str) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            message,
        )
    }

    fn unauthorized(state: &Shared, code: &'static str, message: String) -> Self {
        let challenge = format!(
            "Bearer authorization_uri=\"{}/{}\", error=\"invalid_token\", error_description=\"{}\"",
            state.authority_host,
            state.principal.tenant_id,
            message.replace('"', "'")
        );
        Self {
            www_authenticate: Some(challenge),
            ..Self::new(StatusCode::UNAUTHORIZED, code, message)
        }
    }
}

impl IntoResponse for ArmError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(json!({"error": {"code": self.code, "message": self.message}})),
        )
            .into_response();
        response
            .headers_mut()
            .insert("x-ms-failure-cause", HeaderValue::from_static("gateway"));
        if let Some(challenge) = self
            .www_authenticate
            .and_then(|c| HeaderValue::from_str(&c).ok())
        {
            response
                .headers_mut()
                .insert(axum::http::header::WWW_AUTHENTICATE, challenge);
        }
        response
    }
}

type ArmResult = Result<Response, ArmError>;

fn rfc3339(seconds: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| seconds.to_string())
}

fn authenticate(state: &Shared, headers: &HeaderMap) -> Result<Claims, ArmError> {
    let header = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    state.tokens.check(header, &state.arm_audiences).map_err(|rejection| match rejection {
        Rejection::Missing => ArmError::unauthorized(
            state,
            "AuthenticationFailed",
            "Authentication failed: the request has no 'Authorization' header. Send 'Authorization: Bearer <token>'.".into(),
        ),
        Rejection::NotBearer => ArmError::unauthorized(
            state,
            "AuthenticationFailed",
            "Authentication failed: the 'Authorization' header does not hold a bearer token.".into(),
        ),
        Rejection::Invalid => ArmError::unauthorized(
            state,
            "InvalidAuthenticationToken",
            "The access token is not valid: it is malformed, its signature does not verify, or another issuer signed it.".into(),
        ),
        Rejection::Expired { exp, now } => ArmError::unauthorized(
            state,
            "ExpiredAuthenticationToken",
            format!(
                "The access token expired at '{}', before the current time '{}'. Request a new token.",
                rfc3339(exp),
                rfc3339(now)
            ),
        ),
        Rejection::WrongAudience(aud) => ArmError::unauthorized(
            state,
            "InvalidAuthenticationTokenAudience",
            format!(
                "The access token was issued for the audience '{aud}', which Resource Manager does not accept. Accepted audiences: '{}'.",
                state.arm_audiences.join("', '")
            ),
        ),
    })
}

/// The segment after `key` in a resource id, matched case-insensitively.
pub fn segment_after<'a>(id: &'a str, key: &str) -> Option<&'a str> {
    let mut parts = id.split('/').filter(|p| !p.is_empty());
    while let Some(part) = parts.next() {
        if part.eq_ignore_ascii_case(key) {
            return parts.next();
        }
    }
    None
}

/// The query string's parameters (decoded), in order.
fn query_pairs(uri: &Uri) -> Vec<(String, String)> {
    url_form::parse(uri.query().unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

fn query_value<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.as_str())
}

fn require_api_version<'a>(
    pairs: &'a [(String, String)],
    supported: &api_versions::Set,
) -> Result<&'a str, ArmError> {
    let Some(version) = query_value(pairs, "api-version") else {
        return Err(ArmError::new(
            StatusCode::BAD_REQUEST,
            "MissingApiVersionParameter",
            "The 'api-version' query parameter is required on every Resource Manager request.",
        ));
    };
    if supported.contains(version) {
        return Ok(version);
    }
    Err(match supported.kind {
        api_versions::Kind::Platform => ArmError::new(
            StatusCode::BAD_REQUEST,
            "InvalidApiVersionParameter",
            format!(
                "The api-version '{version}' is not valid here. Supported versions: '{}'.",
                supported.versions.join(", ")
            ),
        ),
        api_versions::Kind::ResourceProvider { resource_type } => ArmError::new(
            StatusCode::BAD_REQUEST,
            "NoRegisteredProviderFound",
            format!(
                "No registered resource provider was found for API version '{version}' and type '{resource_type}'. Supported api-versions: '{}'.",
                supported.versions.join(", ")
            ),
        ),
    })
}

/// Every ARM request lands here.
pub async fn dispatch(
    State(state): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    // Served from the same origin, with their own rules: the cloud metadata document needs no
    // token, and Graph has its own audience and error envelope.
    let lower_path = uri.path().to_ascii_lowercase();
    if lower_path.starts_with("/v1.0/") {
        return crate::graph::dispatch(&state, &method, &uri, &headers, &body);
    }
    if lower_path.trim_end_matches('/') == "/metadata/endpoints" && method == Method::GET {
        let pairs = query_pairs(&uri);
        return match require_api_version(&pairs, &api_versions::METADATA) {
            Ok(_) => crate::metadata::endpoints(&state),
            Err(error) => error.into_response(),
        };
    }
    let correlation = headers
        .get("x-ms-correlation-request-id")
        .or_else(|| headers.get("x-ms-client-request-id"))
        .and_then(|v| v.to_str().ok())
        .and_then(|v| uuid::Uuid::parse_str(v).ok())
        .unwrap_or_else(uuid::Uuid::new_v4);
    let request_id = uuid::Uuid::new_v4();
    let is_read = method == Method::GET || method == Method::HEAD;
    let result = authenticate(&state, &headers)
        .and_then(|claims| check_directory(&state, &claims, uri.path()).map(|()| claims))
        .and_then(|claims| route(&state, &claims, &method, &uri, &body));
    let mut response = result.unwrap_or_else(IntoResponse::into_response);
    // An access-policy write is "processed" for a while before it is answered; the vault stays
    // claimed until then, so only overlapping writes conflict.
    if let Some(write) = response
        .extensions_mut()
        .remove::<crate::keyvault::InFlightWrite>()
    {
        tokio::time::sleep(state.key_vault_write_window).await;
        drop(write);
    }
    let headers = response.headers_mut();
    let id = HeaderValue::from_str(&request_id.to_string()).ok();
    let corr = HeaderValue::from_str(&correlation.to_string()).ok();
    if let Some(id) = id {
        headers.insert("x-ms-request-id", id);
    }
    if let Some(corr) = corr {
        headers.insert("x-ms-correlation-request-id", corr);
    }
    if let Ok(routing) =
        HeaderValue::from_str(&format!("SANDBOX:{}:{request_id}", crate::token::now()))
    {
        headers.insert("x-ms-routing-request-id", routing);
    }
    let (name, remaining) = if is_read {
        ("x-ms-ratelimit-remaining-subscription-reads", "11999")
    } else {
        ("x-ms-ratelimit-remaining-subscription-writes", "1199")
    };
    headers.insert(name, HeaderValue::from_static(remaining));
    response
}

/// A subscription answers only tokens from its own directory, as ARM does: a token from another
/// tenant the caller also belongs to gets `InvalidAuthenticationTokenTenant`, which names the
/// authority to ask instead.
fn check_directory(state: &Shared, claims: &Claims, path: &str) -> Result<(), ArmError> {
    let mut segments = path.split('/').filter(|s| !s.is_empty());
    let (Some(first), Some(id)) = (segments.next(), segments.next()) else {
        return Ok(());
    };
    if !first.eq_ignore_ascii_case("subscriptions") {
        return Ok(());
    }
    let tenant = state.tenant();
    let Some(subscription) = tenant.subscription(id) else {
        return Ok(());
    };
    let directory = tenant.directory_of(subscription);
    if directory.eq_ignore_ascii_case(&claims.tid) {
        return Ok(());
    }
    Err(ArmError::unauthorized(
        state,
        "InvalidAuthenticationTokenTenant",
        format!(
            "The access token is from the wrong issuer '{}'. It must match the tenant '{}' associated with this subscription. Please use the authority (URL) '{}/{directory}' to get the token.",
            claims.iss,
            crate::token::issuer_of(directory),
            state.authority_host
        ),
    ))
}

fn route(state: &Shared, claims: &Claims, method: &Method, uri: &Uri, body: &[u8]) -> ArmResult {
    let path = uri.path();
    // Clients percent-encode reserved characters in names (Backup's `;` arrives as `%3B`):
    // route and look up by the decoded segments.
    let decoded: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    let segments: Vec<&str> = decoded.iter().map(String::as_str).collect();
    let lower: Vec<String> = segments.iter().map(|s| s.to_ascii_lowercase()).collect();
    let lower: Vec<&str> = lower.iter().map(String::as_str).collect();
    let pairs = query_pairs(uri);
    let page = Page::from_query(&pairs, state.page_size)?;

    match (method, lower.as_slice()) {
        (&Method::GET, ["subscriptions"]) => {
            let version = require_api_version(&pairs, &api_versions::SUBSCRIPTIONS)?;
            crate::resources::list_subscriptions(
                state,
                &claims.tid,
                &claims.oid,
                &uri_base(state, path, version),
                page,
            )
        }
        (&Method::GET, ["tenants"]) => {
            require_api_version(&pairs, &api_versions::SUBSCRIPTIONS)?;
            Ok(Json(crate::resources::tenants_of(state, &claims.oid)).into_response())
        }
        (&Method::GET, ["subscriptions", _]) => {
            require_api_version(&pairs, &api_versions::SUBSCRIPTIONS)?;
            crate::resources::get_subscription(state, segments[1])
        }
        (
            &Method::PUT,
            [
                "subscriptions",
                _,
                "resourcegroups",
                _,
                "providers",
                "microsoft.keyvault",
                "vaults",
                _,
                "accesspolicies",
                kind,
            ],
        ) => {
            require_api_version(&pairs, &api_versions::KEY_VAULTS)?;
            let operation = crate::keyvault::PolicyOperation::parse(kind).ok_or_else(|| {
                ArmError::new(
                    StatusCode::BAD_REQUEST,
                    "BadRequest",
                    format!(
                        "'{}' is not an access policy operation: use add, replace or remove.",
                        segments[9]
                    ),
                )
            })?;
            crate::keyvault::update_access_policy(
                state,
                segments[1],
                segments[3],
                segments[7],
                operation,
                body,
            )
        }
        (
            _,
            [
                "subscriptions",
                _,
                "resourcegroups",
                _,
                "providers",
                "microsoft.recoveryservices",
                "vaults",
                _,
                _,
                ..,
            ],
        ) => {
            let version = require_api_version(&pairs, &api_versions::RECOVERY_SERVICES_BACKUP)?;
            let request = crate::recovery_services::VaultRequest {
                page,
                base: uri_base(state, path, version),
                method,
                subscription: segments[1],
                resource_group: segments[3],
                vault: segments[7],
                rest: &segments[8..],
                lower: &lower[8..],
                pairs: &pairs,
                body,
            };
            crate::recovery_services::dispatch(state, &request)
                .unwrap_or_else(|| Err(not_served(method, path)))
        }
        (
            _,
            [
                "subscriptions",
                _,
                "resourcegroups",
                _,
                "providers",
                "microsoft.keyvault",
                "vaults",
                _,
                "providers",
                "microsoft.authorization",
                "roleassignments",
                ..,
            ],
        ) if lower.len() <= 12 => {
            require_api_version(&pairs, &api_versions::AUTHORIZATION)?;
            crate::authorization::role_assignments(
                state,
                &crate::authorization::VaultScoped {
                    method,
                    subscription: segments[1],
                    resource_group: segments[3],
                    vault: segments[7],
                    name: segments.get(11).copied(),
                    filter: query_value(&pairs, "$filter"),
                    body,
                },
            )
        }
        (
            &Method::GET,
            [
                "subscriptions",
                _,
                ..,
                "providers",
                "microsoft.authorization",
                "roledefinitions",
            ],
        ) => {
            require_api_version(&pairs, &api_versions::AUTHORIZATION)?;
            Ok(crate::authorization::list_role_definitions(
                &state.tenant(),
                segments[1],
                query_value(&pairs, "$filter"),
            ))
        }
        (
            &Method::GET,
            [
                "subscriptions",
                _,
                ..,
                "providers",
                "microsoft.authorization",
                "roledefinitions",
                _,
            ],
        ) => {
            require_api_version(&pairs, &api_versions::AUTHORIZATION)?;
            crate::authorization::get_role_definition(
                &state.tenant(),
                segments[1],
                segments[segments.len() - 1],
            )
        }
        (
            &Method::POST,
            [
                "subscriptions",
                _,
                "providers",
                "microsoft.recoveryservices",
                "locations",
                _,
                "backupstatus",
            ],
        ) => {
            require_api_version(&pairs, &api_versions::RECOVERY_SERVICES_BACKUP)?;
            crate::recovery_services::backup_status(state, segments[1], body)
        }
        (
            &Method::DELETE,
            [
                "subscriptions",
                _,
                "resourcegroups",
                _,
                "providers",
                "microsoft.keyvault",
                "vaults",
                _,
            ],
        ) => {
            require_api_version(&pairs, &api_versions::KEY_VAULTS)?;
            crate::keyvault::delete(state, segments[1], segments[3], segments[7])
        }
        (
            &Method::PUT | &Method::PATCH,
            [
                "subscriptions",
                _,
                "resourcegroups",
                _,
                "providers",
                "microsoft.keyvault",
                "vaults",
                _,
            ],
        ) => {
            require_api_version(&pairs, &api_versions::KEY_VAULTS)?;
            let (sub, rg, name) = (segments[1], segments[3], segments[7]);
            if method == Method::PUT {
                crate::keyvault::create_or_update(state, sub, rg, name, body)
            } else {
                crate::keyvault::update(state, sub, rg, name, body)
            }
        }
        (
            &Method::PUT,
            [
                "subscriptions",
                _,
                "resourcegroups",
                _,
                "providers",
                "microsoft.recoveryservices",
                "vaults",
                _,
            ],
        ) => {
            require_api_version(&pairs, &api_versions::RECOVERY_SERVICES_VAULTS)?;
            crate::recovery_services::vaults::put_recovery_vault(
                state,
                segments[1],
                segments[3],
                segments[7],
                body,
            )
        }
        (
            &Method::PUT,
            [
                "subscriptions",
                _,
                "resourcegroups",
                _,
                "providers",
                "microsoft.resources",
                "deployments",
                _,
            ],
        ) => {
            require_api_version(&pairs, &api_versions::DEPLOYMENTS)?;
            crate::deployments::put(state, segments[1], segments[3], segments[7], body)
        }
        (
            &Method::PUT,
            [
                "subscriptions",
                _,
                "resourcegroups",
                _,
                "providers",
                "microsoft.compute",
                "virtualmachines",
                _,
            ],
        ) => {
            let version = require_api_version(&pairs, &api_versions::VIRTUAL_MACHINES)?;
            crate::compute::create_vm(state, segments[1], segments[3], segments[7], version, body)
        }
        (
            &Method::POST,
            [
                "subscriptions",
                _,
                "providers",
                "microsoft.storage",
                "checknameavailability",
            ],
        ) => {
            require_api_version(&pairs, &api_versions::STORAGE)?;
            crate::storage::check_name_availability(state, body)
        }
        (
            &Method::PUT | &Method::PATCH | &Method::DELETE,
            [
                "subscriptions",
                _,
                "resourcegroups",
                _,
                "providers",
                "microsoft.storage",
                "storageaccounts",
                _,
            ],
        ) => {
            let version = require_api_version(&pairs, &api_versions::STORAGE)?;
            let (sub, rg, name) = (segments[1], segments[3], segments[7]);
            match *method {
                Method::PUT => crate::storage::create(state, sub, rg, name, version, body),
                Method::PATCH => crate::storage::update(state, sub, rg, name, body),
                _ => crate::storage::delete(state, sub, rg, name),
            }
        }
        (
            &Method::POST,
            [
                "subscriptions",
                _,
                "providers",
                "microsoft.keyvault",
                "locations",
                _,
                "deletedvaults",
                _,
                "purge",
            ],
        ) => {
            require_api_version(&pairs, &api_versions::KEY_VAULTS)?;
            crate::keyvault::purge_deleted(state, segments[1], segments[5], segments[7])
        }
        (_, ["subscriptions", _, "providers", "microsoft.network", ..])
        | (
            _,
            [
                "subscriptions",
                _,
                "resourcegroups",
                _,
                "providers",
                "microsoft.network",
                ..,
            ],
        ) => {
            let version = require_api_version(&pairs, &api_versions::NETWORK)?;
            let at = if lower[2] == "resourcegroups" { 6 } else { 4 };
            let request = crate::network::NetworkRequest {
                method,
                subscription: segments[1],
                resource_group: (at == 6).then(|| segments[3]),
                rest: &segments[at..],
                lower: &lower[at..],
                api_version: version,
                body,
                page,
                base: &uri_base(state, path, version),
            };
            crate::network::dispatch(state, &request)
                .unwrap_or_else(|| Err(not_served(method, path)))
        }
        (&Method::GET, ["subscriptions", _, ..]) => {
            let tenant = state.tenant();
            let sub = tenant
                .subscription(segments[1])
                .ok_or_else(|| subscription_not_found(segments[1]))?;
            let scope = Scope::parse(&segments[2..], &lower[2..]);
            let request = ReadRequest {
                state,
                tenant: &tenant,
                sub,
                pairs: &pairs,
                page,
                path,
            };
            read_in_subscription(&request, &scope).unwrap_or_else(|| Err(not_served(method, path)))
        }
        _ => Err(not_served(method, path)),
    }
}

/// Where a subscription-scoped path points: an optional resource group, then the provider part.
struct Scope<'a> {
    resource_group: Option<&'a str>,
    /// The segments after the resource group (original casing).
    rest: &'a [&'a str],
    /// The same, lower-cased, for matching.
    lower: &'a [&'a str],
}

impl<'a> Scope<'a> {
    fn parse(segments: &'a [&'a str], lower: &'a [&'a str]) -> Self {
        match lower {
            ["resourcegroups", _, ..] => Self {
                resource_group: Some(segments[1]),
                rest: &segments[2..],
                lower: &lower[2..],
            },
            _ => Self {
                resource_group: None,
                rest: segments,
                lower,
            },
        }
    }
}

struct ReadRequest<'a> {
    state: &'a Shared,
    tenant: &'a crate::tenant::Tenant,
    sub: &'a crate::tenant::SubscriptionRecord,
    pairs: &'a [(String, String)],
    page: Page,
    path: &'a str,
}

impl ReadRequest<'_> {
    fn version(&self, set: &api_versions::Set) -> Result<String, ArmError> {
        require_api_version(self.pairs, set).map(str::to_owned)
    }

    fn base(&self, set: &api_versions::Set) -> Result<String, ArmError> {
        Ok(uri_base(self.state, self.path, &self.version(set)?))
    }

    fn expands_instance_view(&self) -> bool {
        query_value(self.pairs, "$expand").is_some_and(|e| e.eq_ignore_ascii_case("instanceView"))
    }
}

/// GETs inside a subscription. `None` when no route matches.
fn read_in_subscription(r: &ReadRequest<'_>, scope: &Scope<'_>) -> Option<ArmResult> {
    use crate::{compute, keyvault, resources};
    let (state, sub, rg, rest) = (r.state, r.sub, scope.resource_group, scope.rest);
    let result = match (rg, scope.lower) {
        (None, ["resourcegroups"]) => r
            .base(&api_versions::RESOURCE_GROUPS)
            .map(|base| resources::list_resource_groups(sub, &base, r.page)),
        (Some(rg), []) => r
            .version(&api_versions::RESOURCE_GROUPS)
            .and_then(|_| resources::get_resource_group(sub, rg)),
        (_, ["providers", "microsoft.recoveryservices", "vaults"]) => {
            r.base(&api_versions::RECOVERY_SERVICES_VAULTS).map(|base| {
                crate::recovery_services::vaults::list_recovery_vaults(sub, rg, &base, r.page)
            })
        }
        (Some(rg), ["providers", "microsoft.recoveryservices", "vaults", _]) => r
            .version(&api_versions::RECOVERY_SERVICES_VAULTS)
            .and_then(|_| crate::recovery_services::vaults::get_recovery_vault(sub, rg, rest[3])),
        (_, ["providers", "microsoft.compute", "virtualmachines"]) => {
            // `statusOnly=true` (subscription-wide lists only): the instance views instead of
            // the models. The flag stays on the nextLink.
            let status_only = rg.is_none()
                && query_value(r.pairs, "statusOnly")
                    .is_some_and(|v| v.eq_ignore_ascii_case("true"));
            r.base(&api_versions::VIRTUAL_MACHINES).map(|base| {
                let base = if status_only {
                    format!("{base}&statusOnly=true")
                } else {
                    base
                };
                state.cached_page(&base_key(&base, r.page), || {
                    compute::list_vms(state, sub, rg, &base, r.page, status_only)
                })
            })
        }
        (Some(rg), ["providers", "microsoft.compute", "virtualmachines", _]) => r
            .version(&api_versions::VIRTUAL_MACHINES)
            .and_then(|_| compute::get_vm(state, sub, rg, rest[3], r.expands_instance_view())),
        (
            Some(rg),
            [
                "providers",
                "microsoft.compute",
                "virtualmachines",
                _,
                "instanceview",
            ],
        ) => r
            .version(&api_versions::VIRTUAL_MACHINES)
            .and_then(|_| compute::get_instance_view(state, sub, rg, rest[3])),
        (
            Some(rg),
            [
                "providers",
                "microsoft.compute",
                "virtualmachines",
                _,
                "extensions",
            ],
        ) => r
            .version(&api_versions::VIRTUAL_MACHINES)
            .and_then(|_| compute::list_extensions(state, sub, rg, rest[3])),
        (
            Some(rg),
            [
                "providers",
                "microsoft.compute",
                "virtualmachines",
                _,
                "extensions",
                _,
            ],
        ) => r
            .version(&api_versions::VIRTUAL_MACHINES)
            .and_then(|_| compute::get_extension(state, sub, rg, rest[3], rest[5])),
        (_, ["providers", "microsoft.compute", "disks"]) => {
            r.base(&api_versions::DISKS).map(|base| {
                let restored = compute::visible_restored_disks(sub);
                let key = format!("{}#restored={restored}", base_key(&base, r.page));
                state.cached_page(&key, || compute::list_disks(state, sub, rg, &base, r.page))
            })
        }
        (Some(rg), ["providers", "microsoft.compute", "disks", _]) => r
            .version(&api_versions::DISKS)
            .and_then(|_| compute::get_disk(state, sub, rg, rest[3])),
        (
            None,
            [
                "providers",
                "microsoft.compute",
                "locations",
                _,
                "operations",
                _,
            ],
        ) => r
            .version(&api_versions::VIRTUAL_MACHINES)
            .map(|_| compute::operation_status(rest[5])),
        (None, ["providers", "microsoft.classiccompute", "virtualmachines"]) => r
            .version(&api_versions::CLASSIC_VIRTUAL_MACHINES)
            .map(|_| compute::list_classic_vms(sub)),
        (_, ["providers", "microsoft.keyvault", "vaults"]) => {
            r.base(&api_versions::KEY_VAULTS).map(|base| {
                state.cached_page(&base_key(&base, r.page), || {
                    keyvault::list(state, r.tenant, sub, rg, &base, r.page)
                })
            })
        }
        (Some(rg), ["providers", "microsoft.keyvault", "vaults", _]) => r
            .version(&api_versions::KEY_VAULTS)
            .and_then(|_| keyvault::get(state, r.tenant, sub, rg, rest[3])),
        (_, ["providers", "microsoft.storage", "storageaccounts"]) => r
            .base(&api_versions::STORAGE)
            .and_then(|base| crate::storage::list(state, sub, rg, &base, r.page)),
        (Some(rg), ["providers", "microsoft.storage", "storageaccounts", _]) => r
            .version(&api_versions::STORAGE)
            .and_then(|_| crate::storage::get(state, sub, rg, rest[3])),
        (
            None,
            [
                "providers",
                "microsoft.storage",
                "locations",
                _,
                "asyncoperations",
                _,
            ],
        ) => r
            .version(&api_versions::STORAGE)
            .and_then(|version| crate::storage::operation(state, sub, rest[3], rest[5], &version)),
        (Some(rg), ["providers", "microsoft.resources", "deployments", _]) => r
            .version(&api_versions::DEPLOYMENTS)
            .and_then(|_| crate::deployments::get(sub, rg, rest[3])),
        (
            Some(rg),
            [
                "providers",
                "microsoft.resources",
                "deployments",
                _,
                "operationstatuses",
                _,
            ],
        ) => r
            .version(&api_versions::DEPLOYMENTS)
            .and_then(|_| crate::deployments::status(sub, rg, rest[3])),
        (_, ["resources"]) => r.base(&api_versions::RESOURCES).map(|base| {
            // The nextLink keeps the query that chose the items.
            let mut base = base;
            for key in ["$filter", "$expand", "$top"] {
                if let Some(value) = query_value(r.pairs, key) {
                    base.push_str(&format!("&{key}={}", encode_query(value)));
                }
            }
            let request = crate::generic_resources::ListRequest {
                resource_group: rg,
                filter: query_value(r.pairs, "$filter"),
                expand: query_value(r.pairs, "$expand"),
                page: r.page,
                base: &base,
            };
            crate::generic_resources::list(sub, &request)
                .map_or_else(IntoResponse::into_response, |body| {
                    Json(body).into_response()
                })
        }),
        (
            None,
            [
                "providers",
                "microsoft.keyvault",
                "locations",
                _,
                "deletedvaults",
                _,
            ],
        ) => r
            .version(&api_versions::KEY_VAULTS)
            .and_then(|_| keyvault::get_deleted(sub, rest[3], rest[5])),
        (None, ["providers", "microsoft.keyvault", "deletedvaults"]) => r
            .version(&api_versions::KEY_VAULTS)
            .map(|_| keyvault::list_deleted(sub)),
        _ => return None,
    };
    Some(result)
}

fn not_served(method: &Method, path: &str) -> ArmError {
    ArmError::new(
        StatusCode::NOT_FOUND,
        "InvalidResourceType",
        format!("The sandbox does not serve {method} {path}. Check the path and resource type."),
    )
}

/// The absolute URL of a list, for building `nextLink`s.
fn uri_base(state: &Shared, path: &str, api_version: &str) -> String {
    format!("{}{}?api-version={}", state.arm_endpoint, path, api_version)
}

/// A page request: where to start, and how many items per page.
#[derive(Clone, Copy, Debug)]
pub struct Page {
    /// Index of the first item.
    pub skip: usize,
    /// Items per page.
    pub size: usize,
}

impl Page {
    fn from_query(pairs: &[(String, String)], size: usize) -> Result<Self, ArmError> {
        let skip = match query_value(pairs, "$skiptoken") {
            None => 0,
            Some(token) => token.parse().map_err(|_| {
                ArmError::new(
                    StatusCode::BAD_REQUEST,
                    "InvalidSkipToken",
                    format!("The skip token '{token}' was not issued by this service."),
                )
            })?,
        };
        let size = match query_value(pairs, "$top") {
            Some(top) => top
                .parse::<usize>()
                .ok()
                .filter(|t| *t > 0)
                .ok_or_else(|| {
                    ArmError::new(
                        StatusCode::BAD_REQUEST,
                        "InvalidTopParameter",
                        format!("'$top={top}' is not a positive number."),
                    )
                })?
                .min(size),
            None => size,
        };
        Ok(Self { skip, size })
    }

    /// One page of `items` as ARM's `{"value": [...], "nextLink": ...}`.
    pub fn respond(self, items: Vec<Value>, base: &str) -> Response {
        Json(self.render(items, |v| v, base)).into_response()
    }

    /// One page of `items`, rendering only the page's own items (a page of a huge list costs
    /// the page, not the list).
    pub fn render<T>(
        self,
        items: impl IntoIterator<Item = T>,
        render: impl Fn(T) -> Value,
        base: &str,
    ) -> Value {
        let mut value = Vec::with_capacity(self.size.min(1_000));
        let mut total = 0;
        for item in items {
            if total >= self.skip && total < self.skip + self.size {
                value.push(render(item));
            }
            total += 1;
        }
        let end = (self.skip + self.size).min(total);
        let mut body = json!({ "value": value });
        if end < total {
            body["nextLink"] = Value::String(format!("{base}&$skiptoken={end}"));
        }
        body
    }
}

/// 405 for a method a resource does not take.
pub(crate) fn method_not_allowed(method: &Method) -> ArmError {
    ArmError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "MethodNotAllowed",
        format!("The method {method} is not allowed on this resource."),
    )
}

/// A query parameter's value, percent-encoded for a nextLink.
fn encode_query(value: &str) -> String {
    const RESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~')
        .remove(b'\'')
        .remove(b'/')
        .remove(b',');
    percent_encoding::utf8_percent_encode(value, RESERVED).to_string()
}

/// The cache key of a page: its list and its window.
fn base_key(base: &str, page: Page) -> String {
    format!("{base}#{}+{}", page.skip, page.size)
}

/// 404 for a subscription that does not exist in the tenant.
pub fn subscription_not_found(id: &str) -> ArmError {
    ArmError::new(
        StatusCode::NOT_FOUND,
        "SubscriptionNotFound",
        format!("The subscription '{id}' could not be found."),
    )
}

/// 404 for a resource that does not exist.
pub fn resource_not_found(kind: &str, name: &str, group: &str) -> ArmError {
    ArmError::new(
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
        format!("The resource '{kind}/{name}' under resource group '{group}' was not found."),
    )
}
