//! Storage accounts (`Microsoft.Storage/storageAccounts`, shapes of api-version 2023-05-01):
//! list, get, create, delete and `checkNameAvailability`.
//!
//! Accounts are the staging accounts of restores; their blobs are served by [`crate::blob`],
//! path-style, so `primaryEndpoints.blob` is `{blob endpoint}/{account}/`. A create is
//! long-running as the service's is: a new account answers 202 with `Location` (no body), is
//! `Creating` until the operation ends, and the `Location` URL answers 202 until then and the
//! account afterwards. Names are global across the tenant. Only the blob endpoint is advertised,
//! as it is the only storage service the sandbox serves. Error codes the spec leaves undescribed
//! (`AccountNameInvalid`, `StorageAccountAlreadyTaken`) are the ones the service is known to send.

use axum::Json;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::Shared;
use crate::arm::{ArmError, Page, resource_not_found, subscription_not_found};
use crate::tenant::{StorageAccountRecord, SubscriptionRecord};

/// The kinds the service accepts.
const KINDS: &[&str] = &[
    "Storage",
    "StorageV2",
    "BlobStorage",
    "FileStorage",
    "BlockBlobStorage",
];

/// The SKU names of this api-version.
const SKUS: &[&str] = &[
    "Standard_LRS",
    "Standard_GRS",
    "Standard_RAGRS",
    "Standard_ZRS",
    "Premium_LRS",
    "Premium_ZRS",
    "Standard_GZRS",
    "Standard_RAGZRS",
];

const TYPE: &str = "Microsoft.Storage/storageAccounts";

/// Whether `name` follows the service's rule: 3 to 24 lower-case letters and digits.
pub(crate) fn valid_name(name: &str) -> bool {
    (3..=24).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
}

fn name_invalid_message(name: &str) -> String {
    format!("'{name}' cannot name a storage account: use 3 to 24 lower-case letters and digits.")
}

fn taken(state: &Shared, name: &str) -> bool {
    state
        .tenant()
        .subscriptions
        .iter()
        .flat_map(|s| &s.storage_accounts)
        .any(|a| a.name.eq_ignore_ascii_case(name))
}

/// The region paired with `location`, where geo-redundant accounts keep their copy.
fn paired_region(location: &str) -> &'static str {
    match location {
        "japaneast" => "japanwest",
        "japanwest" => "japaneast",
        "eastus" => "westus",
        "eastus2" => "centralus",
        "westus" => "eastus",
        "centralus" => "eastus2",
        "westeurope" => "northeurope",
        "northeurope" => "westeurope",
        _ => "eastus",
    }
}

fn is_geo_redundant(sku: &str) -> bool {
    let sku = sku.to_ascii_uppercase();
    sku.ends_with("_GRS") || sku.ends_with("_RAGRS") || sku.contains("GZRS")
}

/// The account's ARM shape.
pub(crate) fn account_json(
    state: &Shared,
    sub: &SubscriptionRecord,
    a: &StorageAccountRecord,
) -> Value {
    let now = crate::token::now();
    let mut properties = json!({
        "provisioningState": if a.ready_at > now { "Creating" } else { "Succeeded" },
        "primaryEndpoints": { "blob": format!("{}/{}/", state.blob_endpoint, a.name) },
        "primaryLocation": a.location,
        "statusOfPrimary": "available",
        "encryption": {
            "services": {
                "blob": { "enabled": true, "keyType": "Account" },
                "file": { "enabled": true, "keyType": "Account" }
            },
            "keySource": "Microsoft.Storage"
        },
        "supportsHttpsTrafficOnly": true,
        "allowBlobPublicAccess": false,
        "minimumTlsVersion": "TLS1_2",
        "networkAcls": {
            "bypass": "AzureServices",
            "defaultAction": if a.network_rules_deny { "Deny" } else { "Allow" },
            "ipRules": [],
            "virtualNetworkRules": []
        }
    });
    if !a.created.is_empty() {
        properties["creationTime"] = json!(a.created);
    }
    if let Some(tier) = &a.access_tier {
        properties["accessTier"] = json!(tier);
    }
    if is_geo_redundant(&a.sku) {
        properties["secondaryLocation"] = json!(paired_region(&a.location));
        properties["statusOfSecondary"] = json!("available");
    }
    json!({
        "id": format!(
            "/subscriptions/{}/resourceGroups/{}/providers/{TYPE}/{}",
            sub.subscription_id, a.resource_group, a.name
        ),
        "name": a.name,
        "type": TYPE,
        "location": a.location,
        "tags": a.tags,
        "sku": { "name": a.sku, "tier": a.sku_tier() },
        "kind": a.kind,
        "properties": properties
    })
}

