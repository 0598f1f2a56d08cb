//! Interactive sign-in for people: authorization code with PKCE (an authorize page where a demo
//! user signs in and consents, then a redirect to the app's loopback URI), device code (with a
//! verification page), and refresh tokens.
//!
//! Only public clients known to the directory may start these flows; redirects must be
//! loopback `http` URIs; PKCE with S256 is required. With an [`InteractiveKey`] (the embedding
//! app's, see [`crate::Config::interactive_key`]) the pages also want proof that the app sent
//! the person there: an authorize request signed with the key, and on the device page a
//! confirmation value the app shows. Without one they are open, as the standalone binary's are. Codes live a few minutes in memory.
//! Refresh tokens are self-contained (signed, 90 days), so a sign-in survives a sandbox
//! restart the way it survives a night on Entra ID.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::json;
use sha2::Digest as _;

use crate::Shared;
use crate::entra::oauth_error;
use crate::tenant::UserRecord;
use crate::token::{REFRESH_AUDIENCE, now};

const CODE_LIFETIME_SECS: i64 = 300;
const REFRESH_LIFETIME_SECS: i64 = 90 * 86_400;

/// A secret the embedding app makes at each start and nobody else knows. With it set the
/// sandbox's sign-in pages serve only the app: `Sandbox::sign_authorize_url` signs an authorize
/// URL, `Sandbox::device_confirmation` gives the value the device page asks for.
#[derive(Clone)]
pub struct InteractiveKey([u8; 32]);

impl InteractiveKey {
    /// A fresh random key.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
        Self(bytes)
    }

    fn mac(&self, purpose: &str, fields: &[&str]) -> hmac::Hmac<sha2::Sha256> {
        use hmac::Mac as _;
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&self.0)
            .expect("HMAC takes keys of any length");
        mac.update(purpose.as_bytes());
        for field in fields {
            // Length-prefixed, so no two field lists sign the same bytes.
            mac.update(&(field.len() as u64).to_be_bytes());
            mac.update(field.as_bytes());
        }
        mac
    }

    fn sign(&self, purpose: &str, fields: &[&str]) -> String {
        use hmac::Mac as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(self.mac(purpose, fields).finalize().into_bytes())
    }

    fn verify(&self, purpose: &str, fields: &[&str], signature: &str) -> bool {
        use hmac::Mac as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(signature.trim())
            .is_ok_and(|bytes| self.mac(purpose, fields).verify_slice(&bytes).is_ok())
    }
}

impl std::fmt::Debug for InteractiveKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InteractiveKey(<redacted>)")
    }
}

/// The query parameter that carries an authorize request's signature.
pub const SIGNATURE_PARAMETER: &str = "sandbox_signature";

const AUTHORIZE_PURPOSE: &str = "safehold-sandbox authorize v1";
const DEVICE_PURPOSE: &str = "safehold-sandbox device confirmation v1";

/// What an authorize request's signature covers: who asks, where the code goes, and the PKCE
/// challenge, which is new for every sign-in.
fn authorize_fields(q: &AuthorizeQuery) -> [&str; 4] {
    [
        q.client_id.as_deref().unwrap_or_default(),
        q.redirect_uri.as_deref().unwrap_or_default(),
        q.code_challenge.as_deref().unwrap_or_default(),
        q.state.as_deref().unwrap_or_default(),
    ]
}

/// `url` (an authorize URL) with its signature appended.
pub(crate) fn sign_authorize_url(key: &InteractiveKey, url: &str) -> String {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    let query = query.split('#').next().unwrap_or_default();
    let pairs: HashMap<String, String> = url_form::parse(query.as_bytes()).into_owned().collect();
    let q = AuthorizeQuery {
        client_id: pairs.get("client_id").cloned(),
        response_type: None,
        redirect_uri: pairs.get("redirect_uri").cloned(),
        scope: None,
        state: pairs.get("state").cloned(),
        code_challenge: pairs.get("code_challenge").cloned(),
        code_challenge_method: None,
        sandbox_signature: None,
    };
    let signature = key.sign(AUTHORIZE_PURPOSE, &authorize_fields(&q));
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{SIGNATURE_PARAMETER}={signature}")
}

/// The confirmation value the device page asks for, for the flow showing `user_code`.
pub(crate) fn device_confirmation(
    key: &InteractiveKey,
    flows: &Flows,
    user_code: &str,
) -> Option<String> {
    let code = user_code.trim().to_ascii_uppercase();
    lock(&flows.devices)
        .iter()
        .find(|(_, f)| f.user_code == code && f.expires >= now())
        .map(|(device_code, _)| confirmation_for(key, device_code))
}

