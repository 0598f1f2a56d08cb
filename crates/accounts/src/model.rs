//! What the accounts panel shows and what it sends, and the account records kept on disk.
//!
//! Records hold no secret: refresh tokens, client secrets and certificates live in the OS
//! keyring under the account's id (see [`secret_names`]).

use safehold_core::cloud::{CloudInfo, CloudKind};
use safehold_core::inventory::Tenant;
use serde::{Deserialize, Serialize};

/// How an account signs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum SignInMethod {
    /// The embedded sandbox's operator principal (its secret comes from the sandbox each start).
    Sandbox,
    /// A person, in the system browser (authorization code with PKCE).
    Browser,
    /// A person, with a device code entered on another device.
    DeviceCode,
    /// A service principal with a client secret.
    ServicePrincipalSecret,
    /// A service principal with a certificate.
    ServicePrincipalCertificate,
    /// Whoever the Azure CLI is signed in as (`az login`).
    AzureCli,
}

impl SignInMethod {
    /// Whether the account is a person (refresh token) rather than a principal.
    pub fn is_person(self) -> bool {
        matches!(self, Self::Browser | Self::DeviceCode)
    }
}

/// The cloud a sign-in goes to, as the panel chooses it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct CloudChoice {
    /// Which cloud.
    pub kind: CloudKind,
    /// For a custom cloud: its Resource Manager endpoint, whose metadata describes the rest.
    pub arm_endpoint: Option<String>,
    /// The public client id for interactive sign-in, if not the cloud's default.
    pub public_client_id: Option<String>,
    /// For a custom cloud with a private CA (Azure Stack Hub, say): a PEM file of the CA to
    /// trust besides the system's. Its content is kept with the account.
    pub ca_certificate_path: Option<String>,
}

/// What a custom cloud's metadata says, shown before the first sign-in so the user can check
/// where they would sign in and which tokens the cloud would receive.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct DiscoveredCloud {
    /// The cloud's name in its metadata (or its host).
    pub name: String,
    /// Its Resource Manager endpoint.
    pub arm_endpoint: String,
    /// Where its users sign in (the Entra ID or AD FS authority).
    pub login_endpoint: String,
    /// The audience its Resource Manager tokens are requested for.
    pub arm_audience: String,
    /// Its Microsoft Graph endpoint.
    pub graph_endpoint: String,
}

/// A sign-in the panel asks for. Secrets come in here once and go to the keyring; no answer
/// ever carries one back.
#[derive(Deserialize, specta::Type)]
#[serde(tag = "method", rename_all = "camelCase")]
pub enum SignInRequest {
    /// A person, in the system browser.
    #[serde(rename_all = "camelCase")]
    Browser {
        /// Where.
        cloud: CloudChoice,
        /// A tenant id or domain, or none for the person's home tenant.
        tenant: Option<String>,
    },
    /// A person, with a device code.
    #[serde(rename_all = "camelCase")]
    DeviceCode {
        /// Where.
        cloud: CloudChoice,
        /// A tenant id or domain, or none for the person's home tenant.
        tenant: Option<String>,
    },
    /// A service principal with a client secret.
    #[serde(rename_all = "camelCase")]
    ServicePrincipalSecret {
        /// Where.
        cloud: CloudChoice,
        /// Its tenant.
        tenant_id: String,
        /// Its application (client) id.
        client_id: String,
        /// The secret's value.
        secret: String,
    },
    /// A service principal with a certificate (PEM with the private key).
    #[serde(rename_all = "camelCase")]
    ServicePrincipalCertificate {
        /// Where.
        cloud: CloudChoice,
        /// Its tenant.
        tenant_id: String,
        /// Its application (client) id.
        client_id: String,
        /// Path of the PEM file; its content goes to the keyring.
        certificate_path: String,
    },
    /// The Azure CLI's current sign-in, in the cloud the CLI is set to (`az cloud set`).
    #[serde(rename_all = "camelCase")]
    AzureCli {
        /// The CLI's cloud. The sandbox embedded in Safehold is not one the CLI can know.
        cloud: CloudChoice,
        /// A tenant id, or none for the CLI's default.
        tenant: Option<String>,
    },
}

impl std::fmt::Debug for SignInRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret.
        f.write_str(match self {
            Self::Browser { .. } => "SignInRequest::Browser",
            Self::DeviceCode { .. } => "SignInRequest::DeviceCode",
            Self::ServicePrincipalSecret { .. } => "SignInRequest::ServicePrincipalSecret",
            Self::ServicePrincipalCertificate { .. } => {
                "SignInRequest::ServicePrincipalCertificate"
            }
            Self::AzureCli { .. } => "SignInRequest::AzureCli",
        })
    }
}

/// One tenant of an account, as the panel lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AccountTenant {
    /// The tenant.
    pub tenant: Tenant,
    /// The account's home tenant (others are guest tenants).
    pub home: bool,
    /// Whether its subscriptions are part of what Safehold shows.
    pub selected: bool,
}

/// Whether an account can be used now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum AccountStatus {
    /// Signed in.
    Ready,
    /// Its stored sign-in is missing or no longer valid: sign in again.
    SignInNeeded,
}

