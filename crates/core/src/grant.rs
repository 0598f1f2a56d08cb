//! Granting the Backup Management Service what it needs on a key vault.
//!
//! The change is shown before it is made: the one entry that is added (as a diff against what
//! the principal has) or the one role assignment, and who else has access, untouched. It is
//! applied with `accessPolicies/add` only — never a vault PUT or PATCH that carries the whole
//! policy list, which would drop entries written by someone else meanwhile — one write per
//! vault at a time, retried while the service reports a conflicting write, then read back.

use crate::ade::{KEY_VAULT_ADMINISTRATOR_ROLE, Permissions, missing_permissions};
use crate::inventory::{AccessPolicy, DirectoryName, KeyVaultRecord};

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
pub fn role_guid(role_definition_id: &str) -> &str {
    role_definition_id
        .rsplit('/')
        .next()
        .unwrap_or(role_definition_id)
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
}
