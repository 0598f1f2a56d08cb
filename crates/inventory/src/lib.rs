//! The inventory service: every selected subscription scanned through the account that sees
//! it, held in memory for the screens and the grant, and kept on disk so the next start shows
//! the last one at once, marked with its age.
//!
//! The file is read and written off the async runtime, in the background and in order: a scan
//! never waits for its own write (at most for the one before it to finish), and an older
//! inventory never overwrites a newer one.

pub mod scan;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use safehold_accounts::{Accounts, TenantClients};
use safehold_core::clock::Clock;
use safehold_core::inventory::Subscription;
use safehold_core::ports::DirectoryApi;
use safehold_core::{Error, Problem, SubscriptionId, TenantId};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

pub use scan::{BackupAccess, Inventory, InventoryKeyVault, InventoryVm, SubscriptionScan};

const CACHE_FILE: &str = "inventory.json";

/// An inventory and when it was taken.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct InventorySnapshot {
    /// When the scan finished (RFC 3339).
    pub scanned_at: String,
    /// What it found.
    pub inventory: Inventory,
}

/// How far a scan has got, sent as each subscription finishes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct InventoryProgress {
    /// The subscription that finished.
    pub subscription: String,
    /// Subscriptions finished so far.
    pub done: u32,
    /// Subscriptions in the scan.
    pub total: u32,
    /// Whether its lists could be read.
    pub failed: bool,
}

/// Where the inventory is kept between runs.
enum Keeping {
    /// In this folder, written by one background writer at a time, in order.
    File {
        dir: PathBuf,
        writes: Arc<tokio::sync::Mutex<()>>,
    },
    /// Nowhere (tests, and no data folder).
    Memory,
}

/// The inventory service, shared by every screen.
pub struct InventoryService {
    accounts: Arc<Accounts>,
    clock: Arc<dyn Clock>,
    keeping: Arc<Keeping>,
    /// The inventory the screens show: the last scan, or the kept one until a scan finishes.
    current: RwLock<Option<Arc<InventorySnapshot>>>,
    /// Whether the kept file was read yet.
    loaded: tokio::sync::OnceCell<()>,
}

impl InventoryService {
    /// An inventory kept in `data_dir`, scanned through `accounts`.
    pub fn new(accounts: Arc<Accounts>, clock: Arc<dyn Clock>, data_dir: PathBuf) -> Self {
        Self::with_keeping(
            accounts,
            clock,
            Keeping::File {
                dir: data_dir,
                writes: Arc::default(),
            },
        )
    }

    /// An inventory kept in memory only.
    pub fn in_memory(accounts: Arc<Accounts>, clock: Arc<dyn Clock>) -> Self {
        Self::with_keeping(accounts, clock, Keeping::Memory)
    }

    fn with_keeping(accounts: Arc<Accounts>, clock: Arc<dyn Clock>, keeping: Keeping) -> Self {
        Self {
            accounts,
            clock,
            keeping: Arc::new(keeping),
            current: RwLock::new(None),
            loaded: tokio::sync::OnceCell::new(),
        }
    }

    /// The accounts the inventory is read through.
    pub fn accounts(&self) -> &Arc<Accounts> {
        &self.accounts
    }

