//! The resources Safehold lists: tenants, subscriptions and Recovery Services vaults so far.

/// An Azure subscription the signed-in principal can see.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    /// The subscription's GUID.
    pub subscription_id: String,
    /// Its display name.
    pub display_name: String,
    /// `Enabled`, `Disabled`, `Warned`, `PastDue` or `Deleted`.
    pub state: String,
    /// The tenant the subscription belongs to.
    pub tenant_id: String,
}

/// An Entra ID directory (tenant) the signed-in identity can use, its home one or one it is a
/// guest in.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Tenant {
    /// The directory's GUID.
    pub tenant_id: String,
    /// Its display name.
    pub display_name: String,
    /// Its default domain (`contoso.onmicrosoft.com`).
    pub default_domain: String,
}

/// A Recovery Services vault, where Azure Backup keeps recovery points.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct RecoveryVault {
    /// Full ARM resource id.
    pub id: String,
    /// Vault name.
    pub name: String,
    /// Azure region.
    pub location: String,
    /// Resource group, read from the id.
    pub resource_group: String,
    /// Subscription, read from the id.
    pub subscription_id: String,
    /// SKU name (`RS0` or `Standard`).
    pub sku: Option<String>,
    /// ARM provisioning state.
    pub provisioning_state: Option<String>,
    /// Backup storage redundancy (`LocallyRedundant`, `ZoneRedundant`, `GeoRedundant`).
    pub storage_redundancy: Option<String>,
}

/// A VM as the inventory's list calls describe it: its model and instance view, joined.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VmRecord {
    /// Full resource id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Resource group, from the id.
    pub resource_group: String,
    /// Subscription, from the id.
    pub subscription_id: String,
    /// Region.
    pub location: String,
    /// What classification and readiness read.
    pub facts: crate::ade::VmFacts,
    /// Managed disk ids (OS disk first), to join with the subscription's disks.
    pub managed_disk_ids: Vec<String>,
    /// What could not be read about this VM.
    pub problems: Vec<ReadProblem>,
}

/// A managed disk's ADE references (`encryptionSettingsCollection`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DiskRecord {
    /// Full resource id.
    pub id: String,
    /// Its BEK and KEK references, when encrypted with ADE.
    pub keys: Option<crate::ade::DiskKeys>,
}

/// An access-policy entry of a key vault.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct AccessPolicy {
    /// The principal's tenant.
    pub tenant_id: String,
    /// The principal's object id.
    pub object_id: String,
    /// For compound identities, the application.
    pub application_id: Option<String>,
    /// Its key and secret permissions.
    pub permissions: crate::ade::Permissions,
}

/// A key vault, from the subscription's list.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct KeyVaultRecord {
    /// Full resource id.
    pub id: String,
    /// Name (global).
    pub name: String,
    /// Resource group, from the id.
    pub resource_group: String,
    /// Subscription, from the id.
    pub subscription_id: String,
    /// Region.
    pub location: String,
    /// The tenant whose principals its policies name.
    pub tenant_id: String,
    /// Azure RBAC instead of access policies.
    pub rbac_authorization: bool,
    /// `enabledForDiskEncryption`, which ADE needs.
    pub enabled_for_disk_encryption: bool,
    /// Its access policies (ignored by the service when RBAC is on).
    pub access_policies: Vec<AccessPolicy>,
}

/// A VM Azure Backup protects, from a vault's protected items.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ProtectedVmRecord {
    /// The VM's resource id.
    pub source_resource_id: String,
    /// The Recovery Services vault's resource id.
    pub vault_id: String,
    /// Its backup policy.
    pub policy_name: Option<String>,
    /// When the last backup ran (ISO 8601).
    pub last_backup_time: Option<String>,
    /// `Completed`, `Failed`, …
    pub last_backup_status: Option<String>,
    /// `Passed`, `ActionRequired`, …
    pub health_status: Option<String>,
    /// `Protected`, `ProtectionStopped`, …
    pub protection_state: Option<String>,
}

