//! Building the inventory: every subscription's list calls, fanned out with bounded
//! concurrency, then each VM classified and given its readiness verdict, and each key vault
//! behind an encrypted VM checked for Backup's access.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use futures::StreamExt as _;

use safehold_core::ade::{
    Classification, DiskKind, KeyProtection, Permissions, classify, missing_permissions,
    required_permissions,
};
use safehold_core::inventory::{
    FailedJob, KeyVaultRecord, ProtectedVmRecord, RecoveryVault, RoleAssignmentRecord,
    Subscription, VmRecord, join_disks,
};
use safehold_core::ports::{ArmApi, InventoryApi};
use safehold_core::readiness::{Context, VaultAccess, Verdict, assess};
use safehold_core::{Error, Problem};

/// The clients of one subscription (each subscription may come from another account).
pub trait Clients: Send + Sync {
    /// ARM for the subscription's vaults.
    fn arm(&self) -> Arc<dyn ArmApi>;
    /// The inventory's list calls.
    fn inventory(&self) -> Arc<dyn InventoryApi>;
}

/// One VM of the inventory.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct InventoryVm {
    /// Resource id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Resource group.
    pub resource_group: String,
    /// Subscription id.
    pub subscription_id: String,
    /// Region.
    pub location: String,
    /// How it is encrypted.
    pub classification: Classification,
    /// Its protection, when a vault protects it.
    pub protection: Option<ProtectedVmRecord>,
    /// The readiness verdict, for VMs encrypted with ADE.
    pub verdict: Option<Verdict>,
    /// What could not be read about it.
    pub problems: Vec<String>,
}

/// Backup's access to one key vault, as the inventory found it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum BackupAccess {
    /// Backup has what its VMs need (its access-policy entry).
    Granted,
    /// Backup's roles at the vault grant what it needs (RBAC vault).
    #[serde(rename_all = "camelCase")]
    GrantedByRole {
        /// The role that does (or the roles, joined with " + ", that do together).
        role: String,
    },
    /// These access-policy permissions are missing.
    #[serde(rename_all = "camelCase")]
    Missing {
        /// What to add.
        missing: Permissions,
    },
    /// No role at the vault covers what Backup needs (RBAC vault).
    #[serde(rename_all = "camelCase")]
    RoleMissing {
        /// The roles Backup has there, which fall short.
        roles: Vec<String>,
        /// The data actions none of them grants.
        missing: Vec<String>,
    },
    /// Could not be checked.
    #[serde(rename_all = "camelCase")]
    Unknown {
        /// Why: the failure that stopped the check.
        error: safehold_core::AppError,
    },
}

/// A key vault behind at least one encrypted VM.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct InventoryKeyVault {
    /// The vault.
    pub vault: KeyVaultRecord,
    /// What Backup needs on it, from the VMs whose BEK or KEK it holds.
    pub required: Permissions,
    /// What Backup has.
    pub backup_access: BackupAccess,
    /// Names of the VMs whose keys it holds.
    pub vms: Vec<String>,
}

/// How one subscription's part went.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionScan {
    /// The subscription.
    pub subscription: Subscription,
    /// VMs listed.
    pub vm_count: u32,
    /// The error, when its lists could not be read.
    pub error: Option<safehold_core::AppError>,
}

/// The inventory of the selected subscriptions.
#[derive(
    Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type,
)]
#[serde(rename_all = "camelCase")]
pub struct Inventory {
    /// Every VM, encrypted or not.
    pub vms: Vec<InventoryVm>,
    /// The key vaults behind encrypted VMs.
    pub key_vaults: Vec<InventoryKeyVault>,
    /// Recovery Services vaults.
    pub recovery_vaults: Vec<RecoveryVault>,
    /// Per subscription.
    pub subscriptions: Vec<SubscriptionScan>,
    /// Jobs that failed in the window the scan was given (the app's: [`FAILED_JOBS_DAYS`]
    /// days), newest first.
    pub failed_jobs: Vec<FailedJob>,
}

