//! Building the inventory: every subscription's list calls, fanned out with bounded
//! concurrency, then each VM classified and given its readiness verdict, and each key vault
//! behind an encrypted VM checked for Backup's access.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use futures::StreamExt as _;

use safehold_core::ade::{
    Classification, DiskKind, KeyProtection, Permissions, VaultObject, classify,
    missing_permissions, required_permissions,
};
use safehold_core::inventory::{
    FailedJob, KeyVaultRecord, ProtectedVmRecord, RecoveryVault, RoleAssignmentRecord,
    Subscription, VmRecord, join_disks,
};
use safehold_core::ports::{
    AuthorizationApi, ComputeApi, KeyVaultApi, RecoveryServicesApi, RoleAssignmentFilter,
};
use safehold_core::readiness::{Context, VaultAccess, Verdict, assess};
use safehold_core::{Error, Problem, ResourceId, TenantId};

/// The services one subscription's scan reads (each subscription may come from another
/// account). Anything that implements the four ports is one, the Azure client included.
pub trait Clients: Send + Sync {
    /// Azure Compute.
    fn compute(&self) -> &dyn ComputeApi;
    /// Key Vault's management plane.
    fn key_vault(&self) -> &dyn KeyVaultApi;
    /// Role-based access control.
    fn authorization(&self) -> &dyn AuthorizationApi;
    /// Azure Backup's vaults.
    fn recovery_services(&self) -> &dyn RecoveryServicesApi;
}