/// `GET {sub}[/resourceGroups/{rg}]/providers/Microsoft.Storage/storageAccounts`
pub(crate) fn list(
    state: &Shared,
    sub: &SubscriptionRecord,
    rg: Option<&str>,
    base: &str,
    page: Page,
) -> Result<Response, ArmError> {
    if let Some(rg) = rg {
        sub.require_group(rg)?;
    }
    let accounts = sub
        .storage_accounts
        .iter()
        .filter(|a| rg.is_none_or(|rg| a.resource_group.eq_ignore_ascii_case(rg)));
    Ok(Json(page.render(accounts, |a| account_json(state, sub, a), base)).into_response())
}

/// Whether `a` is the account named `name` in `rg`.
fn is_account(a: &StorageAccountRecord, rg: &str, name: &str) -> bool {
    a.resource_group.eq_ignore_ascii_case(rg) && a.name.eq_ignore_ascii_case(name)
}

fn find<'a>(
    sub: &'a SubscriptionRecord,
    rg: &str,
    name: &str,
) -> Result<&'a StorageAccountRecord, ArmError> {
    sub.storage_accounts
        .iter()
        .find(|a| is_account(a, rg, name))
        .ok_or_else(|| resource_not_found(TYPE, name, rg))
}

/// `GET {sa}`
pub(crate) fn get(
    state: &Shared,
    sub: &SubscriptionRecord,
    rg: &str,
    name: &str,
) -> Result<Response, ArmError> {
    find(sub, rg, name).map(|a| Json(account_json(state, sub, a)).into_response())
}

/// `POST {sub}/providers/Microsoft.Storage/checkNameAvailability`: 200 whether or not the name is
/// free.
pub(crate) fn check_name_availability(state: &Shared, body: &[u8]) -> Result<Response, ArmError> {
    let body = parse_json(body)?;
    let name = body["name"].as_str().unwrap_or_default();
    if !body["type"]
        .as_str()
        .is_some_and(|t| t.eq_ignore_ascii_case(TYPE))
    {
        return Err(ArmError::new(
            StatusCode::BAD_REQUEST,
            "InvalidRequestPropertyValue",
            format!("'type' must be '{TYPE}'."),
        ));
    }
    let answer = if !valid_name(name) {
        json!({ "nameAvailable": false, "reason": "AccountNameInvalid", "message": name_invalid_message(name) })
    } else if taken(state, name) {
        json!({
            "nameAvailable": false,
            "reason": "AlreadyExists",
            "message": format!("Storage account names are global, and {name} is in use.")
        })
    } else {
        json!({ "nameAvailable": true })
    };
    Ok(Json(answer).into_response())
}

/// What a create or update asks for.
struct Wanted {
    location: String,
    sku: String,
    kind: String,
    access_tier: Option<String>,
    network_rules_deny: bool,
    tags: std::collections::BTreeMap<String, String>,
}

fn bad(message: String) -> ArmError {
    ArmError::new(
        StatusCode::BAD_REQUEST,
        "InvalidRequestPropertyValue",
        message,
    )
}

/// The access tier `tier` names, in the service's spelling.
fn access_tier(tier: &str) -> Result<String, ArmError> {
    ["Hot", "Cool", "Cold"]
        .iter()
        .find(|t| t.eq_ignore_ascii_case(tier))
        .map(|t| (*t).to_owned())
        .ok_or_else(|| {
            bad(format!(
                "'{tier}' is not an access tier: use Hot, Cool or Cold."
            ))
        })
}

