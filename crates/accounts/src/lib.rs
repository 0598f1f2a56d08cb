//! Accounts: who is signed in to which cloud, their tenants, what the user chose to see, and
//! the credentials behind them.
//!
//! Several accounts live side by side: people (browser or device code), service principals
//! (secret or certificate), the Azure CLI's sign-in, and the embedded sandbox's operator. Their
//! records (no secrets) persist in `accounts.json`; their secrets persist only in the OS
//! keyring. Without a keyring nothing about a signed-in person or principal is written
//! anywhere: the sign-in lasts until Safehold closes, and the panel says so.

pub mod model;
mod records;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use azure_core::credentials::TokenCredential;
use safehold_azure::identity::credential::{self, CertificatePem};
use safehold_azure::identity::user::{
    self, RefreshTokenHolder, RefreshTokenSink, SignIn, UserCredential,
};
use safehold_azure::{ArmClient, Cloud};
use safehold_core::cloud::CloudKind;
use safehold_core::inventory::{RecoveryVault, Subscription, Tenant};
use safehold_core::ports::{RecoveryServicesApi as _, ResourceManagerApi as _};
use safehold_core::problem::KeyringFailure;
use safehold_core::{
    Advice, AppError, Error, ErrorCode, Problem, Service, ServiceError, SubscriptionId, TenantId,
};
use safehold_keystore::{SecretStore, StoreError};
use safehold_sandbox::Sandbox;
use tokio::sync::{Mutex, OnceCell};
use tokio_util::sync::CancellationToken;
use zeroize::Zeroizing;

pub use model::*;

/// How long a browser sign-in may take before it is abandoned.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(300);

/// The embedded sandbox, started on first use and kept for the app's lifetime.
pub struct EmbeddedSandbox {
    sandbox: Sandbox,
    cloud: Cloud,
}

/// A signed-in account's credentials, in memory only.
enum Auth {
    Person(Arc<RefreshTokenHolder>),
    Secret(Zeroizing<String>),
    Certificate(Zeroizing<String>),
    AzureCli,
    Sandbox(Zeroizing<String>),
}

/// The clients of one account in one tenant, sharing its credential.
pub struct TenantClients {
    /// Azure Resource Manager.
    pub arm: Arc<ArmClient>,
    /// Microsoft Graph.
    pub graph: Arc<safehold_azure::GraphClient>,
    /// The cloud (for its Backup Management Service application id).
    pub cloud: Cloud,
}

struct Live {
    cloud: Cloud,
    auth: Auth,
    /// One set of clients per tenant, so each keeps its access tokens.
    clients: HashMap<TenantId, Arc<TenantClients>>,
    remembered: bool,
}

#[derive(Default)]
struct State {
    records: Vec<AccountRecord>,
    live: HashMap<String, Live>,
    /// Which account and tenant each listed subscription came from, lower-cased id.
    owners: HashMap<SubscriptionId, (String, String)>,
}

/// The accounts service: app state, shared by every command.
pub struct Accounts {
    data_dir: PathBuf,
    keystore: Result<Arc<SecretStore>, KeyringStatus>,
    state: Mutex<State>,
    sandbox: OnceCell<Arc<EmbeddedSandbox>>,
    cli_folders: Vec<PathBuf>,
    /// Adjusts the embedded sandbox's configuration before it starts (tests shorten waits).
    sandbox_tuning: fn(&mut safehold_sandbox::Config),
    /// How requests reach the clouds (not the sandbox, which is on loopback).
    network: std::sync::RwLock<NetworkSettings>,
}

/// Stores rotated refresh tokens in the keyring, off the async runtime.
///
/// A rotation is reported from inside a token renewal on the runtime, while the credential
/// holds its lock, and a keyring write may block (the Secret Service is a D-Bus round trip or
/// an unlock prompt). So the write runs on a blocking thread. Only the newest token matters:
/// while a write runs, later rotations replace the waiting token instead of queueing, and one
/// write never overtakes another. The keystore's `replace` keeps the previous token when the
/// new one cannot be saved, so a failed write costs the rotation, not the sign-in.
struct KeyringSink {
    store: Arc<SecretStore>,
    name: String,
    pending: Arc<std::sync::Mutex<PendingToken>>,
}

/// The rotated token waiting to be written, and whether a writer is running.
#[derive(Default)]
struct PendingToken {
    token: Option<Zeroizing<String>>,
    writing: bool,
}

impl KeyringSink {
    fn new(store: Arc<SecretStore>, name: String) -> Self {
        Self {
            store,
            name,
            pending: Arc::default(),
        }
    }

    /// Writes waiting tokens until none is left, newest last.
    fn write_pending(store: &SecretStore, name: &str, pending: &std::sync::Mutex<PendingToken>) {
        loop {
            let token = {
                let mut pending = pending
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                let Some(token) = pending.token.take() else {
                    pending.writing = false;
                    return;
                };
                token
            };
            match store.replace(name, &token) {
                Ok(()) => tracing::debug!(entry = %name, "kept a renewed sign-in in the keyring"),
                Err(error) => tracing::warn!(
                    entry = %name,
                    error = %error,
                    "could not keep a renewed sign-in in the keyring; the previous one stays"
                ),
            }
        }
    }

    #[cfg(test)]
    fn is_idle(&self) -> bool {
        let pending = self
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        !pending.writing && pending.token.is_none()
    }
}

impl RefreshTokenSink for KeyringSink {
    fn store(&self, refresh_token: &str) {
        {
            let mut pending = self
                .pending
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            pending.token = Some(Zeroizing::new(refresh_token.to_owned()));
            if pending.writing {
                return;
            }
            pending.writing = true;
        }
        let (store, name, pending) = (self.store.clone(), self.name.clone(), self.pending.clone());
        let write = move || Self::write_pending(&store, &name, &pending);
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => drop(runtime.spawn_blocking(write)),
            // Outside a runtime nothing async waits on this thread.
            Err(_) => write(),
        }
    }
}

