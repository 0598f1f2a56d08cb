//! The grant as the app offers it: for a key vault of the inventory on screen, the plan with
//! everyone named, then the change.

use std::sync::Arc;

use safehold_accounts::TenantClients;
use safehold_core::ade::Permissions;
use safehold_core::grant::GrantPlan;
use safehold_core::ports::{DirectoryApi as _, KeyVaultApi as _};
use safehold_core::{Advice, Error, ErrorCode, Problem};
use safehold_inventory::InventoryService;

use crate::VaultLocks;

/// Plans and applies grants on the key vaults of the current inventory.
pub struct GrantService {
    inventory: Arc<InventoryService>,
    locks: VaultLocks,
}

impl GrantService {
    /// Grants on the vaults `inventory` found.
    pub fn new(inventory: Arc<InventoryService>) -> Self {
        Self {
            inventory,
            locks: VaultLocks::default(),
        }
    }

    /// What a grant needs: the vault's clients, Backup's principal there, and what the vault's
    /// VMs need, from the inventory on screen.
    async fn context(
        &self,
        vault_id: &str,
    ) -> Result<(Arc<TenantClients>, String, Permissions), Error> {
        let stale = || {
            Error::new(ErrorCode::NotFound, Problem::VaultNotInInventory)
                .with_advice(Advice::RefreshInventoryThenGrant)
        };
        let snapshot = self.inventory.current().await.ok_or_else(stale)?;
        let entry = snapshot
            .inventory
            .key_vaults
            .iter()
            .find(|k| k.vault.id.eq_ignore_ascii_case(vault_id))
            .ok_or_else(stale)?;
        let accounts = self.inventory.accounts();
        let subscription = &entry.vault.subscription_id;
        if accounts.owner_of(subscription).await.is_none() {
            accounts.subscriptions().await?;
        }
        let (account, tenant) = accounts.owner_of(subscription).await.ok_or_else(stale)?;
        let clients = accounts.clients(&account, &tenant).await?;
        let app_id = clients.cloud.backup_app_id.clone().ok_or_else(|| {
            Error::new(ErrorCode::Unavailable, Problem::BackupAppIdUnpublished)
                .with_advice(Advice::GrantInPortal)
        })?;
        let principal = clients
            .graph
            .service_principal_by_app_id(&app_id)
            .await?
            .ok_or_else(|| {
                Error::new(ErrorCode::NotFound, Problem::BackupPrincipalMissing)
                    .with_advice(Advice::RegisterRecoveryServices)
            })?;
        Ok((clients, principal, entry.required.clone()))
    }

    /// The grant that would give Backup what it needs on a key vault, shown before it is made.
    pub async fn plan(&self, vault_id: &str) -> Result<GrantPlan, Error> {
        let (clients, principal, required) = self.context(vault_id).await?;
        let vault = clients.arm.get_key_vault(vault_id).await?;
        let mut plan = safehold_core::grant::plan(&vault, &principal, &required);
        // On an RBAC vault, who holds which role there.
        crate::add_role_holders(&mut plan, clients.arm.as_ref()).await?;
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
    pub async fn grant(&self, vault_id: &str) -> Result<GrantPlan, Error> {
        let (clients, principal, required) = self.context(vault_id).await?;
        let done = crate::apply(
            clients.arm.as_ref(),
            &self.locks,
            vault_id,
            &principal,
            &required,
        )
        .await?;
        tracing::info!(vault = %done.vault_name, change = ?done.change, "Backup's key vault access granted");
        Ok(done)
    }
}