/// Refuses a kind change other than an upgrade to StorageV2.
fn only_upgrade(from: &str, to: &str) -> Result<(), ArmError> {
    if from.eq_ignore_ascii_case(to) || to.eq_ignore_ascii_case("StorageV2") {
        Ok(())
    } else {
        Err(bad(format!(
            "An account of kind {from} can only be upgraded to StorageV2."
        )))
    }
}

fn parse_json(body: &[u8]) -> Result<Value, ArmError> {
    serde_json::from_slice(body).map_err(|e| {
        ArmError::new(
            StatusCode::BAD_REQUEST,
            "InvalidRequestContent",
            format!("The request body is not valid JSON: {e}."),
        )
    })
}

fn parse_wanted(body: &[u8]) -> Result<Wanted, ArmError> {
    let body = parse_json(body)?;
    let required = |value: &Value, what: &str| {
        value.as_str().map(str::to_owned).ok_or_else(|| {
            ArmError::new(
                StatusCode::BAD_REQUEST,
                "MissingRequiredProperty",
                format!("The request body needs '{what}'."),
            )
        })
    };
    let location = required(&body["location"], "location")?.to_ascii_lowercase();
    let sku = required(&body["sku"]["name"], "sku.name")?;
    let kind = required(&body["kind"], "kind")?;
    let sku = SKUS
        .iter()
        .find(|s| s.eq_ignore_ascii_case(&sku))
        .ok_or_else(|| {
            bad(format!(
                "'{sku}' is not a storage SKU: use one of {}.",
                SKUS.join(", ")
            ))
        })?
        .to_string();
    let kind = KINDS
        .iter()
        .find(|k| k.eq_ignore_ascii_case(&kind))
        .ok_or_else(|| {
            bad(format!(
                "'{kind}' is not a storage account kind: use one of {}.",
                KINDS.join(", ")
            ))
        })?
        .to_string();
    let premium = sku.starts_with("Premium");
    if matches!(kind.as_str(), "FileStorage" | "BlockBlobStorage") && !premium {
        return Err(bad(format!("Accounts of kind {kind} need a Premium SKU.")));
    }
    if kind == "BlobStorage" && premium {
        return Err(bad(
            "Accounts of kind BlobStorage need a Standard SKU.".to_owned()
        ));
    }
    let properties = &body["properties"];
    let tiered = !premium && matches!(kind.as_str(), "StorageV2" | "BlobStorage");
    let access_tier = match properties["accessTier"].as_str() {
        Some(tier) if tiered => Some(access_tier(tier)?),
        None if tiered => Some("Hot".to_owned()),
        None if premium && kind == "StorageV2" => None,
        Some(tier) => {
            return Err(bad(format!(
                "Accounts of kind {kind} with SKU {sku} have no access tier; remove accessTier '{tier}'."
            )));
        }
        None => None,
    };
    let network_rules_deny = properties["networkAcls"]["defaultAction"]
        .as_str()
        .is_some_and(|a| a.eq_ignore_ascii_case("Deny"));
    let tags = serde_json::from_value(body["tags"].clone()).unwrap_or_default();
    Ok(Wanted {
        location,
        sku,
        kind,
        access_tier,
        network_rules_deny,
        tags,
    })
}

