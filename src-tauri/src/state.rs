//! App state: where Safehold keeps things, the services every command uses, and the
//! operations in flight.
//!
//! The services are made on first use, off the async runtime where they block (the keyring).
//! Without a keyring the accounts service keeps sign-ins in memory only and the UI says so.

use std::path::PathBuf;
use std::sync::Arc;

use safehold_accounts::Accounts;
use safehold_activity::ActivityLog;
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
    /// Every change Safehold makes.
    pub activity: Arc<ActivityLog>,
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
                let activity = Arc::new(self.open_activity().await);
                Arc::new(Services {
                    grant: GrantService::new(inventory.clone(), activity.clone()),
                    accounts,
                    inventory,
                    activity,
                })
            })
            .await
            .clone()
    }

    /// The activity log in the data folder. When its file cannot be opened, changes are
    /// recorded in memory for this run, and the log says why.
    async fn open_activity(&self) -> ActivityLog {
        let clock = Arc::new(SystemClock);
        let path = self.data_dir.join("activity.sqlite3");
        match ActivityLog::open(path, clock.clone()).await {
            Ok(log) => log,
            Err(error) => {
                tracing::error!(error = %error, "the activity log could not be opened; this run's changes are kept in memory only");
                ActivityLog::open_in_memory(clock)
                    .await
                    .expect("an in-memory SQLite database opens")
            }
        }
    }
}
