//! The sandbox-only admin endpoint, for tests and demos: read and change fault injection, read
//! its counters, and reset the tenant to the demo seed.
//!
//! It takes only the operator principal's own application tokens: issued by this sandbox for
//! Resource Manager, through the client-credentials grant (`idtyp` `app`), to the operator's
//! client id, for the operator's object id in the home directory. Those need the principal's
//! secret or certificate, which live owner-only in the data directory (or, inside the app, in
//! the app's memory). A demo user's token, which any local user can get from the authorize or
//! device-code page, gets 403 `AuthorizationFailed`; no token or a bad one gets 401.
//!
//! - `GET /sandbox-admin/faults` → `{ "config": FaultConfig, "counts": FaultCounts }`
//! - `PUT /sandbox-admin/faults` with a `FaultConfig` (omitted fields are off)
//! - `DELETE /sandbox-admin/faults/counts` zeroes the counters
//! - `POST /sandbox-admin/reset` restores the starting tenant (same tenant id and principal)

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::Shared;
use crate::faults::FaultConfig;
use crate::tenant::ServicePrincipal;
use crate::token::Claims;

/// Where the admin routes live (lower case).
pub const PREFIX: &str = "/sandbox-admin";

/// Whether `claims` are the operator principal's own client-credentials token.
fn is_operator(principal: &ServicePrincipal, claims: &Claims) -> bool {
    claims.idtyp.as_deref() == Some("app")
        && claims.scp.is_none()
        && claims.upn.is_none()
        && claims.appid.eq_ignore_ascii_case(&principal.client_id)
        && claims.oid.eq_ignore_ascii_case(&principal.object_id)
        && claims.sub.eq_ignore_ascii_case(&principal.object_id)
        && claims.tid.eq_ignore_ascii_case(&principal.tenant_id)
}

/// The answer for a caller that may not use the admin endpoint (401 without a valid sandbox
/// token, 403 for anyone but the operator), or `None` to go ahead.
fn refusal(state: &Shared, headers: &HeaderMap, action: &str) -> Option<Response> {
    let header = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    match state.tokens.check(header, &state.arm_audiences) {
        Err(_) => Some(
            (
                StatusCode::UNAUTHORIZED,
                Json(json!({"error": {"code": "AuthenticationFailed", "message": "The admin endpoint needs a bearer token issued by this sandbox for Resource Manager."}})),
            )
                .into_response(),
        ),
        Ok(claims) if is_operator(&state.principal, &claims) => None,
        Ok(claims) => {
            tracing::warn!(appid = %claims.appid, oid = %claims.oid, action, "admin endpoint refused");
            Some(
                (
                    StatusCode::FORBIDDEN,
                    Json(json!({"error": {
                        "code": "AuthorizationFailed",
                        "message": format!(
                            "The client '{}' with object id '{}' does not have authorization to perform action '{action}' over scope '{PREFIX}'. Only the sandbox's operator principal, signed in with its own client credentials, may use the admin endpoint.",
                            claims.upn.as_deref().unwrap_or(&claims.appid),
                            claims.oid
                        )
                    }})),
                )
                    .into_response(),
            )
        }
    }
}

fn snapshot(state: &Shared) -> Response {
    Json(json!({ "config": state.faults.config(), "counts": state.faults.counts() }))
        .into_response()
}

/// `GET /sandbox-admin/faults`
pub async fn get_faults(State(state): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    refusal(&state, &headers, "Sandbox/faults/read").unwrap_or_else(|| snapshot(&state))
}

/// `PUT /sandbox-admin/faults`
pub async fn put_faults(
    State(state): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(response) = refusal(&state, &headers, "Sandbox/faults/write") {
        return response;
    }
    let config: FaultConfig = match serde_json::from_slice(&body) {
        Ok(config) => config,
        Err(e) => return bad_request(&format!("The body is not a fault configuration: {e}.")),
    };
    match state.faults.set(config) {
        Ok(()) => {
            tracing::info!(config = ?state.faults.config(), "fault injection changed");
            snapshot(&state)
        }
        Err(message) => bad_request(&message),
    }
}

/// `DELETE /sandbox-admin/faults/counts`
pub async fn reset_counts(State(state): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    if let Some(response) = refusal(&state, &headers, "Sandbox/faults/counts/delete") {
        return response;
    }
    state.faults.reset_counts();
    snapshot(&state)
}

/// `POST /sandbox-admin/reset`
pub async fn reset_tenant(State(state): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    if let Some(response) = refusal(&state, &headers, "Sandbox/reset/action") {
        return response;
    }
    let mut tenant = state.tenant_mut();
    let fresh = state.tenant_seed.build(&tenant.tenant_id);
    *tenant = fresh;
    match state.persist(&tenant) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => error.into_response(),
    }
}

fn bad_request(message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": {"code": "BadRequest", "message": message}})),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn operator() -> ServicePrincipal {
        serde_json::from_value(json!({
            "tenant_id": "home", "client_id": "op-app", "client_secret": "s",
            "object_id": "op-oid", "display_name": "Operator"
        }))
        .unwrap()
    }

    fn app_token(tid: &str, oid: &str, appid: &str) -> Claims {
        let tokens =
            crate::token::TokenService::load_or_create(tempfile::tempdir().unwrap().path())
                .unwrap();
        let mut claims = tokens.claims(tid, oid, appid, "https://management.azure.com/", 60);
        claims.idtyp = Some("app".to_owned());
        claims
    }

    #[test]
    fn only_the_operators_own_application_token_passes() {
        let principal = operator();
        assert!(is_operator(
            &principal,
            &app_token("home", "op-oid", "op-app")
        ));
        // Another principal, or the operator's app id with someone else's object id.
        assert!(!is_operator(
            &principal,
            &app_token("home", "other", "other-app")
        ));
        assert!(!is_operator(
            &principal,
            &app_token("home", "other", "op-app")
        ));
        // The operator's ids from another directory.
        assert!(!is_operator(
            &principal,
            &app_token("guest", "op-oid", "op-app")
        ));
        // A user token, even one claiming the operator's ids, and a token of no stated kind.
        let mut user = app_token("home", "op-oid", "op-app");
        user.idtyp = Some("user".to_owned());
        user.scp = Some("user_impersonation".to_owned());
        assert!(!is_operator(&principal, &user));
        let mut unmarked = app_token("home", "op-oid", "op-app");
        unmarked.idtyp = None;
        assert!(!is_operator(&principal, &unmarked));
    }
}
