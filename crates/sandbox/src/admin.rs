//! The sandbox-only admin endpoint, for tests and demos: read and change fault injection, read
//! its counters, and reset the tenant to the demo seed.
//!
//! It needs a bearer token the sandbox issued (any of its principals, ARM audience): nothing
//! new to keep secret, and no other local user can reset someone's sandbox.
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

/// Where the admin routes live (lower case).
pub const PREFIX: &str = "/sandbox-admin";

/// The 401 to answer when the caller has no valid sandbox token, or `None` to go ahead.
fn refusal(state: &Shared, headers: &HeaderMap) -> Option<Response> {
    let header = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    state.tokens.check(header, &state.arm_audiences).err().map(|_| {
        (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": {"code": "AuthenticationFailed", "message": "The admin endpoint needs a bearer token issued by this sandbox for Resource Manager."}})),
        )
            .into_response()
    })
}

fn snapshot(state: &Shared) -> Response {
    Json(json!({ "config": state.faults.config(), "counts": state.faults.counts() }))
        .into_response()
}

/// `GET /sandbox-admin/faults`
pub async fn get_faults(State(state): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    refusal(&state, &headers).unwrap_or_else(|| snapshot(&state))
}

/// `PUT /sandbox-admin/faults`
pub async fn put_faults(
    State(state): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(response) = refusal(&state, &headers) {
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
    if let Some(response) = refusal(&state, &headers) {
        return response;
    }
    state.faults.reset_counts();
    snapshot(&state)
}

/// `POST /sandbox-admin/reset`
pub async fn reset_tenant(State(state): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    if let Some(response) = refusal(&state, &headers) {
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
