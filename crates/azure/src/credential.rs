//! Sign-in: credentials that produce tokens for the cloud's services.

use std::sync::Arc;

use azure_core::credentials::{Secret, TokenCredential};
use azure_identity::{ClientSecretCredential, ClientSecretCredentialOptions};
use safehold_core::{Error, ErrorCode};

use crate::cloud::Cloud;

/// A service principal signing in with a client secret.
pub fn client_secret(
    cloud: &Cloud,
    tenant_id: &str,
    client_id: &str,
    secret: String,
) -> Result<Arc<dyn TokenCredential>, Error> {
    let options = ClientSecretCredentialOptions {
        client_options: crate::http::client_options(cloud)?,
    };
    let credential = ClientSecretCredential::new(
        tenant_id,
        client_id.to_owned(),
        Secret::new(secret),
        Some(options),
    )
    .map_err(|e| {
        Error::new(
            ErrorCode::InvalidInput,
            "The service principal's details are not valid.",
        )
        .with_suggestion("Check the tenant id, client id and secret, then sign in again.")
        .with_source(e)
    })?;
    Ok(credential)
}

/// Asks for an ARM token once, so a wrong secret or unreachable cloud shows at sign-in rather
/// than on the first screen.
pub async fn verify(credential: &dyn TokenCredential, cloud: &Cloud) -> Result<(), Error> {
    credential
        .get_token(&[&cloud.arm_scope()], None)
        .await
        .map(drop)
        .map_err(|e| crate::errors::from_azure(e, &cloud.name))
}

/// A service principal's certificate: the private key and certificate, PEM (what
/// `az ad sp create-for-rbac --create-cert` writes), checked when loaded.
pub struct CertificatePem {
    key: jsonwebtoken::EncodingKey,
    thumbprint_sha256: String,
    /// The certificate's subject, for the accounts list.
    pub subject: String,
    /// When the certificate stops being valid (seconds since the epoch).
    pub not_after: i64,
}

impl std::fmt::Debug for CertificatePem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertificatePem")
            .field("subject", &self.subject)
            .field("not_after", &self.not_after)
            .finish_non_exhaustive()
    }
}

impl CertificatePem {
    /// Reads a PEM bundle holding an RSA private key and its certificate. An expired or not yet
    /// valid certificate is refused here, with its dates, rather than by Entra ID later.
    pub fn parse(pem: &str) -> Result<Self, Error> {
        use base64::Engine as _;
        use rustls_pki_types::pem::PemObject as _;
        use sha2::Digest as _;
        let invalid = |what: &str| {
            Error::new(
                ErrorCode::InvalidInput,
                format!("The certificate file is not usable: {what}."),
            )
            .with_suggestion("Choose a PEM file with both the private key (BEGIN PRIVATE KEY) and the certificate (BEGIN CERTIFICATE), as `az ad sp create-for-rbac --create-cert` writes it.")
        };
        let der = rustls_pki_types::CertificateDer::pem_slice_iter(pem.as_bytes())
            .next()
            .and_then(Result::ok)
            .ok_or_else(|| invalid("it has no certificate"))?;
        let key = jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes())
            .map_err(|_| invalid("it has no RSA private key"))?;
        let (_, parsed) = x509_parser::parse_x509_certificate(&der)
            .map_err(|_| invalid("the certificate cannot be read"))?;
        let validity = parsed.validity();
        let (not_before, not_after) = (
            validity.not_before.timestamp(),
            validity.not_after.timestamp(),
        );
        let now = azure_core::time::OffsetDateTime::now_utc().unix_timestamp();
        let date = |t: i64| {
            azure_core::time::OffsetDateTime::from_unix_timestamp(t)
                .map(|d| d.date().to_string())
                .unwrap_or_default()
        };
        if now > not_after {
            return Err(Error::new(
                ErrorCode::InvalidInput,
                format!("The certificate expired on {}.", date(not_after)),
            )
            .with_suggestion("Upload a new certificate to the app registration in Entra ID and choose its PEM file here."));
        }
        if now < not_before {
            return Err(Error::new(
                ErrorCode::InvalidInput,
                format!("The certificate is not valid until {}.", date(not_before)),
            )
            .with_suggestion(
                "Check the computer's clock, or use a certificate that is valid now.",
            ));
        }
        Ok(Self {
            key,
            thumbprint_sha256: base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(sha2::Sha256::digest(&der)),
            subject: parsed.subject().to_string(),
            not_after,
        })
    }
}

/// Signs client assertions with a certificate, for azure_identity's
/// `ClientAssertionCredential`.
#[derive(Debug)]
struct CertificateAssertion {
    certificate: CertificatePem,
    client_id: String,
    token_endpoint: String,
}

