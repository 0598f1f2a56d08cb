//! The Recovery Services vault itself (create, read, list) and how a request finds the vault it
//! addresses: [`VaultPath`] builds ids under a vault, the lookups answer ARM's not-found errors.

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::VaultRequest;
use super::failures::REDUNDANCY_LOCKED;
use super::protection::container_name;
use crate::Shared;
use crate::arm::{ArmError, Page, resource_not_found, subscription_not_found};
use crate::tenant::{RecoveryVaultRecord, SubscriptionRecord, Tenant};

fn vault_json(subscription_id: &str, v: &RecoveryVaultRecord) -> Value {
    json!({
        "id": format!(
            "/subscriptions/{subscription_id}/resourceGroups/{}/providers/Microsoft.RecoveryServices/vaults/{}",
            v.resource_group, v.name
        ),
        "name": v.name,
        "type": "Microsoft.RecoveryServices/vaults",
        "location": v.location,
        "tags": v.tags,
        "etag": format!("W/\"datetime'{}'\"", v.created.replace(':', "%3A")),
        "sku": { "name": "RS0", "tier": "Standard" },
        "properties": {
            "provisioningState": "Succeeded",
            "privateEndpointStateForBackup": "None",
            "privateEndpointStateForSiteRecovery": "None",
            "publicNetworkAccess": "Enabled",
            "backupStorageVersion": "V2",
            "redundancySettings": {
                "standardTierStorageRedundancy": v.storage_redundancy,
                "crossRegionRestore": "Disabled"
            },
            "securitySettings": {
                "softDeleteSettings": {
                    "softDeleteState": "Enabled",
                    "softDeleteRetentionPeriodInDays": 14,
                    "enhancedSecurityState": "Enabled"
                }
            },
            "secureScore": "Minimum"
        }
    })
}

/// The names that make up a vault's resource id.
pub(crate) struct VaultPath<'a> {
    pub(crate) sub: &'a str,
    pub(crate) rg: &'a str,
    pub(crate) vault: &'a str,
}

impl VaultPath<'_> {
    pub(crate) fn id(&self) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.RecoveryServices/vaults/{}",
            self.sub, self.rg, self.vault
        )
    }

    pub(crate) fn item_id(&self, rg: &str, vm: &str) -> String {
        format!(
            "{}/backupFabrics/Azure/protectionContainers/IaasVMContainer;{}/protectedItems/VM;{}",
            self.id(),
            container_name(rg, vm),
            container_name(rg, vm)
        )
    }
}

/// The vault a request addresses, for a change.
pub(crate) fn vault_mut<'a>(
    sub: &'a mut SubscriptionRecord,
    r: &VaultRequest<'_>,
) -> Result<&'a mut RecoveryVaultRecord, ArmError> {
    sub.recovery_vaults
        .iter_mut()
        .find(|v| {
            v.resource_group.eq_ignore_ascii_case(r.resource_group)
                && v.name.eq_ignore_ascii_case(r.vault)
        })
        .ok_or_else(|| {
            resource_not_found(
                "Microsoft.RecoveryServices/vaults",
                r.vault,
                r.resource_group,
            )
        })
}

/// The position of subscription `id` in the tenant.
pub(crate) fn subscription_index(tenant: &Tenant, id: &str) -> Result<usize, ArmError> {
    tenant
        .subscriptions
        .iter()
        .position(|s| s.subscription_id.eq_ignore_ascii_case(id))
        .ok_or_else(|| subscription_not_found(id))
}

pub(crate) fn find_vault<'a>(
    sub: &'a SubscriptionRecord,
    rg: &str,
    name: &str,
) -> Result<&'a RecoveryVaultRecord, ArmError> {
    sub.recovery_vaults
        .iter()
        .find(|v| v.resource_group.eq_ignore_ascii_case(rg) && v.name.eq_ignore_ascii_case(name))
        .ok_or_else(|| resource_not_found("Microsoft.RecoveryServices/vaults", name, rg))
}

/// Runs `f` on the vault under the read lock.
pub(crate) fn read(
    state: &Shared,
    r: &VaultRequest<'_>,
    f: impl FnOnce(
        &VaultPath<'_>,
        &SubscriptionRecord,
        &RecoveryVaultRecord,
    ) -> Result<Response, ArmError>,
) -> Result<Response, ArmError> {
    let tenant = state.tenant();
    let sub = tenant
        .subscription(r.subscription)
        .ok_or_else(|| subscription_not_found(r.subscription))?;
    let vault = find_vault(sub, r.resource_group, r.vault)?;
    let v = VaultPath {
        sub: &sub.subscription_id,
        rg: &vault.resource_group,
        vault: &vault.name,
    };
    f(&v, sub, vault)
}

