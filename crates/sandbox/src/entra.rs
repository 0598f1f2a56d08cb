//! Entra ID (v2 endpoints): the token endpoint for client credentials and OIDC discovery.
//!
//! Errors use Entra's OAuth error body (`error`, `error_description` with an `AADSTS` code,
//! `error_codes`, `timestamp`, `trace_id`, `correlation_id`).

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::Shared;

/// How long issued tokens live, in seconds, like Entra's default.
pub const TOKEN_LIFETIME_SECS: i64 = 3599;

pub(crate) fn oauth_error(
    status: StatusCode,
    error: &str,
    aadsts: u32,
    description: &str,
) -> Response {
    let trace_id = uuid::Uuid::new_v4().to_string();
    let correlation_id = uuid::Uuid::new_v4().to_string();
    let timestamp = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let body = json!({
        "error": error,
        "error_description": format!(
            "AADSTS{aadsts}: {description}\r\nTrace ID: {trace_id}\r\nCorrelation ID: {correlation_id}\r\nTimestamp: {timestamp}"
        ),
        "error_codes": [aadsts],
        "timestamp": timestamp,
        "trace_id": trace_id,
        "correlation_id": correlation_id,
    });
    (status, Json(body)).into_response()
}

/// Whether `tenant` (a path segment of an Entra endpoint) names a directory of this sandbox: the
/// home one, another directory, or `organizations` / `common` (the signing-in user's home).
pub(crate) fn known_tenant(state: &Shared, tenant: &str) -> bool {
    is_multi_tenant_alias(tenant)
        || tenant.eq_ignore_ascii_case(&state.principal.tenant_id)
        || state.tenant().directory(tenant).is_some()
}

/// `organizations` and `common`: authorities that let the user's own directory decide.
pub(crate) fn is_multi_tenant_alias(tenant: &str) -> bool {
    tenant.eq_ignore_ascii_case("organizations") || tenant.eq_ignore_ascii_case("common")
}

/// `POST /{tenant}/oauth2/v2.0/token`
pub async fn token(
    State(state): State<Arc<Shared>>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !form_type.starts_with("application/x-www-form-urlencoded") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            "The token request must be form-encoded (application/x-www-form-urlencoded).",
        );
    }
    if !known_tenant(&state, &tenant) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            90002,
            &format!(
                "Tenant '{tenant}' was not found in this sandbox. Use the tenant id it printed at start-up."
            ),
        );
    }
    let form: std::collections::HashMap<String, String> =
        url_form::parse(&body).into_owned().collect();
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    match field("grant_type") {
        "client_credentials" => {}
        "authorization_code" => return crate::interactive::redeem_code(&state, &tenant, &form),
        "refresh_token" => {
            return crate::interactive::redeem_refresh_token(&state, &tenant, &form);
        }
        "urn:ietf:params:oauth:grant-type:device_code" => {
            return crate::interactive::redeem_device_code(&state, &tenant, &form);
        }
        "" => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                900144,
                "The request body must contain the 'grant_type' parameter.",
            );
        }
        other => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                70003,
                &format!("The sandbox does not support the grant type '{other}'."),
            );
        }
    }
    let principal = &state.principal;
    if is_multi_tenant_alias(&tenant) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            50059,
            &format!(
                "No tenant-identifying information found: a service principal signs in to its own tenant, not '{tenant}'. Use the tenant id."
            ),
        );
    }
    // The principal exists only in the home directory.
    if !field("client_id").eq_ignore_ascii_case(&principal.client_id)
        || !tenant.eq_ignore_ascii_case(&principal.tenant_id)
    {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            &format!(
                "No application with id '{}' exists in tenant '{tenant}'.",
                field("client_id"),
            ),
        );
    }
    if field("client_assertion_type") == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
        if let Err(problem) = check_assertion(&state, field("client_assertion")) {
            return oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                700027,
                &format!("The client assertion is not valid: {problem}."),
            );
        }
    } else {
        // Compare in constant time: the secret is the one thing here worth guessing.
        if !constant_time_eq(
            field("client_secret").as_bytes(),
            principal.client_secret.as_bytes(),
        ) {
            return oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                7000215,
                &format!(
                    "The client secret sent for application '{}' is not valid. Send the secret's value, not its id.",
                    principal.client_id
                ),
            );
        }
    }
    let scope = field("scope");
    let Some(resource) = scope.split(' ').find_map(|s| s.strip_suffix("/.default")) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            1002012,
            &format!(
                "The scope '{scope}' is not valid: client credentials need a '<resource>/.default' scope."
            ),
        );
    };
    let audience = if resource.ends_with('/') || resource.starts_with("api://") {
        resource.to_owned()
    } else {
        format!("{resource}/")
    };
    match state.tokens.issue(
        &principal.tenant_id,
        &principal.object_id,
        &principal.client_id,
        &audience,
        state.token_lifetime_secs,
    ) {
        Ok(access_token) => Json(json!({
            "token_type": "Bearer",
            "expires_in": state.token_lifetime_secs,
            "ext_expires_in": state.token_lifetime_secs,
            "access_token": access_token,
        }))
        .into_response(),
        Err(error) => {
            tracing::error!(error = %format!("{error:#}"), "could not sign a token");
            oauth_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                50000,
                "The sandbox could not sign a token.",
            )
        }
    }
}