/// What one subscription's lists returned.
struct Listed {
    vms: Vec<VmRecord>,
    /// Each VM's classification, in the order of `vms`: worked out in the subscription's own
    /// task, while other subscriptions still wait on the network.
    classifications: Vec<Classification>,
    key_vaults: Vec<KeyVaultRecord>,
    recovery_vaults: Vec<RecoveryVault>,
    protected: Vec<ProtectedVmRecord>,
    failed_jobs: Vec<FailedJob>,
}

/// How far back the inventory looks for failed jobs.
pub const FAILED_JOBS_DAYS: i64 = 30;

/// The start of the failed-jobs window for a scan starting now (Unix seconds).
pub fn failed_jobs_since(clock: &dyn safehold_core::clock::Clock) -> i64 {
    clock.unix_seconds() - FAILED_JOBS_DAYS * 86_400
}

/// The service's code when enabling protection of a BEK-only VM on managed disks fails
/// validation: this subscription follows the 2017 support matrix.
pub const BEK_ONLY_REFUSED: &str = "UserErrorBekOnlyEncryptedVmNotSupported";

async fn list_subscription(
    subscription: &Subscription,
    clients: &dyn Clients,
    since: i64,
) -> Result<Listed, Error> {
    let inventory = clients.inventory();
    let arm = clients.arm();
    let id = subscription.subscription_id.as_str();
    // A vault's protected items and failed jobs need only the vault list, so they are read
    // alongside the VM and disk lists rather than after them: in a subscription with thousands
    // of VMs and protected items, both chains are long.
    let vaults_and_contents = async {
        let recovery_vaults = arm.list_recovery_vaults(id).await?;
        let per_vault = futures::future::try_join_all(recovery_vaults.iter().map(|v| async {
            futures::try_join!(
                inventory.list_protected_vms(&v.id),
                inventory.list_failed_jobs(&v.id, since)
            )
        }))
        .await?;
        Ok::<_, Error>((recovery_vaults, per_vault))
    };
    let (vms, classic, disks, key_vaults, (recovery_vaults, per_vault)) = futures::try_join!(
        inventory.list_vms(id),
        inventory.list_classic_vms(id),
        inventory.list_disks(id),
        inventory.list_key_vaults(id),
        vaults_and_contents,
    )?;
    let mut vms = vms;
    join_disks(&mut vms, &disks);
    vms.extend(classic);
    let (mut protected, mut failed_jobs) = (vec![], vec![]);
    for (items, jobs) in per_vault {
        protected.extend(items);
        failed_jobs.extend(jobs);
    }
    let classifications = vms.iter().map(|vm| classify(&vm.facts)).collect();
    Ok(Listed {
        vms,
        classifications,
        key_vaults,
        recovery_vaults,
        protected,
        failed_jobs,
    })
}

/// A spawned task that stops when its handle is dropped, so a cancelled scan stops reading.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Future for AbortOnDrop<T> {
    type Output = Result<T, tokio::task::JoinError>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        std::pin::Pin::new(&mut self.0).poll(cx)
    }
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// At most this many subscriptions are read at once. Each has up to five list chains in
/// flight (VMs, their instance views, disks, key vaults, Recovery Services vaults), and an
/// HTTP/2 connection carries them all, so the bound is on ARM's patience, not on sockets: a
/// tenant of 50 subscriptions is read in one wave, whose length is its longest page chain.
pub const CONCURRENCY: usize = 64;

