//! safehold-sandbox: a local HTTPS emulator of the Azure APIs Safehold calls.
//!
//! It speaks the real wire protocol — paths, api-versions, JSON shapes, OAuth token endpoint,
//! ARM's error envelope — so Safehold, the official Azure SDKs and the Azure CLI can all be
//! pointed at it by configuration alone. It runs inside the app (the default cloud on first
//! start) and as its own binary for tests.
//!
//! It deliberately shares no types with `safehold-azure`: a serialization bug in one cannot hide
//! in both. State (CA, service principal, signing key, tenant) lives in its data directory.
#![deny(missing_docs)]

mod admin;
mod api_versions;
pub mod arm;
mod authorization;
mod blob;
mod compute;
mod deployments;
mod entra;
pub mod faults;
mod generic_resources;
mod graph;
mod interactive;
mod keyvault;
pub mod keyvault_data;
mod metadata;
mod network;
pub mod pki;
mod recovery_services;
mod resources;
mod sas;
pub mod scale;
mod seed;
mod storage;

/// The demo tenant's least-privilege custom role for Backup on RBAC key vaults.
pub use seed::BACKUP_KEY_READER_ROLE;
mod store;
pub mod tenant;
pub mod token;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use anyhow::Context as _;
use axum::Router;
use axum::routing::{get, post};
use serde::Serialize;

use crate::tenant::{ServicePrincipal, Tenant};
use crate::token::TokenService;

/// How to start a sandbox.
#[derive(Clone, Debug)]
pub struct Config {
    /// Where the CA, credentials and tenant state are kept.
    pub data_dir: PathBuf,
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Items per page of list responses.
    pub page_size: usize,
    /// Lifetime of issued access tokens, in seconds.
    pub token_lifetime_secs: i64,
    /// How long an access-policy write is processed; a write overlapping it gets 409.
    pub key_vault_write_window: std::time::Duration,
    /// Faults to inject from the start (changeable later through the admin endpoint).
    pub faults: faults::FaultConfig,
    /// How long a backup or restore job runs, in seconds of real time.
    pub job_duration_secs: i64,
    /// The `Retry-After` sent with 202s. The service sends 60; a demo wants less.
    pub lro_retry_after_secs: u64,
    /// The tenant a new data directory starts with (and a reset returns to).
    pub tenant_seed: TenantSeed,
    /// Seconds between device-code polls (Entra says 5; tests want 1).
    pub device_poll_interval_secs: u64,
    /// How long a device code stays valid (Entra ID: 15 minutes).
    pub device_code_lifetime_secs: i64,
}

/// Which tenant a sandbox starts with.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum TenantSeed {
    /// Contoso, with every scenario of the product (the default).
    #[default]
    Demo,
    /// A generated tenant of the given shape, for benchmarks.
    Scale(scale::ScaleSpec),
}

impl TenantSeed {
    /// A fresh tenant of this kind with id `tenant_id`.
    pub fn build(&self, tenant_id: &str) -> Tenant {
        match self {
            Self::Demo => seed::contoso_in(tenant_id),
            Self::Scale(spec) => scale::generate(spec, tenant_id),
        }
    }
}

impl Config {
    /// Defaults: a free port, ARM-like page sizes, hour-long tokens.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            port: 0,
            page_size: 100,
            token_lifetime_secs: entra::TOKEN_LIFETIME_SECS,
            key_vault_write_window: std::time::Duration::from_millis(50),
            faults: faults::FaultConfig::default(),
            job_duration_secs: 20,
            lro_retry_after_secs: 2,
            tenant_seed: TenantSeed::Demo,
            device_poll_interval_secs: 5,
            device_code_lifetime_secs: 900,
        }
    }
}

