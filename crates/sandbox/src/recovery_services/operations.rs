//! Long-running operations of Backup: what a 202 points at. Operations are kept in memory (not
//! in the tenant file); each finishes at once unless the slow-LRO fault holds it `InProgress`.

use axum::Json;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::failures::{Failure, OPERATION_NOT_FOUND};
use super::protection::{find_item, item_not_found, protected_item_json};
use super::vaults::read;
use super::{VaultRequest, rfc3339};
use crate::Shared;
use crate::arm::ArmError;

/// A finished long-running operation, kept in memory for its status and result URLs.
#[derive(Clone)]
pub struct Operation {
    pub(crate) job_id: Option<String>,
    pub(crate) start: i64,
    /// Why it failed, when it did (a refused "enable protection").
    pub(crate) error: Option<&'static Failure>,
    pub(crate) item: Option<(String, String)>,
}

/// Keeps `op` and returns its new id.
pub(crate) fn start_operation(state: &Shared, op: Operation) -> String {
    let id = uuid::Uuid::new_v4().to_string();
    state
        .operations
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .insert(id.clone(), op);
    id
}

/// The `Location` and `Azure-AsyncOperation` URLs of operation `op` on item `item_id`.
pub(crate) fn item_urls(state: &Shared, item_id: &str, op: &str) -> (String, String) {
    let base = format!("{}{item_id}", state.arm_endpoint);
    (
        format!("{base}/operationResults/{op}?api-version=2019-05-13"),
        format!("{base}/operationsStatus/{op}?api-version=2019-05-13"),
    )
}

/// Keeps `op`, started on item `item_id`, and answers `202 Accepted` with where to follow it.
pub(crate) fn accept_on_item(state: &Shared, item_id: &str, op: Operation) -> Response {
    let op = start_operation(state, op);
    let (location, status) = item_urls(state, item_id, &op);
    accepted(state, Some(&location), Some(&status))
}

/// `GET {item}/operationsStatus/{op}`
pub(super) fn status(state: &Shared, op: &str) -> Result<Response, ArmError> {
    let ops = state
        .operations
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let operation = ops
        .get(op)
        .cloned()
        .ok_or_else(|| operation_not_found(op))?;
    drop(ops);
    let slow = i64::try_from(state.faults.config().slow_lro_secs).unwrap_or(i64::MAX);
    if crate::token::now() < operation.start.saturating_add(slow) {
        return Ok(Json(json!({
            "id": op, "name": op, "status": "InProgress", "startTime": rfc3339(operation.start)
        }))
        .into_response());
    }
    let mut body = json!({
        "id": op,
        "name": op,
        "status": if operation.error.is_some() { "Failed" } else { "Succeeded" },
        "startTime": rfc3339(operation.start),
        "endTime": rfc3339(operation.start),
    });
    if let Some(job_id) = &operation.job_id {
        body["properties"] =
            json!({ "objectType": "OperationStatusJobExtendedInfo", "jobId": job_id });
    }
    if let Some(failure) = operation.error {
        body["error"] = json!({ "code": failure.code, "message": failure.message });
    }
    Ok(Json(body).into_response())
}

fn operation_not_found(op: &str) -> ArmError {
    OPERATION_NOT_FOUND.error_with(&[("id", op)])
}

/// `GET {item}/operationResults/{op}`: 202 while running, then the item (enabling protection)
/// or 204.
pub(super) fn result(
    state: &Shared,
    r: &VaultRequest<'_>,
    op: &str,
    now: i64,
) -> Result<Response, ArmError> {
    let operation = state
        .operations
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get(op)
        .cloned()
        .ok_or_else(|| operation_not_found(op))?;
    let slow = i64::try_from(state.faults.config().slow_lro_secs).unwrap_or(i64::MAX);
    if now < operation.start.saturating_add(slow) {
        // Still running: the service answers 202 again, with the same Location.
        return Ok(accepted(state, None, None));
    }
    if let Some(failure) = operation.error {
        return Err(failure.error());
    }
    match operation.item {
        Some((rg, vm)) => read(state, r, |v, sub, vault| {
            let item = find_item(vault, &rg, &vm).ok_or_else(|| item_not_found(&vm))?;
            Ok(Json(protected_item_json(v, sub, vault, item, false, now)).into_response())
        }),
        None => Ok(StatusCode::NO_CONTENT.into_response()),
    }
}

/// `202 Accepted` with the LRO headers the service sends, `Retry-After` as configured.
pub(crate) fn accepted(
    state: &Shared,
    location: Option<&str>,
    async_operation: Option<&str>,
) -> Response {
    let mut response = StatusCode::ACCEPTED.into_response();
    let headers = response.headers_mut();
    for (name, value) in [
        ("location", location),
        ("azure-asyncoperation", async_operation),
    ] {
        if let Some(value) = value.and_then(|v| HeaderValue::from_str(v).ok()) {
            headers.insert(name, value);
        }
    }
    headers.insert(
        axum::http::header::RETRY_AFTER,
        HeaderValue::from(state.lro_retry_after_secs),
    );
    response
}