/// Keeps rotated refresh tokens nowhere (no keyring): the one in memory is enough.
struct MemoryOnly;
impl RefreshTokenSink for MemoryOnly {
    fn store(&self, _refresh_token: &str) {}
}

/// A keyring failure as the UI words it: which failure, which entry, what to do. The
/// keyring's own detail goes to the log.
fn keyring_error(error: StoreError) -> Error {
    let (failure, entry, advice) = match &error {
        StoreError::Unavailable { .. } => {
            (KeyringFailure::Unavailable, None, Advice::InstallKeyring)
        }
        StoreError::WriteFailed {
            name,
            cleanup_verified: true,
            ..
        } => (
            KeyringFailure::WriteFailed,
            Some(name),
            Advice::UnlockKeyring,
        ),
        StoreError::WriteFailed { name, .. } => (
            KeyringFailure::WriteFailedLeftover,
            Some(name),
            Advice::DeleteKeyringEntry,
        ),
        StoreError::ReplaceFailed {
            name,
            previous_kept: true,
            ..
        } => (
            KeyringFailure::WriteFailed,
            Some(name),
            Advice::UnlockKeyring,
        ),
        StoreError::ReplaceFailed { name, .. } => (
            KeyringFailure::WriteFailedLeftover,
            Some(name),
            Advice::DeleteKeyringEntry,
        ),
        StoreError::ReadFailed { name, .. } => (
            KeyringFailure::ReadFailed,
            Some(name),
            Advice::UnlockKeyring,
        ),
        StoreError::Corrupt { name, .. } => (
            KeyringFailure::Corrupt,
            Some(name),
            Advice::EnterSecretAgain,
        ),
        StoreError::DeleteFailed { name, .. } => (
            KeyringFailure::DeleteFailed,
            Some(name),
            Advice::DeleteKeyringEntry,
        ),
        StoreError::Incomplete { .. } => {
            (KeyringFailure::Incomplete, None, Advice::DeleteKeyringEntry)
        }
        StoreError::InvalidName { name, .. } => {
            (KeyringFailure::InvalidName, Some(name), Advice::Report)
        }
        // The keystore may learn new failures; until this maps them, they read as a failed read.
        _ => (KeyringFailure::ReadFailed, None, Advice::UnlockKeyring),
    };
    let entry = entry.cloned();
    Error::new(ErrorCode::Unavailable, Problem::Keyring { failure, entry })
        .with_advice(advice)
        .with_source(error)
}

/// Runs a keyring call off the async runtime (the Secret Service may block).
async fn on_keyring<T: Send + 'static>(
    store: &Arc<SecretStore>,
    call: impl FnOnce(&SecretStore) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, Error> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || call(&store))
        .await
        .map_err(Error::internal)?
        .map_err(keyring_error)
}

/// Deletes every keyring entry an account may have, and checks they are gone.
async fn delete_secrets(store: &Arc<SecretStore>, account: &str) -> Result<(), Error> {
    let names = secret_names(account);
    on_keyring(store, move |store| {
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        store.delete_all(&names)
    })
    .await
}

fn not_found(id: &str) -> Error {
    Error::new(
        ErrorCode::NotFound,
        Problem::NoSuchAccount {
            account: id.to_owned(),
        },
    )
    .with_advice(Advice::RefreshAccounts)
}

impl Accounts {
    /// The accounts kept under `data_dir`, with secrets in `keystore` (or an explanation of
    /// why there is none). `cli_folders` are searched for `az`.
    pub fn open(
        data_dir: PathBuf,
        keystore: Result<SecretStore, StoreError>,
        cli_folders: Vec<PathBuf>,
    ) -> Self {
        let keystore = keystore.map(Arc::new).map_err(|e| KeyringStatus {
            available: false,
            error: Some(AppError::from(keyring_error(e))),
        });
        let network = records::load_settings(&data_dir).unwrap_or_else(|error| {
            tracing::warn!(error = %error.chain(), "the settings file could not be read; using the defaults");
            NetworkSettings::default()
        });
        let records = records::load(&data_dir).unwrap_or_else(|error| {
            tracing::warn!(error = %error.chain(), "the accounts file could not be read; starting without accounts");
            vec![]
        });
        Self {
            data_dir,
            keystore,
            state: Mutex::new(State {
                records,
                ..State::default()
            }),
            sandbox: OnceCell::new(),
            cli_folders,
            sandbox_tuning: |_| {},
            network: std::sync::RwLock::new(network),
        }
    }

    /// Adjusts the embedded sandbox's configuration before it starts (tests shorten waits).
    pub fn tune_sandbox(mut self, tuning: fn(&mut safehold_sandbox::Config)) -> Self {
        self.sandbox_tuning = tuning;
        self
    }

    /// The embedded sandbox, started on first call.
    pub async fn sandbox(&self) -> Result<Arc<EmbeddedSandbox>, Error> {
        self.sandbox
            .get_or_try_init(|| async {
                let mut config = safehold_sandbox::Config::new(self.data_dir.join("sandbox"));
                // Made at each start and never written down: the sandbox's sign-in pages then
                // serve only this app (another local user cannot get a person's token there).
                config.interactive_key = Some(safehold_sandbox::InteractiveKey::generate());
                (self.sandbox_tuning)(&mut config);
                let sandbox = Sandbox::start(config).await.map_err(|e| {
                    Error::new(ErrorCode::Internal, Problem::SandboxDidNotStart)
                        .with_advice(Advice::CheckDataFolder)
                        .with_source(e)
                })?;
                let e = sandbox.endpoints();
                let parse = |url: &str| url.parse().map_err(Error::internal);
                let cloud = Cloud::sandbox(
                    parse(&e.arm_endpoint)?,
                    parse(&e.authority_host)?,
                    sandbox.ca_pem().to_owned(),
                );
                tracing::info!(arm = %e.arm_endpoint, "sandbox cloud started");
                Ok(Arc::new(EmbeddedSandbox { sandbox, cloud }))
            })
            .await
            .cloned()
    }

