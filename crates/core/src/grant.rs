//! Granting the Backup Management Service what it needs on a key vault.
//!
//! The change is shown before it is made: the one entry that is added (as a diff against what
//! the principal has) or the one role assignment, and who else has access, untouched. It is
//! applied with `accessPolicies/add` only — never a vault PUT or PATCH that carries the whole
//! policy list, which would drop entries written by someone else meanwhile — one write per
//! vault at a time, retried while the service reports a conflicting write, then read back.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::ade::{KEY_VAULT_ADMINISTRATOR_ROLE, Permissions, missing_permissions};
use crate::inventory::{AccessPolicy, DirectoryName, KeyVaultRecord};
use crate::ports::{InventoryApi, KeyVaultAccessApi};
use crate::{Error, ErrorCode};

/// What a grant will change.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum GrantChange {
    /// Add these permissions to Backup's access-policy entry.
    #[serde(rename_all = "camelCase")]
    AccessPolicy {
        /// What Backup has now.
        before: Permissions,
        /// What is added.
        add: Permissions,
        /// What Backup will have.
        after: Permissions,
    },
    /// Assign Key Vault Administrator at the vault's scope.
    #[serde(rename_all = "camelCase")]
    RoleAssignment {
        /// The role's GUID.
        role_definition: String,
        /// The role's name.
        role_name: String,
        /// The roles Backup holds at the vault now, by name (filled in by [`add_role_holders`]).
        before: Vec<String>,
    },
    /// Backup already has what it needs.
    Nothing,
}

/// A grant, shown before it is applied.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct GrantPlan {
    /// The key vault.
    pub vault_id: String,
    /// Its name.
    pub vault_name: String,
    /// The Backup Management Service's object id in the vault's tenant.
    pub principal_id: String,
    /// The change.
    pub change: GrantChange,
    /// Every other access-policy entry, which the grant leaves as it is.
    pub others: Vec<AccessPolicy>,
    /// On an RBAC vault: everyone else's roles there, which the grant leaves as they are
    /// (filled in by [`add_role_holders`]).
    pub holders: Vec<RoleHolder>,
    /// Who those entries and holders are, as far as the directory could say (filled in by
    /// the caller; an id missing here is shown as it is).
    pub names: Vec<DirectoryName>,
}

/// A role someone holds on an RBAC key vault.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct RoleHolder {
    /// Who holds it.
    pub principal_id: String,
    /// The role's name, or its GUID when its definition could not be read.
    pub role: String,
    /// Where it was assigned.
    pub scope: String,
    /// Assigned above the vault (its resource group, subscription or a management group) and
    /// inherited by it.
    pub inherited: bool,
}

/// Plans the grant of `required` to `principal_id` on `vault`.
pub fn plan(vault: &KeyVaultRecord, principal_id: &str, required: &Permissions) -> GrantPlan {
    let mine = |p: &AccessPolicy| {
        p.object_id.eq_ignore_ascii_case(principal_id) && p.application_id.is_none()
    };
    let others = vault
        .access_policies
        .iter()
        .filter(|p| !mine(p))
        .cloned()
        .collect();
    let change = if vault.rbac_authorization {
        GrantChange::RoleAssignment {
            role_definition: KEY_VAULT_ADMINISTRATOR_ROLE.to_owned(),
            role_name: KEY_VAULT_ADMINISTRATOR.to_owned(),
            before: vec![],
        }
    } else {
        let before = vault.access_policies.iter().filter(|p| mine(p)).fold(
            Permissions::default(),
            |mut all, p| {
                all.keys.extend(p.permissions.keys.iter().cloned());
                all.secrets.extend(p.permissions.secrets.iter().cloned());
                all
            },
        );
        let add = missing_permissions(&before, required);
        if add.is_empty() {
            GrantChange::Nothing
        } else {
            let mut after = before.clone();
            after.keys.extend(add.keys.iter().cloned());
            after.secrets.extend(add.secrets.iter().cloned());
            GrantChange::AccessPolicy { before, add, after }
        }
    };
    GrantPlan {
        vault_id: vault.id.clone(),
        vault_name: vault.name.clone(),
        principal_id: principal_id.to_owned(),
        change,
        others,
        holders: vec![],
        names: vec![],
    }
}

/// The name of the role a grant assigns on an RBAC key vault.
pub const KEY_VAULT_ADMINISTRATOR: &str = "Key Vault Administrator";

/// The last segment of a role definition's id: the role's GUID.
fn role_guid(role_definition_id: &str) -> &str {
    role_definition_id
        .rsplit('/')
        .next()
        .unwrap_or(role_definition_id)
}