/// Builds the inventory of `subscriptions`. `clients` gives each subscription's clients;
/// `backup_principal` resolves to the Backup Management Service's object id in each tenant (by
/// tenant id; none when it could not be found): it is awaited alongside the list calls, as only
/// the key-vault checks need it. Jobs that failed since `failed_jobs_since` (Unix seconds) are
/// collected. `progress` is told as each subscription finishes.
pub async fn build(
    subscriptions: Vec<Subscription>,
    clients: &(dyn Fn(&Subscription) -> Arc<dyn Clients> + Sync),
    backup_principal: impl Future<Output = HashMap<String, Option<String>>>,
    failed_jobs_since: i64,
    progress: &(dyn Fn(&SubscriptionScan) + Sync),
) -> Inventory {
    type Done = (SubscriptionScan, Arc<dyn Clients>, Result<Listed, Error>);
    // Boxed: the stream's type is too involved for the compiler to prove it `Send` inside a
    // Tauri command otherwise.
    let listing: futures::future::BoxFuture<'_, Vec<Done>> = Box::pin(
        futures::stream::iter(subscriptions.into_iter().map(|s| {
            let c = clients(&s);
            async move {
                // Each subscription is its own task, so reading its pages (the CPU-heavy part
                // of a scan) spreads over every core while other subscriptions wait on the
                // network.
                let task = {
                    let (s, c) = (s.clone(), c.clone());
                    AbortOnDrop(tokio::spawn(async move {
                        list_subscription(&s, c.as_ref(), failed_jobs_since).await
                    }))
                };
                let result = task.await.unwrap_or_else(|failure| {
                    Err(Error::new(
                        safehold_core::ErrorCode::Internal,
                        Problem::SubscriptionReadStopped,
                    )
                    .with_advice(safehold_core::Advice::ScanAgain)
                    .with_source(failure))
                });
                let scan = SubscriptionScan {
                    vm_count: result
                        .as_ref()
                        .map_or(0, |l| u32::try_from(l.vms.len()).unwrap_or(u32::MAX)),
                    error: result.as_ref().err().map(safehold_core::AppError::from),
                    subscription: s,
                };
                progress(&scan);
                (scan, c, result)
            }
        }))
        .buffer_unordered(CONCURRENCY)
        .collect::<Vec<Done>>(),
    );
    let (listed, backup_principal) = futures::join!(listing, backup_principal);

    // Subscriptions finish in any order; everything below goes in a fixed one, so the same
    // tenant always gives the same inventory.
    let mut listed = listed;
    listed.sort_by(|a, b| {
        a.0.subscription
            .subscription_id
            .cmp(&b.0.subscription.subscription_id)
    });
    let mut inventory = Inventory::default();
    let mut vaults_by_name: HashMap<String, (KeyVaultRecord, Arc<dyn Clients>, String)> =
        HashMap::new();
    let mut vm_lists = vec![];
    for (scan, clients, result) in listed {
        let tenant = scan.subscription.tenant_id.clone();
        inventory.subscriptions.push(scan);
        let Ok(listed) = result else { continue };
        for vault in &listed.key_vaults {
            vaults_by_name.insert(
                vault.name.to_ascii_lowercase(),
                (vault.clone(), clients.clone(), tenant.clone()),
            );
        }
        inventory
            .recovery_vaults
            .extend(listed.recovery_vaults.iter().cloned());
        vm_lists.push(listed);
    }
    inventory.subscriptions.sort_by(|a, b| {
        a.subscription
            .display_name
            .cmp(&b.subscription.display_name)
    });

    // What Backup needs on each key vault, from the VMs whose keys it holds.
    let mut needs: BTreeMap<String, (Permissions, Vec<String>)> = BTreeMap::new();
    let mut classified = vec![];
    let classifications: Vec<Vec<Classification>> = vm_lists
        .iter_mut()
        .map(|l| std::mem::take(&mut l.classifications))
        .collect();
    for (index, (listed, classifications)) in vm_lists.iter().zip(classifications).enumerate() {
        for (vm, classification) in listed.vms.iter().zip(classifications) {
            if let Some(ade) = &classification.ade {
                if let Some(secret) = &ade.secret {
                    // Key vault names are DNS names: compared without case.
                    let entry = needs
                        .entry(secret.vault_name.to_ascii_lowercase())
                        .or_default();
                    entry
                        .0
                        .secrets
                        .extend(required_permissions(KeyProtection::BekOnly).secrets);
                    entry.1.push(vm.name.clone());
                }
                if let Some(key) = &ade.key {
                    let entry = needs
                        .entry(key.vault_name.to_ascii_lowercase())
                        .or_default();
                    let kek = required_permissions(KeyProtection::BekKek);
                    entry.0.keys.extend(kek.keys);
                    // The same VM was just added when its BEK is in this vault too.
                    if entry.1.last() != Some(&vm.name) {
                        entry.1.push(vm.name.clone());
                    }
                }
            }
            classified.push((index, listed, vm, classification));
        }
    }

    // Backup's access to each of those vaults: access policies are read from the list; RBAC
    // vaults need their role assignments (one call per RBAC vault, all at once).
    let mut checks = vec![];
    for (name, (required, vms)) in needs {
        let Some((vault, clients, tenant)) = vaults_by_name.get(&name) else {
            continue;
        };
        let principal = backup_principal.get(tenant).cloned().flatten();
        let (vault, clients) = (vault.clone(), clients.clone());
        checks.push(async move {
            let state = backup_access(&vault, clients.as_ref(), principal, &required).await;
            (
                name,
                InventoryKeyVault {
                    vault,
                    required,
                    backup_access: state,
                    vms,
                },
            )
        });
    }
    let checked: Vec<(String, InventoryKeyVault)> = futures::stream::iter(checks)
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let mut access: HashMap<String, BackupAccess> = HashMap::new();
    for (name, vault) in checked {
        access.insert(name, vault.backup_access.clone());
        inventory.key_vaults.push(vault);
    }

    // Protected items by the lower-cased id of their VM (ARM ids compare without case).
    let protected: HashMap<String, &ProtectedVmRecord> = vm_lists
        .iter()
        .flat_map(|l| &l.protected)
        .map(|p| (p.source_resource_id.to_ascii_lowercase(), p))
        .collect();
    // What each subscription's service answered about BEK-only VMs on managed disks: refused
    // when enabling protection of one failed validation, allowed when one is protected.
    let mut allowed = vec![false; vm_lists.len()];
    for (index, _, vm, c) in &classified {
        if c.disks == Some(DiskKind::Managed)
            && c.ade.as_ref().is_some_and(|a| a.key.is_none())
            && protected.contains_key(vm.id.to_ascii_lowercase().as_str())
        {
            allowed[*index] = true;
        }
    }
    let answers: Vec<Option<bool>> = vm_lists
        .iter()
        .zip(allowed)
        .map(|(listed, allowed)| {
            let refused = listed.failed_jobs.iter().any(|j| {
                j.operation.eq_ignore_ascii_case("ConfigureBackup")
                    && j.error_code.as_deref() == Some(BEK_ONLY_REFUSED)
            });
            match (refused, allowed) {
                (true, _) => Some(false),
                (false, true) => Some(true),
                (false, false) => None,
            }
        })
        .collect();
    for listed in &vm_lists {
        inventory
            .failed_jobs
            .extend(listed.failed_jobs.iter().cloned());
    }
    inventory
        .failed_jobs
        .sort_by(|a, b| b.start_time.cmp(&a.start_time));
    for (index, listed, vm, classification) in classified {
        let bek_only_managed_answer = answers[index];
        let regions: Vec<String> = listed
            .recovery_vaults
            .iter()
            .map(|v| v.location.clone())
            .collect();
        let vault_access: Vec<VaultAccess> = classification
            .ade
            .iter()
            .flat_map(|ade| ade.secret.iter().chain(ade.key.iter()))
            .map(|object| object.vault_name.clone())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .map(|vault| match access.get(&vault.to_ascii_lowercase()) {
                Some(BackupAccess::Granted | BackupAccess::GrantedByRole { .. }) => {
                    VaultAccess::Granted { vault }
                }
                Some(BackupAccess::Missing { missing }) => VaultAccess::Missing {
                    vault,
                    missing: missing.clone(),
                },
                Some(BackupAccess::RoleMissing { .. }) => VaultAccess::MissingRole { vault },
                Some(BackupAccess::Unknown { error }) => VaultAccess::Unknown {
                    vault,
                    error: error.clone(),
                },
                None => VaultAccess::NotFound { vault },
            })
            .collect();
        let protection = protected
            .get(vm.id.to_ascii_lowercase().as_str())
            .map(|p| (*p).clone());
        let verdict = assess(
            &classification,
            &vm.facts,
            &Context {
                location: &vm.location,
                vault_regions: &regions,
                bek_only_managed_answer,
                access: &vault_access,
            },
        );
        inventory.vms.push(InventoryVm {
            id: vm.id.clone(),
            name: vm.name.clone(),
            resource_group: vm.resource_group.clone(),
            subscription_id: vm.subscription_id.clone(),
            location: vm.location.clone(),
            classification,
            protection,
            verdict,
            problems: vm.problems.clone(),
        });
    }
    inventory.vms.sort_by(|a, b| a.name.cmp(&b.name));
    inventory
        .key_vaults
        .sort_by(|a, b| a.vault.name.cmp(&b.vault.name));
    inventory
}

