//! People signing in: authorization code with PKCE in the system browser, device code, and the
//! refresh token that keeps them signed in, wrapped as an azure_core `TokenCredential` so every
//! client uses a person's sign-in exactly as it uses a service principal's.
//!
//! The OAuth 2.0 protocol work is the `oauth2` crate's, over the same reqwest client (CA, proxy)
//! as every other call to the cloud. Tokens never leave this module except as azure_core
//! `AccessToken`s and as the refresh token handed to a [`RefreshTokenSink`] for the keyring.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use azure_core::time::OffsetDateTime;
use base64::Engine as _;
use oauth2::basic::{BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenType};
use oauth2::{
    AuthUrl, AuthorizationCode, Client, ClientId, CsrfToken, DeviceAuthorizationUrl,
    EndpointNotSet, EndpointSet, ExtraTokenFields, PkceCodeChallenge, RedirectUrl, RefreshToken,
    Scope, StandardDeviceAuthorizationResponse, StandardRevocableToken,
    StandardTokenIntrospectionResponse, StandardTokenResponse, TokenResponse as _, TokenUrl,
};
use safehold_core::{Advice, Error, ErrorCode, Problem, Service, ServiceError};
use zeroize::Zeroizing;

use crate::cloud::Cloud;

/// The fields Entra ID adds to a token response that Safehold reads: the id token.
#[derive(Clone, Debug, Default, serde::Deserialize, serde::Serialize)]
pub struct EntraFields {
    id_token: Option<String>,
}
impl ExtraTokenFields for EntraFields {}

type EntraTokenResponse = StandardTokenResponse<EntraFields, BasicTokenType>;
type EntraClient<HasAuth, HasDevice> = Client<
    BasicErrorResponse,
    EntraTokenResponse,
    StandardTokenIntrospectionResponse<EntraFields, BasicTokenType>,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    HasAuth,
    HasDevice,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// Who signed in, read from the id token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedInUser {
    /// Object id in the home tenant.
    pub object_id: String,
    /// The tenant the sign-in happened in.
    pub tenant_id: String,
    /// Sign-in name (`mei.tanaka@contoso.com`).
    pub username: String,
    /// Display name.
    pub display_name: String,
}

/// What a completed sign-in yields. The refresh token is for the keyring only.
pub struct SignIn {
    /// Who signed in.
    pub user: SignedInUser,
    /// The refresh token: keeps the person signed in, for every tenant they belong to.
    pub refresh_token: Zeroizing<String>,
    /// An ARM access token, already usable.
    pub arm_token: AccessToken,
}

impl fmt::Debug for SignIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignIn")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// The device-code prompt to show: where to go and what to type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceCodePrompt {
    /// The code the person types.
    pub user_code: String,
    /// Where they type it.
    pub verification_uri: String,
    /// How long the code stays valid.
    pub expires_in: Duration,
}

fn endpoint(cloud: &Cloud, tenant: &str, path: &str) -> String {
    format!(
        "{}/{tenant}/oauth2/v2.0/{path}",
        cloud.authority_host.as_str().trim_end_matches('/')
    )
}

fn oauth_client(
    cloud: &Cloud,
    tenant: &str,
) -> Result<EntraClient<EndpointNotSet, EndpointNotSet>, Error> {
    Ok(Client::new(ClientId::new(cloud.public_client_id.clone()))
        .set_token_uri(TokenUrl::new(endpoint(cloud, tenant, "token")).map_err(Error::internal)?)
        .set_auth_type(oauth2::AuthType::RequestBody))
}

/// The scopes of a first sign-in: ARM, plus a refresh token and the id token.
fn sign_in_scopes(cloud: &Cloud) -> Vec<Scope> {
    [
        cloud.arm_scope().as_str(),
        "offline_access",
        "openid",
        "profile",
    ]
    .into_iter()
    .map(|s| Scope::new(s.to_owned()))
    .collect()
}

/// The reqwest client every OAuth exchange goes through, as an `oauth2` async HTTP client.
#[derive(Clone)]
struct Http(reqwest::Client);