/// Eight characters a person can type, bound to the device code (which only the app has).
fn confirmation_for(key: &InteractiveKey, device_code: &str) -> String {
    key.sign(DEVICE_PURPOSE, &[device_code])
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(8)
        .collect::<String>()
        .to_ascii_uppercase()
}

const NOT_FROM_THE_APP: &str = "This sandbox's sign-in pages open only from the app that runs it, and this request does not come from there. Start the sign-in in Safehold.";

/// A code issued by the authorize page, waiting for its token request.
#[derive(Clone)]
struct PendingCode {
    client_id: String,
    redirect_uri: String,
    code_challenge: String,
    scope: String,
    user: String,
    expires: i64,
}

/// A device-code sign-in in progress.
#[derive(Clone)]
struct DeviceFlow {
    user_code: String,
    client_id: String,
    scope: String,
    expires: i64,
    approved_by: Option<String>,
    declined: bool,
}

/// In-memory state of the interactive flows.
#[derive(Default)]
pub struct Flows {
    codes: Mutex<HashMap<String, PendingCode>>,
    devices: Mutex<HashMap<String, DeviceFlow>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// How long an expired device flow is kept, so that a client still polling hears
/// `expired_token` (as Entra answers) rather than "unknown code".
const EXPIRED_DEVICE_FLOW_KEPT_SECS: i64 = 300;

impl Flows {
    /// Drops authorization codes that have expired and device flows that expired a while ago.
    /// Runs whenever a flow starts, so abandoned sign-ins cannot pile up in memory.
    fn prune(&self, now: i64) {
        lock(&self.codes).retain(|_, code| code.expires >= now);
        lock(&self.devices)
            .retain(|_, flow| flow.expires.saturating_add(EXPIRED_DEVICE_FLOW_KEPT_SECS) >= now);
    }
}

fn is_loopback(uri: &str) -> bool {
    url_host(uri).is_some_and(|host| matches!(host, "localhost" | "127.0.0.1" | "[::1]"))
        && uri.starts_with("http://")
}

fn url_host(uri: &str) -> Option<&str> {
    let rest = uri
        .strip_prefix("http://")
        .or_else(|| uri.strip_prefix("https://"))?;
    let authority = rest.split(['/', '?', '#']).next()?;
    Some(authority.rsplit_once(':').map_or(authority, |(h, _)| h))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn random_code() -> String {
    crate::token::random_secret()
}

fn page(title: &str, body: &str) -> Response {
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;color:#242424}}\
         .note{{background:#f0f6ff;padding:.6rem .8rem;border-radius:4px}}\
         button{{display:block;width:100%;margin:.4rem 0;padding:.6rem;font-size:1rem;text-align:left}}</style></head>\
         <body><h1>{title}</h1><p class=\"note\">Sandbox sign-in — simulated Entra ID. Nothing leaves this machine.</p>{body}</body></html>"
    ))
    .into_response()
}

fn user_buttons(users: &[UserRecord]) -> String {
    users
        .iter()
        .map(|u| {
            format!(
                "<button type=\"submit\" name=\"user\" value=\"{}\" data-upn=\"{}\">{} — {}</button>",
                escape(&u.object_id),
                escape(&u.user_principal_name),
                escape(&u.display_name),
                escape(&u.user_principal_name)
            )
        })
        .collect()
}

/// The query of `GET /{tenant}/oauth2/v2.0/authorize`.
#[derive(Deserialize)]
pub struct AuthorizeQuery {
    client_id: Option<String>,
    response_type: Option<String>,
    redirect_uri: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    sandbox_signature: Option<String>,
}

/// Checks an authorize request; the problem as text for the error page.
fn check_authorize(state: &Shared, q: &AuthorizeQuery) -> Result<String, String> {
    if let Some(key) = &state.interactive_key {
        let signed = q.sandbox_signature.as_deref().is_some_and(|signature| {
            key.verify(AUTHORIZE_PURPOSE, &authorize_fields(q), signature)
        });
        if !signed {
            return Err(NOT_FROM_THE_APP.to_owned());
        }
    }
    let client_id = q.client_id.clone().unwrap_or_default();
    let tenant = state.tenant();
    let client = tenant
        .public_clients
        .iter()
        .find(|c| c.app_id.eq_ignore_ascii_case(&client_id))
        .ok_or_else(|| format!("AADSTS700016: No public client application with id '{client_id}' exists in this directory."))?;
    if q.response_type.as_deref() != Some("code") {
        return Err("AADSTS900144: response_type must be 'code'.".to_owned());
    }
    let redirect = q.redirect_uri.clone().unwrap_or_default();
    if !is_loopback(&redirect) {
        return Err(format!(
            "AADSTS50011: The redirect URI '{redirect}' is not a loopback http:// address, the only kind a desktop client may use."
        ));
    }
    if q.code_challenge.as_deref().is_none_or(str::is_empty)
        || q.code_challenge_method.as_deref() != Some("S256")
    {
        return Err("AADSTS9002325: Proof Key for Code Exchange is required: send code_challenge with code_challenge_method=S256.".to_owned());
    }
    Ok(client.display_name.clone())
}

/// `GET /{tenant}/oauth2/v2.0/authorize`: the sign-in and consent page.
pub async fn authorize_page(
    State(state): State<Arc<Shared>>,
    Path(tenant): Path<String>,
    Query(q): Query<AuthorizeQuery>,
) -> Response {
    if !crate::entra::known_tenant(&state, &tenant) {
        return page(
            "Sign-in failed",
            &format!(
                "<p>Tenant '{}' does not exist in this sandbox.</p>",
                escape(&tenant)
            ),
        );
    }
    let app = match check_authorize(&state, &q) {
        Ok(app) => app,
        Err(problem) => {
            return page(
                "Sign-in failed",
                &format!("<p id=\"error\">{}</p>", escape(&problem)),
            );
        }
    };
    let hidden = |name: &str, value: &Option<String>| {
        format!(
            "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
            escape(value.as_deref().unwrap_or_default())
        )
    };
    let users = state.tenant().users.clone();
    let body = format!(
        "<p><strong>{app}</strong> asks to sign you in and to access Azure Resource Manager on your behalf.</p>\
         <form method=\"post\" action=\"authorize\">{}{}{}{}{}{}{}\
         <h2>Pick an account</h2>{}\
         <button type=\"submit\" name=\"cancel\" value=\"1\" id=\"cancel\">Cancel</button></form>",
        hidden("client_id", &q.client_id),
        hidden("redirect_uri", &q.redirect_uri),
        hidden("scope", &q.scope),
        hidden("state", &q.state),
        hidden("code_challenge", &q.code_challenge),
        hidden("response_type", &q.response_type),
        hidden(SIGNATURE_PARAMETER, &q.sandbox_signature),
        user_buttons(&users),
        app = escape(&app),
    );
    page("Sign in to Contoso", &body)
}

/// The form the authorize page posts.
#[derive(Deserialize)]
pub struct Consent {
    client_id: Option<String>,
    redirect_uri: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    code_challenge: Option<String>,
    response_type: Option<String>,
    user: Option<String>,
    cancel: Option<String>,
    sandbox_signature: Option<String>,
}

/// `POST /{tenant}/oauth2/v2.0/authorize`: the user chose an account (or cancelled).
pub async fn authorize_consent(
    State(state): State<Arc<Shared>>,
    Path(_tenant): Path<String>,
    Form(form): Form<Consent>,
) -> Response {
    let q = AuthorizeQuery {
        client_id: form.client_id.clone(),
        response_type: form.response_type.clone(),
        redirect_uri: form.redirect_uri.clone(),
        scope: form.scope.clone(),
        state: form.state.clone(),
        code_challenge: form.code_challenge.clone(),
        code_challenge_method: Some("S256".to_owned()),
        sandbox_signature: form.sandbox_signature.clone(),
    };
    if let Err(problem) = check_authorize(&state, &q) {
        return page(
            "Sign-in failed",
            &format!("<p id=\"error\">{}</p>", escape(&problem)),
        );
    }
    let redirect = form.redirect_uri.clone().unwrap_or_default();
    let separator = if redirect.contains('?') { '&' } else { '?' };
    let state_param = form
        .state
        .as_deref()
        .map(|s| {
            format!(
                "&state={}",
                url_form::byte_serialize(s.as_bytes()).collect::<String>()
            )
        })
        .unwrap_or_default();
    if form.cancel.is_some() {
        return Redirect::to(&format!(
            "{redirect}{separator}error=access_denied&error_description=AADSTS65004%3A+The+user+declined+to+sign+in{state_param}"
        ))
        .into_response();
    }
    let user = form.user.unwrap_or_default();
    if !state.tenant().users.iter().any(|u| u.object_id == user) {
        return page(
            "Sign-in failed",
            "<p id=\"error\">Pick one of the accounts listed.</p>",
        );
    }
    let code = random_code();
    state.flows.prune(now());
    lock(&state.flows.codes).insert(
        code.clone(),
        PendingCode {
            client_id: form.client_id.unwrap_or_default(),
            redirect_uri: redirect.clone(),
            code_challenge: form.code_challenge.unwrap_or_default(),
            scope: form.scope.unwrap_or_default(),
            user,
            expires: now() + CODE_LIFETIME_SECS,
        },
    );
    Redirect::to(&format!("{redirect}{separator}code={code}{state_param}")).into_response()
}

/// The audience for the first resource scope (`https://management.azure.com/.default` →
/// `https://management.azure.com/`), ARM's when the request names none.
fn audience_of(scope: &str) -> String {
    scope
        .split(' ')
        .find(|s| s.starts_with("https://"))
        .and_then(|s| {
            let rest = s.strip_prefix("https://")?;
            let host = rest.split('/').next()?;
            Some(format!("https://{host}/"))
        })
        .unwrap_or_else(|| "https://management.azure.com/".to_owned())
}

/// Access, refresh and id tokens for `user` of `client_id` in the directory `authority`
/// names (a tenant id, or `organizations`/`common` for the user's home directory).
fn user_tokens(
    state: &Shared,
    authority: &str,
    user_id: &str,
    client_id: &str,
    scope: &str,
) -> Response {
    let tenant = state.tenant();
    let Some(user) = tenant
        .users
        .iter()
        .find(|u| u.object_id == user_id)
        .cloned()
    else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            50034,
            "The user account does not exist in this directory.",
        );
    };
    let tid = if crate::entra::is_multi_tenant_alias(authority) {
        tenant.tenant_id.clone()
    } else {
        let Some((tid, _, _)) = tenant
            .directories_of(user_id)
            .into_iter()
            .find(|(id, _, _)| id.eq_ignore_ascii_case(authority))
        else {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                50020,
                &format!(
                    "User account '{}' does not exist in tenant '{authority}' and cannot access it. Ask that tenant's administrator to invite the user as a guest, or sign in to the user's own tenant.",
                    user.user_principal_name
                ),
            );
        };
        tid
    };
    drop(tenant);
    let audience = audience_of(scope);
    let mut access = state.tokens.claims(
        &tid,
        &user.object_id,
        client_id,
        &audience,
        state.token_lifetime_secs,
    );
    access.upn = Some(user.user_principal_name.clone());
    access.name = Some(user.display_name.clone());
    access.scp = Some("user_impersonation".to_owned());
    access.idtyp = Some("user".to_owned());
    let mut refresh = state.tokens.claims(
        &tid,
        &user.object_id,
        client_id,
        REFRESH_AUDIENCE,
        REFRESH_LIFETIME_SECS,
    );
    refresh.scp = Some(scope.to_owned());
    let mut id_token = state.tokens.claims(
        &tid,
        &user.object_id,
        client_id,
        client_id,
        state.token_lifetime_secs,
    );
    id_token.upn = Some(user.user_principal_name.clone());
    id_token.name = Some(user.display_name.clone());
    let (Ok(access), Ok(refresh), Ok(id_token)) = (
        state.tokens.sign(&access),
        state.tokens.sign(&refresh),
        state.tokens.sign(&id_token),
    ) else {
        return oauth_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            50000,
            "The sandbox could not sign a token.",
        );
    };
    let client_info = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(json!({ "uid": user.object_id, "utid": tid }).to_string());
    axum::Json(json!({
        "token_type": "Bearer",
        "scope": format!("{audience}user_impersonation"),
        "expires_in": state.token_lifetime_secs,
        "ext_expires_in": state.token_lifetime_secs,
        "access_token": access,
        "refresh_token": refresh,
        "id_token": id_token,
        "client_info": client_info
    }))
    .into_response()
}