/// Backup's access to one key vault: from its access policies, or for an RBAC vault from the
/// role assignments of Backup's principal at the vault.
async fn backup_access(
    vault: &KeyVaultRecord,
    clients: &dyn Clients,
    principal: Option<String>,
    required: &Permissions,
) -> BackupAccess {
    match principal {
        None => BackupAccess::Unknown {
            error: Error::new(
                safehold_core::ErrorCode::NotFound,
                Problem::BackupPrincipalMissing,
            )
            .with_advice(safehold_core::Advice::RegisterRecoveryServices)
            .into(),
        },
        Some(object_id) if vault.rbac_authorization => match clients
            .inventory()
            .list_role_assignments(&vault.id, &object_id)
            .await
        {
            Ok(assignments) => rbac_access(clients.inventory().as_ref(), &vault.id, &assignments)
                .await
                .unwrap_or_else(|error| BackupAccess::Unknown {
                    error: error.into(),
                }),
            Err(error) => BackupAccess::Unknown {
                error: error.into(),
            },
        },
        Some(object_id) => policy_access(vault, &object_id, required),
    }
}

/// Backup's access on an access-policy vault: its entry's permissions against `required`.
pub fn policy_access(
    vault: &KeyVaultRecord,
    object_id: &str,
    required: &Permissions,
) -> BackupAccess {
    let present = vault
        .access_policies
        .iter()
        .filter(|p| p.object_id.eq_ignore_ascii_case(object_id) && p.application_id.is_none())
        .fold(Permissions::default(), |mut all, p| {
            all.keys.extend(p.permissions.keys.iter().cloned());
            all.secrets.extend(p.permissions.secrets.iter().cloned());
            all
        });
    let missing = missing_permissions(&present, required);
    if missing.is_empty() {
        BackupAccess::Granted
    } else {
        BackupAccess::Missing { missing }
    }
}