impl<'c> oauth2::AsyncHttpClient<'c> for Http {
    type Error = oauth2::HttpClientError<reqwest::Error>;
    type Future = std::pin::Pin<
        Box<dyn Future<Output = Result<oauth2::HttpResponse, Self::Error>> + Send + Sync + 'c>,
    >;

    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let mut builder = self
                .0
                .request(parts.method, parts.uri.to_string())
                .body(body);
            for (name, value) in &parts.headers {
                builder = builder.header(name, value);
            }
            let response = builder.send().await.map_err(Box::new)?;
            let mut out = oauth2::http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                out = out.header(name, value);
            }
            let body = response.bytes().await.map_err(Box::new)?;
            out.body(body.to_vec())
                .map_err(oauth2::HttpClientError::Http)
        })
    }
}

/// Turns a failed token request into the error people see. Entra's error codes (AADSTS…) in
/// the description are kept; tokens never appear in these errors.
fn token_error<RE, T>(
    cloud: &Cloud,
    error: oauth2::RequestTokenError<RE, oauth2::StandardErrorResponse<T>>,
) -> Error
where
    RE: std::error::Error + Send + Sync + 'static,
    T: oauth2::ErrorResponseType + fmt::Display,
{
    use oauth2::RequestTokenError as E;
    match error {
        E::ServerResponse(response) => {
            let code = response.error().to_string();
            let description = response.error_description().cloned();
            let said = ServiceError {
                status: None,
                number: description.as_deref().and_then(aadsts_number),
                code: Some(code.clone()),
                inner_codes: vec![],
                message: description,
            };
            let (kind, problem, advice) = match code.as_str() {
                "invalid_grant" | "interaction_required" => (
                    ErrorCode::Auth,
                    Problem::SignInNoLongerValid,
                    Advice::SignInAgain,
                ),
                "access_denied" => (
                    ErrorCode::Cancelled,
                    Problem::SignInDeclined,
                    Advice::ApproveSignIn,
                ),
                "expired_token" => (
                    ErrorCode::Cancelled,
                    Problem::DeviceCodeExpired,
                    Advice::EnterCodeInTime,
                ),
                _ => (
                    ErrorCode::Auth,
                    Problem::SignInRefused {
                        cloud: cloud.name.clone(),
                    },
                    Advice::SignInAgain,
                ),
            };
            Error::new(kind, problem)
                .with_service(Service::EntraId, said)
                .with_advice(advice)
        }
        E::Request(e) => Error::new(
            ErrorCode::Network,
            Problem::SignInServiceUnreachable {
                cloud: cloud.name.clone(),
            },
        )
        .with_source(e),
        E::Parse(e, _) => Error::new(
            ErrorCode::Auth,
            Problem::SignInAnswerUnreadable {
                cloud: cloud.name.clone(),
            },
        )
        .with_source(e),
        E::Other(text) => Error::new(
            ErrorCode::Auth,
            Problem::SignInRefused {
                cloud: cloud.name.clone(),
            },
        )
        .with_source(std::io::Error::other(text)),
    }
}

/// Entra ID's own number for an error, which its descriptions begin with (`AADSTS70000: …`).
pub fn aadsts_number(description: &str) -> Option<i32> {
    let rest = description.trim_start().strip_prefix("AADSTS")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

#[derive(serde::Deserialize)]
struct IdClaims {
    oid: Option<String>,
    tid: Option<String>,
    preferred_username: Option<String>,
    upn: Option<String>,
    name: Option<String>,
}

/// Who signed in, from the id token. It came straight from the token endpoint over TLS, so its
/// claims are read without checking its signature (OpenID Connect Core 3.1.3.7).
fn user_from(response: &EntraTokenResponse) -> Result<SignedInUser, Error> {
    let unreadable = || {
        Error::new(ErrorCode::Auth, Problem::NoIdToken).with_advice(Advice::CheckIdentityService)
    };
    let id_token = response
        .extra_fields()
        .id_token
        .as_deref()
        .ok_or_else(unreadable)?;
    let payload = id_token.split('.').nth(1).ok_or_else(unreadable)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| unreadable())?;
    let claims: IdClaims = serde_json::from_slice(&bytes).map_err(|_| unreadable())?;
    let username = claims.preferred_username.or(claims.upn).unwrap_or_default();
    Ok(SignedInUser {
        object_id: claims.oid.ok_or_else(unreadable)?,
        tenant_id: claims.tid.ok_or_else(unreadable)?,
        display_name: claims.name.unwrap_or_else(|| username.clone()),
        username,
    })
}

