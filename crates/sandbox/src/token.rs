//! Access tokens: JWT-shaped, HMAC-signed with a per-installation key, carrying tenant,
//! audience and expiry like Entra ID's.
//!
//! Services check issuer, signature, audience and expiry and answer each problem with the
//! error the real service gives for it.

use std::path::Path;

use anyhow::Context as _;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore as _;
use serde::{Deserialize, Serialize};

use crate::store;

const SIGNING_KEY_FILE: &str = "token-signing.key";

/// The claims the sandbox puts into (and reads from) an access token.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Claims {
    /// Audience: the resource the token is for, e.g. `https://management.azure.com/`.
    pub aud: String,
    /// Issuer.
    pub iss: String,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
    /// Not before.
    pub nbf: i64,
    /// Expiry.
    pub exp: i64,
    /// Tenant id.
    pub tid: String,
    /// Object id of the principal.
    pub oid: String,
    /// Subject.
    pub sub: String,
    /// Application id of the client.
    pub appid: String,
    /// Token version, `1.0` like ARM's tokens.
    pub ver: String,
    /// A signed-in user's sign-in name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upn: Option<String>,
    /// A signed-in user's display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Delegated scopes (user tokens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scp: Option<String>,
    /// Who the token speaks for, as Entra's `idtyp` claim says it: `app` for a client-credentials
    /// token (the application itself), `user` for a signed-in person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idtyp: Option<String>,
}

/// The audience of the sandbox's refresh tokens, which no service accepts as an access token.
pub const REFRESH_AUDIENCE: &str = "urn:safehold-sandbox:refresh-token";

/// Why a presented token was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Rejection {
    /// No `Authorization` header.
    Missing,
    /// A header that is not `Bearer <token>`.
    NotBearer,
    /// Not a token this sandbox issued (bad shape, signature or issuer).
    Invalid,
    /// Expired at the given time (seconds since the epoch).
    Expired {
        /// When it expired.
        exp: i64,
        /// The time of the check.
        now: i64,
    },
    /// Issued for another audience.
    WrongAudience(String),
}

/// Issues and checks tokens.
pub struct TokenService {
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// The signing key itself, for deriving other per-installation keys.
    secret: Vec<u8>,
}