/// For a role grant on an RBAC vault: reads every role assignment that applies at the vault,
/// names each role (one read per role), and puts Backup's own roles in the change's `before`
/// and everyone else's in `holders`. Other plans are left as they are.
pub async fn add_role_holders(
    plan: &mut GrantPlan,
    access: &dyn KeyVaultAccessApi,
    roles: &dyn InventoryApi,
) -> Result<(), Error> {
    if !matches!(plan.change, GrantChange::RoleAssignment { .. }) {
        return Ok(());
    }
    let vault_id = plan.vault_id.clone();
    let assignments = access.role_assignments(&vault_id).await?;
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

/// Applies a planned grant: re-plans against the vault as it is now (someone may have changed
/// it since the preview), adds Backup's entry, retrying conflicts, and reads the vault back
/// to check that Backup has what it needs and every other entry is as it was.
pub async fn apply(
    api: &dyn KeyVaultAccessApi,
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
                assigned = api.role_assignments(&vault.id).await?.iter().any(|a| {
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
                    format!(
                        "The role assignment on {} was accepted, but reading the vault's assignments back does not show it yet.",
                        vault.name
                    ),
                )
                .with_suggestion("Wait a minute and refresh; role assignments can take a few minutes to appear."));
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
            format!(
                "The grant on {} was accepted, but reading the vault back does not show it yet.",
                vault.name
            ),
        )
        .with_suggestion("Wait a minute and refresh; if it still shows as missing, grant again."));
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
    use crate::ade::{KeyProtection, required_permissions};

    fn vault(rbac: bool, policies: Vec<AccessPolicy>) -> KeyVaultRecord {
        KeyVaultRecord {
            id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"
                .to_owned(),
            name: "kv".to_owned(),
            tenant_id: "t".to_owned(),
            rbac_authorization: rbac,
            access_policies: policies,
            ..KeyVaultRecord::default()
        }
    }

    fn entry(object: &str, keys: &[&str], secrets: &[&str]) -> AccessPolicy {
        AccessPolicy {
            tenant_id: "t".to_owned(),
            object_id: object.to_owned(),
            application_id: None,
            permissions: Permissions::from_lists(keys.iter().copied(), secrets.iter().copied()),
        }
    }

    #[test]
    fn the_plan_adds_only_what_is_missing_and_lists_the_others_untouched() {
        let v = vault(
            false,
            vec![
                entry("ops", &["all"], &["all"]),
                entry("backup", &["get"], &["get", "list"]),
            ],
        );
        let p = plan(&v, "backup", &required_permissions(KeyProtection::BekKek));
        assert_eq!(p.others, vec![entry("ops", &["all"], &["all"])]);
        let GrantChange::AccessPolicy { before, add, after } = p.change else {
            panic!("{:?}", p.change)
        };
        assert_eq!(before, Permissions::from_lists(["get"], ["get", "list"]));
        assert_eq!(add, Permissions::from_lists(["backup", "list"], ["backup"]));
        assert_eq!(after, required_permissions(KeyProtection::BekKek));
    }

    #[test]
    fn rbac_vaults_get_a_role_and_satisfied_vaults_nothing() {
        let p = plan(
            &vault(true, vec![]),
            "backup",
            &required_permissions(KeyProtection::BekOnly),
        );
        assert!(matches!(p.change, GrantChange::RoleAssignment { .. }));
        let done = vault(
            false,
            vec![entry("backup", &[], &["get", "list", "backup"])],
        );
        let p = plan(
            &done,
            "backup",
            &required_permissions(KeyProtection::BekOnly),
        );
        assert_eq!(p.change, GrantChange::Nothing);
    }

    /// An RBAC vault whose role assignments do not show the new one yet.
    struct Lagging {
        assigned: std::sync::Mutex<Vec<String>>,
        reads: std::sync::Mutex<u32>,
        /// From this read on, the assignments made are listed.
        listed_from: u32,
    }

    #[async_trait::async_trait]
    impl KeyVaultAccessApi for Lagging {
        async fn get_key_vault(&self, _: &str) -> Result<KeyVaultRecord, Error> {
            Ok(vault(true, vec![]))
        }
        async fn add_access_policy(&self, _: &str, _: &AccessPolicy) -> Result<(), Error> {
            unreachable!("an RBAC vault takes no access policies")
        }
        async fn role_assignments(
            &self,
            _: &str,
        ) -> Result<Vec<crate::inventory::RoleAssignmentRecord>, Error> {
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
                .map(|role| crate::inventory::RoleAssignmentRecord {
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