/// The longest lifetime an access token is taken to have, whatever the token endpoint says:
/// Entra ID issues them for an hour or so; a day is far beyond any it gives.
const LONGEST_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 3600);

fn access_token(response: &EntraTokenResponse) -> AccessToken {
    AccessToken::new(
        response.access_token().secret().clone(),
        expires_on(OffsetDateTime::now_utc(), response.expires_in()),
    )
}

/// When a token granted at `now` for `expires_in` expires: an hour when the endpoint says
/// nothing, and never later than a day, so a huge or hostile value cannot overflow the time.
fn expires_on(now: OffsetDateTime, expires_in: Option<Duration>) -> OffsetDateTime {
    let lifetime = expires_in
        .unwrap_or(Duration::from_secs(3600))
        .min(LONGEST_TOKEN_LIFETIME);
    now + lifetime
}

fn completed(response: &EntraTokenResponse) -> Result<SignIn, Error> {
    let refresh_token = response.refresh_token().ok_or_else(|| {
        Error::new(ErrorCode::Auth, Problem::NoRefreshToken).with_advice(Advice::AllowOfflineAccess)
    })?;
    Ok(SignIn {
        user: user_from(response)?,
        refresh_token: Zeroizing::new(refresh_token.secret().clone()),
        arm_token: access_token(response),
    })
}

/// Signs a person in through the system browser: authorization code with PKCE, redirected to
/// a one-shot listener on `http://localhost:{port}/`. `open` shows the authorize URL (in the
/// browser); the sign-in fails if nobody completes it within `timeout`.
pub async fn sign_in_with_browser(
    cloud: &Cloud,
    tenant: &str,
    open: impl FnOnce(&str) -> Result<(), Error>,
    timeout: Duration,
) -> Result<SignIn, Error> {
    let http = Http(crate::http::reqwest_client(cloud)?);
    let listeners = loopback_listeners().await?;
    let port = listeners[0]
        .local_addr()
        .map_err(|e| Error::new(ErrorCode::Internal, Problem::LoopbackUnavailable).with_source(e))?
        .port();
    let redirect = format!("http://localhost:{port}/");
    let client = oauth_client(cloud, tenant)?
        .set_auth_uri(AuthUrl::new(endpoint(cloud, tenant, "authorize")).map_err(Error::internal)?)
        .set_redirect_uri(RedirectUrl::new(redirect).map_err(Error::internal)?);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf) = client
        .authorize_url(CsrfToken::new_random)
        .add_scopes(sign_in_scopes(cloud))
        .set_pkce_challenge(challenge)
        .add_extra_param("prompt", "select_account")
        .url();
    open(url.as_str())?;

    // Only an answer carrying this sign-in's state is acted on, error or code: anything else
    // that reaches the port (another tab, another program) is told so and ignored.
    let answer = tokio::time::timeout(timeout, wait_for_redirect(listeners, csrf.secret().clone()))
        .await
        .map_err(|_| {
            Error::new(ErrorCode::Cancelled, Problem::BrowserSignInTimedOut)
                .with_advice(Advice::UseOnlyOpenedBrowser)
        })??;
    if let Some(error) = answer.get("error") {
        let said = ServiceError {
            code: Some(error.clone()),
            message: answer.get("error_description").cloned(),
            number: answer
                .get("error_description")
                .and_then(|d| aadsts_number(d)),
            ..ServiceError::default()
        };
        return Err(if error == "access_denied" {
            Error::new(ErrorCode::Cancelled, Problem::BrowserSignInCancelled)
                .with_service(Service::EntraId, said)
                .with_advice(Advice::StartAgain)
        } else {
            Error::new(ErrorCode::Auth, Problem::BrowserSignInFailed)
                .with_service(Service::EntraId, said)
                .with_advice(Advice::SignInAgain)
        });
    }
    let code = answer
        .get("code")
        .cloned()
        .ok_or_else(|| Error::new(ErrorCode::Auth, Problem::NoAuthorizationCode))?;
    let response = client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .map_err(|e| token_error(cloud, e))?;
    completed(&response)
}