/// `PUT {sa}`: a new account answers 202 with `Location`; the same account again answers 200
/// with its (updated) body.
pub(crate) fn create(
    state: &Shared,
    subscription: &str,
    rg: &str,
    name: &str,
    api_version: &str,
    body: &[u8],
) -> Result<Response, ArmError> {
    if !valid_name(name) {
        return Err(ArmError::new(
            StatusCode::BAD_REQUEST,
            "AccountNameInvalid",
            name_invalid_message(name),
        ));
    }
    let wanted = parse_wanted(body)?;
    let now = crate::token::now();
    let mut tenant = state.tenant_mut();
    let taken_elsewhere = tenant.subscriptions.iter().any(|s| {
        s.storage_accounts.iter().any(|a| {
            a.name.eq_ignore_ascii_case(name)
                && !(s.subscription_id.eq_ignore_ascii_case(subscription)
                    && is_account(a, rg, name))
        })
    });
    let sub = tenant
        .subscription_mut(subscription)
        .ok_or_else(|| subscription_not_found(subscription))?;
    sub.require_group(rg)?;
    if taken_elsewhere {
        return Err(ArmError::new(
            StatusCode::CONFLICT,
            "StorageAccountAlreadyTaken",
            format!("Storage account names are global, and {name} is in use."),
        ));
    }
    if let Some(existing) = sub
        .storage_accounts
        .iter_mut()
        .find(|a| is_account(a, rg, name))
    {
        if !existing.location.eq_ignore_ascii_case(&wanted.location) {
            return Err(ArmError::new(
                StatusCode::CONFLICT,
                "InvalidResourceLocation",
                format!(
                    "Resource group '{rg}' already has a resource named '{name}', in region '{}'; it cannot move to '{}', so choose another name.",
                    existing.location, wanted.location
                ),
            ));
        }
        only_upgrade(&existing.kind, &wanted.kind)?;
        existing.sku = wanted.sku;
        existing.kind = wanted.kind;
        existing.access_tier = wanted.access_tier;
        existing.network_rules_deny = wanted.network_rules_deny;
        existing.tags = wanted.tags;
        return written(state, &tenant, subscription, rg, name);
    }
    let operation = uuid::Uuid::new_v4().to_string();
    let location = wanted.location.clone();
    let group = sub.group_name(rg);
    sub.storage_accounts.push(StorageAccountRecord {
        resource_group: group,
        name: name.to_owned(),
        location: wanted.location,
        sku: wanted.sku,
        kind: wanted.kind,
        access_tier: wanted.access_tier,
        network_rules_deny: wanted.network_rules_deny,
        created: crate::recovery_services::rfc3339(now),
        tags: wanted.tags,
        ready_at: now + i64::try_from(state.lro_retry_after_secs.min(1)).unwrap_or(1),
        operation: Some(operation.clone()),
        blobs: vec![],
    });
    let sub_id = sub.subscription_id.clone();
    state.persist(&tenant)?;
    drop(tenant);
    let poll = operation_url(state, &sub_id, &location, &operation, api_version);
    Ok(crate::recovery_services::accepted(state, Some(&poll), None))
}

/// `PATCH {sa}` (StorageAccounts_Update): tags, SKU (not to or from the zone-redundant and
/// premium SKUs, which need a migration), kind (only an upgrade to StorageV2), access tier and
/// network rules; what the body leaves out stays.
pub(crate) fn update(
    state: &Shared,
    subscription: &str,
    rg: &str,
    name: &str,
    body: &[u8],
) -> Result<Response, ArmError> {
    let body = parse_json(body)?;
    let mut tenant = state.tenant_mut();
    let sub = tenant
        .subscription_mut(subscription)
        .ok_or_else(|| subscription_not_found(subscription))?;
    let account = sub
        .storage_accounts
        .iter_mut()
        .find(|a| is_account(a, rg, name))
        .ok_or_else(|| resource_not_found(TYPE, name, rg))?;
    let mut changed = account.clone();
    if let Some(sku) = body["sku"]["name"].as_str() {
        let sku = SKUS
            .iter()
            .find(|s| s.eq_ignore_ascii_case(sku))
            .ok_or_else(|| bad(format!("'{sku}' is not a storage SKU.")))?;
        let fixed = |s: &str| matches!(s, "Standard_ZRS" | "Premium_LRS" | "Premium_ZRS");
        if *sku != changed.sku && (fixed(sku) || fixed(&changed.sku)) {
            return Err(bad(format!(
                "The SKU cannot change from {} to {sku} by an update; migrate the account instead.",
                changed.sku
            )));
        }
        (*sku).clone_into(&mut changed.sku);
    }
    if let Some(kind) = body["kind"].as_str() {
        only_upgrade(&changed.kind, kind)?;
        if kind.eq_ignore_ascii_case("StorageV2") && changed.kind != "StorageV2" {
            "StorageV2".clone_into(&mut changed.kind);
            if changed.access_tier.is_none() && changed.sku_tier() == "Standard" {
                changed.access_tier = Some("Hot".to_owned());
            }
        }
    }
    if let Some(tier) = body["properties"]["accessTier"].as_str() {
        if changed.access_tier.is_none() {
            return Err(bad(format!(
                "Accounts of kind {} with SKU {} have no access tier.",
                changed.kind, changed.sku
            )));
        }
        changed.access_tier = Some(access_tier(tier)?);
    }
    if let Some(action) = body["properties"]["networkAcls"]["defaultAction"].as_str() {
        changed.network_rules_deny = action.eq_ignore_ascii_case("Deny");
    }
    if body.get("tags").is_some_and(Value::is_object) {
        changed.tags = serde_json::from_value(body["tags"].clone()).unwrap_or_default();
    }
    *account = changed;
    written(state, &tenant, subscription, rg, name)
}

