//! Applying a planned grant: one writer per vault at a time, conflicts waited out, the result
//! read back before the grant is called done.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use safehold_core::ade::Permissions;
use safehold_core::grant::{GrantChange, GrantPlan, RoleHolder, plan, role_guid};
use safehold_core::inventory::AccessPolicy;
use safehold_core::ports::{AuthorizationApi, KeyVaultApi, RoleAssignmentFilter};
use safehold_core::{Advice, Error, ErrorCode, Problem};

/// For a role grant on an RBAC vault: reads every role assignment that applies at the vault,
/// names each role (one read per role), and puts Backup's own roles in the change's `before`
/// and everyone else's in `holders`. Other plans are left as they are.
pub async fn add_role_holders(
    plan: &mut GrantPlan,
    roles: &dyn AuthorizationApi,
) -> Result<(), Error> {
    if !matches!(plan.change, GrantChange::RoleAssignment { .. }) {
        return Ok(());
    }
    let vault_id = plan.vault_id.clone();
    let assignments = roles
        .role_assignments(&vault_id, RoleAssignmentFilter::Everyone)
        .await?;
    let mut guids: Vec<String> = assignments
        .iter()
        .map(|a| role_guid(&a.role_definition_id).to_ascii_lowercase())
        .collect();
    guids.sort();
    guids.dedup();
    let scope = vault_id.as_str();
    let named = guids.into_iter().map(|guid| async move {
        let name = match roles.get_role_definition(scope, &guid).await {
            Ok(definition) => definition.name,
            Err(error) => {
                tracing::debug!(role = %guid, error = %error.chain(), "a role's name could not be read");
                guid.clone()
            }
        };
        (guid, name)
    });
    let names: HashMap<String, String> =
        futures::future::join_all(named).await.into_iter().collect();
    let vault = vault_id.trim_end_matches('/').to_ascii_lowercase();
    let mut mine = vec![];
    for assignment in assignments {
        let guid = role_guid(&assignment.role_definition_id).to_ascii_lowercase();
        let role = names.get(&guid).cloned().unwrap_or(guid);
        if assignment
            .principal_id
            .eq_ignore_ascii_case(&plan.principal_id)
        {
            mine.push(role);
        } else {
            plan.holders.push(RoleHolder {
                inherited: assignment.scope.trim_end_matches('/').to_ascii_lowercase() != vault,
                principal_id: assignment.principal_id,
                role,
                scope: assignment.scope,
            });
        }
    }
    mine.sort();
    mine.dedup();
    if let GrantChange::RoleAssignment { before, .. } = &mut plan.change {
        *before = mine;
    }
    plan.holders.sort_by(|a, b| {
        (a.inherited, &a.role, &a.principal_id).cmp(&(b.inherited, &b.role, &b.principal_id))
    });
    Ok(())
}

/// One writer per vault at a time, across every grant in the process.
#[derive(Default)]
pub struct VaultLocks(std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>);

impl VaultLocks {
    fn lock_for(&self, vault_id: &str) -> Arc<tokio::sync::Mutex<()>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(vault_id.to_ascii_lowercase())
            .or_default()
            .clone()
    }
}

/// How often a new role assignment is looked for before the grant says it is not listed yet,
/// and how long between looks.
const ROLE_READ_BACK_TRIES: u32 = 5;
const ROLE_READ_BACK_PAUSE: Duration = Duration::from_secs(1);

/// How often a conflicting write is waited out, and how long between tries.
pub const CONFLICT_RETRIES: u32 = 8;
const CONFLICT_PAUSE: Duration = Duration::from_millis(400);

/// What a grant writes through: the vault's access policies, and role assignments.
pub trait GrantApi: KeyVaultApi + AuthorizationApi {}

impl<T: KeyVaultApi + AuthorizationApi> GrantApi for T {}