/// `grant_type=authorization_code`
pub fn redeem_code(state: &Shared, authority: &str, form: &HashMap<String, String>) -> Response {
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    let Some(pending) = lock(&state.flows.codes).remove(field("code")) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            70008,
            "The authorization code is unknown, already used, or expired.",
        );
    };
    if pending.expires < now() {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            70008,
            "The authorization code has expired. Sign in again.",
        );
    }
    if !pending.client_id.eq_ignore_ascii_case(field("client_id"))
        || pending.redirect_uri != field("redirect_uri")
    {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            50148,
            "The code was issued to another client or redirect URI.",
        );
    }
    let verifier = field("code_verifier");
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()));
    if verifier.is_empty() || challenge != pending.code_challenge {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            501481,
            "The code_verifier does not match the code_challenge of the authorization request.",
        );
    }
    let scope = if field("scope").is_empty() {
        pending.scope.clone()
    } else {
        field("scope").to_owned()
    };
    user_tokens(state, authority, &pending.user, &pending.client_id, &scope)
}

/// `grant_type=refresh_token`
/// A refresh token works for every directory its user belongs to (Entra's multi-tenant refresh
/// tokens): redeeming it at another tenant's endpoint is how clients switch tenants.
pub fn redeem_refresh_token(
    state: &Shared,
    authority: &str,
    form: &HashMap<String, String>,
) -> Response {
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    match state
        .tokens
        .verify(field("refresh_token"), &[REFRESH_AUDIENCE.to_owned()])
    {
        Ok(claims) if claims.appid.eq_ignore_ascii_case(field("client_id")) => {
            let scope = if field("scope").is_empty() {
                claims.scp.clone().unwrap_or_default()
            } else {
                field("scope").to_owned()
            };
            user_tokens(state, authority, &claims.oid, &claims.appid, &scope)
        }
        Ok(_) => oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            700_005,
            "The refresh token was issued to another client.",
        ),
        Err(_) => oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            700_082,
            "The refresh token has expired or is not valid. Sign in again.",
        ),
    }
}

