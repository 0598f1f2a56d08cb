//! App state: where Safehold keeps things, and the accounts service.
//!
//! The keyring is opened once, off the async runtime (the Secret Service may block). Without
//! one, the accounts service keeps sign-ins in memory only and the UI says so.

use std::path::PathBuf;
use std::sync::Arc;

use safehold_keystore::SecretStore;
use tokio::sync::OnceCell;

use crate::accounts::Accounts;

/// The keyring service name Safehold's entries live under.
pub const KEYRING_SERVICE: &str = "dev.safehold.desktop";

/// Shared by every command.
#[derive(Clone)]
pub struct Connection {
    accounts: Arc<OnceCell<Arc<Accounts>>>,
    /// The app's data directory.
    pub data_dir: PathBuf,
    /// Where the log files go.
    pub log_dir: PathBuf,
    /// One key-vault grant per vault at a time.
    pub grant_locks: Arc<safehold_core::grant::VaultLocks>,
    /// Told when the person cancels the running inventory scan.
    pub scan_cancel: Arc<tokio::sync::Notify>,
}

impl Connection {
    /// State that keeps its data under `data_dir`.
    pub fn new(data_dir: PathBuf, log_dir: PathBuf) -> Self {
        Self {
            accounts: Arc::new(OnceCell::new()),
            data_dir,
            log_dir,
            grant_locks: Arc::default(),
            scan_cancel: Arc::default(),
        }
    }

    /// The accounts service, opening the keyring and the accounts file on first call, and
    /// signing in to the sandbox when there is no account yet. A failed sign-in to the sandbox
    /// is logged; the accounts panel still works.
    pub async fn accounts(&self) -> Arc<Accounts> {
        self.accounts
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
                    safehold_azure::credential::default_cli_folders(),
                ));
                if let Err(error) = accounts.ensure_default().await {
                    tracing::warn!(error = %error.chain(), "could not sign in to the sandbox");
                }
                accounts
            })
            .await
            .clone()
    }
}
