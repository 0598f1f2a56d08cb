//! Microsoft Graph (v1.0): service principals by `appId`, enough to resolve the Backup
//! Management Service's object id in the tenant, and `directoryObjects/getByIds`, which names
//! the users, groups and principals behind a key vault's access policies.
//!
//! Graph has its own error envelope (`error.innerError` with `request-id` and `date`) and
//! its own token audience, `https://graph.microsoft.com/`.

use axum::Json;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// The tenant that owns Microsoft's first-party applications.
const MICROSOFT_SERVICES_TENANT: &str = "f8cdef31-a31e-4b4a-93e4-5f571e91255a";

use crate::Shared;
use crate::token::Rejection;

fn graph_error(status: StatusCode, code: &str, message: &str) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let date = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    (
        status,
        Json(json!({
            "error": {
                "code": code,
                "message": message,
                "innerError": { "date": date, "request-id": request_id, "client-request-id": request_id }
            }
        })),
    )
        .into_response()
}

/// Graph's own origin (`graph_endpoint`): every path goes to [`dispatch`].
pub fn router(shared: std::sync::Arc<Shared>) -> axum::Router {
    axum::Router::new()
        .fallback(
            |axum::extract::State(state): axum::extract::State<std::sync::Arc<Shared>>,
             method: axum::http::Method,
             uri: Uri,
             headers: HeaderMap,
             body: axum::body::Bytes| async move {
                dispatch(&state, &method, &uri, &headers, &body)
            },
        )
        .with_state(shared)
}

/// Every Graph request lands here. Answers carry Graph's `request-id` (and the caller's
/// `client-request-id`, or the same id when it sent none).
pub fn dispatch(
    state: &Shared,
    method: &axum::http::Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let mut response = answer(state, method, uri, headers, body);
    let request_id = uuid::Uuid::new_v4().to_string();
    let client_id = headers
        .get("client-request-id")
        .cloned()
        .or_else(|| axum::http::HeaderValue::from_str(&request_id).ok());
    if let Ok(id) = axum::http::HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("request-id", id);
    }
    if let Some(client_id) = client_id {
        response
            .headers_mut()
            .insert("client-request-id", client_id);
    }
    response
}

fn answer(
    state: &Shared,
    method: &axum::http::Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let header = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if let Err(rejection) = state.tokens.check(header, &state.graph_audiences) {
        let message = match rejection {
            Rejection::Missing | Rejection::NotBearer => "Access token is empty.",
            Rejection::Expired { .. } => "Lifetime validation failed, the token is expired.",
            Rejection::WrongAudience(_) => {
                "Invalid audience: the token is not for Microsoft Graph."
            }
            Rejection::Invalid => "Access token validation failure. Invalid signature or issuer.",
        };
        return graph_error(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            message,
        );
    }
    let path = format!("/{}", uri.path().trim_matches('/')).to_ascii_lowercase();
    if path == "/v1.0/directoryobjects/getbyids" && method == axum::http::Method::POST {
        return get_by_ids(state, body);
    }
    if path != "/v1.0/serviceprincipals" {
        return graph_error(
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
            "The sandbox serves only /v1.0/servicePrincipals and /v1.0/directoryObjects/getByIds.",
        );
    }
    let pairs: Vec<(String, String)> = url_form::parse(uri.query().unwrap_or_default().as_bytes())
        .into_owned()
        .collect();
    let filter = pairs
        .iter()
        .find(|(k, _)| k == "$filter")
        .map(|(_, v)| v.trim());
    let app_id = match filter {
        None => None,
        Some(f) => match f
            .strip_prefix("appId eq '")
            .and_then(|r| r.strip_suffix('\''))
        {
            Some(id) => Some(id.to_owned()),
            None => {
                return graph_error(
                    StatusCode::BAD_REQUEST,
                    "Request_UnsupportedQuery",
                    "The sandbox supports only $filter=appId eq '<guid>'.",
                );
            }
        },
    };
    let select: Option<Vec<String>> = pairs.iter().find(|(k, _)| k == "$select").map(|(_, v)| {
        v.split(',')
            .map(|f| f.trim().to_owned())
            .filter(|f| !f.is_empty())
            .collect()
    });
    let tenant = state.tenant();
    let value: Vec<Value> = tenant
        .service_principals
        .iter()
        .filter(|sp| {
            app_id
                .as_deref()
                .is_none_or(|id| sp.app_id.eq_ignore_ascii_case(id))
        })
        .map(|sp| {
            // First-party apps such as Backup are owned by Microsoft's services tenant.
            let owner = if sp
                .app_id
                .eq_ignore_ascii_case(crate::seed::BACKUP_MANAGEMENT_SERVICE_APP_ID)
            {
                MICROSOFT_SERVICES_TENANT
            } else {
                tenant.tenant_id.as_str()
            };
            let full = json!({
                "id": sp.object_id,
                "appId": sp.app_id,
                "displayName": sp.display_name,
                "accountEnabled": true,
                "servicePrincipalType": "Application",
                "appOwnerOrganizationId": owner,
                "servicePrincipalNames": [sp.app_id],
                "tags": []
            });
            match &select {
                Some(fields) => Value::Object(
                    fields
                        .iter()
                        .filter_map(|f| full.get(f).map(|v| (f.clone(), v.clone())))
                        .collect(),
                ),
                None => full,
            }
        })
        .collect();
    let context = match &select {
        Some(fields) => format!(
            "https://graph.microsoft.com/v1.0/$metadata#servicePrincipals({})",
            fields.join(",")
        ),
        None => "https://graph.microsoft.com/v1.0/$metadata#servicePrincipals".to_owned(),
    };
    Json(json!({ "@odata.context": context, "value": value })).into_response()
}