/// Saves the tenant after an update and answers 200 with the account.
fn written(
    state: &Shared,
    tenant: &crate::tenant::Tenant,
    subscription: &str,
    rg: &str,
    name: &str,
) -> Result<Response, ArmError> {
    let json = tenant
        .subscription(subscription)
        .and_then(|s| find(s, rg, name).ok().map(|a| account_json(state, s, a)))
        .unwrap_or_default();
    state.persist(tenant)?;
    Ok(Json(json).into_response())
}

fn operation_url(
    state: &Shared,
    subscription: &str,
    location: &str,
    operation: &str,
    api_version: &str,
) -> String {
    format!(
        "{}/subscriptions/{subscription}/providers/Microsoft.Storage/locations/{location}/asyncoperations/{operation}?monitor=true&api-version={api_version}",
        state.arm_endpoint
    )
}

/// `GET {sub}/providers/Microsoft.Storage/locations/{loc}/asyncoperations/{id}`: 202 while the
/// create runs, then the account.
pub(crate) fn operation(
    state: &Shared,
    sub: &SubscriptionRecord,
    location: &str,
    id: &str,
    api_version: &str,
) -> Result<Response, ArmError> {
    let account = sub
        .storage_accounts
        .iter()
        .find(|a| a.operation.as_deref() == Some(id))
        .ok_or_else(|| {
            ArmError::new(
                StatusCode::NOT_FOUND,
                "ResourceNotFound",
                format!("The operation '{id}' was not found."),
            )
        })?;
    if account.ready_at > crate::token::now() {
        let poll = operation_url(state, &sub.subscription_id, location, id, api_version);
        return Ok(crate::recovery_services::accepted(state, Some(&poll), None));
    }
    Ok(Json(account_json(state, sub, account)).into_response())
}

/// `DELETE {sa}`: 200 when deleted, 204 when there was no such account. Its blobs go with it.
pub(crate) fn delete(
    state: &Shared,
    subscription: &str,
    rg: &str,
    name: &str,
) -> Result<Response, ArmError> {
    let mut tenant = state.tenant_mut();
    let sub = tenant
        .subscription_mut(subscription)
        .ok_or_else(|| subscription_not_found(subscription))?;
    let before = sub.storage_accounts.len();
    sub.storage_accounts.retain(|a| !is_account(a, rg, name));
    let status = if sub.storage_accounts.len() < before {
        StatusCode::OK
    } else {
        StatusCode::NO_CONTENT
    };
    state.persist(&tenant)?;
    let mut response = status.into_response();
    response
        .headers_mut()
        .insert("content-length", HeaderValue::from_static("0"));
    Ok(response)
}

