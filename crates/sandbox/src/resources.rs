//! Handlers for subscriptions and resource groups: wire shapes built from the tenant.
//! Recovery Services vaults are in `recovery_services::vaults`.

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::Shared;
use crate::arm::{ArmError, Page, subscription_not_found};
use crate::tenant::{ResourceGroupRecord, SubscriptionRecord};

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

/// `GET /subscriptions`: those of the token's directory.
pub fn list_subscriptions(
    state: &Shared,
    tid: &str,
    oid: &str,
    base: &str,
    page: Page,
) -> Result<Response, ArmError> {
    let tenant = state.tenant();
    let no_access = tenant
        .users
        .iter()
        .any(|u| u.no_subscription_access && u.object_id.eq_ignore_ascii_case(oid));
    let items = tenant
        .subscriptions
        .iter()
        .filter(|_| !no_access)
        .filter(|s| tenant.directory_of(s).eq_ignore_ascii_case(tid))
        .map(|s| subscription_json(tenant.directory_of(s), s))
        .collect();
    Ok(page.respond(items, base))
}

/// `GET /tenants`: the directories the caller can sign in to, guest directories included.
pub fn tenants_of(state: &Shared, object_id: &str) -> Value {
    let tenant = state.tenant();
    let value: Vec<Value> = tenant
        .directories_of(object_id)
        .into_iter()
        .map(|(id, name, domain)| {
            let mut domains = vec![domain.clone()];
            if id == tenant.tenant_id {
                domains.push("contoso.com".to_owned());
            }
            json!({
                "id": format!("/tenants/{id}"),
                "tenantId": id,
                "tenantCategory": "Home",
                "countryCode": "JP",
                "displayName": name,
                "domains": domains,
                "defaultDomain": domain,
                "tenantType": "AAD"
            })
        })
        .collect();
    json!({ "value": value })
}

/// `GET /subscriptions/{id}`
pub fn get_subscription(state: &Shared, id: &str) -> Result<Response, ArmError> {
    let tenant = state.tenant();
    let s = tenant
        .subscription(id)
        .ok_or_else(|| subscription_not_found(id))?;
    Ok(Json(subscription_json(tenant.directory_of(s), s)).into_response())
}

fn group_json(sub: &SubscriptionRecord, g: &ResourceGroupRecord) -> Value {
    json!({
        "id": format!("/subscriptions/{}/resourceGroups/{}", sub.subscription_id, g.name),
        "name": g.name,
        "type": "Microsoft.Resources/resourceGroups",
        "location": g.location,
        "properties": { "provisioningState": "Succeeded" }
    })
}

/// `GET {sub}/resourcegroups`
pub fn list_resource_groups(sub: &SubscriptionRecord, base: &str, page: Page) -> Response {
    page.respond(
        sub.resource_groups
            .iter()
            .map(|g| group_json(sub, g))
            .collect(),
        base,
    )
}

/// `GET {sub}/resourcegroups/{rg}`
pub fn get_resource_group(sub: &SubscriptionRecord, name: &str) -> Result<Response, ArmError> {
    sub.resource_groups
        .iter()
        .find(|g| g.name.eq_ignore_ascii_case(name))
        .map(|g| Json(group_json(sub, g)).into_response())
        .ok_or_else(|| {
            ArmError::new(
                axum::http::StatusCode::NOT_FOUND,
                "ResourceGroupNotFound",
                format!("Resource group '{name}' could not be found."),
            )
        })
}