    async fn cloud_for(&self, choice: &CloudChoice, ca_pem: Option<&str>) -> Result<Cloud, Error> {
        let proxy = self.network_settings().proxy()?;
        let mut cloud = match choice.kind {
            CloudKind::Sandbox => return Ok(self.sandbox().await?.cloud.clone()),
            CloudKind::Custom => {
                let endpoint = choice.arm_endpoint.as_deref().unwrap_or_default();
                Cloud::discover(endpoint, ca_pem.map(str::to_owned), proxy).await?
            }
            kind => {
                let mut cloud = Cloud::builtin(kind)
                    .ok_or_else(|| Error::new(ErrorCode::InvalidInput, Problem::UnknownCloud))?;
                cloud.proxy = proxy;
                cloud
            }
        };
        if let Some(id) = choice
            .public_client_id
            .as_deref()
            .filter(|id| !id.is_empty())
        {
            cloud.public_client_id = id.to_owned();
        }
        Ok(cloud)
    }

    /// Reads the metadata of the custom cloud at `arm_endpoint` (trusting the CA in
    /// `ca_certificate_path` too, if given) and says where it would sign in and which token
    /// audience it would ask for, before anyone signs in. Refused as a sign-in would be.
    pub async fn discover_cloud(
        &self,
        arm_endpoint: &str,
        ca_certificate_path: Option<&str>,
    ) -> Result<DiscoveredCloud, Error> {
        let ca_pem = read_ca_file(ca_certificate_path)?;
        let proxy = self.network_settings().proxy()?;
        let cloud = Cloud::discover(arm_endpoint, ca_pem, proxy).await?;
        tracing::info!(
            arm = %cloud.arm_endpoint,
            login = %cloud.authority_host,
            audience = %cloud.arm_audience,
            "custom cloud discovered"
        );
        Ok(DiscoveredCloud {
            name: cloud.name,
            arm_endpoint: without_slash(cloud.arm_endpoint.as_str()),
            login_endpoint: without_slash(cloud.authority_host.as_str()),
            arm_audience: cloud.arm_audience,
            graph_endpoint: without_slash(cloud.graph_endpoint.as_str()),
        })
    }