/// Backup's access on an RBAC vault, from its role assignments at or above the vault: Key
/// Vault Administrator, or roles (a least-privilege custom role, say) whose data actions cover
/// the five Backup needs. Definitions other than Key Vault Administrator's are read, once each.
pub async fn rbac_access(
    api: &dyn InventoryApi,
    vault_id: &str,
    assignments: &[RoleAssignmentRecord],
) -> Result<BackupAccess, Error> {
    let mut guids: Vec<&str> = assignments
        .iter()
        .filter_map(|a| a.role_definition_id.rsplit('/').next())
        .collect();
    guids.sort_unstable_by_key(|g| g.to_ascii_lowercase());
    guids.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    if guids
        .iter()
        .any(|g| g.eq_ignore_ascii_case(safehold_core::ade::KEY_VAULT_ADMINISTRATOR_ROLE))
    {
        return Ok(BackupAccess::GrantedByRole {
            role: "Key Vault Administrator".to_owned(),
        });
    }
    let roles = futures::future::try_join_all(
        guids
            .iter()
            .map(|guid| api.get_role_definition(vault_id, guid)),
    )
    .await?;
    let blocks: Vec<(&[String], &[String])> = roles
        .iter()
        .map(|r| (r.data_actions.as_slice(), r.not_data_actions.as_slice()))
        .collect();
    let missing = safehold_core::ade::missing_data_actions(&blocks);
    let names: Vec<String> = roles.iter().map(|r| r.name.clone()).collect();
    if missing.is_empty() && !roles.is_empty() {
        // The fewest roles that do it: one alone if one suffices.
        let alone = roles.iter().find(|r| {
            safehold_core::ade::missing_data_actions(&[(
                r.data_actions.as_slice(),
                r.not_data_actions.as_slice(),
            )])
            .is_empty()
        });
        Ok(BackupAccess::GrantedByRole {
            role: alone.map_or_else(|| names.join(" + "), |r| r.name.clone()),
        })
    } else {
        Ok(BackupAccess::RoleMissing {
            roles: names,
            missing,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use safehold_core::inventory::AccessPolicy;

    fn vault(policies: Vec<AccessPolicy>) -> KeyVaultRecord {
        KeyVaultRecord {
            name: "kv".to_owned(),
            access_policies: policies,
            ..KeyVaultRecord::default()
        }
    }

    #[test]
    fn policy_access_counts_only_the_backup_principals_own_entry() {
        let required = required_permissions(KeyProtection::BekKek);
        let other = AccessPolicy {
            object_id: "someone-else".to_owned(),
            permissions: Permissions::from_lists(["all"], ["all"]),
            ..AccessPolicy::default()
        };
        assert_eq!(
            policy_access(&vault(vec![other.clone()]), "backup", &required),
            BackupAccess::Missing {
                missing: required.clone()
            }
        );
        let backup = AccessPolicy {
            object_id: "BACKUP".to_owned(),
            permissions: Permissions::from_lists(
                ["get", "list", "backup"],
                ["get", "list", "backup"],
            ),
            ..AccessPolicy::default()
        };
        assert_eq!(
            policy_access(&vault(vec![other, backup]), "backup", &required),
            BackupAccess::Granted
        );
    }

    /// One subscription served from memory, for the scan's own logic.
    #[derive(Default)]
    struct Fake {
        vms: Vec<VmRecord>,
        key_vaults: Vec<KeyVaultRecord>,
        recovery_vaults: Vec<RecoveryVault>,
        /// When set, the disk list answers only once a vault's protected items were asked for.
        disks_after_protected: Option<tokio::sync::Notify>,
    }

    #[async_trait::async_trait]
    impl ArmApi for Fake {
        async fn list_tenants(
            &self,
        ) -> safehold_core::Result<Vec<safehold_core::inventory::Tenant>> {
            Ok(vec![])
        }
        async fn list_subscriptions(&self) -> safehold_core::Result<Vec<Subscription>> {
            Ok(vec![])
        }
        async fn list_recovery_vaults(&self, _: &str) -> safehold_core::Result<Vec<RecoveryVault>> {
            Ok(self.recovery_vaults.clone())
        }
    }

    #[async_trait::async_trait]
    impl InventoryApi for Fake {
        async fn list_vms(&self, _: &str) -> safehold_core::Result<Vec<VmRecord>> {
            Ok(self.vms.clone())
        }
        async fn list_classic_vms(&self, _: &str) -> safehold_core::Result<Vec<VmRecord>> {
            Ok(vec![])
        }
        async fn list_disks(
            &self,
            _: &str,
        ) -> safehold_core::Result<Vec<safehold_core::inventory::DiskRecord>> {
            if let Some(asked) = &self.disks_after_protected {
                asked.notified().await;
            }
            Ok(vec![])
        }
        async fn list_key_vaults(&self, _: &str) -> safehold_core::Result<Vec<KeyVaultRecord>> {
            Ok(self.key_vaults.clone())
        }
        async fn list_protected_vms(
            &self,
            _: &str,
        ) -> safehold_core::Result<Vec<ProtectedVmRecord>> {
            if let Some(asked) = &self.disks_after_protected {
                asked.notify_one();
            }
            Ok(vec![])
        }
        async fn list_failed_jobs(&self, _: &str, _: i64) -> safehold_core::Result<Vec<FailedJob>> {
            Ok(vec![])
        }
        async fn get_role_definition(
            &self,
            _: &str,
            _: &str,
        ) -> safehold_core::Result<safehold_core::inventory::RoleDefinitionRecord> {
            Err(Error::new(
                safehold_core::ErrorCode::NotFound,
                Problem::ServiceRefused {
                    service: safehold_core::Service::ResourceManager,
                },
            ))
        }
        async fn list_role_assignments(
            &self,
            _: &str,
            _: &str,
        ) -> safehold_core::Result<Vec<RoleAssignmentRecord>> {
            Ok(vec![])
        }
    }

    struct Both(Arc<Fake>);

    impl Clients for Both {
        fn arm(&self) -> Arc<dyn ArmApi> {
            self.0.clone()
        }
        fn inventory(&self) -> Arc<dyn InventoryApi> {
            self.0.clone()
        }
    }

    /// Scans one subscription ("s1" in tenant "t") served by `fake`, with Backup's principal
    /// `backup` in that tenant.
    async fn scan_one(fake: Arc<Fake>, backup: Option<&str>) -> Inventory {
        let clients: Arc<dyn Clients> = Arc::new(Both(fake));
        let subscription = Subscription {
            subscription_id: "s1".to_owned(),
            display_name: "One".to_owned(),
            state: "Enabled".to_owned(),
            tenant_id: "t".to_owned(),
        };
        build(
            vec![subscription],
            &|_| clients.clone(),
            std::future::ready(HashMap::from([("t".to_owned(), backup.map(str::to_owned))])),
            0,
            &|_| {},
        )
        .await
    }

    #[tokio::test]
    async fn a_key_vault_named_in_another_case_is_still_the_same_vault() {
        use safehold_core::ade::{
            AgentState, DiskKeys, DiskKind, ExtensionFacts, OsType, VaultObject, VmFacts,
        };
        let vm = VmRecord {
            id: "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1".to_owned(),
            name: "vm1".to_owned(),
            subscription_id: "s1".to_owned(),
            location: "japaneast".to_owned(),
            facts: VmFacts {
                os: Some(OsType::Windows),
                disks: Some(DiskKind::Managed),
                disk_keys: vec![DiskKeys {
                    secret: Some(VaultObject::new(
                        "https://kv-fin.vault.azure.net/secrets/bek/1",
                        Some("/subscriptions/s1/resourceGroups/RG/providers/Microsoft.KeyVault/vaults/KV-Fin"),
                    )),
                    key: None,
                }],
                disk_states: vec!["EncryptionState/encrypted".to_owned()],
                extensions: vec![ExtensionFacts {
                    kind: "Microsoft.Azure.Security.AzureDiskEncryption".to_owned(),
                    version: "2.2".to_owned(),
                    status: Some("ProvisioningState/succeeded".to_owned()),
                    message: None,
                }],
                agent: AgentState::Ready,
                ..VmFacts::default()
            },
            ..VmRecord::default()
        };
        let backup = AccessPolicy {
            object_id: "backup".to_owned(),
            permissions: Permissions::from_lists([], ["get", "list", "backup"]),
            ..AccessPolicy::default()
        };
        let fake = Arc::new(Fake {
            vms: vec![vm],
            key_vaults: vec![KeyVaultRecord {
                id:
                    "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-fin"
                        .to_owned(),
                name: "kv-fin".to_owned(),
                ..vault(vec![backup])
            }],
            ..Fake::default()
        });
        let inventory = scan_one(fake, Some("backup")).await;
        let verdict = inventory.vms[0].verdict.clone().expect("an encrypted VM");
        let access = verdict
            .reasons
            .iter()
            .find(|r| r.check == safehold_core::readiness::Check::KeyVaultAccess)
            .expect("a key vault check");
        assert_eq!(
            access.outcome,
            safehold_core::readiness::Outcome::Pass,
            "{verdict:?}"
        );
        assert_eq!(inventory.key_vaults[0].backup_access, BackupAccess::Granted);
    }

    /// A subscription's protected items are read while its long VM and disk chains are still
    /// paging, not after them: here the disk list cannot finish until they are asked for.
    #[tokio::test]
    async fn protected_items_are_read_alongside_the_vm_and_disk_lists() {
        let fake = Arc::new(Fake {
            recovery_vaults: vec![RecoveryVault {
                id: "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/rsv".to_owned(),
                name: "rsv".to_owned(),
                location: "japaneast".to_owned(),
                resource_group: "rg".to_owned(),
                subscription_id: "s1".to_owned(),
                sku: None,
                provisioning_state: None,
                storage_redundancy: None,
            }],
            disks_after_protected: Some(tokio::sync::Notify::new()),
            ..Fake::default()
        });
        let inventory =
            tokio::time::timeout(std::time::Duration::from_secs(10), scan_one(fake, None))
                .await
                .expect("the disk list waited for protected items that were never asked for");
        assert!(inventory.subscriptions[0].error.is_none());
        assert_eq!(inventory.recovery_vaults.len(), 1);
    }
}
