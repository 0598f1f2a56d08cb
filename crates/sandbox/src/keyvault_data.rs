//! Key Vault data plane: secrets and keys of one vault, served on the vault's own origin.
//!
//! What ADE, Backup and a key-and-secret restore need: get (latest or a version), list,
//! versions, set secret (with content type and tags), backup and restore with opaque blobs that
//! restore only into the same subscription and geography (409 when the name exists, live or
//! soft-deleted), soft delete, recover and purge. Unauthenticated calls get the 401 challenge
//! clients use to find the tenant; the caller's rights come from the vault's access policies, or
//! its role assignments on an RBAC vault.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::Shared;
use crate::tenant::{KeyRecord, KeyVaultRecord, SecretRecord, SubscriptionRecord, Tenant};

/// Accepted data-plane api-versions.
const VERSIONS: &[&str] = &[
    "2016-10-01",
    "7.0",
    "7.1",
    "7.2",
    "7.3",
    "7.4",
    "7.5",
    "7.6",
    "2025-07-01",
    "2026-04-01",
];

const BACKUP_PREFIX: &str = "SAFEHOLD-SANDBOX-KV-BACKUP.";

/// What a backup blob holds. Opaque to clients; bound to a subscription and a geography.
#[derive(serde::Serialize, Deserialize)]
pub struct BackupContent {
    /// `key` or `secret`.
    pub kind: String,
    /// Subscription of the vault it came from.
    pub subscription: String,
    /// Geography of the vault it came from.
    pub geography: String,
    /// Object name.
    pub name: String,
    /// The version backed up.
    pub version: String,
    /// Secret value (secrets only).
    #[serde(default)]
    pub value: Option<String>,
    /// Content type (secrets only).
    #[serde(default)]
    pub content_type: Option<String>,
    /// Tags.
    #[serde(default)]
    pub tags: std::collections::BTreeMap<String, String>,
}

/// The blob's bytes for `content`.
pub fn backup_bytes(content: &BackupContent) -> Vec<u8> {
    let json = serde_json::to_vec(content).unwrap_or_default();
    format!(
        "{BACKUP_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    )
    .into_bytes()
}

/// The Azure geography of a region, which bounds where a backup restores.
pub fn geography(region: &str) -> &'static str {
    let r = region.to_ascii_lowercase();
    if r.starts_with("japan") {
        "Japan"
    } else if r.contains("europe")
        || r.starts_with("uk")
        || r.starts_with("france")
        || r.starts_with("germany")
    {
        "Europe"
    } else if r.ends_with("us") || r.ends_with("us2") || r.ends_with("us3") || r.contains("central")
    {
        "United States"
    } else {
        "Other"
    }
}

fn kv_error(status: StatusCode, code: &str, message: &str, inner: Option<&str>) -> Response {
    let mut error = json!({ "code": code, "message": message });
    if let Some(inner) = inner {
        error["innererror"] = json!({ "code": inner });
    }
    let mut response = (status, Json(json!({ "error": error }))).into_response();
    if let Ok(id) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
        response.headers_mut().insert("x-ms-request-id", id);
    }
    response
}

/// One vault's data plane.
pub struct VaultHost {
    shared: Arc<Shared>,
    vault: String,
}

/// The routes of the vault `vault`.
pub fn router(shared: Arc<Shared>, vault: String) -> axum::Router {
    axum::Router::new()
        .fallback(handle)
        .with_state(Arc::new(VaultHost { shared, vault }))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Key,
    Secret,
}

impl Kind {
    fn word(self) -> &'static str {
        match self {
            Self::Key => "key",
            Self::Secret => "secret",
        }
    }
}

/// The RBAC data action an operation (`get`, `list`, `set`, `backup`, …) on `kind` needs.
/// Reading a deleted object counts as listing.
fn data_action(kind: Kind, operation: &str) -> String {
    let verb = match (kind, operation) {
        (Kind::Secret, "get") => "getSecret/action",
        (Kind::Secret, "list") => "readMetadata/action",
        (Kind::Secret, "set") => "setSecret/action",
        (Kind::Key, "get" | "list") => "read",
        (_, "delete") => "delete",
        (_, "backup") => "backup/action",
        (_, "restore") => "restore/action",
        (_, "recover") => "recover/action",
        (_, "purge") => "purge/action",
        (_, other) => other,
    };
    format!("Microsoft.KeyVault/vaults/{}s/{verb}", kind.word())
}