/// `GET {sub}[/resourceGroups/{rg}]/providers/Microsoft.RecoveryServices/vaults`
pub fn list_recovery_vaults(
    sub: &SubscriptionRecord,
    resource_group: Option<&str>,
    base: &str,
    page: Page,
) -> Response {
    let items = sub
        .recovery_vaults
        .iter()
        .filter(|v| resource_group.is_none_or(|rg| v.resource_group.eq_ignore_ascii_case(rg)))
        .map(|v| vault_json(&sub.subscription_id, v))
        .collect();
    page.respond(items, base)
}

/// `GET {sub}/resourceGroups/{rg}/providers/Microsoft.RecoveryServices/vaults/{name}`
pub fn get_recovery_vault(
    sub: &SubscriptionRecord,
    resource_group: &str,
    name: &str,
) -> Result<Response, ArmError> {
    sub.recovery_vaults
        .iter()
        .find(|v| {
            v.resource_group.eq_ignore_ascii_case(resource_group)
                && v.name.eq_ignore_ascii_case(name)
        })
        .map(|v| Json(vault_json(&sub.subscription_id, v)).into_response())
        .ok_or_else(|| {
            resource_not_found("Microsoft.RecoveryServices/vaults", name, resource_group)
        })
}

/// `PUT {sub}/resourceGroups/{rg}/providers/Microsoft.RecoveryServices/vaults/{name}`: create a
/// vault (201, with `DefaultPolicy`) or update one (200). The storage redundancy is set before
/// anything is protected; afterwards it cannot change.
pub fn put_recovery_vault(
    state: &Shared,
    subscription: &str,
    rg: &str,
    name: &str,
    body: &[u8],
) -> Result<Response, ArmError> {
    let bad =
        |message: String| ArmError::new(axum::http::StatusCode::BAD_REQUEST, "BadRequest", message);
    let body: Value = serde_json::from_slice(body)
        .map_err(|e| bad(format!("The request body is not a vault: {e}.")))?;
    let location = body["location"]
        .as_str()
        .ok_or_else(|| bad("'location' is required.".to_owned()))?
        .to_ascii_lowercase();
    let sku = body["sku"]["name"].as_str().unwrap_or("RS0");
    if !sku.eq_ignore_ascii_case("RS0") && !sku.eq_ignore_ascii_case("Standard") {
        return Err(bad(format!(
            "sku.name must be 'RS0' or 'Standard', not '{sku}'."
        )));
    }
    let redundancy =
        body["properties"]["redundancySettings"]["standardTierStorageRedundancy"].as_str();
    if let Some(r) = redundancy
        && !["LocallyRedundant", "ZoneRedundant", "GeoRedundant"].contains(&r)
    {
        return Err(bad(format!(
            "'{r}' is not a storage redundancy: use LocallyRedundant, ZoneRedundant or GeoRedundant."
        )));
    }
    let valid_name = (2..=50).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !valid_name {
        return Err(ArmError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "InvalidResourceName",
            format!(
                "'{name}' is not a valid vault name: 2 to 50 letters, digits and dashes, starting with a letter."
            ),
        ));
    }
    let mut tenant = state.tenant_mut();
    let sub = tenant
        .subscription_mut(subscription)
        .ok_or_else(|| subscription_not_found(subscription))?;
    if !sub
        .resource_groups
        .iter()
        .any(|g| g.name.eq_ignore_ascii_case(rg))
    {
        return Err(ArmError::new(
            axum::http::StatusCode::NOT_FOUND,
            "ResourceGroupNotFound",
            format!("Resource group '{rg}' could not be found."),
        ));
    }
    let existing = sub.recovery_vaults.iter().position(|v| {
        v.resource_group.eq_ignore_ascii_case(rg) && v.name.eq_ignore_ascii_case(name)
    });
    let status = match existing {
        Some(i) => {
            let vault = &mut sub.recovery_vaults[i];
            if let Some(r) = redundancy
                && r != vault.storage_redundancy
            {
                if !vault.protected_items.is_empty() {
                    return Err(REDUNDANCY_LOCKED.error());
                }
                vault.storage_redundancy = r.to_owned();
            }
            axum::http::StatusCode::OK
        }
        None => {
            let mut vault = crate::seed::new_recovery_vault(
                rg,
                name,
                &location,
                redundancy.unwrap_or("GeoRedundant"),
            );
            vault.created = time::OffsetDateTime::now_utc()
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default();
            sub.recovery_vaults.push(vault);
            axum::http::StatusCode::CREATED
        }
    };
    let json = sub
        .recovery_vaults
        .iter()
        .find(|v| v.resource_group.eq_ignore_ascii_case(rg) && v.name.eq_ignore_ascii_case(name))
        .map(|v| vault_json(&sub.subscription_id, v))
        .unwrap_or_default();
    state.persist(&tenant)?;
    Ok((status, Json(json)).into_response())
}
