//! A sandbox started per test, and the clients that reach it: the exact code path real Azure
//! uses, over real HTTPS, with only the endpoints and the trusted CA changed. For tests of
//! this crate and of the services over it (feature `test-support`).

use std::sync::Arc;

use azure_core::credentials::TokenCredential;
use safehold_sandbox::{Config, Sandbox};

use crate::identity::credential;
use crate::{ArmClient, Cloud};

/// A running sandbox with its own data folder, and the cloud that names it.
pub struct Running {
    /// The sandbox.
    pub sandbox: Sandbox,
    /// Its endpoints, as a cloud.
    pub cloud: Cloud,
    _dir: tempfile::TempDir,
}

/// Starts a sandbox whose lists page every `page_size` items.
pub async fn start(page_size: usize) -> Running {
    start_with(|config| config.page_size = page_size).await
}

/// Starts a sandbox configured by `tune`.
pub async fn start_with(tune: impl FnOnce(&mut Config)) -> Running {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut config = Config::new(dir.path());
    tune(&mut config);
    let sandbox = Sandbox::start(config).await.expect("the sandbox starts");
    let endpoint = sandbox
        .endpoints()
        .arm_endpoint
        .parse()
        .expect("an ARM address");
    let authority = sandbox
        .endpoints()
        .authority_host
        .parse()
        .expect("an authority");
    let cloud = Cloud::sandbox(endpoint, authority, sandbox.ca_pem().to_owned());
    Running {
        sandbox,
        cloud,
        _dir: dir,
    }
}

impl Running {
    /// The operator principal's credential (its real secret).
    pub fn operator(&self) -> Arc<dyn TokenCredential> {
        self.principal(self.sandbox.client_secret())
    }

    /// The operator principal's credential with `secret`, right or wrong.
    pub fn principal(&self, secret: &str) -> Arc<dyn TokenCredential> {
        let e = self.sandbox.endpoints();
        credential::client_secret(&self.cloud, &e.tenant_id, &e.client_id, secret.to_owned())
            .expect("a credential")
    }

    /// An ARM client signed in as the operator.
    pub fn arm(&self) -> Arc<ArmClient> {
        Arc::new(ArmClient::new(&self.cloud, self.operator()).expect("an ARM client"))
    }
}