    /// The network settings in force.
    pub fn network_settings(&self) -> NetworkSettings {
        self.network
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Changes how requests reach the clouds. Signed-in accounts keep their sign-in; their
    /// clients are rebuilt on next use with the new setting.
    pub async fn set_network_settings(
        &self,
        settings: NetworkSettings,
    ) -> Result<NetworkSettings, Error> {
        let proxy = settings.proxy()?;
        records::save_settings(&self.data_dir, &settings)?;
        *self
            .network
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = settings.clone();
        let mut state = self.state.lock().await;
        for live in state.live.values_mut() {
            if live.cloud.kind != CloudKind::Sandbox {
                live.cloud.proxy = proxy.clone();
                live.clients.clear();
            }
        }
        tracing::info!(mode = ?settings.proxy_mode, "network settings changed");
        Ok(settings)
    }

    /// Signs in to the embedded sandbox as its operator when there is no account at all, so a
    /// first start shows the demo tenant at once.
    pub async fn ensure_default(&self) -> Result<(), Error> {
        if !self.state.lock().await.records.is_empty() {
            return Ok(());
        }
        let embedded = self.sandbox().await?;
        let e = embedded.sandbox.endpoints().clone();
        let secret = Zeroizing::new(embedded.sandbox.client_secret().to_owned());
        let credential = credential::client_secret(
            &embedded.cloud,
            &e.tenant_id,
            &e.client_id,
            secret.to_string(),
        )?;
        credential::verify(credential.as_ref(), &embedded.cloud).await?;
        let record = AccountRecord {
            id: uuid::Uuid::new_v4().to_string(),
            method: SignInMethod::Sandbox,
            cloud: CloudChoice {
                kind: CloudKind::Sandbox,
                arm_endpoint: None,
                public_client_id: None,
                ca_certificate_path: None,
            },
            display_name: e.client_name.clone(),
            username: e.client_id.clone(),
            client_id: Some(e.client_id.clone()),
            home_tenant_id: e.tenant_id.clone(),
            tenants: vec![],
            selected_tenants: vec![e.tenant_id.clone()],
            subscription_filter: None,
            custom_ca_pem: None,
        };
        let mut live = Live {
            cloud: embedded.cloud.clone(),
            auth: Auth::Sandbox(secret),
            clients: HashMap::new(),
            remembered: true,
        };
        let mut record = record;
        let clients = client_for(&live, &record, &e.tenant_id, &self.cli_folders)?;
        record.tenants = clients.arm.list_tenants().await?;
        live.clients
            .insert(TenantId::new(e.tenant_id.as_str()), clients);
        let mut state = self.state.lock().await;
        if !state.records.is_empty() {
            return Ok(());
        }
        state.live.insert(record.id.clone(), live);
        state.records.push(record);
        self.save(&state)?;
        tracing::info!("signed in to the sandbox as its operator");
        Ok(())
    }

    fn save(&self, state: &State) -> Result<(), Error> {
        // Only what can be restored is written: without a keyring, no person or principal.
        let kept: Vec<&AccountRecord> = state
            .records
            .iter()
            .filter(|r| {
                secret_name(&r.id, r.method).is_none()
                    || state.live.get(&r.id).is_none_or(|l| l.remembered)
            })
            .collect();
        records::save(&self.data_dir, &kept)
    }

    /// The panel's content.
    pub async fn view(&self) -> AccountsView {
        let state = self.state.lock().await;
        AccountsView {
            accounts: state
                .records
                .iter()
                .map(|r| Self::account_view(&state, r))
                .collect(),
            keyring: self.keyring_status(),
        }
    }

    fn keyring_status(&self) -> KeyringStatus {
        match &self.keystore {
            Ok(_) => KeyringStatus {
                available: true,
                error: None,
            },
            Err(status) => status.clone(),
        }
    }

    fn account_view(state: &State, r: &AccountRecord) -> AccountView {
        let live = state.live.get(&r.id);
        let cloud = live.map(|l| l.cloud.info()).unwrap_or_else(|| {
            Cloud::builtin(r.cloud.kind).map(|c| c.info()).unwrap_or(
                safehold_core::cloud::CloudInfo {
                    kind: r.cloud.kind,
                    name: match r.cloud.kind {
                        CloudKind::Sandbox => "Sandbox".to_owned(),
                        _ => r.cloud.arm_endpoint.clone().unwrap_or_default(),
                    },
                    arm_endpoint: r.cloud.arm_endpoint.clone().unwrap_or_default(),
                    simulated: r.cloud.kind == CloudKind::Sandbox,
                },
            )
        });
        let mut tenants: Vec<AccountTenant> = r
            .tenants
            .iter()
            .map(|t| AccountTenant {
                home: t.tenant_id.eq_ignore_ascii_case(&r.home_tenant_id),
                selected: r
                    .selected_tenants
                    .iter()
                    .any(|s| s.eq_ignore_ascii_case(&t.tenant_id)),
                tenant: t.clone(),
            })
            .collect();
        if tenants.is_empty() {
            tenants.push(AccountTenant {
                tenant: Tenant {
                    tenant_id: r.home_tenant_id.clone(),
                    display_name: r.home_tenant_id.clone(),
                    default_domain: String::new(),
                },
                home: true,
                selected: true,
            });
        }
        AccountView {
            id: r.id.clone(),
            method: r.method,
            cloud,
            display_name: r.display_name.clone(),
            username: r.username.clone(),
            home_tenant_id: r.home_tenant_id.clone(),
            tenants,
            subscription_filter: r.subscription_filter.clone(),
            remembered: live.is_none_or(|l| l.remembered),
            status: if live.is_some() || matches!(r.method, SignInMethod::AzureCli) {
                AccountStatus::Ready
            } else {
                AccountStatus::SignInNeeded
            },
        }
    }

    /// Signs in with `request`. `device_code` shows a device code; `open_browser` opens the
    /// authorize page. The new account's tenants are listed before it is added. When `cancel`
    /// fires, the sign-in ends at once with a `Cancelled` error and nothing of it is kept.
    pub async fn sign_in(
        &self,
        request: SignInRequest,
        cancel: &CancellationToken,
        device_code: impl FnOnce(DeviceCodeShown),
        open_browser: impl FnOnce(&str) -> Result<(), Error>,
    ) -> Result<AccountView, Error> {
        tokio::select! {
            biased;
            () = cancel.cancelled() => Err(Error::cancelled(Problem::SignInCancelled)),
            result = self.sign_in_now(request, device_code, open_browser) => result,
        }
    }

    /// The embedded sandbox, when `choice` is it.
    async fn embedded_for(
        &self,
        choice: &CloudChoice,
    ) -> Result<Option<Arc<EmbeddedSandbox>>, Error> {
        if choice.kind == CloudKind::Sandbox {
            Ok(Some(self.sandbox().await?))
        } else {
            Ok(None)
        }
    }

    async fn sign_in_now(
        &self,
        request: SignInRequest,
        device_code: impl FnOnce(DeviceCodeShown),
        open_browser: impl FnOnce(&str) -> Result<(), Error>,
    ) -> Result<AccountView, Error> {
        let id = uuid::Uuid::new_v4().to_string();
        let ca_pem = custom_ca(&request)?;
        let signed = match request {
            SignInRequest::Browser {
                cloud: choice,
                tenant,
            } => {
                let cloud = self.cloud_for(&choice, ca_pem.as_deref()).await?;
                let tenant = tenant_or_organizations(tenant.as_deref());
                // The embedded sandbox's authorize page answers only URLs this app signed.
                let embedded = self.embedded_for(&choice).await?;
                let open = |url: &str| match &embedded {
                    Some(embedded) => open_browser(&embedded.sandbox.sign_authorize_url(url)),
                    None => open_browser(url),
                };
                let signed_in =
                    user::sign_in_with_browser(&cloud, &tenant, open, BROWSER_TIMEOUT).await?;
                person(choice, cloud, SignInMethod::Browser, signed_in)
            }
            SignInRequest::DeviceCode {
                cloud: choice,
                tenant,
            } => {
                let cloud = self.cloud_for(&choice, ca_pem.as_deref()).await?;
                let tenant = tenant_or_organizations(tenant.as_deref());
                let embedded = self.embedded_for(&choice).await?;
                let signed_in = user::sign_in_with_device_code(&cloud, &tenant, |prompt| {
                    // The embedded sandbox's device page also asks for a value only this app
                    // can show, next to the code.
                    let confirmation = embedded
                        .as_ref()
                        .and_then(|e| e.sandbox.device_confirmation(&prompt.user_code));
                    device_code(DeviceCodeShown {
                        user_code: prompt.user_code,
                        verification_uri: prompt.verification_uri,
                        expires_in_secs: u32::try_from(prompt.expires_in.as_secs())
                            .unwrap_or(u32::MAX),
                        confirmation,
                    });
                })
                .await?;
                person(choice, cloud, SignInMethod::DeviceCode, signed_in)
            }
            SignInRequest::ServicePrincipalSecret {
                cloud: choice,
                tenant_id,
                client_id,
                secret,
            } => {
                let (tenant_id, client_id) = principal_ids(&tenant_id, &client_id)?;
                let cloud = self.cloud_for(&choice, ca_pem.as_deref()).await?;
                let secret = Zeroizing::new(secret);
                let credential =
                    credential::client_secret(&cloud, &tenant_id, &client_id, secret.to_string())?;
                credential::verify(credential.as_ref(), &cloud).await?;
                Signed {
                    choice,
                    cloud,
                    method: SignInMethod::ServicePrincipalSecret,
                    auth: Auth::Secret(secret),
                    display_name: format!("Service principal {client_id}"),
                    username: client_id.clone(),
                    client_id: Some(client_id),
                    home_tenant: tenant_id,
                }
            }
            SignInRequest::ServicePrincipalCertificate {
                cloud: choice,
                tenant_id,
                client_id,
                certificate_path,
            } => {
                let (tenant_id, client_id) = principal_ids(&tenant_id, &client_id)?;
                let cloud = self.cloud_for(&choice, ca_pem.as_deref()).await?;
                let pem =
                    Zeroizing::new(std::fs::read_to_string(&certificate_path).map_err(|e| {
                        Error::new(
                            ErrorCode::InvalidInput,
                            Problem::FileUnreadable {
                                path: certificate_path.clone(),
                            },
                        )
                        .with_advice(Advice::CheckFilePath)
                        .with_source(e)
                    })?);
                let certificate = CertificatePem::parse(&pem)?;
                let subject = certificate.subject.clone();
                let credential =
                    credential::client_certificate(&cloud, &tenant_id, &client_id, certificate)?;
                credential::verify(credential.as_ref(), &cloud).await?;
                Signed {
                    choice,
                    cloud,
                    method: SignInMethod::ServicePrincipalCertificate,
                    auth: Auth::Certificate(pem),
                    display_name: format!("Service principal {client_id} ({subject})"),
                    username: client_id.clone(),
                    client_id: Some(client_id),
                    home_tenant: tenant_id,
                }
            }
            SignInRequest::AzureCli {
                cloud: choice,
                tenant,
            } => {
                if choice.kind == CloudKind::Sandbox {
                    return Err(Error::new(
                        ErrorCode::InvalidInput,
                        Problem::AzureCliNotForSandbox,
                    )
                    .with_advice(Advice::ChooseCliCloud));
                }
                let cloud = self.cloud_for(&choice, ca_pem.as_deref()).await?;
                let tenant = tenant.filter(|t| !t.trim().is_empty());
                let credential =
                    credential::azure_cli(tenant.as_deref(), self.cli_folders.clone())?;
                let token = credential
                    .get_token(&[&cloud.arm_scope()], None)
                    .await
                    .map_err(|e| {
                        Error::new(ErrorCode::Auth, Problem::AzureCliGaveNoToken)
                            .with_service(
                                Service::AzureCli,
                                ServiceError {
                                    message: Some(e.to_string()),
                                    ..ServiceError::default()
                                },
                            )
                            .with_advice(Advice::RunAzLogin)
                            .with_source(e)
                    })?;
                let claims = token_claims(token.token.secret());
                Signed {
                    choice,
                    cloud,
                    method: SignInMethod::AzureCli,
                    auth: Auth::AzureCli,
                    display_name: claims
                        .name
                        .clone()
                        .unwrap_or_else(|| "Azure CLI".to_owned()),
                    username: claims
                        .upn
                        .or(claims.name)
                        .unwrap_or_else(|| "az login".to_owned()),
                    client_id: None,
                    home_tenant: claims.tid.unwrap_or_default(),
                }
            }
        };
        let Signed {
            choice,
            cloud,
            method,
            auth,
            display_name,
            username,
            client_id,
            home_tenant,
        } = signed;
        let remembered = self.keep_secret(&id, method, &auth).await?;
        let auth = match auth {
            Auth::Person(holder) => Auth::Person(self.rewire_sink(&id, holder, remembered)),
            other => other,
        };
        let mut record = AccountRecord {
            id: id.clone(),
            method,
            cloud: choice,
            display_name,
            username,
            client_id,
            home_tenant_id: home_tenant.clone(),
            tenants: vec![],
            selected_tenants: vec![home_tenant.clone()],
            subscription_filter: None,
            custom_ca_pem: ca_pem,
        };
        let live = Live {
            cloud,
            auth,
            clients: HashMap::new(),
            remembered,
        };
        // Its tenants, guest tenants included; a principal sees its home tenant only.
        let clients = client_for(&live, &record, &home_tenant, &self.cli_folders)?;
        match clients.arm.list_tenants().await {
            Ok(tenants) if !tenants.is_empty() => record.tenants = tenants,
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(error = %error.chain(), "could not list the new account's tenants");
            }
        }
        // An account that sees no subscription anywhere is of no use yet: say why, keep nothing.
        if !self.sees_a_subscription(&live, &record, &clients.arm).await {
            self.forget_secret(&id).await;
            return Err(Error::new(
                ErrorCode::Forbidden,
                Problem::NoSubscriptionRole {
                    user: record.username.clone(),
                },
            )
            .with_advice(Advice::AskForSubscriptionRole));
        }
        let mut state = self.state.lock().await;
        let mut live = live;
        live.clients
            .insert(TenantId::new(home_tenant.as_str()), clients);
        state.live.insert(id.clone(), live);
        state.records.push(record);
        self.save(&state)?;
        let view = state
            .records
            .iter()
            .find(|r| r.id == id)
            .map(|r| Self::account_view(&state, r))
            .ok_or_else(|| not_found(&id))?;
        tracing::info!(account = %id, method = ?method, "signed in");
        Ok(view)
    }