/// `POST /{tenant}/oauth2/v2.0/devicecode`
pub async fn device_code(
    State(state): State<Arc<Shared>>,
    Path(tenant): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if !crate::entra::known_tenant(&state, &tenant) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            90002,
            &format!("Tenant '{tenant}' was not found in this sandbox."),
        );
    }
    let client_id = form.get("client_id").cloned().unwrap_or_default();
    if !state
        .tenant()
        .public_clients
        .iter()
        .any(|c| c.app_id.eq_ignore_ascii_case(&client_id))
    {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700_016,
            &format!(
                "No public client application with id '{client_id}' exists in this directory."
            ),
        );
    }
    let device_code = random_code();
    let alphabet = b"BCDFGHJKLMNPQRSTVWXZ23456789";
    let user_code: String = device_code
        .bytes()
        .take(8)
        .map(|b| alphabet[usize::from(b) % alphabet.len()] as char)
        .collect();
    let verification_uri = format!("{}/devicelogin", state.authority_host);
    state.flows.prune(now());
    lock(&state.flows.devices).insert(
        device_code.clone(),
        DeviceFlow {
            user_code: user_code.clone(),
            client_id,
            scope: form.get("scope").cloned().unwrap_or_default(),
            expires: now() + state.device_code_lifetime_secs,
            approved_by: None,
            declined: false,
        },
    );
    axum::Json(json!({
        "device_code": device_code,
        "user_code": user_code,
        "verification_uri": verification_uri,
        "expires_in": state.device_code_lifetime_secs,
        "interval": state.device_poll_interval_secs,
        "message": format!("To sign in to the sandbox, open {verification_uri} and enter the code {user_code}.")
    }))
    .into_response()
}