/// A fresh random secret, URL-safe, 256 bits.
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The issuer of tokens from the directory `tenant_id`, as Entra ID writes it in v1 tokens.
pub fn issuer_of(tenant_id: &str) -> String {
    format!("https://sts.windows.net/{tenant_id}/")
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

impl TokenService {
    /// Loads the signing key from `dir`, creating it on first run.
    pub fn load_or_create(dir: &Path) -> anyhow::Result<Self> {
        let path = dir.join(SIGNING_KEY_FILE);
        let key = if path.exists() {
            std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?
        } else {
            let key = random_secret().into_bytes();
            store::write_private(&path, &key)?;
            key
        };
        Ok(Self {
            encoding: EncodingKey::from_secret(&key),
            decoding: DecodingKey::from_secret(&key),
            secret: key,
        })
    }

    /// A key derived from this installation's secret for `purpose`: stable across restarts,
    /// different for every purpose, and useless for signing tokens.
    pub fn derive_key(&self, purpose: &str) -> [u8; 32] {
        use hmac::Mac as _;
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&self.secret)
            .expect("HMAC takes keys of any length");
        mac.update(purpose.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// Issues an application token (client credentials) for `audience`, valid for
    /// `lifetime_secs` (negative for an expired one).
    pub fn issue(
        &self,
        tenant_id: &str,
        object_id: &str,
        client_id: &str,
        audience: &str,
        lifetime_secs: i64,
    ) -> anyhow::Result<String> {
        let mut claims = self.claims(tenant_id, object_id, client_id, audience, lifetime_secs);
        claims.idtyp = Some("app".to_owned());
        self.sign(&claims)
    }

    /// Signs `claims` as a token.
    pub fn sign(&self, claims: &Claims) -> anyhow::Result<String> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .context("signing a token")
    }

    /// A template for a token of `lifetime_secs` from now (fill in the rest).
    pub fn claims(
        &self,
        tenant_id: &str,
        object_id: &str,
        client_id: &str,
        audience: &str,
        lifetime_secs: i64,
    ) -> Claims {
        let now = now();
        Claims {
            aud: audience.to_owned(),
            iss: issuer_of(tenant_id),
            iat: now,
            nbf: now - 300,
            exp: now + lifetime_secs,
            tid: tenant_id.to_owned(),
            oid: object_id.to_owned(),
            sub: object_id.to_owned(),
            appid: client_id.to_owned(),
            ver: "1.0".to_owned(),
            upn: None,
            name: None,
            scp: None,
            idtyp: None,
        }
    }

    /// Checks an `Authorization` header value against the accepted audiences.
    pub fn check(&self, header: Option<&str>, audiences: &[String]) -> Result<Claims, Rejection> {
        let header = header.ok_or(Rejection::Missing)?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(Rejection::NotBearer)?;
        self.verify(token, audiences)
    }

    /// Checks a token itself (no header) against the accepted audiences.
    pub fn verify(&self, token: &str, audiences: &[String]) -> Result<Claims, Rejection> {
        let mut validation = Validation::new(Algorithm::HS256);
        // Expiry and audience are checked below, so each gets the service's own error.
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map_err(|_| Rejection::Invalid)?
            .claims;
        // Each directory issues its own tokens: the issuer names the token's tenant.
        if claims.iss != issuer_of(&claims.tid) {
            return Err(Rejection::Invalid);
        }
        let now = now();
        if claims.exp <= now {
            return Err(Rejection::Expired {
                exp: claims.exp,
                now,
            });
        }
        let aud = claims.aud.trim_end_matches('/');
        if !audiences
            .iter()
            .any(|a| a.trim_end_matches('/').eq_ignore_ascii_case(aud))
        {
            return Err(Rejection::WrongAudience(claims.aud.clone()));
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service() -> (tempfile::TempDir, TokenService) {
        let dir = tempfile::tempdir().unwrap();
        let service = TokenService::load_or_create(dir.path()).unwrap();
        (dir, service)
    }

    fn arm() -> Vec<String> {
        vec!["https://management.azure.com/".to_owned()]
    }

    #[test]
    fn a_fresh_token_for_the_right_audience_passes() {
        let (_dir, tokens) = service();
        let token = tokens
            .issue("tenant", "oid", "app", "https://management.azure.com/", 60)
            .unwrap();
        let claims = tokens
            .check(Some(&format!("Bearer {token}")), &arm())
            .unwrap();
        assert_eq!(claims.tid, "tenant");
        assert_eq!(claims.appid, "app");
    }

    #[test]
    fn each_problem_gets_its_own_rejection() {
        let (_dir, tokens) = service();
        assert_eq!(tokens.check(None, &arm()).unwrap_err(), Rejection::Missing);
        assert_eq!(
            tokens.check(Some("Basic abc"), &arm()).unwrap_err(),
            Rejection::NotBearer
        );
        assert_eq!(
            tokens.check(Some("Bearer not.a.jwt"), &arm()).unwrap_err(),
            Rejection::Invalid
        );
        let expired = tokens
            .issue("tenant", "oid", "app", "https://management.azure.com/", -5)
            .unwrap();
        assert!(matches!(
            tokens
                .check(Some(&format!("Bearer {expired}")), &arm())
                .unwrap_err(),
            Rejection::Expired { .. }
        ));
        let vault = tokens
            .issue("tenant", "oid", "app", "https://vault.azure.net", 60)
            .unwrap();
        assert_eq!(
            tokens
                .check(Some(&format!("Bearer {vault}")), &arm())
                .unwrap_err(),
            Rejection::WrongAudience("https://vault.azure.net".into())
        );
    }

    #[test]
    fn a_token_signed_by_another_installation_is_invalid() {
        let (_a, ours) = service();
        let (_b, theirs) = service();
        let token = theirs
            .issue("tenant", "oid", "app", "https://management.azure.com/", 60)
            .unwrap();
        assert_eq!(
            ours.check(Some(&format!("Bearer {token}")), &arm())
                .unwrap_err(),
            Rejection::Invalid
        );
    }
}
