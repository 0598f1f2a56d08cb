//! The inventory of every selected subscription: scanned through the accounts that see them,
//! and kept on disk so the next start shows the last one at once, marked with its age.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use safehold_core::inventory::Subscription;
use safehold_core::ports::{ArmApi, DirectoryApi, InventoryApi};
use safehold_core::scan::{Clients, Inventory, SubscriptionScan};
use safehold_core::{Error, ErrorCode};
use serde::{Deserialize, Serialize};

use crate::accounts::{Accounts, TenantClients};

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
#[derive(
    Clone, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type, tauri_specta::Event,
)]
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

struct TenantAdapter(Arc<TenantClients>);

impl Clients for TenantAdapter {
    fn arm(&self) -> Arc<dyn ArmApi> {
        self.0.arm.clone()
    }
    fn inventory(&self) -> Arc<dyn InventoryApi> {
        self.0.arm.clone()
    }
}

/// Scans every selected subscription of every account; `progress` hears of each.
pub async fn scan(
    accounts: &Accounts,
    data_dir: &Path,
    progress: impl Fn(InventoryProgress) + Sync,
) -> Result<InventorySnapshot, Error> {
    let subscriptions = accounts.subscriptions().await?;
    let mut clients: HashMap<String, Arc<dyn Clients>> = HashMap::new();
    // One client per tenant looks up the Backup Management Service there.
    let mut directories: HashMap<String, Arc<TenantClients>> = HashMap::new();
    let mut scanned: Vec<Subscription> = vec![];
    for subscription in subscriptions {
        let Some((account, tenant)) = accounts.owner_of(&subscription.subscription_id).await else {
            continue;
        };
        let tenant_clients = accounts.clients(&account, &tenant).await?;
        directories
            .entry(subscription.tenant_id.clone())
            .or_insert_with(|| tenant_clients.clone());
        clients.insert(
            subscription.subscription_id.to_ascii_lowercase(),
            Arc::new(TenantAdapter(tenant_clients)),
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
    let inventory = safehold_core::scan::build(
        scanned,
        &|s| clients[&s.subscription_id.to_ascii_lowercase()].clone(),
        principals,
        safehold_core::scan::failed_jobs_since_now(),
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
    let snapshot = InventorySnapshot {
        scanned_at: time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        inventory,
    };
    if let Err(error) = save(data_dir, &snapshot) {
        tracing::warn!(error = %error.chain(), "the inventory could not be kept for the next start");
    }
    Ok(snapshot)
}

fn save(dir: &Path, snapshot: &InventorySnapshot) -> Result<(), Error> {
    let failed = |e: std::io::Error| {
        Error::new(ErrorCode::Internal, "The inventory could not be saved.").with_source(e)
    };
    let body = serde_json::to_vec(snapshot).map_err(|e| failed(std::io::Error::other(e)))?;
    crate::files::write_private(dir, CACHE_FILE, &body).map_err(failed)?;
    Ok(())
}

/// What a grant needs: the vault's clients, Backup's principal there, and what its VMs need.
async fn grant_context(
    accounts: &Accounts,
    data_dir: &Path,
    vault_id: &str,
) -> Result<(Arc<TenantClients>, String, safehold_core::ade::Permissions), Error> {
    let stale = || {
        Error::new(
            ErrorCode::NotFound,
            "This key vault is not in the last inventory.",
        )
        .with_suggestion("Refresh the inventory, then grant again.")
    };
    let snapshot = cached(data_dir).ok_or_else(stale)?;
    let entry = snapshot
        .inventory
        .key_vaults
        .iter()
        .find(|k| k.vault.id.eq_ignore_ascii_case(vault_id))
        .ok_or_else(stale)?;
    let subscription = &entry.vault.subscription_id;
    if accounts.owner_of(subscription).await.is_none() {
        accounts.subscriptions().await?;
    }
    let (account, tenant) = accounts.owner_of(subscription).await.ok_or_else(stale)?;
    let clients = accounts.clients(&account, &tenant).await?;
    let app_id = clients.cloud.backup_app_id.clone().ok_or_else(|| {
        Error::new(
            ErrorCode::Unavailable,
            "This cloud does not publish the Backup Management Service's application id.",
        )
        .with_suggestion("Grant access in the portal with the Azure Backup template.")
    })?;
    let principal = clients
        .graph
        .service_principal_by_app_id(&app_id)
        .await?
        .ok_or_else(|| {
            Error::new(
                ErrorCode::NotFound,
                "The Backup Management Service has no service principal in this tenant.",
            )
            .with_suggestion("Register the Microsoft.RecoveryServices provider in the subscription, then try again.")
        })?;
    Ok((clients, principal, entry.required.clone()))
}

/// The grant that would give Backup what it needs on a key vault, shown before it is made.
pub async fn plan_grant(
    accounts: &Accounts,
    data_dir: &Path,
    vault_id: &str,
) -> Result<safehold_core::grant::GrantPlan, Error> {
    use safehold_core::ports::KeyVaultAccessApi as _;
    let (clients, principal, required) = grant_context(accounts, data_dir, vault_id).await?;
    let vault = clients.arm.get_key_vault(vault_id).await?;
    let mut plan = safehold_core::grant::plan(&vault, &principal, &required);
    // On an RBAC vault, who holds which role there.
    safehold_core::grant::add_role_holders(&mut plan, clients.arm.as_ref(), clients.arm.as_ref())
        .await?;
    // Names make "who else has access" readable; without them the ids still say it.
    let mut ids: Vec<String> = plan
        .others
        .iter()
        .map(|o| o.object_id.clone())
        .chain(plan.holders.iter().map(|h| h.principal_id.clone()))
        .collect();
    ids.sort();
    ids.dedup();
    if !ids.is_empty() {
        use safehold_core::ports::DirectoryApi as _;
        match clients.graph.names(&ids).await {
            Ok(names) => plan.names = names,
            Err(error) => {
                tracing::warn!(error = %error.chain(), "the names of the key vault's other principals could not be read");
            }
        }
    }
    Ok(plan)
}

/// Grants Backup what it needs on a key vault: one add per vault at a time, read back.
pub async fn grant(
    accounts: &Accounts,
    data_dir: &Path,
    locks: &safehold_core::grant::VaultLocks,
    vault_id: &str,
) -> Result<safehold_core::grant::GrantPlan, Error> {
    let (clients, principal, required) = grant_context(accounts, data_dir, vault_id).await?;
    let done =
        safehold_core::grant::apply(clients.arm.as_ref(), locks, vault_id, &principal, &required)
            .await?;
    tracing::info!(vault = %done.vault_name, change = ?done.change, "Backup's key vault access granted");
    Ok(done)
}

/// The last inventory kept, if any (a damaged file counts as none).
pub fn cached(dir: &Path) -> Option<InventorySnapshot> {
    let bytes = std::fs::read(dir.join(CACHE_FILE)).ok()?;
    serde_json::from_slice(&bytes)
        .inspect_err(|e| tracing::warn!(error = %e, "the kept inventory could not be read"))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_scan_of_the_demo_tenant_is_kept_for_the_next_start() {
        let dir = tempfile::tempdir().unwrap();
        let keyring = safehold_keystore::SecretStore::open(
            Box::new(safehold_keystore::MemoryBackend::new()),
            dir.path().join("overflow"),
        );
        let accounts = Accounts::open(dir.path().to_owned(), keyring, vec![]);
        accounts.ensure_default().await.unwrap();
        assert!(cached(dir.path()).is_none());
        let heard = std::sync::Mutex::new(vec![]);
        let snapshot = scan(&accounts, dir.path(), |p| heard.lock().unwrap().push(p))
            .await
            .unwrap();
        let heard = heard.into_inner().unwrap();
        assert_eq!(heard.len(), 2);
        assert_eq!(heard.last().unwrap().done, 2);
        assert!(snapshot.inventory.vms.iter().any(|v| v.name == "vm-sql-01"));
        assert!(
            snapshot
                .inventory
                .key_vaults
                .iter()
                .any(|k| k.vault.name == "kv-finance-ade")
        );
        assert_eq!(cached(dir.path()), Some(snapshot));
    }
}
