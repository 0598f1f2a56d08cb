//! The grant as the app offers it: for a key vault of the inventory on screen, the plan with
//! everyone named, then the change.

use std::sync::Arc;

use safehold_accounts::TenantClients;
use safehold_activity::{ActivityLog, RequestIds};
use safehold_core::activity::{ActivityKind, ActivityOutcome, NewActivity};
use safehold_core::ade::Permissions;
use safehold_core::grant::GrantPlan;
use safehold_core::ports::{DirectoryApi as _, KeyVaultApi as _};
use safehold_core::{Advice, Error, ErrorCode, Problem};
use safehold_inventory::InventoryService;

use crate::VaultLocks;

/// Plans and applies grants on the key vaults of the current inventory, recording each one
/// in the activity log.
pub struct GrantService {
    inventory: Arc<InventoryService>,
    activity: Arc<ActivityLog>,
    locks: VaultLocks,
}

/// What a grant needs to know before it is sent.
struct Context {
    clients: Arc<TenantClients>,
    account: String,
    principal: String,
    required: Permissions,
}

impl GrantService {
    /// Grants on the vaults `inventory` found, each recorded in `activity`.
    pub fn new(inventory: Arc<InventoryService>, activity: Arc<ActivityLog>) -> Self {
        Self {
            inventory,
            activity,
            locks: VaultLocks::default(),
        }
    }

    /// What a grant needs: the vault's clients, Backup's principal there, and what the vault's
    /// VMs need, from the inventory on screen.
    async fn context(&self, vault_id: &str) -> Result<Context, Error> {
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
        Ok(Context {
            clients,
            account,
            principal,
            required: entry.required.clone(),
        })
    }

    /// The grant that would give Backup what it needs on a key vault, shown before it is made.
    pub async fn plan(&self, vault_id: &str) -> Result<GrantPlan, Error> {
        let Context {
            clients,
            principal,
            required,
            ..
        } = self.context(vault_id).await?;
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
    ///
    /// The grant is recorded in the activity log before it is sent (with what Backup has now)
    /// and completed after (with what was applied, or the error); when the log cannot be
    /// written, nothing is sent.
    pub async fn grant(&self, vault_id: &str) -> Result<GrantPlan, Error> {
        let context = self.context(vault_id).await?;
        let vault = context.clients.arm.get_key_vault(vault_id).await?;
        let planned = safehold_core::grant::plan(&vault, &context.principal, &context.required);
        let principal_name = self
            .inventory
            .accounts()
            .view()
            .await
            .accounts
            .into_iter()
            .find(|a| a.id == context.account)
            .map(|a| a.username)
            .unwrap_or_default();
        let entry = self
            .activity
            .begin(NewActivity {
                kind: ActivityKind::Grant,
                account_id: context.account.clone(),
                principal_name,
                target_id: vault.id.clone(),
                target_name: vault.name.clone(),
                before: serde_json::to_string(&planned.change).ok(),
            })
            .await?;
        let result = crate::apply(
            context.clients.arm.as_ref(),
            &self.locks,
            vault_id,
            &context.principal,
            &context.required,
        )
        .await;
        record(&self.activity, &entry, &result).await;
        let done = result?;
        tracing::info!(vault = %done.vault_name, change = ?done.change, "Backup's key vault access granted");
        Ok(done)
    }
}

/// Completes the entry `id` with how a grant ended. A failure to write it is logged: the
/// change was made (or refused) either way, and the entry then stays in flight.
pub(crate) async fn record(log: &ActivityLog, id: &str, result: &Result<GrantPlan, Error>) {
    let (outcome, after, request_id) = match result {
        Ok(done) => (
            ActivityOutcome::Succeeded,
            serde_json::to_string(&done.change).ok(),
            None,
        ),
        Err(error) => (
            ActivityOutcome::Failed {
                error: error.into(),
            },
            None,
            error.request_id.clone(),
        ),
    };
    let ids = RequestIds {
        request_id,
        correlation_id: None,
    };
    if let Err(error) = log.finish(id, &outcome, after, ids).await {
        tracing::warn!(entry = id, error = %error, "a grant's result could not be recorded in the activity log");
    }
}