    /// Whether the account sees at least one subscription: in its home tenant, else in any of
    /// its other tenants.
    async fn sees_a_subscription(
        &self,
        live: &Live,
        record: &AccountRecord,
        home: &ArmClient,
    ) -> bool {
        if home.list_subscriptions().await.is_ok_and(|s| !s.is_empty()) {
            return true;
        }
        for tenant in &record.tenants {
            if tenant
                .tenant_id
                .eq_ignore_ascii_case(&record.home_tenant_id)
            {
                continue;
            }
            let Ok(arm) = client_for(live, record, &tenant.tenant_id, &self.cli_folders) else {
                continue;
            };
            if arm
                .arm
                .list_subscriptions()
                .await
                .is_ok_and(|s| !s.is_empty())
            {
                return true;
            }
        }
        false
    }

    /// Removes whatever the keyring holds for an account that is not being kept.
    async fn forget_secret(&self, id: &str) {
        let Ok(store) = &self.keystore else {
            return;
        };
        if delete_secrets(store, id).await.is_err() {
            tracing::warn!(account = %id, "could not remove the keyring entries of a sign-in that was not kept");
        }
    }

    /// Puts the account's secret in the keyring. `Ok(false)` when there is no keyring (the
    /// sign-in then lasts for this run only); an error when the keyring failed the write.
    async fn keep_secret(
        &self,
        id: &str,
        method: SignInMethod,
        auth: &Auth,
    ) -> Result<bool, Error> {
        let Some(name) = secret_name(id, method) else {
            return Ok(true);
        };
        let Ok(store) = &self.keystore else {
            return Ok(false);
        };
        let value: Zeroizing<String> = match auth {
            Auth::Person(holder) => holder_secret(holder),
            Auth::Secret(secret) | Auth::Certificate(secret) => secret.clone(),
            Auth::AzureCli | Auth::Sandbox(_) => return Ok(true),
        };
        on_keyring(store, move |store| store.put(&name, &value)).await?;
        Ok(true)
    }