/// What a client needs to find and trust a running sandbox; printed as one JSON line by the
/// binary. Holds no secret: the secret is in `credentials_file`.
#[derive(Clone, Debug, Serialize)]
pub struct Endpoints {
    /// Azure Resource Manager base URL.
    pub arm_endpoint: String,
    /// Entra ID authority host (token endpoint at `/{tenant}/oauth2/v2.0/token`).
    pub authority_host: String,
    /// The tenant's id.
    pub tenant_id: String,
    /// The service principal's client id.
    pub client_id: String,
    /// The service principal's display name.
    pub client_name: String,
    /// Path of the CA certificate (PEM) to trust.
    pub ca_cert: PathBuf,
    /// Path of the owner-only file with the service principal's client id and secret.
    pub credentials_file: PathBuf,
    /// Path of the owner-only PEM (private key and certificate) the principal may also sign in
    /// with, as a certificate credential.
    pub client_certificate: PathBuf,
    /// The admin endpoint (fault injection, reset); needs a token from this sandbox.
    pub admin_endpoint: String,
    /// Blob storage, path-style: `{blob_endpoint}/{account}/{container}/{blob}`.
    pub blob_endpoint: String,
    /// The public client id for interactive sign-in (authorization code, device code).
    pub public_client_id: String,
}

/// State shared by every handler.
pub struct Shared {
    tenant: RwLock<Tenant>,
    principal: ServicePrincipal,
    tokens: TokenService,
    authority_host: String,
    arm_endpoint: String,
    arm_audiences: Vec<String>,
    page_size: usize,
    token_lifetime_secs: i64,
    data_dir: PathBuf,
    key_vault_writes: Arc<keyvault::VaultWrites>,
    key_vault_write_window: std::time::Duration,
    faults: Arc<faults::Faults>,
    operations: std::sync::Mutex<std::collections::HashMap<String, recovery_services::Operation>>,
    job_duration_secs: i64,
    lro_retry_after_secs: u64,
    tenant_seed: TenantSeed,
    blob_endpoint: String,
    /// The public key (PEM) client assertions must be signed with.
    client_certificate_public_pem: String,
    /// Where the client certificate is, for the JSON line.
    client_certificate_path: PathBuf,
    /// This state itself, for starting listeners from a handler.
    myself: std::sync::OnceLock<std::sync::Weak<Shared>>,
    /// The TLS configuration every listener uses.
    tls: std::sync::OnceLock<axum_server::tls_rustls::RustlsConfig>,
    /// The handle that stops every listener.
    server_handle: std::sync::OnceLock<axum_server::Handle<SocketAddr>>,
    /// Authorization codes and device codes in flight.
    flows: interactive::Flows,
    /// The polling interval device-code clients are told to use.
    device_poll_interval_secs: u64,
    /// How long device codes stay valid.
    device_code_lifetime_secs: i64,
    /// The data-plane port of each key vault, by lower-cased name.
    vault_ports: RwLock<std::collections::HashMap<String, u16>>,
    /// Bumped whenever the tenant may change; cached pages from older generations are stale.
    generation: std::sync::atomic::AtomicU64,
    /// Serialized list pages that depend only on the tenant, by request path and query.
    page_cache: std::sync::Mutex<std::collections::HashMap<String, (u64, axum::body::Bytes)>>,
}