/// Whether `oid` may do `operation` (`get`, `list`, `set`, `backup`, …) on `kind` in `kv` of
/// `sub`: by its role assignments on an RBAC vault, by the access policies otherwise.
fn allowed(
    tenant: &Tenant,
    sub: &SubscriptionRecord,
    kv: &KeyVaultRecord,
    oid: &str,
    kind: Kind,
    operation: &str,
) -> bool {
    if kv.rbac_authorization {
        return crate::authorization::grants_data_action(
            tenant,
            sub,
            kv,
            oid,
            &data_action(kind, operation),
        );
    }
    kv.access_policies.iter().any(|p| {
        p.object_id.eq_ignore_ascii_case(oid) && {
            let granted = if kind == Kind::Key {
                &p.keys
            } else {
                &p.secrets
            };
            granted
                .iter()
                .any(|g| g.eq_ignore_ascii_case(operation) || g.eq_ignore_ascii_case("all"))
        }
    })
}

async fn handle(
    State(host): State<Arc<VaultHost>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let state = &host.shared;
    let pairs: Vec<(String, String)> = url_form::parse(uri.query().unwrap_or_default().as_bytes())
        .into_owned()
        .collect();
    let header = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let claims = match state
        .tokens
        .check(header, &["https://vault.azure.net".to_owned()])
    {
        Ok(claims) => claims,
        Err(rejection) => {
            let mut response = kv_error(
                StatusCode::UNAUTHORIZED,
                "Unauthorized",
                match rejection {
                    crate::token::Rejection::Missing | crate::token::Rejection::NotBearer => {
                        "AKV10000: The request has no bearer token."
                    }
                    crate::token::Rejection::Expired { .. } => "AKV10032: The token has expired.",
                    crate::token::Rejection::WrongAudience(_) => {
                        "AKV10022: The token's audience is not https://vault.azure.net."
                    }
                    crate::token::Rejection::Invalid => "AKV10032: The token is not valid.",
                },
                None,
            );
            let challenge = format!(
                "Bearer authorization=\"{}/{}\", resource=\"https://vault.azure.net\"",
                state.authority_host, state.principal.tenant_id
            );
            if let Ok(value) = HeaderValue::from_str(&challenge) {
                response
                    .headers_mut()
                    .insert(axum::http::header::WWW_AUTHENTICATE, value);
            }
            return response;
        }
    };
    match pairs
        .iter()
        .find(|(k, _)| k == "api-version")
        .map(|(_, v)| v.as_str())
    {
        Some(v) if VERSIONS.contains(&v) => {}
        other => {
            return kv_error(
                StatusCode::BAD_REQUEST,
                "BadParameter",
                &format!(
                    "The api-version '{}' is not supported. Supported: {}.",
                    other.unwrap_or(""),
                    VERSIONS.join(", ")
                ),
                None,
            );
        }
    }
    let segments: Vec<&str> = uri.path().split('/').filter(|s| !s.is_empty()).collect();
    let lower: Vec<String> = segments.iter().map(|s| s.to_ascii_lowercase()).collect();
    let lower: Vec<&str> = lower.iter().map(String::as_str).collect();
    let request = Request {
        host: &host,
        oid: &claims.oid,
        body: &body,
    };
    match (&method, lower.as_slice()) {
        (&Method::GET, ["secrets"]) => request.list(Kind::Secret, None),
        (&Method::GET, ["keys"]) => request.list(Kind::Key, None),
        (&Method::GET, ["secrets", _, "versions"]) => request.list(Kind::Secret, Some(segments[1])),
        (&Method::GET, ["keys", _, "versions"]) => request.list(Kind::Key, Some(segments[1])),
        (&Method::GET, ["secrets", _]) => request.get(Kind::Secret, segments[1], None),
        (&Method::GET, ["secrets", _, _]) => {
            request.get(Kind::Secret, segments[1], Some(segments[2]))
        }
        (&Method::GET, ["keys", _]) => request.get(Kind::Key, segments[1], None),
        (&Method::GET, ["keys", _, _]) => request.get(Kind::Key, segments[1], Some(segments[2])),
        (&Method::PUT, ["secrets", _]) => request.set_secret(segments[1]),
        (&Method::POST, ["secrets", "restore"]) => request.restore(Kind::Secret),
        (&Method::POST, ["keys", "restore"]) => request.restore(Kind::Key),
        (&Method::POST, ["secrets", _, "backup"]) => request.backup(Kind::Secret, segments[1]),
        (&Method::POST, ["keys", _, "backup"]) => request.backup(Kind::Key, segments[1]),
        (&Method::DELETE, ["secrets", _]) => request.delete(Kind::Secret, segments[1]),
        (&Method::DELETE, ["keys", _]) => request.delete(Kind::Key, segments[1]),
        (&Method::GET, ["deletedsecrets", _]) => request.get_deleted(Kind::Secret, segments[1]),
        (&Method::GET, ["deletedkeys", _]) => request.get_deleted(Kind::Key, segments[1]),
        (&Method::POST, ["deletedsecrets", _, "recover"]) => {
            request.recover(Kind::Secret, segments[1])
        }
        (&Method::POST, ["deletedkeys", _, "recover"]) => request.recover(Kind::Key, segments[1]),
        (&Method::DELETE, ["deletedsecrets", _]) => request.purge(Kind::Secret, segments[1]),
        (&Method::DELETE, ["deletedkeys", _]) => request.purge(Kind::Key, segments[1]),
        _ => kv_error(
            StatusCode::BAD_REQUEST,
            "BadParameter",
            &format!("The sandbox does not serve {method} {}.", uri.path()),
            None,
        ),
    }
}