/// `GET /{tenant}/v2.0/.well-known/openid-configuration`
pub async fn openid_configuration(
    State(state): State<Arc<Shared>>,
    Path(tenant): Path<String>,
) -> Response {
    if !known_tenant(&state, &tenant) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_tenant",
            90002,
            &format!("Tenant '{tenant}' was not found in this sandbox."),
        );
    }
    let base = format!("{}/{}", state.authority_host, tenant);
    // A multi-tenant authority's issuer is a template the user's own tenant fills in.
    let issuer_tenant = if is_multi_tenant_alias(&tenant) {
        "{tenantid}"
    } else {
        tenant.as_str()
    };
    Json(json!({
        "issuer": format!("{}/{issuer_tenant}/v2.0", state.authority_host),
        "token_endpoint": format!("{base}/oauth2/v2.0/token"),
        "authorization_endpoint": format!("{base}/oauth2/v2.0/authorize"),
        "device_authorization_endpoint": format!("{base}/oauth2/v2.0/devicecode"),
        "jwks_uri": format!("{base}/discovery/v2.0/keys"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "tenant_region_scope": "AS",
        "cloud_instance_name": "sandbox.local",
    }))
    .into_response()
}

pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[derive(serde::Deserialize)]
struct Assertion {
    aud: String,
    iss: String,
    sub: String,
}

/// Checks a client assertion: signed (RS256 or PS256) with the principal's certificate, issued
/// by and about the principal, for this token endpoint, not expired.
fn check_assertion(state: &Shared, assertion: &str) -> Result<(), String> {
    let header =
        jsonwebtoken::decode_header(assertion).map_err(|_| "it is not a JWT".to_owned())?;
    if !matches!(
        header.alg,
        jsonwebtoken::Algorithm::RS256 | jsonwebtoken::Algorithm::PS256
    ) {
        return Err(format!(
            "the algorithm {:?} is not accepted (use RS256 or PS256)",
            header.alg
        ));
    }
    let key =
        jsonwebtoken::DecodingKey::from_rsa_pem(state.client_certificate_public_pem.as_bytes())
            .map_err(|_| "the principal has no usable certificate".to_owned())?;
    let mut validation = jsonwebtoken::Validation::new(header.alg);
    validation.validate_aud = false;
    validation.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
    let claims = jsonwebtoken::decode::<Assertion>(assertion, &key, &validation)
        .map_err(|e| {
            format!("it failed validation ({e}); sign it with the principal's certificate")
        })?
        .claims;
    let client_id = &state.principal.client_id;
    if !claims.iss.eq_ignore_ascii_case(client_id) || !claims.sub.eq_ignore_ascii_case(client_id) {
        return Err("its iss and sub must both be the client id".to_owned());
    }
    if !claims.aud.ends_with("/oauth2/v2.0/token")
        && !claims.aud.contains(&state.principal.tenant_id)
    {
        return Err(format!(
            "its audience '{}' is not this token endpoint",
            claims.aud
        ));
    }
    Ok(())
}