impl<T> Clients for T
where
    T: ComputeApi + KeyVaultApi + AuthorizationApi + RecoveryServicesApi,
{
    fn compute(&self) -> &dyn ComputeApi {
        self
    }
    fn key_vault(&self) -> &dyn KeyVaultApi {
        self
    }
    fn authorization(&self) -> &dyn AuthorizationApi {
        self
    }
    fn recovery_services(&self) -> &dyn RecoveryServicesApi {
        self
    }
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
    pub problems: Vec<safehold_core::inventory::ReadProblem>,
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
    let (compute, backup) = (clients.compute(), clients.recovery_services());
    let id = subscription.subscription_id.as_str();
    // A vault's protected items and failed jobs need only the vault list, so they are read
    // alongside the VM and disk lists rather than after them: in a subscription with thousands
    // of VMs and protected items, both chains are long.
    let vaults_and_contents = async {
        let recovery_vaults = backup.list_recovery_vaults(id).await?;
        let per_vault = futures::future::try_join_all(recovery_vaults.iter().map(|v| async {
            futures::try_join!(
                backup.list_protected_vms(&v.id),
                backup.list_failed_jobs(&v.id, since)
            )
        }))
        .await?;
        Ok::<_, Error>((recovery_vaults, per_vault))
    };
    let (vms, classic, disks, key_vaults, (recovery_vaults, per_vault)) = futures::try_join!(
        compute.list_vms(id),
        compute.list_classic_vms(id),
        compute.list_disks(id),
        clients.key_vault().list_key_vaults(id),
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
    backup_principal: impl Future<Output = HashMap<TenantId, Option<String>>>,
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
    // Key vaults by their full resource id; a disk that names its vault only by URL is
    // matched by name among the vaults of its own tenant, so two accounts or clouds with a
    // vault of the same name never mix their VMs.
    let mut vaults: HashMap<ResourceId, (KeyVaultRecord, Arc<dyn Clients>, String)> =
        HashMap::new();
    let mut by_name: HashMap<(TenantId, String), ResourceId> = HashMap::new();
    let mut vm_lists = vec![];
    let mut tenants: Vec<TenantId> = vec![];
    for (scan, clients, result) in listed {
        let tenant = scan.subscription.tenant_id.clone();
        inventory.subscriptions.push(scan);
        let Ok(listed) = result else { continue };
        for vault in &listed.key_vaults {
            let id = ResourceId::new(vault.id.as_str());
            by_name.insert(
                (
                    TenantId::new(tenant.as_str()),
                    vault.name.to_ascii_lowercase(),
                ),
                id.clone(),
            );
            vaults.insert(id, (vault.clone(), clients.clone(), tenant.clone()));
        }
        tenants.push(TenantId::new(tenant.as_str()));
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

    // Which key vault a disk's reference is: its resource id, or its name within the tenant.
    let resolve = |object: &VaultObject, tenant: &TenantId| -> Option<ResourceId> {
        match &object.vault_id {
            Some(id) => Some(ResourceId::new(id.as_str())),
            None => by_name
                .get(&(tenant.clone(), object.vault_name.to_ascii_lowercase()))
                .cloned(),
        }
    };
    // What Backup needs on each key vault, from the VMs whose keys it holds.
    let mut needs: BTreeMap<ResourceId, (Permissions, Vec<String>)> = BTreeMap::new();
    let mut classified = vec![];
    let classifications: Vec<Vec<Classification>> = vm_lists
        .iter_mut()
        .map(|l| std::mem::take(&mut l.classifications))
        .collect();
    for (index, (listed, classifications)) in vm_lists.iter().zip(classifications).enumerate() {
        for (vm, classification) in listed.vms.iter().zip(classifications) {
            if let Some(ade) = &classification.ade {
                if let Some(id) = ade
                    .secret
                    .as_ref()
                    .and_then(|o| resolve(o, &tenants[index]))
                {
                    let entry = needs.entry(id).or_default();
                    entry
                        .0
                        .secrets
                        .extend(required_permissions(KeyProtection::BekOnly).secrets);
                    entry.1.push(vm.name.clone());
                }
                if let Some(id) = ade.key.as_ref().and_then(|o| resolve(o, &tenants[index])) {
                    let entry = needs.entry(id).or_default();
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
    for (id, (required, vms)) in needs {
        let Some((vault, clients, tenant)) = vaults.get(&id) else {
            continue;
        };
        let principal = backup_principal
            .get(&TenantId::new(tenant.as_str()))
            .cloned()
            .flatten();
        let (vault, clients) = (vault.clone(), clients.clone());
        checks.push(async move {
            let state = backup_access(&vault, clients.as_ref(), principal, &required).await;
            (
                id,
                InventoryKeyVault {
                    vault,
                    required,
                    backup_access: state,
                    vms,
                },
            )
        });
    }
    let checked: Vec<(ResourceId, InventoryKeyVault)> = futures::stream::iter(checks)
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let mut access: HashMap<ResourceId, BackupAccess> = HashMap::new();
    for (id, vault) in checked {
        access.insert(id, vault.backup_access.clone());
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
            .map(|object| (object.vault_name.clone(), resolve(object, &tenants[index])))
            .collect::<std::collections::BTreeMap<_, _>>()
            .into_iter()
            .map(|(vault, id)| match id.and_then(|id| access.get(&id)) {
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
            .authorization()
            .role_assignments(&vault.id, RoleAssignmentFilter::Principal(&object_id))
            .await
        {
            Ok(assignments) => rbac_access(clients.authorization(), &vault.id, &assignments)
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
    api: &dyn AuthorizationApi,
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
    impl ComputeApi for Fake {
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
    }

    #[async_trait::async_trait]
    impl KeyVaultApi for Fake {
        async fn list_key_vaults(&self, _: &str) -> safehold_core::Result<Vec<KeyVaultRecord>> {
            Ok(self.key_vaults.clone())
        }
        async fn get_key_vault(&self, _: &str) -> safehold_core::Result<KeyVaultRecord> {
            unreachable!("the scan reads vaults from the list")
        }
        async fn add_access_policy(
            &self,
            _: &str,
            _: &safehold_core::inventory::AccessPolicy,
        ) -> safehold_core::Result<()> {
            unreachable!("the scan changes nothing")
        }
    }

    #[async_trait::async_trait]
    impl RecoveryServicesApi for Fake {
        async fn list_recovery_vaults(&self, _: &str) -> safehold_core::Result<Vec<RecoveryVault>> {
            Ok(self.recovery_vaults.clone())
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
    }

    #[async_trait::async_trait]
    impl AuthorizationApi for Fake {
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
        async fn role_assignments(
            &self,
            _: &str,
            _: RoleAssignmentFilter<'_>,
        ) -> safehold_core::Result<Vec<RoleAssignmentRecord>> {
            Ok(vec![])
        }
        async fn assign_role(&self, _: &str, _: &str, _: &str) -> safehold_core::Result<()> {
            unreachable!("the scan changes nothing")
        }
    }

    /// Scans one subscription ("s1" in tenant "t") served by `fake`, with Backup's principal
    /// `backup` in that tenant.
    async fn scan_one(fake: Arc<Fake>, backup: Option<&str>) -> Inventory {
        let clients: Arc<dyn Clients> = fake;
        let subscription = Subscription {
            subscription_id: "s1".to_owned(),
            display_name: "One".to_owned(),
            state: "Enabled".to_owned(),
            tenant_id: "t".to_owned(),
        };
        build(
            vec![subscription],
            &|_| clients.clone(),
            std::future::ready(HashMap::from([("t".into(), backup.map(str::to_owned))])),
            0,
            &|_| {},
        )
        .await
    }

    /// An encrypted VM of subscription `sub` whose BEK is in a vault named `kv`, referenced
    /// by URL only.
    fn vm_with_bek_by_url(sub: &str, name: &str) -> VmRecord {
        use safehold_core::ade::{AgentState, DiskKeys, DiskKind, ExtensionFacts, OsType, VmFacts};
        VmRecord {
            id: format!(
                "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/{name}"
            ),
            name: name.to_owned(),
            subscription_id: sub.to_owned(),
            location: "japaneast".to_owned(),
            facts: VmFacts {
                os: Some(OsType::Windows),
                disks: Some(DiskKind::Managed),
                disk_keys: vec![DiskKeys {
                    secret: Some(VaultObject::new(
                        "https://kv.vault.azure.net/secrets/bek/1",
                        None,
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
        }
    }

    #[tokio::test]
    async fn two_tenants_with_a_vault_of_the_same_name_keep_their_vms_apart() {
        let vault = |sub: &str, granted: bool| KeyVaultRecord {
            id: format!(
                "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"
            ),
            name: "kv".to_owned(),
            subscription_id: sub.to_owned(),
            access_policies: if granted {
                vec![AccessPolicy {
                    object_id: "backup".to_owned(),
                    permissions: Permissions::from_lists([], ["get", "list", "backup"]),
                    ..AccessPolicy::default()
                }]
            } else {
                vec![]
            },
            ..KeyVaultRecord::default()
        };
        use safehold_core::fakes::{FakeAzure, FakeTenant};
        let a: Arc<dyn Clients> = Arc::new(FakeAzure::new(FakeTenant {
            vms: vec![vm_with_bek_by_url("sa", "vm-a")],
            key_vaults: vec![vault("sa", true)],
            ..FakeTenant::default()
        }));
        let b: Arc<dyn Clients> = Arc::new(FakeAzure::new(FakeTenant {
            vms: vec![vm_with_bek_by_url("sb", "vm-b")],
            key_vaults: vec![vault("sb", false)],
            ..FakeTenant::default()
        }));
        let subscription = |id: &str, tenant: &str| Subscription {
            subscription_id: id.to_owned(),
            display_name: id.to_owned(),
            state: "Enabled".to_owned(),
            tenant_id: tenant.to_owned(),
        };
        let inventory = build(
            vec![subscription("sa", "ta"), subscription("sb", "tb")],
            &|s| {
                if s.subscription_id == "sa" {
                    a.clone()
                } else {
                    b.clone()
                }
            },
            std::future::ready(HashMap::from([
                ("ta".into(), Some("backup".to_owned())),
                ("tb".into(), Some("backup".to_owned())),
            ])),
            0,
            &|_| {},
        )
        .await;
        assert_eq!(inventory.key_vaults.len(), 2, "{:?}", inventory.key_vaults);
        let access_of = |vm: &str| {
            let vm = inventory.vms.iter().find(|v| v.name == vm).unwrap();
            vm.verdict
                .as_ref()
                .unwrap()
                .reasons
                .iter()
                .find(|r| r.check == safehold_core::readiness::Check::KeyVaultAccess)
                .unwrap()
                .outcome
        };
        use safehold_core::readiness::Outcome;
        assert_eq!(access_of("vm-a"), Outcome::Pass);
        assert_eq!(access_of("vm-b"), Outcome::Fail);
        let vault_of = |vm: &str| {
            inventory
                .key_vaults
                .iter()
                .find(|k| k.vms.iter().any(|v| v == vm))
                .unwrap()
                .vault
                .subscription_id
                .clone()
        };
        assert_eq!(vault_of("vm-a"), "sa");
        assert_eq!(vault_of("vm-b"), "sb");
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