/// Why the account cannot stage a restore of a VM, if it cannot: what the Backup restore docs
/// allow (same region as the vault; general-purpose, not Blob storage; locally or geo-redundant,
/// not zone-redundant; no premium account with network rules for managed VMs). The
/// `UserErrorStorageAccount…` codes are the sandbox's own, as the restore docs name none; their
/// entries are in the Recovery Services failure catalogue.
pub(crate) fn staging_refusal(
    account: &StorageAccountRecord,
    vault_location: &str,
    managed: bool,
) -> Option<crate::arm::ArmError> {
    use crate::recovery_services::failures::{
        STAGING_ACCOUNT_IN_OTHER_REGION, STAGING_ACCOUNT_NOT_ONLINE, STAGING_ACCOUNT_UNSUPPORTED,
    };
    if !account.location.eq_ignore_ascii_case(vault_location) {
        return Some(STAGING_ACCOUNT_IN_OTHER_REGION.error_with(&[
            ("vault_region", vault_location),
            ("name", &account.name),
            ("account_region", &account.location),
        ]));
    }
    if account.ready_at > crate::token::now() {
        return Some(STAGING_ACCOUNT_NOT_ONLINE.error_with(&[("name", &account.name)]));
    }
    let general_purpose = account.kind.eq_ignore_ascii_case("StorageV2")
        || account.kind.eq_ignore_ascii_case("Storage");
    let zone_redundant = account.sku.to_ascii_uppercase().contains("ZRS");
    let premium_with_rules =
        account.sku_tier() == "Premium" && account.network_rules_deny && managed;
    if !general_purpose || zone_redundant || premium_with_rules {
        let rules = if premium_with_rules {
            " and no network rules"
        } else {
            ""
        };
        return Some(STAGING_ACCOUNT_UNSUPPORTED.error_with(&[
            ("name", &account.name),
            ("kind", &account.kind),
            ("sku", &account.sku),
            ("rules", rules),
        ]));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(kind: &str, sku: &str, location: &str) -> StorageAccountRecord {
        StorageAccountRecord {
            resource_group: "rg".to_owned(),
            name: "staccount".to_owned(),
            location: location.to_owned(),
            sku: sku.to_owned(),
            kind: kind.to_owned(),
            access_tier: None,
            network_rules_deny: false,
            created: String::new(),
            tags: Default::default(),
            ready_at: 0,
            operation: None,
            blobs: vec![],
        }
    }

    #[test]
    fn names_are_three_to_twenty_four_lower_case_letters_and_digits() {
        assert!(valid_name("stcontoso01"));
        assert!(!valid_name("st"));
        assert!(!valid_name("StContoso"));
        assert!(!valid_name("st-contoso"));
        assert!(!valid_name(&"a".repeat(25)));
    }

    #[test]
    fn staging_accepts_general_purpose_lrs_and_grs_in_the_vault_region() {
        for (kind, sku) in [
            ("StorageV2", "Standard_LRS"),
            ("Storage", "Standard_GRS"),
            ("StorageV2", "Premium_LRS"),
        ] {
            assert!(staging_refusal(&account(kind, sku, "japaneast"), "japaneast", true).is_none());
        }
    }

    #[test]
    fn staging_refuses_other_regions_blob_storage_zrs_and_premium_with_rules() {
        let code = |a: &StorageAccountRecord| {
            staging_refusal(a, "japaneast", true)
                .map(|e| e.code().to_owned())
                .unwrap_or_default()
        };
        assert_eq!(
            code(&account("StorageV2", "Standard_LRS", "japanwest")),
            "UserErrorStorageAccountRegionMismatch"
        );
        for (kind, sku) in [
            ("BlobStorage", "Standard_LRS"),
            ("BlockBlobStorage", "Premium_LRS"),
            ("StorageV2", "Standard_ZRS"),
            ("StorageV2", "Standard_GZRS"),
        ] {
            assert_eq!(
                code(&account(kind, sku, "japaneast")),
                "UserErrorStorageAccountNotSupported"
            );
        }
        let mut premium = account("StorageV2", "Premium_LRS", "japaneast");
        premium.network_rules_deny = true;
        assert_eq!(code(&premium), "UserErrorStorageAccountNotSupported");
        assert!(staging_refusal(&premium, "japaneast", false).is_none());
    }
}