impl Shared {
    /// The tenant, for reading. Never held across an `.await`.
    fn tenant(&self) -> std::sync::RwLockReadGuard<'_, Tenant> {
        self.tenant
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The tenant, for a change; call [`Shared::persist`] before releasing it.
    fn tenant_mut(&self) -> std::sync::RwLockWriteGuard<'_, Tenant> {
        let guard = self
            .tenant
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        guard
    }

    /// A page that depends only on the tenant: served from the cache while the tenant is
    /// unchanged, otherwise built by `build` and kept. Large list pages are the sandbox's hot
    /// path in benchmarks; building their JSON is most of their cost.
    fn cached_page(
        &self,
        key: &str,
        build: impl FnOnce() -> serde_json::Value,
    ) -> axum::response::Response {
        use axum::response::IntoResponse as _;
        let generation = self.generation.load(std::sync::atomic::Ordering::SeqCst);
        let hit = self
            .page_cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(key)
            .filter(|(g, _)| *g == generation)
            .map(|(_, bytes)| bytes.clone());
        let bytes = hit.unwrap_or_else(|| {
            let bytes = axum::body::Bytes::from(serde_json::to_vec(&build()).unwrap_or_default());
            let mut cache = self
                .page_cache
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if cache.len() > 4_096 {
                cache.clear();
            }
            cache.insert(key.to_owned(), (generation, bytes.clone()));
            bytes
        });
        (
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            bytes,
        )
            .into_response()
    }

    /// Saves the tenant. Called with the write guard held, so saves happen in change order.
    fn persist(&self, tenant: &Tenant) -> Result<(), arm::ArmError> {
        tenant.save(&self.data_dir).map_err(|error| {
            tracing::error!(error = %format!("{error:#}"), "could not save the sandbox tenant");
            arm::ArmError::internal("The sandbox could not save its state.")
        })
    }

    /// A key vault's data-plane URI (with the trailing slash, as the service returns it).
    /// Starts the data plane of key vault `name` on a new port (once per name).
    pub(crate) fn serve_vault(&self, name: &str) -> anyhow::Result<()> {
        let key = name.to_ascii_lowercase();
        let mut ports = self
            .vault_ports
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if ports.contains_key(&key) {
            return Ok(());
        }
        let (Some(me), Some(tls), Some(handle)) = (
            self.myself.get().and_then(std::sync::Weak::upgrade),
            self.tls.get(),
            self.server_handle.get(),
        ) else {
            anyhow::bail!("the sandbox is not serving yet");
        };
        let listener =
            std::net::TcpListener::bind(("127.0.0.1", 0)).context("binding a key vault port")?;
        listener.set_nonblocking(true)?;
        ports.insert(key.clone(), listener.local_addr()?.port());
        let server = axum_server::from_tcp_rustls(listener, tls.clone())?
            .map(no_delay)
            .handle(handle.clone())
            .serve(tower::make::Shared::new(faults::FaultInjecting::new(
                keyvault_data::router(me.clone(), key),
                me.faults.clone(),
            )));
        tokio::spawn(server);
        Ok(())
    }

    /// Each vault has its own origin (a port), since the Key Vault SDKs read the vault from the
    /// origin of a key or secret id. Before its listener exists, the public-cloud host name.
    fn vault_uri(&self, name: &str) -> String {
        let ports = self
            .vault_ports
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match ports.get(&name.to_ascii_lowercase()) {
            Some(port) => format!("https://127.0.0.1:{port}/"),
            None => format!("https://{}.vault.azure.net/", name.to_ascii_lowercase()),
        }
    }
}

/// The HTTP routes, without a socket: tests drive it with `tower::ServiceExt::oneshot`.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/{tenant}/oauth2/v2.0/token", post(entra::token))
        .route(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            get(entra::openid_configuration),
        )
        .route(
            "/{tenant}/oauth2/v2.0/authorize",
            get(interactive::authorize_page).post(interactive::authorize_consent),
        )
        .route(
            "/{tenant}/oauth2/v2.0/devicecode",
            post(interactive::device_code),
        )
        .route(
            "/devicelogin",
            get(interactive::device_page).post(interactive::device_approve),
        )
        .route(
            "/sandbox-admin/faults",
            get(admin::get_faults).put(admin::put_faults),
        )
        .route(
            "/sandbox-admin/faults/counts",
            axum::routing::delete(admin::reset_counts),
        )
        .route("/sandbox-admin/reset", post(admin::reset_tenant))
        .fallback(arm::dispatch)
        .with_state(shared)
}

/// A running sandbox. Dropping it stops it at once; [`Sandbox::shutdown`] lets requests in flight
/// finish first.
pub struct Sandbox {
    endpoints: Endpoints,
    shared: Arc<Shared>,
    ca_pem: String,
    handle: axum_server::Handle<SocketAddr>,
    tasks: Vec<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.handle.shutdown();
    }
}

