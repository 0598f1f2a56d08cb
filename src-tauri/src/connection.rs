//! The signed-in session: which cloud, which credential, which clients.
//!
//! For now the only cloud is the embedded sandbox, started in-process on first use with its
//! state under the app data directory. The sandbox's service-principal secret stays in this
//! process's memory; it is never sent to the WebView.

use std::path::PathBuf;
use std::sync::Arc;

use safehold_azure::{ArmClient, Cloud, credential};
use safehold_core::cloud::CloudInfo;
use safehold_core::ports::ArmApi;
use safehold_core::{Error, ErrorCode};
use safehold_sandbox::Sandbox;
use tokio::sync::OnceCell;

/// A live session: the cloud, who is signed in, and the clients bound to them.
pub struct Session {
    /// The cloud in use.
    pub cloud: Cloud,
    /// Tenant signed in to.
    pub tenant_id: String,
    /// Who is signed in, as people read it (the sandbox principal's display name).
    pub principal: String,
    /// Azure Resource Manager.
    pub arm: Arc<dyn ArmApi>,
    /// Keeps the in-process sandbox serving for as long as the session lives.
    _sandbox: Sandbox,
}

/// App state: the session, created once on first use and shared by every command.
#[derive(Clone)]
pub struct Connection {
    session: Arc<OnceCell<Arc<Session>>>,
    /// The app's data directory.
    pub data_dir: PathBuf,
    /// Where the log files go.
    pub log_dir: PathBuf,
}

impl Connection {
    /// A connection that will keep its data under `data_dir`.
    pub fn new(data_dir: PathBuf, log_dir: PathBuf) -> Self {
        Self {
            session: Arc::new(OnceCell::new()),
            data_dir,
            log_dir,
        }
    }

    /// The session, starting the sandbox and signing in on first call. A failed attempt leaves
    /// nothing behind, so the next call tries again.
    pub async fn session(&self) -> Result<Arc<Session>, Error> {
        self.session
            .get_or_try_init(|| async { self.sign_in_to_sandbox().await.map(Arc::new) })
            .await
            .cloned()
    }

    async fn sign_in_to_sandbox(&self) -> Result<Session, Error> {
        let config = safehold_sandbox::Config::new(self.data_dir.join("sandbox"));
        let sandbox = Sandbox::start(config).await.map_err(|e| {
            Error::new(ErrorCode::Internal, "The sandbox cloud could not start.")
                .with_suggestion("Check that the app data folder is writable, then retry. The log has the details.")
                .with_source(e)
        })?;
        let endpoints = sandbox.endpoints().clone();
        let parse = |url: &str| {
            url.parse().map_err(|e| {
                Error::new(
                    ErrorCode::Internal,
                    "The sandbox reported an unusable address.",
                )
                .with_source(e)
            })
        };
        let cloud = Cloud::sandbox(
            parse(&endpoints.arm_endpoint)?,
            parse(&endpoints.authority_host)?,
            sandbox.ca_pem().to_owned(),
        );
        let credential = credential::client_secret(
            &cloud,
            &endpoints.tenant_id,
            &endpoints.client_id,
            sandbox.client_secret().to_owned(),
        )?;
        credential::verify(credential.as_ref(), &cloud).await?;
        let arm = Arc::new(ArmClient::new(&cloud, credential)?);
        tracing::info!(arm = %endpoints.arm_endpoint, tenant = %endpoints.tenant_id, "signed in to the sandbox");
        Ok(Session {
            cloud,
            tenant_id: endpoints.tenant_id,
            principal: endpoints.client_name,
            arm,
            _sandbox: sandbox,
        })
    }
}

impl Session {
    /// What the UI shows about the cloud.
    pub fn cloud_info(&self) -> CloudInfo {
        self.cloud.info()
    }
}
