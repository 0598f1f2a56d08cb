//! Sign-in: credentials that produce tokens for the cloud's services.

use std::sync::Arc;

use azure_core::credentials::{Secret, TokenCredential};
use azure_identity::{ClientSecretCredential, ClientSecretCredentialOptions};
use safehold_core::problem::CertificateDefect;
use safehold_core::{Advice, Error, ErrorCode, Problem, Service};

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
    .map_err(details_invalid)?;
    Ok(credential)
}

/// A service principal's details that azure_identity refused before asking anyone.
fn details_invalid(error: azure_core::Error) -> Error {
    Error::new(ErrorCode::InvalidInput, Problem::PrincipalDetailsInvalid)
        .with_advice(Advice::CheckPrincipalDetails)
        .with_source(error)
}

/// Asks for an ARM token once, so a wrong secret or unreachable cloud shows at sign-in rather
/// than on the first screen.
pub async fn verify(credential: &dyn TokenCredential, cloud: &Cloud) -> Result<(), Error> {
    credential
        .get_token(&[&cloud.arm_scope()], None)
        .await
        .map(drop)
        .map_err(|e| crate::errors::from_azure(e, Service::EntraId))
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
        let invalid = |defect: CertificateDefect| {
            Error::new(
                ErrorCode::InvalidInput,
                Problem::CertificateUnusable { defect },
            )
            .with_advice(Advice::ChoosePemWithKeyAndCertificate)
        };
        let der = rustls_pki_types::CertificateDer::pem_slice_iter(pem.as_bytes())
            .next()
            .and_then(Result::ok)
            .ok_or_else(|| invalid(CertificateDefect::NoCertificate))?;
        let key = jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes())
            .map_err(|_| invalid(CertificateDefect::NoRsaKey))?;
        let (_, parsed) = x509_parser::parse_x509_certificate(&der)
            .map_err(|_| invalid(CertificateDefect::Unreadable))?;
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
                Problem::CertificateExpired {
                    date: date(not_after),
                },
            )
            .with_advice(Advice::UploadNewCertificate));
        }
        if now < not_before {
            return Err(Error::new(
                ErrorCode::InvalidInput,
                Problem::CertificateNotYetValid {
                    date: date(not_before),
                },
            )
            .with_advice(Advice::WaitForCertificate));
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
    .map_err(details_invalid)?;
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
            Error::new(ErrorCode::InvalidInput, Problem::AzureCliUnusable)
                .with_advice(Advice::CheckCliTenant)
                .with_source(e)
        })
}