/// Why a sandbox could not start.
#[derive(Debug, thiserror::Error)]
#[error("the sandbox could not start: {0:#}")]
pub struct StartError(#[source] anyhow::Error);

fn load_shared(
    data_dir: &Path,
    addr: SocketAddr,
    blob_addr: SocketAddr,
    config: &Config,
) -> anyhow::Result<Shared> {
    let tenant = Tenant::load_or_seed(data_dir, &config.tenant_seed)?;
    let principal = ServicePrincipal::load_or_create(data_dir, &tenant)?;
    let tokens = TokenService::load_or_create(data_dir)?;
    let client_certificate = pki::ClientCertificate::load_or_create(data_dir)?;
    let base = format!("https://{addr}");
    Ok(Shared {
        arm_audiences: vec![
            "https://management.azure.com/".to_owned(),
            "https://management.core.windows.net/".to_owned(),
            format!("{base}/"),
        ],
        tenant: RwLock::new(tenant),
        principal,
        tokens,
        authority_host: base.clone(),
        arm_endpoint: base,
        page_size: config.page_size.max(1),
        token_lifetime_secs: config.token_lifetime_secs,
        data_dir: data_dir.to_path_buf(),
        key_vault_writes: Arc::default(),
        key_vault_write_window: config.key_vault_write_window,
        faults: Arc::new(faults::Faults::new(config.faults.clone()).map_err(anyhow::Error::msg)?),
        operations: std::sync::Mutex::default(),
        job_duration_secs: config.job_duration_secs.max(0),
        lro_retry_after_secs: config.lro_retry_after_secs,
        tenant_seed: config.tenant_seed.clone(),
        blob_endpoint: format!("https://{blob_addr}"),
        client_certificate_public_pem: client_certificate.public_key_pem,
        client_certificate_path: client_certificate.path,
        myself: std::sync::OnceLock::new(),
        tls: std::sync::OnceLock::new(),
        server_handle: std::sync::OnceLock::new(),
        flows: interactive::Flows::default(),
        device_poll_interval_secs: config.device_poll_interval_secs,
        device_code_lifetime_secs: config.device_code_lifetime_secs,
        vault_ports: RwLock::default(),
        generation: std::sync::atomic::AtomicU64::new(0),
        page_cache: std::sync::Mutex::default(),
    })
}

impl Sandbox {
    /// Creates or opens the data directory, binds 127.0.0.1 and starts serving HTTPS.
    pub async fn start(config: Config) -> Result<Self, StartError> {
        Self::start_inner(config).await.map_err(StartError)
    }

    async fn start_inner(config: Config) -> anyhow::Result<Self> {
        let data_dir = config.data_dir.clone();
        std::fs::create_dir_all(&data_dir)
            .with_context(|| format!("creating the data directory {}", data_dir.display()))?;
        let authority = pki::Authority::load_or_create(&data_dir)?;
        let identity = authority.issue_server_identity()?;

        let listener = std::net::TcpListener::bind(("127.0.0.1", config.port))
            .with_context(|| format!("binding 127.0.0.1:{}", config.port))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        // Blob storage has its own host in Azure; here it has its own port.
        let blob_listener =
            std::net::TcpListener::bind(("127.0.0.1", 0)).context("binding the blob port")?;
        blob_listener.set_nonblocking(true)?;
        let blob_addr = blob_listener.local_addr()?;
        let shared = Arc::new(load_shared(&data_dir, addr, blob_addr, &config)?);

        let tls = tls_config(&identity)?;
        let handle = axum_server::Handle::new();
        let server = axum_server::from_tcp_rustls(listener, tls.clone())?
            .map(no_delay)
            .handle(handle.clone())
            .serve(tower::make::Shared::new(faults::FaultInjecting::new(
                router(shared.clone()),
                shared.faults.clone(),
            )));
        let blob_server = axum_server::from_tcp_rustls(blob_listener, tls.clone())?
            .map(no_delay)
            .handle(handle.clone())
            .serve(tower::make::Shared::new(faults::FaultInjecting::new(
                blob::router(shared.clone()),
                shared.faults.clone(),
            )));
        let tasks = vec![tokio::spawn(server), tokio::spawn(blob_server)];
        // Every key vault gets its own origin for its data plane, now and when one is created.
        let _ = shared.myself.set(Arc::downgrade(&shared));
        let _ = shared.tls.set(tls);
        let _ = shared.server_handle.set(handle.clone());
        let vault_names: Vec<String> = shared
            .tenant()
            .subscriptions
            .iter()
            .flat_map(|s| s.key_vaults.iter().map(|k| k.name.clone()))
            .collect();
        for name in vault_names {
            shared.serve_vault(&name)?;
        }

        let endpoints = Endpoints {
            arm_endpoint: shared.arm_endpoint.clone(),
            authority_host: shared.authority_host.clone(),
            tenant_id: shared.principal.tenant_id.clone(),
            client_id: shared.principal.client_id.clone(),
            client_name: shared.principal.display_name.clone(),
            ca_cert: authority.cert_path.clone(),
            credentials_file: ServicePrincipal::file_path(&data_dir),
            client_certificate: shared.client_certificate_path.clone(),
            admin_endpoint: format!("{}{}", shared.arm_endpoint, admin::PREFIX),
            blob_endpoint: shared.blob_endpoint.clone(),
            public_client_id: seed::SAFEHOLD_PUBLIC_CLIENT_ID.to_owned(),
        };
        tracing::info!(arm = %endpoints.arm_endpoint, "sandbox listening");
        Ok(Self {
            endpoints,
            shared,
            ca_pem: authority.cert_pem().to_owned(),
            handle,
            tasks,
        })
    }

    /// Where the sandbox listens and what to trust.
    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    /// The CA certificate (PEM) that signs the sandbox's server certificate.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The service principal's client secret, for an in-process client signing in.
    pub fn client_secret(&self) -> &str {
        &self.shared.principal.client_secret
    }

    /// Mints a token as the sandbox's own principal, for tests of token checks (an expired one
    /// with a negative lifetime, another audience). Not reachable over HTTP.
    pub fn issue_token(&self, audience: &str, lifetime_secs: i64) -> anyhow::Result<String> {
        let p = &self.shared.principal;
        self.shared.tokens.issue(
            &p.tenant_id,
            &p.object_id,
            &p.client_id,
            audience,
            lifetime_secs,
        )
    }

    /// Fault injection: change it and read its counters in-process.
    pub fn faults(&self) -> &faults::Faults {
        &self.shared.faults
    }

    /// Stops accepting connections and waits for the server to finish.
    pub async fn shutdown(mut self) {
        self.handle
            .graceful_shutdown(Some(std::time::Duration::from_secs(2)));
        for task in std::mem::take(&mut self.tasks) {
            let _ = task.await;
        }
    }
}

fn tls_config(
    identity: &pki::ServerIdentity,
) -> anyhow::Result<axum_server::tls_rustls::RustlsConfig> {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_slice_iter(identity.chain_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .context("reading the server certificate chain")?;
    let key = PrivateKeyDer::from_pem_slice(identity.key_pem.as_bytes())
        .context("reading the server key")?;
    // An explicit provider: the process may link more than one rustls crypto backend.
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("choosing TLS versions")?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .context("configuring the server certificate")?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(axum_server::tls_rustls::RustlsConfig::from_config(
        Arc::new(config),
    ))
}

/// Answers go out as soon as they are written: without `TCP_NODELAY` a small TLS record at the
/// end of an answer can wait for the client's delayed acknowledgement, tens of milliseconds.
fn no_delay(
    tls: axum_server::tls_rustls::RustlsAcceptor,
) -> axum_server::tls_rustls::RustlsAcceptor<axum_server::accept::NoDelayAcceptor> {
    tls.acceptor(axum_server::accept::NoDelayAcceptor::new())
}