    /// The inventory the screens show: the last scan's, or the one kept from the last run.
    pub async fn current(&self) -> Option<Arc<InventorySnapshot>> {
        self.load_kept().await;
        self.current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Reads the kept file once, off the runtime; a scan that finished first wins.
    async fn load_kept(&self) {
        self.loaded
            .get_or_init(|| async {
                let Keeping::File { dir, .. } = self.keeping.as_ref() else {
                    return;
                };
                let path = dir.join(CACHE_FILE);
                let kept = tokio::task::spawn_blocking(move || read_kept(&path))
                    .await
                    .ok()
                    .flatten();
                let mut current = self
                    .current
                    .write()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if current.is_none() {
                    *current = kept.map(Arc::new);
                }
            })
            .await;
    }

    /// Forgets the inventory (every account signed out, or the one that read it): the screens
    /// show nothing rather than another account's VMs, and the kept file goes too.
    pub async fn forget(&self) {
        self.load_kept().await;
        *self
            .current
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
        if let Keeping::File { dir, writes } = self.keeping.as_ref() {
            let turn = writes.clone().lock_owned().await;
            let path = dir.join(CACHE_FILE);
            let removed = tokio::task::spawn_blocking(move || {
                let _turn = turn;
                std::fs::remove_file(path)
            })
            .await;
            if let Ok(Err(error)) = removed
                && error.kind() != std::io::ErrorKind::NotFound
            {
                tracing::warn!(error = %error, "the kept inventory could not be removed");
            }
        }
    }

    /// Scans every selected subscription of every account; `progress` hears of each. Stops
    /// asking as soon as `cancel` fires, keeping the inventory from before.
    pub async fn scan(
        &self,
        cancel: &CancellationToken,
        progress: impl Fn(InventoryProgress) + Sync,
    ) -> Result<Arc<InventorySnapshot>, Error> {
        let run = self.scan_once(progress);
        let snapshot = tokio::select! {
            biased;
            () = cancel.cancelled() => {
                tracing::info!("inventory scan cancelled");
                return Err(Error::cancelled(Problem::ScanCancelled));
            }
            snapshot = run => snapshot?,
        };
        let snapshot = Arc::new(snapshot);
        *self
            .current
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(snapshot.clone());
        self.keep(snapshot.clone()).await;
        Ok(snapshot)
    }

    async fn scan_once(
        &self,
        progress: impl Fn(InventoryProgress) + Sync,
    ) -> Result<InventorySnapshot, Error> {
        let accounts = &self.accounts;
        let subscriptions = accounts.subscriptions().await?;
        let mut clients: HashMap<SubscriptionId, Arc<dyn scan::Clients>> = HashMap::new();
        // One client per tenant looks up the Backup Management Service there.
        let mut directories: HashMap<TenantId, Arc<TenantClients>> = HashMap::new();
        let mut scanned: Vec<Subscription> = vec![];
        for subscription in subscriptions {
            let Some((account, tenant)) = accounts.owner_of(&subscription.subscription_id).await
            else {
                continue;
            };
            let tenant_clients = accounts.clients(&account, &tenant).await?;
            directories
                .entry(TenantId::new(subscription.tenant_id.as_str()))
                .or_insert_with(|| tenant_clients.clone());
            clients.insert(
                SubscriptionId::new(subscription.subscription_id.as_str()),
                tenant_clients.arm.clone(),
            );
            scanned.push(subscription);
        }
        let principals = futures::future::join_all(directories.into_iter().map(
            |(tenant_id, tenant_clients)| async move {
                let principal = match tenant_clients.cloud.backup_app_id.as_deref() {
                    Some(app_id) => tenant_clients
                        .graph
                        .service_principal_by_app_id(app_id)
                        .await
                        .unwrap_or_else(|error| {
                            tracing::warn!(error = %error.chain(), "could not look up the Backup Management Service");
                            None
                        }),
                    None => None,
                };
                (tenant_id, principal)
            },
        ));
        let principals = async move { principals.await.into_iter().collect() };
        let total = u32::try_from(scanned.len()).unwrap_or(u32::MAX);
        let done = std::sync::atomic::AtomicU32::new(0);
        let started = std::time::Instant::now();
        let inventory = scan::build(
            scanned,
            &|s| clients[&SubscriptionId::new(s.subscription_id.as_str())].clone(),
            principals,
            scan::failed_jobs_since(self.clock.as_ref()),
            &|scan: &SubscriptionScan| {
                progress(InventoryProgress {
                    subscription: scan.subscription.display_name.clone(),
                    done: done.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1,
                    total,
                    failed: scan.error.is_some(),
                });
            },
        )
        .await;
        tracing::info!(
            vms = inventory.vms.len(),
            key_vaults = inventory.key_vaults.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "inventory scanned"
        );
        let scanned_at = time::OffsetDateTime::from(self.clock.now())
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        Ok(InventorySnapshot {
            scanned_at,
            inventory,
        })
    }

    /// Writes the inventory to its file in the background, after any write before it (the
    /// writers queue on a fair lock in the order scans finished).
    async fn keep(&self, snapshot: Arc<InventorySnapshot>) {
        let Keeping::File { dir, writes } = self.keeping.as_ref() else {
            return;
        };
        let turn = writes.clone().lock_owned().await;
        let dir = dir.clone();
        drop(tokio::task::spawn_blocking(move || {
            let _turn = turn;
            if let Err(error) = write_kept(&dir, &snapshot) {
                tracing::warn!(error = %error, "the inventory could not be kept for the next start");
            }
        }));
    }
}

fn write_kept(dir: &std::path::Path, snapshot: &InventorySnapshot) -> std::io::Result<()> {
    let body = serde_json::to_vec(snapshot).map_err(std::io::Error::other)?;
    safehold_files::write_private(dir, CACHE_FILE, &body)
}

/// The kept inventory, if any (a damaged file counts as none).
fn read_kept(path: &std::path::Path) -> Option<InventorySnapshot> {
    let bytes = std::fs::read(path).ok()?;
    serde_json::from_slice(&bytes)
        .inspect_err(|e| tracing::warn!(error = %e, "the kept inventory could not be read"))
        .ok()
}

#[cfg(test)]
mod tests;