/// An account as the panel shows it. Never carries a token or secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AccountView {
    /// Stable id.
    pub id: String,
    /// How it signs in.
    pub method: SignInMethod,
    /// Its cloud.
    pub cloud: CloudInfo,
    /// Display name (a person's name, or the principal's).
    pub display_name: String,
    /// Sign-in name, or the client id of a principal.
    pub username: String,
    /// Its home tenant.
    pub home_tenant_id: String,
    /// Its tenants, guest tenants included.
    pub tenants: Vec<AccountTenant>,
    /// The subscriptions to show, or none for all.
    pub subscription_filter: Option<Vec<String>>,
    /// Whether the sign-in is kept in the keyring across restarts.
    pub remembered: bool,
    /// Whether it can be used now.
    pub status: AccountStatus,
}

/// Whether sign-ins can be kept, and if not, why and what to do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct KeyringStatus {
    /// True when the OS keyring works.
    pub available: bool,
    /// What is wrong when it does not, and what to install or start.
    pub error: Option<safehold_core::AppError>,
}

/// The accounts panel's content.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AccountsView {
    /// Every account, in the order they were added.
    pub accounts: Vec<AccountView>,
    /// The keyring's state.
    pub keyring: KeyringStatus,
}

/// A device code to show while a device-code sign-in waits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct DeviceCodeShown {
    /// The code to type.
    pub user_code: String,
    /// Where to type it.
    pub verification_uri: String,
    /// Seconds until it expires.
    pub expires_in_secs: u32,
}

/// The account record kept in `accounts.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountRecord {
    /// Stable id; also the prefix of its keyring entries.
    pub id: String,
    /// How it signs in.
    pub method: SignInMethod,
    /// Its cloud.
    pub cloud: CloudChoice,
    /// Display name.
    pub display_name: String,
    /// Sign-in name or client id.
    pub username: String,
    /// A principal's client id.
    pub client_id: Option<String>,
    /// Home tenant.
    pub home_tenant_id: String,
    /// Tenants last listed.
    pub tenants: Vec<Tenant>,
    /// Tenants whose subscriptions are shown.
    pub selected_tenants: Vec<String>,
    /// Subscriptions to show, or none for all.
    pub subscription_filter: Option<Vec<String>>,
    /// A custom cloud's private CA (PEM; public, not a secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_ca_pem: Option<String>,
}

/// How Safehold reaches Azure.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum ProxyMode {
    /// The system's proxy settings (`HTTPS_PROXY`, `NO_PROXY`).
    #[default]
    System,
    /// The proxy given.
    Explicit,
    /// Direct connections only.
    None,
}

/// Network settings, kept in `settings.json`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct NetworkSettings {
    /// Which proxy.
    pub proxy_mode: ProxyMode,
    /// The explicit proxy, e.g. `http://proxy.contoso.com:8080`.
    pub proxy_url: Option<String>,
}

impl NetworkSettings {
    /// The proxy the HTTP clients use, after checking the address.
    pub fn proxy(&self) -> Result<safehold_azure::Proxy, safehold_core::Error> {
        Ok(match self.proxy_mode {
            ProxyMode::System => safehold_azure::Proxy::System,
            ProxyMode::None => safehold_azure::Proxy::None,
            ProxyMode::Explicit => {
                let url = self.proxy_url.as_deref().unwrap_or_default().trim();
                let valid = url::Url::parse(url).ok().filter(|u| {
                    matches!(u.scheme(), "http" | "https" | "socks5") && u.host().is_some()
                });
                let Some(valid) = valid else {
                    return Err(safehold_core::Error::new(
                        safehold_core::ErrorCode::InvalidInput,
                        safehold_core::Problem::ProxyInvalid {
                            value: url.to_owned(),
                        },
                    )
                    .with_advice(safehold_core::Advice::EnterProxyAsUrl));
                };
                // A password in the address would be kept in plain text in settings.json.
                if !valid.username().is_empty() || valid.password().is_some() {
                    return Err(safehold_core::Error::new(
                        safehold_core::ErrorCode::InvalidInput,
                        safehold_core::Problem::ProxyCredentialsNotKept,
                    )
                    .with_advice(safehold_core::Advice::EnterProxyWithoutCredentials));
                }
                safehold_azure::Proxy::Explicit(url.to_owned())
            }
        })
    }
}

/// The keyring entries an account may have. Sign-out deletes all of them.
pub fn secret_names(account_id: &str) -> [String; 3] {
    [
        format!("{account_id}.refresh-token"),
        format!("{account_id}.client-secret"),
        format!("{account_id}.certificate"),
    ]
}

/// The keyring entry holding an account's secret, by method.
pub fn secret_name(account_id: &str, method: SignInMethod) -> Option<String> {
    let [refresh, secret, certificate] = secret_names(account_id);
    match method {
        SignInMethod::Browser | SignInMethod::DeviceCode => Some(refresh),
        SignInMethod::ServicePrincipalSecret => Some(secret),
        SignInMethod::ServicePrincipalCertificate => Some(certificate),
        SignInMethod::Sandbox | SignInMethod::AzureCli => None,
    }
}
