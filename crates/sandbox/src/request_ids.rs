//! Request ids on data-plane answers (Key Vault, blob storage), as those services send them:
//! a fresh `x-ms-request-id` on every answer, errors included, and the caller's
//! `x-ms-client-request-id` echoed back. Support matches a client's log line to the service's
//! by these. ARM stamps its own answers in [`crate::arm::dispatch`], Graph in its module.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

/// Middleware: stamps the answer of every request it wraps.
pub async fn stamp(request: Request, next: Next) -> Response {
    let client_id = request.headers().get("x-ms-client-request-id").cloned();
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if !headers.contains_key("x-ms-request-id")
        && let Ok(id) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string())
    {
        headers.insert("x-ms-request-id", id);
    }
    if let Some(client_id) = client_id {
        headers.insert("x-ms-client-request-id", client_id);
    }
    response
}