    fn rewire_sink(
        &self,
        id: &str,
        holder: Arc<RefreshTokenHolder>,
        remembered: bool,
    ) -> Arc<RefreshTokenHolder> {
        match (&self.keystore, remembered) {
            (Ok(store), true) => RefreshTokenHolder::new(
                holder_secret(&holder),
                Arc::new(KeyringSink::new(
                    store.clone(),
                    format!("{id}.refresh-token"),
                )),
            ),
            _ => holder,
        }
    }

    /// Restores an account's credentials from the keyring after a restart.
    async fn revive(&self, record: &AccountRecord) -> Result<Live, Error> {
        let cloud = self
            .cloud_for(&record.cloud, record.custom_ca_pem.as_deref())
            .await?;
        if record.method == SignInMethod::Sandbox {
            let embedded = self.sandbox().await?;
            return Ok(Live {
                cloud,
                auth: Auth::Sandbox(Zeroizing::new(embedded.sandbox.client_secret().to_owned())),
                clients: HashMap::new(),
                remembered: true,
            });
        }
        let auth = match secret_name(&record.id, record.method) {
            None => Auth::AzureCli,
            Some(name) => {
                let store = self.keystore.as_ref().map_err(|_| {
                    Error::new(
                        ErrorCode::Auth,
                        Problem::SignInNotInKeyring {
                            user: record.username.clone(),
                        },
                    )
                    .with_advice(Advice::InstallKeyring)
                })?;
                let lookup = name.clone();
                let secret = on_keyring(store, move |store| store.get(&lookup))
                    .await?
                    .ok_or_else(|| {
                        Error::new(
                            ErrorCode::Auth,
                            Problem::SignInNotInKeyring {
                                user: record.username.clone(),
                            },
                        )
                    })?;
                match record.method {
                    SignInMethod::Browser | SignInMethod::DeviceCode => {
                        Auth::Person(RefreshTokenHolder::new(
                            secret,
                            Arc::new(KeyringSink::new(store.clone(), name)),
                        ))
                    }
                    SignInMethod::ServicePrincipalSecret => Auth::Secret(secret),
                    _ => Auth::Certificate(secret),
                }
            }
        };
        Ok(Live {
            cloud,
            auth,
            clients: HashMap::new(),
            remembered: true,
        })
    }

    /// The ARM client of `account` for `tenant`, reviving the account if needed.
    async fn arm(&self, account: &str, tenant: &str) -> Result<Arc<ArmClient>, Error> {
        Ok(self.clients(account, tenant).await?.arm.clone())
    }

    /// The clients of `account` for `tenant`, reviving the account if needed.
    pub async fn clients(&self, account: &str, tenant: &str) -> Result<Arc<TenantClients>, Error> {
        let record = {
            let state = self.state.lock().await;
            let record = state
                .records
                .iter()
                .find(|r| r.id == account)
                .cloned()
                .ok_or_else(|| not_found(account))?;
            if let Some(client) = state
                .live
                .get(account)
                .and_then(|live| live.clients.get(&TenantId::new(tenant)))
            {
                return Ok(client.clone());
            }
            record
        };
        let needs_revival = !self.state.lock().await.live.contains_key(account);
        if needs_revival {
            let live = self.revive(&record).await?;
            self.state
                .lock()
                .await
                .live
                .entry(account.to_owned())
                .or_insert(live);
        }
        let mut state = self.state.lock().await;
        let live = state
            .live
            .get_mut(account)
            .ok_or_else(|| not_found(account))?;
        let client = client_for(live, &record, tenant, &self.cli_folders)?;
        live.clients.insert(TenantId::new(tenant), client.clone());
        Ok(client)
    }

    /// Lists an account's tenants again (after an invitation, say).
    pub async fn refresh_tenants(&self, account: &str) -> Result<AccountView, Error> {
        let home = self.record(account).await?.home_tenant_id;
        let tenants = self.arm(account, &home).await?.list_tenants().await?;
        let mut state = self.state.lock().await;
        let record = state
            .records
            .iter_mut()
            .find(|r| r.id == account)
            .ok_or_else(|| not_found(account))?;
        record.tenants = tenants;
        let record = record.clone();
        self.save(&state)?;
        Ok(Self::account_view(&state, &record))
    }