/// `grant_type=urn:ietf:params:oauth:grant-type:device_code`
pub fn redeem_device_code(
    state: &Shared,
    authority: &str,
    form: &HashMap<String, String>,
) -> Response {
    let code = form.get("device_code").cloned().unwrap_or_default();
    let flow = lock(&state.flows.devices).get(&code).cloned();
    let Some(flow) = flow else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            70000,
            "The device code is unknown.",
        );
    };
    if flow.expires < now() {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "expired_token",
            70020,
            "The device code expired before anyone signed in. Start again.",
        );
    }
    if flow.declined {
        lock(&state.flows.devices).remove(&code);
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "authorization_declined",
            70000,
            "The user declined the sign-in.",
        );
    }
    match flow.approved_by {
        None => oauth_error(
            StatusCode::BAD_REQUEST,
            "authorization_pending",
            70016,
            "Nobody has signed in with the code yet. Keep polling.",
        ),
        Some(user) => {
            lock(&state.flows.devices).remove(&code);
            user_tokens(state, authority, &user, &flow.client_id, &flow.scope)
        }
    }
}

/// `GET /devicelogin`: where a person enters the code shown by the app.
pub async fn device_page(State(state): State<Arc<Shared>>) -> Response {
    let users = state.tenant().users.clone();
    let confirmation = if state.interactive_key.is_some() {
        "<label>Confirmation (shown in Safehold) <input name=\"confirmation\" autocomplete=\"off\"></label>"
    } else {
        ""
    };
    page(
        "Enter code",
        &format!(
            "<form method=\"post\" action=\"devicelogin\"><label>Code <input name=\"user_code\" autocomplete=\"off\"></label>{confirmation}\
             <h2>Pick an account</h2>{}<button type=\"submit\" name=\"decline\" value=\"1\" id=\"decline\">Decline</button></form>",
            user_buttons(&users)
        ),
    )
}

