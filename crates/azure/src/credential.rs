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