    async fn record(&self, account: &str) -> Result<AccountRecord, Error> {
        self.state
            .lock()
            .await
            .records
            .iter()
            .find(|r| r.id == account)
            .cloned()
            .ok_or_else(|| not_found(account))
    }

    /// Chooses which tenants' subscriptions to show and which subscriptions (none: all).
    pub async fn set_scope(
        &self,
        account: &str,
        selected_tenants: Vec<String>,
        subscription_filter: Option<Vec<String>>,
    ) -> Result<AccountView, Error> {
        let mut state = self.state.lock().await;
        let record = state
            .records
            .iter_mut()
            .find(|r| r.id == account)
            .ok_or_else(|| not_found(account))?;
        let known = |t: &String| {
            record
                .tenants
                .iter()
                .any(|k| k.tenant_id.eq_ignore_ascii_case(t))
                || record.home_tenant_id.eq_ignore_ascii_case(t)
        };
        if let Some(unknown) = selected_tenants.iter().find(|t| !known(t)) {
            return Err(Error::new(
                ErrorCode::InvalidInput,
                Problem::NotOneOfTenants {
                    tenant: unknown.clone(),
                },
            )
            .with_advice(Advice::ChooseFromTenants));
        }
        record.selected_tenants = selected_tenants;
        record.subscription_filter = subscription_filter;
        let record = record.clone();
        self.save(&state)?;
        Ok(Self::account_view(&state, &record))
    }

    /// Every subscription `account` can see in `tenant`, unfiltered: what the filter offers.
    pub async fn account_subscriptions(
        &self,
        account: &str,
        tenant: &str,
    ) -> Result<Vec<Subscription>, Error> {
        self.arm(account, tenant).await?.list_subscriptions().await
    }

    /// The subscriptions of every account's selected tenants, through each account's filter.
    /// A subscription two accounts can see is listed once.
    pub async fn subscriptions(&self) -> Result<Vec<Subscription>, Error> {
        let records = self.state.lock().await.records.clone();
        let mut found: Vec<Subscription> = vec![];
        let mut owners = HashMap::new();
        let mut first_error = None;
        for record in &records {
            for tenant in &record.selected_tenants {
                let listed = match self.arm(&record.id, tenant).await {
                    Ok(arm) => arm.list_subscriptions().await,
                    Err(error) => Err(error),
                };
                match listed {
                    Ok(subscriptions) => {
                        for s in subscriptions {
                            let wanted = record.subscription_filter.as_ref().is_none_or(|f| {
                                f.iter()
                                    .any(|id| id.eq_ignore_ascii_case(&s.subscription_id))
                            });
                            let key = SubscriptionId::new(s.subscription_id.as_str());
                            if wanted && !owners.contains_key(&key) {
                                owners.insert(key, (record.id.clone(), tenant.clone()));
                                found.push(s);
                            }
                        }
                    }
                    Err(error) => {
                        tracing::warn!(account = %record.id, tenant = %tenant, error = %error.chain(), "could not list subscriptions");
                        first_error.get_or_insert(error);
                    }
                }
            }
        }
        self.state.lock().await.owners = owners;
        match (found.is_empty(), first_error) {
            (true, Some(error)) => Err(error),
            _ => Ok(found),
        }
    }

    /// The account and tenant through which a listed subscription is read.
    pub async fn owner_of(&self, subscription_id: &str) -> Option<(String, String)> {
        self.state
            .lock()
            .await
            .owners
            .get(&SubscriptionId::new(subscription_id))
            .cloned()
    }

    /// The Recovery Services vaults of a listed subscription, through the account that sees it.
    pub async fn vaults(&self, subscription_id: &str) -> Result<Vec<RecoveryVault>, Error> {
        let owner = self
            .state
            .lock()
            .await
            .owners
            .get(&SubscriptionId::new(subscription_id))
            .cloned();
        let owner = match owner {
            Some(owner) => owner,
            None => {
                self.subscriptions().await?;
                self.state
                    .lock()
                    .await
                    .owners
                    .get(&SubscriptionId::new(subscription_id))
                    .cloned()
                    .ok_or_else(|| {
                        Error::new(
                            ErrorCode::NotFound,
                            Problem::NoAccountSeesSubscription {
                                subscription: subscription_id.to_owned(),
                            },
                        )
                        .with_advice(Advice::CheckSubscriptionFilter)
                    })?
            }
        };
        self.arm(&owner.0, &owner.1)
            .await?
            .list_recovery_vaults(subscription_id)
            .await
    }

    /// Signs `account` out: deletes every keyring entry it may have, checks they are gone,
    /// then forgets the account.
    pub async fn sign_out(&self, account: &str) -> Result<AccountsView, Error> {
        self.record(account).await?;
        if let Ok(store) = &self.keystore {
            delete_secrets(store, account).await?;
        }
        {
            let mut state = self.state.lock().await;
            state.records.retain(|r| r.id != account);
            state.live.remove(account);
            state.owners.retain(|_, (a, _)| a != account);
            self.save(&state)?;
        }
        tracing::info!(account = %account, "signed out");
        Ok(self.view().await)
    }

    /// The first account, for the header.
    pub async fn primary(&self) -> Option<AccountView> {
        self.view().await.accounts.into_iter().next()
    }
}

/// A completed sign-in, before it becomes an account.
struct Signed {
    choice: CloudChoice,
    cloud: Cloud,
    method: SignInMethod,
    auth: Auth,
    display_name: String,
    username: String,
    client_id: Option<String>,
    home_tenant: String,
}

