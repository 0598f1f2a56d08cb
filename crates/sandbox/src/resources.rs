//! Handlers for subscriptions and Recovery Services vaults: wire shapes built from the tenant.

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::Shared;
use crate::arm::{ArmError, Page, resource_not_found, subscription_not_found};
use crate::tenant::{RecoveryVaultRecord, SubscriptionRecord};

fn subscription_json(tenant_id: &str, s: &SubscriptionRecord) -> Value {
    json!({
        "id": format!("/subscriptions/{}", s.subscription_id),
        "authorizationSource": "RoleBased",
        "managedByTenants": [],
        "subscriptionId": s.subscription_id,
        "tenantId": tenant_id,
        "displayName": s.display_name,
        "state": s.state,
        "subscriptionPolicies": {
            "locationPlacementId": "Public_2014-09-01",
            "quotaId": "PayAsYouGo_2014-09-01",
            "spendingLimit": "Off"
        }
    })
}

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

fn with_subscription<T>(
    state: &Shared,
    id: &str,
    f: impl FnOnce(&str, &SubscriptionRecord) -> Result<T, ArmError>,
) -> Result<T, ArmError> {
    let tenant = state
        .tenant
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let subscription = tenant
        .subscription(id)
        .ok_or_else(|| subscription_not_found(id))?;
    f(&tenant.tenant_id, subscription)
}

/// `GET /subscriptions`
pub fn list_subscriptions(state: &Shared, base: &str, page: Page) -> Result<Response, ArmError> {
    let tenant = state
        .tenant
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let items = tenant
        .subscriptions
        .iter()
        .map(|s| subscription_json(&tenant.tenant_id, s))
        .collect();
    Ok(page.respond(items, base))
}

/// `GET /subscriptions/{id}`
pub fn get_subscription(state: &Shared, id: &str) -> Result<Response, ArmError> {
    with_subscription(state, id, |tenant_id, s| {
        Ok(Json(subscription_json(tenant_id, s)).into_response())
    })
}

/// `GET {sub}[/resourceGroups/{rg}]/providers/Microsoft.RecoveryServices/vaults`
pub fn list_recovery_vaults(
    state: &Shared,
    subscription_id: &str,
    resource_group: Option<&str>,
    base: &str,
    page: Page,
) -> Result<Response, ArmError> {
    with_subscription(state, subscription_id, |_, s| {
        let items = s
            .recovery_vaults
            .iter()
            .filter(|v| resource_group.is_none_or(|rg| v.resource_group.eq_ignore_ascii_case(rg)))
            .map(|v| vault_json(&s.subscription_id, v))
            .collect();
        Ok(page.respond(items, base))
    })
}

/// `GET {sub}/resourceGroups/{rg}/providers/Microsoft.RecoveryServices/vaults/{name}`
pub fn get_recovery_vault(
    state: &Shared,
    subscription_id: &str,
    resource_group: &str,
    name: &str,
) -> Result<Response, ArmError> {
    with_subscription(state, subscription_id, |_, s| {
        s.recovery_vaults
            .iter()
            .find(|v| {
                v.resource_group.eq_ignore_ascii_case(resource_group)
                    && v.name.eq_ignore_ascii_case(name)
            })
            .map(|v| Json(vault_json(&s.subscription_id, v)).into_response())
            .ok_or_else(|| {
                resource_not_found("Microsoft.RecoveryServices/vaults", name, resource_group)
            })
    })
}