/// The form the device page posts.
#[derive(Deserialize)]
pub struct DeviceForm {
    user_code: Option<String>,
    user: Option<String>,
    decline: Option<String>,
    confirmation: Option<String>,
}

/// `POST /devicelogin`
pub async fn device_approve(
    State(state): State<Arc<Shared>>,
    Form(form): Form<DeviceForm>,
) -> Response {
    let code = form
        .user_code
        .unwrap_or_default()
        .trim()
        .to_ascii_uppercase();
    let mut devices = lock(&state.flows.devices);
    let Some((device_code, flow)) = devices
        .iter_mut()
        .find(|(_, f)| f.user_code == code && f.expires >= now())
    else {
        return page(
            "Sign-in failed",
            "<p id=\"error\">That code is not valid or has expired. Check the code the app shows.</p>",
        );
    };
    if let Some(key) = &state.interactive_key {
        let typed = form
            .confirmation
            .as_deref()
            .unwrap_or_default()
            .trim()
            .to_ascii_uppercase();
        let expected = confirmation_for(key, device_code);
        if !crate::entra::constant_time_eq(typed.as_bytes(), expected.as_bytes()) {
            return page(
                "Sign-in failed",
                &format!("<p id=\"error\">{}</p>", escape(NOT_FROM_THE_APP)),
            );
        }
    }
    if form.decline.is_some() {
        flow.declined = true;
        return page(
            "Sign-in declined",
            "<p id=\"done\">You declined. You can close this window.</p>",
        );
    }
    let user = form.user.unwrap_or_default();
    if !state.tenant().users.iter().any(|u| u.object_id == user) {
        return page(
            "Sign-in failed",
            "<p id=\"error\">Pick one of the accounts listed.</p>",
        );
    }
    flow.approved_by = Some(user);
    page(
        "You're signed in",
        "<p id=\"done\">You can close this window and go back to the app.</p>",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_http_redirects_are_accepted() {
        assert!(is_loopback("http://localhost:53118/callback"));
        assert!(is_loopback("http://127.0.0.1:8400"));
        assert!(!is_loopback("https://localhost:53118/"));
        assert!(!is_loopback("http://evil.example/cb"));
        assert!(!is_loopback("http://localhost.evil.example/"));
    }

    #[test]
    fn expired_codes_and_long_expired_device_flows_are_pruned() {
        let flows = Flows::default();
        let code = |expires| PendingCode {
            client_id: "c".into(),
            redirect_uri: "http://localhost/".into(),
            code_challenge: "x".into(),
            scope: String::new(),
            user: "u".into(),
            expires,
        };
        let device = |expires| DeviceFlow {
            user_code: "ABCD".into(),
            client_id: "c".into(),
            scope: String::new(),
            expires,
            approved_by: None,
            declined: false,
        };
        let now = 10_000;
        lock(&flows.codes).insert("live".into(), code(now + 60));
        lock(&flows.codes).insert("stale".into(), code(now - 1));
        lock(&flows.devices).insert("live".into(), device(now + 60));
        lock(&flows.devices).insert("just-expired".into(), device(now - 10));
        lock(&flows.devices).insert("long-gone".into(), device(now - 3_600));
        flows.prune(now);
        let mut codes: Vec<String> = lock(&flows.codes).keys().cloned().collect();
        codes.sort();
        assert_eq!(codes, ["live"]);
        let mut devices: Vec<String> = lock(&flows.devices).keys().cloned().collect();
        devices.sort();
        assert_eq!(devices, ["just-expired", "live"]);
    }

    #[test]
    fn the_audience_is_the_first_resource_scope() {
        assert_eq!(
            audience_of("openid https://management.azure.com/.default offline_access"),
            "https://management.azure.com/"
        );
        assert_eq!(
            audience_of("https://vault.azure.net/user_impersonation"),
            "https://vault.azure.net/"
        );
        assert_eq!(
            audience_of("openid profile"),
            "https://management.azure.com/"
        );
    }
}