/// Listeners on one loopback port, for IPv4 and (where the machine has it) IPv6: the redirect
/// says `localhost`, which a browser may resolve to either.
async fn loopback_listeners() -> Result<Vec<tokio::net::TcpListener>, Error> {
    let unavailable = |e: std::io::Error| {
        Error::new(ErrorCode::Internal, Problem::LoopbackUnavailable).with_source(e)
    };
    let v4 = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .map_err(unavailable)?;
    let port = v4.local_addr().map_err(unavailable)?.port();
    let mut listeners = vec![v4];
    match tokio::net::TcpListener::bind(("::1", port)).await {
        Ok(v6) => listeners.push(v6),
        Err(error) => {
            tracing::debug!(error = %error, "no IPv6 loopback listener; the browser's answer comes over IPv4");
        }
    }
    Ok(listeners)
}

/// Serves the loopback redirect until a request carrying `state` arrives with `code` or
/// `error`.
async fn wait_for_redirect(
    listeners: Vec<tokio::net::TcpListener>,
    state: String,
) -> Result<HashMap<String, String>, Error> {
    use axum::extract::{Query, State};
    use axum::response::Html;

    type Answers = (
        tokio::sync::mpsc::Sender<HashMap<String, String>>,
        Arc<String>,
    );
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<HashMap<String, String>>(1);
    let app = axum::Router::new()
        .route(
            "/",
            axum::routing::get(
                |State((sender, state)): State<Answers>,
                 Query(query): Query<HashMap<String, String>>| async move {
                    let ours = query.get("state").map(String::as_str) == Some(state.as_str());
                    let done = ours && (query.contains_key("code") || query.contains_key("error"));
                    if done {
                        let _ = sender.send(query).await;
                    }
                    Html(if done {
                        "<!doctype html><meta charset=utf-8><title>Safehold</title><body style=\"font-family:sans-serif\"><h1>Safehold</h1><p>You can close this tab and return to Safehold.</p>"
                    } else {
                        "<!doctype html><meta charset=utf-8><title>Safehold</title><p>This page does not belong to the sign-in Safehold is waiting for. Use the browser window Safehold opened.</p>"
                    })
                },
            ),
        )
        .with_state((sender, Arc::new(state)));
    let servers = futures::future::select_all(
        listeners
            .into_iter()
            .map(|listener| Box::pin(axum::serve(listener, app.clone()).into_future())),
    );
    let stopped = || Error::new(ErrorCode::Internal, Problem::LoopbackUnavailable);
    tokio::select! {
        answer = receiver.recv() => answer.ok_or_else(stopped),
        (result, _, _) = servers => Err(stopped().with_source(std::io::Error::other(format!("{result:?}")))),
    }
}

/// Signs a person in with a device code: `show` gets the code to display, then this polls
/// until someone signs in with it elsewhere, it expires, or it is declined.
pub async fn sign_in_with_device_code(
    cloud: &Cloud,
    tenant: &str,
    show: impl FnOnce(DeviceCodePrompt),
) -> Result<SignIn, Error> {
    let http = Http(crate::http::reqwest_client(cloud)?);
    let client = oauth_client(cloud, tenant)?.set_device_authorization_url(
        DeviceAuthorizationUrl::new(endpoint(cloud, tenant, "devicecode"))
            .map_err(Error::internal)?,
    );
    let details: StandardDeviceAuthorizationResponse = client
        .exchange_device_code()
        .add_scopes(sign_in_scopes(cloud))
        .request_async(&http)
        .await
        .map_err(|e| token_error(cloud, e))?;
    show(DeviceCodePrompt {
        user_code: details.user_code().secret().clone(),
        verification_uri: details.verification_uri().to_string(),
        expires_in: details.expires_in(),
    });
    let response = client
        .exchange_device_access_token(&details)
        .request_async(&http, tokio::time::sleep, None)
        .await
        .map_err(|e| token_error(cloud, e))?;
    completed(&response)
}

/// Where a rotated refresh token goes (the keyring). Called whenever Entra returns a new one.
pub trait RefreshTokenSink: Send + Sync {
    /// Keeps `refresh_token` in place of the previous one.
    fn store(&self, refresh_token: &str);
}

/// A person's refresh token, shared by the credentials of each tenant they use.
pub struct RefreshTokenHolder {
    token: Mutex<Zeroizing<String>>,
    sink: Arc<dyn RefreshTokenSink>,
}