/// A backup, restore or protection job that failed, from a vault's job list.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct FailedJob {
    /// The job's resource id.
    pub id: String,
    /// The Recovery Services vault's resource id.
    pub vault_id: String,
    /// The VM it was for, as the job names it.
    pub vm_name: String,
    /// `Backup`, `Restore`, `ConfigureBackup`, …
    pub operation: String,
    /// When it started (ISO 8601).
    pub start_time: String,
    /// The service's error code (`UserErrorKeyvaultPermissionsNotConfigured`, …), when given.
    pub error_code: Option<String>,
    /// The service's message.
    pub error_message: Option<String>,
    /// What the service recommends.
    pub recommendation: Option<String>,
}

/// A role definition: its name and the data actions it grants and denies.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct RoleDefinitionRecord {
    /// The role's GUID.
    pub id: String,
    /// Its name (`Key Vault Administrator`, or a custom role's).
    pub name: String,
    /// `dataActions` of every permission block.
    pub data_actions: Vec<String>,
    /// `notDataActions` of every permission block.
    pub not_data_actions: Vec<String>,
}

/// What a directory object is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub enum DirectoryKind {
    /// A person.
    User,
    /// A security group.
    Group,
    /// An application's or a managed identity's service principal.
    ServicePrincipal,
    /// Anything else the directory holds.
    Other,
}

/// A user, group or principal of the directory, by object id.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct DirectoryName {
    /// Object id.
    pub id: String,
    /// Its display name.
    pub display_name: String,
    /// What it is.
    pub kind: DirectoryKind,
}

/// A role assignment at a key vault's scope (or inherited there).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct RoleAssignmentRecord {
    /// The role definition's resource id (its last segment is the role's GUID).
    pub role_definition_id: String,
    /// Who it is assigned to.
    pub principal_id: String,
    /// Where.
    pub scope: String,
}

/// Adds each managed disk's ADE references to the facts of the VM it belongs to.
pub fn join_disks(vms: &mut [VmRecord], disks: &[DiskRecord]) {
    let by_id: std::collections::HashMap<String, &DiskRecord> = disks
        .iter()
        .map(|d| (d.id.to_ascii_lowercase(), d))
        .collect();
    for vm in vms {
        for id in &vm.managed_disk_ids {
            if let Some(keys) = by_id
                .get(&id.to_ascii_lowercase())
                .and_then(|d| d.keys.clone())
            {
                vm.facts.disk_keys.push(keys);
            }
        }
    }
}

/// The segment after `key` in an ARM resource id, compared case-insensitively as ARM does.
pub fn resource_id_segment<'a>(id: &'a str, key: &str) -> Option<&'a str> {
    let mut parts = id.split('/').filter(|p| !p.is_empty());
    while let Some(part) = parts.next() {
        if part.eq_ignore_ascii_case(key) {
            return parts.next();
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::resource_id_segment;

    #[test]
    fn resource_id_segments_are_found_whatever_the_casing() {
        let id = "/Subscriptions/1111/resourcegroups/rg-backup/providers/Microsoft.RecoveryServices/vaults/v1";
        assert_eq!(resource_id_segment(id, "subscriptions"), Some("1111"));
        assert_eq!(resource_id_segment(id, "resourceGroups"), Some("rg-backup"));
        assert_eq!(resource_id_segment(id, "vaults"), Some("v1"));
        assert_eq!(resource_id_segment(id, "disks"), None);
        assert_eq!(resource_id_segment("/subscriptions", "subscriptions"), None);
    }
}

/// Something about an item the service described oddly: the item is kept, and the UI says what
/// could not be read.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "id", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum ReadProblem {
    /// The item came without a resource id.
    NoId,
    /// An OS type Safehold does not know.
    UnknownOsType {
        /// As the service wrote it.
        value: String,
    },
    /// The OS disk is neither a managed disk nor a VHD.
    UnknownDiskKind,
    /// The VM's instance view was not in the list of instance views.
    NoInstanceView,
    /// The item's shape could not be read; the reader's detail is kept for support.
    UnreadableShape {
        /// What the reader said (a field name and what it expected).
        detail: String,
    },
}