#[derive(serde::Serialize)]
struct AssertionClaims<'a> {
    aud: &'a str,
    iss: &'a str,
    sub: &'a str,
    jti: String,
    nbf: i64,
    iat: i64,
    exp: i64,
}

#[async_trait::async_trait]
impl azure_identity::ClientAssertion for CertificateAssertion {
    async fn secret(
        &self,
        _options: Option<azure_core::http::ClientMethodOptions<'_>>,
    ) -> azure_core::Result<String> {
        let now = azure_core::time::OffsetDateTime::now_utc().unix_timestamp();
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::PS256);
        header.x5t_s256 = Some(self.certificate.thumbprint_sha256.clone());
        let claims = AssertionClaims {
            aud: &self.token_endpoint,
            iss: &self.client_id,
            sub: &self.client_id,
            jti: uuid::Uuid::new_v4().to_string(),
            nbf: now - 60,
            iat: now,
            exp: now + 600,
        };
        jsonwebtoken::encode(&header, &claims, &self.certificate.key).map_err(|e| {
            azure_core::Error::with_message(
                azure_core::error::ErrorKind::Credential,
                format!("the client assertion could not be signed: {e}"),
            )
        })
    }
}

/// A service principal signing in with a certificate (a client assertion signed with its key).
pub fn client_certificate(
    cloud: &Cloud,
    tenant_id: &str,
    client_id: &str,
    certificate: CertificatePem,
) -> Result<Arc<dyn TokenCredential>, Error> {
    let assertion = CertificateAssertion {
        certificate,
        client_id: client_id.to_owned(),
        token_endpoint: format!(
            "{}/{tenant_id}/oauth2/v2.0/token",
            cloud.authority_host.as_str().trim_end_matches('/')
        ),
    };
    let options = azure_identity::ClientAssertionCredentialOptions {
        client_options: crate::http::client_options(cloud)?,
    };
    let credential = azure_identity::ClientAssertionCredential::new(
        tenant_id.to_owned(),
        client_id.to_owned(),
        assertion,
        Some(options),
    )
    .map_err(|e| {
        Error::new(
            ErrorCode::InvalidInput,
            "The service principal's details are not valid.",
        )
        .with_suggestion("Check the tenant id and client id, then sign in again.")
        .with_source(e)
    })?;
    Ok(credential)
}

/// Runs the Azure CLI with extra folders on `PATH`: apps started from a desktop launcher do not
/// get the login shell's `PATH`, so `az` installed by Homebrew or pip is otherwise not found.
#[derive(Debug)]
struct CliExecutor {
    extra_path: Vec<std::path::PathBuf>,
}

#[async_trait::async_trait]
impl azure_identity::Executor for CliExecutor {
    async fn run(
        &self,
        program: &std::ffi::OsStr,
        args: &[&std::ffi::OsStr],
    ) -> std::io::Result<std::process::Output> {
        let current = std::env::var_os("PATH").unwrap_or_default();
        let path = std::env::join_paths(
            self.extra_path
                .iter()
                .cloned()
                .chain(std::env::split_paths(&current)),
        )
        .map_err(std::io::Error::other)?;
        tokio::process::Command::new(program)
            .args(args)
            .env("PATH", path)
            .kill_on_drop(true)
            .output()
            .await
    }
}

/// The folders searched for `az` besides `PATH`.
pub fn default_cli_folders() -> Vec<std::path::PathBuf> {
    ["/opt/homebrew/bin", "/usr/local/bin", "/usr/bin"]
        .iter()
        .map(std::path::PathBuf::from)
        .collect()
}

/// The account the Azure CLI is signed in with (`az login`), for `tenant_id` or the CLI's
/// default tenant. `folders` are searched for `az` before `PATH`.
pub fn azure_cli(
    tenant_id: Option<&str>,
    folders: Vec<std::path::PathBuf>,
) -> Result<Arc<dyn TokenCredential>, Error> {
    let options = azure_identity::AzureCliCredentialOptions {
        tenant_id: tenant_id.map(str::to_owned),
        executor: Some(Arc::new(CliExecutor {
            extra_path: folders,
        })),
        ..Default::default()
    };
    azure_identity::AzureCliCredential::new(Some(options))
        .map(|c| c as Arc<dyn TokenCredential>)
        .map_err(|e| {
            Error::new(
                ErrorCode::InvalidInput,
                "The Azure CLI sign-in cannot be used.",
            )
            .with_suggestion("Check the tenant id, or leave it empty to use the CLI's default.")
            .with_source(e)
        })
}
