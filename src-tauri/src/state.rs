//! App state: where Safehold keeps things, the services every command uses, and the
//! operations in flight.
//!
//! The services are made on first use, off the async runtime where they block (the keyring).
//! Without a keyring the accounts service keeps sign-ins in memory only and the UI says so.

use std::path::PathBuf;
use std::sync::Arc;

use safehold_accounts::Accounts;
use safehold_core::clock::SystemClock;
use safehold_grant::GrantService;
use safehold_inventory::InventoryService;
use safehold_keystore::SecretStore;
use tokio::sync::OnceCell;

use crate::operations::Operations;

/// The keyring service name Safehold's entries live under.
pub const KEYRING_SERVICE: &str = "dev.safehold.desktop";

/// The services, made together once.
pub struct Services {
    /// Accounts, sign-in and which account serves which subscription.
    pub accounts: Arc<Accounts>,
    /// The inventory on screen.
    pub inventory: Arc<InventoryService>,
    /// Backup's access to key vaults.
    pub grant: GrantService,
}

/// Shared by every command.
#[derive(Clone)]
pub struct AppState {
    services: Arc<OnceCell<Arc<Services>>>,
    /// The operations in flight, each cancellable.
    pub operations: Arc<Operations>,
    /// The app's data directory.
    pub data_dir: PathBuf,
    /// Where the log files go.
    pub log_dir: PathBuf,
}

impl AppState {
    /// State that keeps its data under `data_dir`.
    pub fn new(data_dir: PathBuf, log_dir: PathBuf) -> Self {
        Self {
            services: Arc::new(OnceCell::new()),
            operations: Arc::default(),
            data_dir,
            log_dir,
        }
    }

    /// The services, opening the keyring and the accounts file on first call, and signing in
    /// to the sandbox when there is no account yet. A failed sign-in to the sandbox is logged;
    /// the accounts panel still works.
    pub async fn services(&self) -> Arc<Services> {
        self.services
            .get_or_init(|| async {
                let overflow = self.data_dir.join("keyring-overflow");
                let keystore = tokio::task::spawn_blocking(move || {
                    SecretStore::open_os(KEYRING_SERVICE, overflow)
                })
                .await
                .unwrap_or_else(|e| {
                    Err(safehold_keystore::StoreError::Unavailable {
                        detail: e.to_string(),
                    })
                });
                if let Err(error) = &keystore {
                    tracing::warn!(error = %error, "no keyring: sign-ins last until Safehold closes");
                }
                let accounts = Arc::new(Accounts::open(
                    self.data_dir.clone(),
                    keystore,
                    safehold_azure::identity::credential::default_cli_folders(),
                ));
                if let Err(error) = accounts.ensure_default().await {
                    tracing::warn!(error = %error.chain(), "could not sign in to the sandbox");
                }
                let inventory = Arc::new(InventoryService::new(
                    accounts.clone(),
                    Arc::new(SystemClock),
                    self.data_dir.clone(),
                ));
                Arc::new(Services {
                    grant: GrantService::new(inventory.clone()),
                    accounts,
                    inventory,
                })
            })
            .await
            .clone()
    }
}