impl RefreshTokenHolder {
    /// Holds `token`; rotations go to `sink`.
    pub fn new(token: Zeroizing<String>, sink: Arc<dyn RefreshTokenSink>) -> Arc<Self> {
        Arc::new(Self {
            token: Mutex::new(token),
            sink,
        })
    }

    /// The refresh token itself, for the keyring.
    pub fn secret(&self) -> Zeroizing<String> {
        self.current()
    }

    fn current(&self) -> Zeroizing<String> {
        self.token
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn rotate(&self, new: &str) {
        let mut token = self
            .token
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if token.as_str() != new {
            *token = Zeroizing::new(new.to_owned());
            drop(token);
            self.sink.store(new);
        }
    }
}

/// A person's credential for one tenant: access tokens in memory per scope, renewed with the
/// shared refresh token a few minutes before they expire.
pub struct UserCredential {
    cloud: Cloud,
    tenant: String,
    refresh: Arc<RefreshTokenHolder>,
    cache: tokio::sync::Mutex<HashMap<String, AccessToken>>,
    http: Http,
}

impl fmt::Debug for UserCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserCredential")
            .field("tenant", &self.tenant)
            .finish_non_exhaustive()
    }
}

/// Tokens are renewed this long before they expire.
const RENEW_BEFORE: azure_core::time::Duration = azure_core::time::Duration::minutes(5);

impl UserCredential {
    /// A credential for `tenant` (an id) signed in with `refresh`.
    pub fn new(
        cloud: &Cloud,
        tenant: &str,
        refresh: Arc<RefreshTokenHolder>,
    ) -> Result<Arc<Self>, Error> {
        Ok(Arc::new(Self {
            cloud: cloud.clone(),
            tenant: tenant.to_owned(),
            refresh,
            cache: tokio::sync::Mutex::default(),
            http: Http(crate::http::reqwest_client(cloud)?),
        }))
    }

    /// Seeds the cache with a token the sign-in already returned.
    pub async fn seed(&self, scope: &str, token: AccessToken) {
        self.cache.lock().await.insert(scope.to_owned(), token);
    }

    async fn renew(&self, scope: &str) -> Result<AccessToken, Error> {
        let client = oauth_client(&self.cloud, &self.tenant)?;
        let refresh = RefreshToken::new(self.refresh.current().to_string());
        let response = client
            .exchange_refresh_token(&refresh)
            .add_scope(Scope::new(scope.to_owned()))
            .add_scope(Scope::new("offline_access".to_owned()))
            .request_async(&self.http)
            .await
            .map_err(|e| token_error(&self.cloud, e))?;
        if let Some(new) = response.refresh_token() {
            self.refresh.rotate(new.secret());
        }
        Ok(access_token(&response))
    }
}

#[async_trait::async_trait]
impl TokenCredential for UserCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        let scope = scopes.first().copied().unwrap_or_default();
        // Held across the renewal on purpose: concurrent callers wait for one refresh instead
        // of each spending the refresh token.
        let mut cache = self.cache.lock().await;
        if let Some(token) = cache.get(scope)
            && token.expires_on > OffsetDateTime::now_utc() + RENEW_BEFORE
        {
            return Ok(token.clone());
        }
        // Our error travels inside azure_core's, so whoever called through a pipeline gets it
        // back whole (problem, advice, what Entra ID said): `errors::from_azure` unwraps it.
        let token = self
            .renew(scope)
            .await
            .map_err(|e| azure_core::Error::new(azure_core::error::ErrorKind::Credential, e))?;
        cache.insert(scope.to_owned(), token.clone());
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_expires_in_is_clamped_to_a_day_instead_of_overflowing() {
        let now = OffsetDateTime::now_utc();
        assert_eq!(
            expires_on(now, Some(Duration::from_secs(u64::MAX))),
            now + LONGEST_TOKEN_LIFETIME
        );
        assert_eq!(
            expires_on(now, Some(Duration::from_secs(600))),
            now + Duration::from_secs(600)
        );
        assert_eq!(expires_on(now, None), now + Duration::from_secs(3600));
    }

    #[test]
    fn entra_ids_number_is_read_from_its_description() {
        assert_eq!(
            aadsts_number("AADSTS70000: The provided grant is invalid."),
            Some(70000)
        );
        assert_eq!(aadsts_number("something else"), None);
    }
}
