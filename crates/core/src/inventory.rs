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