struct Request<'a> {
    host: &'a VaultHost,
    oid: &'a str,
    body: &'a [u8],
}

fn attributes(deleted: bool) -> Value {
    json!({
        "enabled": !deleted,
        "created": 1_700_000_000,
        "updated": 1_700_000_000,
        "recoveryLevel": "Recoverable+Purgeable",
        "recoverableDays": 90
    })
}

impl Request<'_> {
    fn base(&self) -> String {
        self.host
            .shared
            .vault_uri(&self.host.vault)
            .trim_end_matches('/')
            .to_owned()
    }

    /// Runs `f` on the vault, after the vault-exists and permission checks.
    fn with_vault(
        &self,
        kind: Kind,
        operation: &str,
        write: bool,
        f: impl FnOnce(&mut KeyVaultRecord, &str, &str) -> Response,
    ) -> Response {
        let state = &self.host.shared;
        let mut tenant = if write {
            Guard::Write(state.tenant_mut())
        } else {
            Guard::Read(state.tenant())
        };
        let found = tenant
            .get()
            .key_vault(&self.host.vault)
            .map(|(sub, kv)| (sub.subscription_id.clone(), kv.location.clone(), kv.deleted));
        let Some((subscription, location, deleted)) = found else {
            return kv_error(
                StatusCode::NOT_FOUND,
                "VaultNotFound",
                "This key vault does not exist.",
                None,
            );
        };
        if deleted {
            return kv_error(
                StatusCode::NOT_FOUND,
                "VaultNotFound",
                "This key vault has been deleted.",
                None,
            );
        }
        let (sub, kv) = tenant
            .get()
            .key_vault(&self.host.vault)
            .expect("found above");
        if !allowed(tenant.get(), sub, kv, self.oid, kind, operation) {
            let (message, inner) = if kv.rbac_authorization {
                (
                    format!(
                        "Caller '{}' is not authorised to {} {}s: no role assignment allows it.",
                        self.oid,
                        operation,
                        kind.word()
                    ),
                    "ForbiddenByRbac",
                )
            } else {
                (
                    format!(
                        "The principal '{}' does not have {}s {} permission on key vault '{}'.",
                        self.oid,
                        kind.word(),
                        operation,
                        kv.name
                    ),
                    "AccessDenied",
                )
            };
            return kv_error(StatusCode::FORBIDDEN, "Forbidden", &message, Some(inner));
        }
        match &mut tenant {
            Guard::Write(guard) => {
                let name = self.host.vault.clone();
                let kv = guard
                    .subscriptions
                    .iter_mut()
                    .flat_map(|s| s.key_vaults.iter_mut())
                    .find(|k| k.name.eq_ignore_ascii_case(&name))
                    .expect("found above");
                let response = f(kv, &subscription, &location);
                if response.status().is_success()
                    && let Err(error) = state.persist(guard)
                {
                    return error.into_response();
                }
                response
            }
            Guard::Read(guard) => {
                let mut copy = guard
                    .key_vault(&self.host.vault)
                    .map(|(_, kv)| kv.clone())
                    .expect("found above");
                f(&mut copy, &subscription, &location)
            }
        }
    }

    fn secret_json(&self, s: &SecretRecord, with_value: bool) -> Value {
        let mut value = json!({
            "id": format!("{}/secrets/{}/{}", self.base(), s.name, s.version),
            "attributes": attributes(false),
            "tags": s.tags,
        });
        if let Some(ct) = &s.content_type {
            value["contentType"] = json!(ct);
        }
        if with_value {
            value["value"] = json!(s.value);
        }
        value
    }

    fn key_json(&self, k: &KeyRecord) -> Value {
        let kid = format!("{}/keys/{}/{}", self.base(), k.name, k.version);
        // A stable, key-shaped modulus: the sandbox never does real cryptography with it.
        let modulus: Vec<u8> = k.version.bytes().cycle().take(256).collect();
        json!({
            "key": {
                "kid": kid,
                "kty": k.kty,
                "key_ops": ["encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey"],
                "n": base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(modulus),
                "e": "AQAB"
            },
            "attributes": attributes(false),
            "tags": {}
        })
    }

    fn not_found(kind: Kind, name: &str) -> Response {
        let code = if kind == Kind::Key {
            "KeyNotFound"
        } else {
            "SecretNotFound"
        };
        kv_error(
            StatusCode::NOT_FOUND,
            code,
            &format!(
                "A {} with (name/id) {name} was not found in this key vault.",
                kind.word()
            ),
            None,
        )
    }

    fn get(&self, kind: Kind, name: &str, version: Option<&str>) -> Response {
        self.with_vault(kind, "get", false, |kv, _, _| match kind {
            Kind::Secret => kv
                .secrets
                .iter()
                .rfind(|s| {
                    !s.deleted
                        && s.name.eq_ignore_ascii_case(name)
                        && version.is_none_or(|v| s.version == v)
                })
                .map(|s| Json(self.secret_json(s, true)).into_response())
                .unwrap_or_else(|| Self::not_found(kind, name)),
            Kind::Key => kv
                .keys
                .iter()
                .rfind(|k| {
                    !k.deleted
                        && k.name.eq_ignore_ascii_case(name)
                        && version.is_none_or(|v| k.version == v)
                })
                .map(|k| Json(self.key_json(k)).into_response())
                .unwrap_or_else(|| Self::not_found(kind, name)),
        })
    }

    fn list(&self, kind: Kind, versions_of: Option<&str>) -> Response {
        self.with_vault(kind, "list", false, |kv, _, _| {
            let base = self.base();
            let mut value = Vec::new();
            let mut seen = std::collections::HashSet::new();
            match kind {
                Kind::Secret => {
                    for s in kv.secrets.iter().rev().filter(|s| !s.deleted) {
                        if let Some(name) = versions_of {
                            if s.name.eq_ignore_ascii_case(name) {
                                value.push(json!({ "id": format!("{base}/secrets/{}/{}", s.name, s.version), "attributes": attributes(false), "tags": s.tags, "contentType": s.content_type }));
                            }
                        } else if seen.insert(s.name.to_ascii_lowercase()) {
                            value.push(json!({ "id": format!("{base}/secrets/{}", s.name), "attributes": attributes(false), "tags": s.tags, "contentType": s.content_type }));
                        }
                    }
                }
                Kind::Key => {
                    for k in kv.keys.iter().rev().filter(|k| !k.deleted) {
                        if let Some(name) = versions_of {
                            if k.name.eq_ignore_ascii_case(name) {
                                value.push(json!({ "kid": format!("{base}/keys/{}/{}", k.name, k.version), "attributes": attributes(false) }));
                            }
                        } else if seen.insert(k.name.to_ascii_lowercase()) {
                            value.push(json!({ "kid": format!("{base}/keys/{}", k.name), "attributes": attributes(false) }));
                        }
                    }
                }
            }
            Json(json!({ "value": value, "nextLink": null })).into_response()
        })
    }

    fn set_secret(&self, name: &str) -> Response {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct SetSecret {
            value: String,
            content_type: Option<String>,
            #[serde(default)]
            tags: std::collections::BTreeMap<String, String>,
        }
        let request: SetSecret = match serde_json::from_slice(self.body) {
            Ok(r) => r,
            Err(e) => {
                return kv_error(
                    StatusCode::BAD_REQUEST,
                    "BadParameter",
                    &format!("The request body is not a secret: {e}."),
                    None,
                );
            }
        };
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') || name.len() > 127 {
            return kv_error(
                StatusCode::BAD_REQUEST,
                "BadParameter",
                "Secret names are 1 to 127 letters, digits and dashes.",
                None,
            );
        }
        self.with_vault(Kind::Secret, "set", true, |kv, _, _| {
            if kv.secrets.iter().any(|s| s.deleted && s.name.eq_ignore_ascii_case(name)) {
                return kv_error(StatusCode::CONFLICT, "Conflict", &format!("Secret {name} is currently in a deleted but recoverable state; recover or purge it first."), Some("ObjectIsDeletedButRecoverable"));
            }
            let record = SecretRecord {
                name: kv.secrets.iter().find(|s| s.name.eq_ignore_ascii_case(name)).map_or_else(|| name.to_owned(), |s| s.name.clone()),
                version: uuid::Uuid::new_v4().simple().to_string(),
                content_type: request.content_type,
                tags: request.tags,
                value: request.value,
                deleted: false,
            };
            let body = self.secret_json(&record, true);
            kv.secrets.push(record);
            Json(body).into_response()
        })
    }

    fn backup(&self, kind: Kind, name: &str) -> Response {
        self.with_vault(kind, "backup", false, |kv, subscription, location| {
            let content = match kind {
                Kind::Secret => kv.secrets.iter().rfind(|s| !s.deleted && s.name.eq_ignore_ascii_case(name)).map(|s| BackupContent {
                    kind: "secret".to_owned(),
                    subscription: subscription.to_owned(),
                    geography: geography(location).to_owned(),
                    name: s.name.clone(),
                    version: s.version.clone(),
                    value: Some(s.value.clone()),
                    content_type: s.content_type.clone(),
                    tags: s.tags.clone(),
                }),
                Kind::Key => kv.keys.iter().rfind(|k| !k.deleted && k.name.eq_ignore_ascii_case(name)).map(|k| BackupContent {
                    kind: "key".to_owned(),
                    subscription: subscription.to_owned(),
                    geography: geography(location).to_owned(),
                    name: k.name.clone(),
                    version: k.version.clone(),
                    value: None,
                    content_type: None,
                    tags: Default::default(),
                }),
            };
            match content {
                Some(c) => Json(json!({ "value": base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(backup_bytes(&c)) })).into_response(),
                None => Self::not_found(kind, name),
            }
        })
    }

    fn restore(&self, kind: Kind) -> Response {
        let bad = |message: &str| kv_error(StatusCode::BAD_REQUEST, "BadParameter", message, None);
        let Ok(request) = serde_json::from_slice::<Value>(self.body) else {
            return bad("The request body must be {\"value\": \"<backup blob, base64url>\"}.");
        };
        let Some(content) = request["value"]
            .as_str()
            .and_then(|v| {
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(v.trim_end_matches('='))
                    .ok()
            })
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .and_then(|text| text.strip_prefix(BACKUP_PREFIX).map(str::to_owned))
            .and_then(|payload| {
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(payload)
                    .ok()
            })
            .and_then(|json| serde_json::from_slice::<BackupContent>(&json).ok())
        else {
            return bad("The backup blob is corrupt or was not made by Key Vault.");
        };
        if content.kind != kind.word() {
            return bad(&format!(
                "This is a {} backup; restore it as a {}.",
                content.kind, content.kind
            ));
        }
        self.with_vault(kind, "restore", true, |kv, subscription, location| {
            if !content.subscription.eq_ignore_ascii_case(subscription) || content.geography != geography(location) {
                return bad("A backup restores only into a key vault in the same subscription and Azure geography as the vault it came from.");
            }
            let exists = match kind {
                Kind::Secret => kv.secrets.iter().any(|s| s.name.eq_ignore_ascii_case(&content.name)),
                Kind::Key => kv.keys.iter().any(|k| k.name.eq_ignore_ascii_case(&content.name)),
            };
            if exists {
                return kv_error(StatusCode::CONFLICT, "Conflict", &format!("A {} named {} already exists in this vault (possibly soft-deleted): recover or purge it, or restore into another vault.", kind.word(), content.name), None);
            }
            match kind {
                Kind::Secret => {
                    let record = SecretRecord {
                        name: content.name.clone(),
                        version: content.version.clone(),
                        content_type: content.content_type.clone(),
                        tags: content.tags.clone(),
                        value: content.value.clone().unwrap_or_default(),
                        deleted: false,
                    };
                    let body = self.secret_json(&record, false);
                    kv.secrets.push(record);
                    Json(body).into_response()
                }
                Kind::Key => {
                    let record = KeyRecord { name: content.name.clone(), version: content.version.clone(), kty: "RSA".to_owned(), deleted: false };
                    let body = self.key_json(&record);
                    kv.keys.push(record);
                    Json(body).into_response()
                }
            }
        })
    }

    fn deleted_json(&self, kind: Kind, name: &str) -> Value {
        let collection = if kind == Kind::Key {
            "deletedkeys"
        } else {
            "deletedsecrets"
        };
        let now = crate::token::now();
        json!({
            "recoveryId": format!("{}/{collection}/{name}", self.base()),
            "deletedDate": now,
            "scheduledPurgeDate": now + 90 * 86_400,
            "id": format!("{}/{}s/{name}", self.base(), kind.word()),
            "attributes": attributes(true)
        })
    }

    fn delete(&self, kind: Kind, name: &str) -> Response {
        self.with_vault(kind, "delete", true, |kv, _, _| {
            let mut found = false;
            match kind {
                Kind::Secret => kv
                    .secrets
                    .iter_mut()
                    .filter(|s| !s.deleted && s.name.eq_ignore_ascii_case(name))
                    .for_each(|s| {
                        s.deleted = true;
                        found = true;
                    }),
                Kind::Key => kv
                    .keys
                    .iter_mut()
                    .filter(|k| !k.deleted && k.name.eq_ignore_ascii_case(name))
                    .for_each(|k| {
                        k.deleted = true;
                        found = true;
                    }),
            }
            if found {
                Json(self.deleted_json(kind, name)).into_response()
            } else {
                Self::not_found(kind, name)
            }
        })
    }

    fn get_deleted(&self, kind: Kind, name: &str) -> Response {
        self.with_vault(kind, "list", false, |kv, _, _| {
            let deleted = match kind {
                Kind::Secret => kv
                    .secrets
                    .iter()
                    .any(|s| s.deleted && s.name.eq_ignore_ascii_case(name)),
                Kind::Key => kv
                    .keys
                    .iter()
                    .any(|k| k.deleted && k.name.eq_ignore_ascii_case(name)),
            };
            if deleted {
                Json(self.deleted_json(kind, name)).into_response()
            } else {
                Self::not_found(kind, name)
            }
        })
    }

    fn recover(&self, kind: Kind, name: &str) -> Response {
        self.with_vault(kind, "recover", true, |kv, _, _| {
            let mut found = false;
            match kind {
                Kind::Secret => kv
                    .secrets
                    .iter_mut()
                    .filter(|s| s.deleted && s.name.eq_ignore_ascii_case(name))
                    .for_each(|s| {
                        s.deleted = false;
                        found = true;
                    }),
                Kind::Key => kv
                    .keys
                    .iter_mut()
                    .filter(|k| k.deleted && k.name.eq_ignore_ascii_case(name))
                    .for_each(|k| {
                        k.deleted = false;
                        found = true;
                    }),
            }
            if !found {
                return Self::not_found(kind, name);
            }
            match kind {
                Kind::Secret => kv
                    .secrets
                    .iter()
                    .rfind(|s| s.name.eq_ignore_ascii_case(name))
                    .map(|s| Json(self.secret_json(s, false)).into_response()),
                Kind::Key => kv
                    .keys
                    .iter()
                    .rfind(|k| k.name.eq_ignore_ascii_case(name))
                    .map(|k| Json(self.key_json(k)).into_response()),
            }
            .unwrap_or_else(|| Self::not_found(kind, name))
        })
    }

    fn purge(&self, kind: Kind, name: &str) -> Response {
        self.with_vault(kind, "purge", true, |kv, _, _| {
            if kv.purge_protection {
                return kv_error(StatusCode::FORBIDDEN, "Forbidden", "Purge protection is on for this vault: deleted objects are kept until their retention ends.", Some("PurgeProtectionEnabled"));
            }
            let before = kv.secrets.len() + kv.keys.len();
            match kind {
                Kind::Secret => kv.secrets.retain(|s| !(s.deleted && s.name.eq_ignore_ascii_case(name))),
                Kind::Key => kv.keys.retain(|k| !(k.deleted && k.name.eq_ignore_ascii_case(name))),
            }
            if kv.secrets.len() + kv.keys.len() == before { Self::not_found(kind, name) } else { StatusCode::NO_CONTENT.into_response() }
        })
    }
}

/// The tenant lock, for reading or for a change.
enum Guard<'a> {
    Read(std::sync::RwLockReadGuard<'a, Tenant>),
    Write(std::sync::RwLockWriteGuard<'a, Tenant>),
}

impl Guard<'_> {
    fn get(&self) -> &Tenant {
        match self {
            Self::Read(g) => g,
            Self::Write(g) => g,
        }
    }
}