/// Graph's limit on ids per `getByIds` request.
const GET_BY_IDS_LIMIT: usize = 1_000;

/// `POST /v1.0/directoryObjects/getByIds` with `{"ids": [...], "types": [...]}`: the objects
/// found, in no promised order; ids that match nothing are left out.
fn get_by_ids(state: &Shared, body: &[u8]) -> Response {
    #[derive(serde::Deserialize)]
    struct Request {
        ids: Vec<String>,
        #[serde(default)]
        types: Vec<String>,
    }
    let request: Request = match serde_json::from_slice(body) {
        Ok(request) => request,
        Err(e) => {
            return graph_error(
                StatusCode::BAD_REQUEST,
                "Request_BadRequest",
                &format!("The body must be {{\"ids\": [...]}}: {e}."),
            );
        }
    };
    if request.ids.len() > GET_BY_IDS_LIMIT {
        return graph_error(
            StatusCode::BAD_REQUEST,
            "Request_BadRequest",
            &format!("At most {GET_BY_IDS_LIMIT} ids may be asked for at once."),
        );
    }
    let wanted = |kind: &str| {
        request.types.is_empty() || request.types.iter().any(|t| t.eq_ignore_ascii_case(kind))
    };
    let tenant = state.tenant();
    let mut value = vec![];
    for id in &request.ids {
        if wanted("user")
            && let Some(u) = tenant
                .users
                .iter()
                .find(|u| u.object_id.eq_ignore_ascii_case(id))
        {
            value.push(json!({
                "@odata.type": "#microsoft.graph.user",
                "id": u.object_id,
                "displayName": u.display_name,
                "userPrincipalName": u.user_principal_name,
            }));
        } else if wanted("group")
            && let Some(g) = tenant
                .groups
                .iter()
                .find(|g| g.object_id.eq_ignore_ascii_case(id))
        {
            value.push(json!({
                "@odata.type": "#microsoft.graph.group",
                "id": g.object_id,
                "displayName": g.display_name,
                "securityEnabled": true,
            }));
        } else if wanted("serviceprincipal")
            && let Some(sp) = tenant
                .service_principals
                .iter()
                .find(|sp| sp.object_id.eq_ignore_ascii_case(id))
        {
            value.push(json!({
                "@odata.type": "#microsoft.graph.servicePrincipal",
                "id": sp.object_id,
                "displayName": sp.display_name,
                "appId": sp.app_id,
            }));
        }
    }
    Json(json!({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#directoryObjects",
        "value": value
    }))
    .into_response()
}