fn person(choice: CloudChoice, cloud: Cloud, method: SignInMethod, signed_in: SignIn) -> Signed {
    Signed {
        choice,
        cloud,
        method,
        auth: Auth::Person(RefreshTokenHolder::new(
            signed_in.refresh_token,
            Arc::new(MemoryOnly),
        )),
        display_name: signed_in.user.display_name,
        username: signed_in.user.username,
        client_id: None,
        home_tenant: signed_in.user.tenant_id,
    }
}

fn holder_secret(holder: &RefreshTokenHolder) -> Zeroizing<String> {
    holder.secret()
}

/// The private CA a custom-cloud sign-in asks to trust, read from its file.
fn custom_ca(request: &SignInRequest) -> Result<Option<String>, Error> {
    let choice = match request {
        SignInRequest::Browser { cloud, .. }
        | SignInRequest::DeviceCode { cloud, .. }
        | SignInRequest::ServicePrincipalSecret { cloud, .. }
        | SignInRequest::ServicePrincipalCertificate { cloud, .. }
        | SignInRequest::AzureCli { cloud, .. } => cloud,
    };
    if choice.kind != CloudKind::Custom {
        return Ok(None);
    }
    read_ca_file(choice.ca_certificate_path.as_deref())
}

/// The PEM of a CA file, if a path is given: checked to hold at least one certificate.
fn read_ca_file(path: Option<&str>) -> Result<Option<String>, Error> {
    let Some(path) = path.map(str::trim).filter(|p| !p.is_empty()) else {
        return Ok(None);
    };
    let pem = std::fs::read_to_string(path).map_err(|e| {
        Error::new(
            ErrorCode::InvalidInput,
            Problem::FileUnreadable {
                path: path.to_owned(),
            },
        )
        .with_advice(Advice::CheckFilePath)
        .with_source(e)
    })?;
    if !pem.contains("-----BEGIN CERTIFICATE-----") {
        return Err(Error::new(
            ErrorCode::InvalidInput,
            Problem::NoPemCertificate {
                path: path.to_owned(),
            },
        )
        .with_advice(Advice::ChooseCaPem));
    }
    Ok(Some(pem))
}

fn without_slash(url: &str) -> String {
    url.trim_end_matches('/').to_owned()
}

fn tenant_or_organizations(tenant: Option<&str>) -> String {
    tenant
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .unwrap_or("organizations")
        .to_owned()
}

fn principal_ids(tenant_id: &str, client_id: &str) -> Result<(String, String), Error> {
    let (tenant_id, client_id) = (tenant_id.trim(), client_id.trim());
    if tenant_id.is_empty() || client_id.is_empty() {
        return Err(
            Error::new(ErrorCode::InvalidInput, Problem::PrincipalNeedsIds)
                .with_advice(Advice::CopyIdsFromRegistration),
        );
    }
    if uuid::Uuid::parse_str(client_id).is_err() {
        return Err(Error::new(
            ErrorCode::InvalidInput,
            Problem::NotAnApplicationId {
                value: client_id.to_owned(),
            },
        )
        .with_advice(Advice::ClientIdIsGuid));
    }
    Ok((tenant_id.to_owned(), client_id.to_owned()))
}

fn client_for(
    live: &Live,
    record: &AccountRecord,
    tenant: &str,
    cli_folders: &[PathBuf],
) -> Result<Arc<TenantClients>, Error> {
    let principal_elsewhere = || {
        Error::new(
            ErrorCode::InvalidInput,
            Problem::HomeTenantOnly {
                name: record.display_name.clone(),
            },
        )
        .with_advice(Advice::UseHomeTenant)
    };
    let client_id = record.client_id.clone().unwrap_or_default();
    let credential: Arc<dyn TokenCredential> = match &live.auth {
        Auth::Person(holder) => UserCredential::new(&live.cloud, tenant, holder.clone())?,
        Auth::Secret(secret) | Auth::Sandbox(secret) => {
            if !tenant.eq_ignore_ascii_case(&record.home_tenant_id) {
                return Err(principal_elsewhere());
            }
            credential::client_secret(&live.cloud, tenant, &client_id, secret.to_string())?
        }
        Auth::Certificate(pem) => {
            if !tenant.eq_ignore_ascii_case(&record.home_tenant_id) {
                return Err(principal_elsewhere());
            }
            credential::client_certificate(
                &live.cloud,
                tenant,
                &client_id,
                CertificatePem::parse(pem)?,
            )?
        }
        Auth::AzureCli => credential::azure_cli(Some(tenant), cli_folders.to_vec())?,
    };
    Ok(Arc::new(TenantClients {
        arm: Arc::new(ArmClient::new(&live.cloud, credential.clone())?),
        graph: Arc::new(safehold_azure::GraphClient::new(&live.cloud, credential)?),
        cloud: live.cloud.clone(),
    }))
}

#[derive(Default, serde::Deserialize)]
struct Claims {
    tid: Option<String>,
    upn: Option<String>,
    name: Option<String>,
}

/// The identity claims of an access token the Azure CLI handed over (read, not verified:
/// they only label the account).
fn token_claims(token: &str) -> Claims {
    use base64::Engine as _;
    token
        .split('.')
        .nth(1)
        .and_then(|p| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(p.trim_end_matches('='))
                .ok()
        })
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

/// Accounts kept in a test's folder, with an in-memory keyring, signed in to the embedded
/// sandbox as its operator: what the services' tests start from (feature `test-support`).
#[cfg(any(test, feature = "test-support"))]
pub async fn signed_in_to_sandbox(dir: &std::path::Path) -> Arc<Accounts> {
    let keyring = SecretStore::open(
        Box::new(safehold_keystore::MemoryBackend::new()),
        dir.join("overflow"),
    );
    let accounts = Arc::new(Accounts::open(dir.to_owned(), keyring, vec![]));
    accounts
        .ensure_default()
        .await
        .expect("the embedded sandbox signs its operator in");
    accounts
}

#[cfg(test)]
mod tests;