/// Applies a planned grant: re-plans against the vault as it is now (someone may have changed
/// it since the preview), adds Backup's entry, retrying conflicts, and reads the vault back
/// to check that Backup has what it needs and every other entry is as it was.
pub async fn apply(
    api: &dyn GrantApi,
    locks: &VaultLocks,
    vault_id: &str,
    principal_id: &str,
    required: &Permissions,
) -> Result<GrantPlan, Error> {
    let lock = locks.lock_for(vault_id);
    let _held = lock.lock().await;
    let vault = api.get_key_vault(vault_id).await?;
    let planned = plan(&vault, principal_id, required);
    match &planned.change {
        GrantChange::Nothing => return Ok(planned),
        GrantChange::RoleAssignment {
            role_definition, ..
        } => {
            api.assign_role(&vault.id, role_definition, principal_id)
                .await?;
            // Read back: the assignment must be listed before the grant is called done. A new
            // assignment can take a moment to be listed, so the list is read a few times.
            let mut assigned = false;
            for attempt in 0..ROLE_READ_BACK_TRIES {
                if attempt > 0 {
                    tokio::time::sleep(ROLE_READ_BACK_PAUSE).await;
                }
                let listed = api
                    .role_assignments(&vault.id, RoleAssignmentFilter::Everyone)
                    .await?;
                assigned = listed.iter().any(|a| {
                    a.principal_id.eq_ignore_ascii_case(principal_id)
                        && role_guid(&a.role_definition_id).eq_ignore_ascii_case(role_definition)
                });
                if assigned {
                    break;
                }
            }
            if !assigned {
                return Err(Error::new(
                    ErrorCode::Conflict,
                    Problem::RoleAssignmentNotListedYet {
                        vault: vault.name.clone(),
                    },
                )
                .with_advice(Advice::WaitForRoleAssignment));
            }
            return Ok(planned);
        }
        GrantChange::AccessPolicy { after, .. } => {
            let entry = AccessPolicy {
                tenant_id: vault.tenant_id.clone(),
                object_id: principal_id.to_owned(),
                application_id: None,
                permissions: after.clone(),
            };
            let mut attempt = 0;
            loop {
                match api.add_access_policy(&vault.id, &entry).await {
                    Ok(()) => break,
                    Err(error)
                        if error.code == ErrorCode::Conflict && attempt < CONFLICT_RETRIES =>
                    {
                        attempt += 1;
                        tracing::debug!(vault = %vault.name, attempt, "another policy write is in progress; waiting");
                        tokio::time::sleep(CONFLICT_PAUSE * attempt).await;
                    }
                    Err(error) => return Err(error),
                }
            }
        }
    }
    let after = api.get_key_vault(vault_id).await?;
    let check = plan(&after, principal_id, required);
    if check.change != GrantChange::Nothing {
        return Err(Error::new(
            ErrorCode::Conflict,
            Problem::GrantNotVisibleYet {
                vault: vault.name.clone(),
            },
        )
        .with_advice(Advice::WaitThenGrantAgain));
    }
    // The service changed only Backup's entry; a difference in the others means someone else
    // wrote meanwhile, which is theirs to know about, not an error of this grant.
    if check.others != planned.others {
        tracing::info!(vault = %vault.name, "other principals' entries changed during the grant (another writer)");
    }
    Ok(planned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use safehold_core::ade::{KEY_VAULT_ADMINISTRATOR_ROLE, KeyProtection, required_permissions};
    use safehold_core::inventory::KeyVaultRecord;

    fn vault(rbac: bool) -> KeyVaultRecord {
        KeyVaultRecord {
            id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"
                .to_owned(),
            name: "kv".to_owned(),
            tenant_id: "t".to_owned(),
            rbac_authorization: rbac,
            ..KeyVaultRecord::default()
        }
    }

    #[tokio::test]
    async fn an_access_policy_grant_adds_backups_entry_and_leaves_the_others() {
        use safehold_core::fakes::{FakeAzure, FakeTenant};
        let others = AccessPolicy {
            tenant_id: "t".to_owned(),
            object_id: "ops".to_owned(),
            application_id: None,
            permissions: Permissions::from_lists(["all"], ["all"]),
        };
        let azure = FakeAzure::new(FakeTenant {
            key_vaults: vec![KeyVaultRecord {
                access_policies: vec![others.clone()],
                ..vault(false)
            }],
            ..FakeTenant::default()
        });
        let id = vault(false).id;
        let done = apply(
            &azure,
            &VaultLocks::default(),
            &id,
            "backup",
            &required_permissions(KeyProtection::BekKek),
        )
        .await
        .unwrap();
        assert!(matches!(done.change, GrantChange::AccessPolicy { .. }));
        let after = &azure.tenant().key_vaults[0];
        assert_eq!(after.access_policies[0], others);
        assert_eq!(after.access_policies.len(), 2);
        // Only ever added, and read back once.
        assert_eq!(azure.calls("add_access_policy"), 1);
        assert_eq!(azure.calls("get_key_vault"), 2);
    }

    #[tokio::test]
    async fn a_refused_write_is_the_services_error_and_nothing_changes() {
        use safehold_core::fakes::{FakeAzure, FakeTenant};
        let azure = FakeAzure::new(FakeTenant {
            key_vaults: vec![vault(false)],
            ..FakeTenant::default()
        });
        azure.fail("add_access_policy", || {
            Error::new(
                ErrorCode::Forbidden,
                Problem::ServiceRefused {
                    service: safehold_core::Service::KeyVault,
                },
            )
        });
        let error = apply(
            &azure,
            &VaultLocks::default(),
            &vault(false).id,
            "backup",
            &required_permissions(KeyProtection::BekOnly),
        )
        .await
        .unwrap_err();
        assert_eq!(error.code, ErrorCode::Forbidden);
        assert!(azure.tenant().key_vaults[0].access_policies.is_empty());
    }

    /// An RBAC vault whose role assignments do not show the new one yet.
    struct Lagging {
        assigned: std::sync::Mutex<Vec<String>>,
        reads: std::sync::Mutex<u32>,
        /// From this read on, the assignments made are listed.
        listed_from: u32,
    }

    #[async_trait::async_trait]
    impl KeyVaultApi for Lagging {
        async fn list_key_vaults(&self, _: &str) -> Result<Vec<KeyVaultRecord>, Error> {
            Ok(vec![vault(true)])
        }
        async fn get_key_vault(&self, _: &str) -> Result<KeyVaultRecord, Error> {
            Ok(vault(true))
        }
        async fn add_access_policy(&self, _: &str, _: &AccessPolicy) -> Result<(), Error> {
            unreachable!("an RBAC vault takes no access policies")
        }
    }

    #[async_trait::async_trait]
    impl AuthorizationApi for Lagging {
        async fn get_role_definition(
            &self,
            _: &str,
            _: &str,
        ) -> Result<safehold_core::inventory::RoleDefinitionRecord, Error> {
            unreachable!("a grant names no roles")
        }
        async fn role_assignments(
            &self,
            _: &str,
            _: RoleAssignmentFilter<'_>,
        ) -> Result<Vec<safehold_core::inventory::RoleAssignmentRecord>, Error> {
            let mut reads = self.reads.lock().unwrap();
            *reads += 1;
            if *reads < self.listed_from {
                return Ok(vec![]);
            }
            Ok(self
                .assigned
                .lock()
                .unwrap()
                .iter()
                .map(|role| safehold_core::inventory::RoleAssignmentRecord {
                    role_definition_id: format!(
                        "/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/{role}"
                    ),
                    principal_id: "BACKUP".to_owned(),
                    scope:
                        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"
                            .to_owned(),
                })
                .collect())
        }
        async fn assign_role(&self, _: &str, role: &str, _: &str) -> Result<(), Error> {
            self.assigned.lock().unwrap().push(role.to_owned());
            Ok(())
        }
    }

    /// A role grant on a vault whose assignments are listed from read `listed_from` on.
    async fn grant_on_lagging(listed_from: u32) -> (Lagging, Result<GrantPlan, Error>) {
        let api = Lagging {
            assigned: std::sync::Mutex::new(vec![]),
            reads: std::sync::Mutex::new(0),
            listed_from,
        };
        let result = apply(
            &api,
            &VaultLocks::default(),
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv",
            "backup",
            &required_permissions(KeyProtection::BekOnly),
        )
        .await;
        (api, result)
    }

    #[tokio::test(start_paused = true)]
    async fn a_role_grant_is_done_only_when_reading_the_assignments_back_shows_it() {
        let (api, result) = grant_on_lagging(u32::MAX).await;
        let error = result.unwrap_err();
        assert_eq!(error.code, ErrorCode::Conflict);
        assert_eq!(
            *api.assigned.lock().unwrap(),
            [KEY_VAULT_ADMINISTRATOR_ROLE]
        );
        // It looked several times before saying so.
        assert_eq!(*api.reads.lock().unwrap(), ROLE_READ_BACK_TRIES);
    }

    #[tokio::test(start_paused = true)]
    async fn a_role_grant_waits_for_the_new_assignment_to_be_listed() {
        let (api, result) = grant_on_lagging(3).await;
        let done = result.unwrap();
        assert!(matches!(done.change, GrantChange::RoleAssignment { .. }));
        assert_eq!(*api.reads.lock().unwrap(), 3);
    }
}
