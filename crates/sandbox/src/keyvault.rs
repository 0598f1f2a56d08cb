//! Key Vault management: vaults, deleted vaults, and access-policy updates.
//!
//! `PUT .../accessPolicies/{add|replace|remove}` follows the service's semantics: `add` merges
//! permissions into the principal's entry (creating it if needed), `remove` takes the listed
//! permissions away (dropping an entry left empty), `replace` sets the entry's permissions.
//! Other principals' entries are never touched. A write that overlaps another write to the same
//! vault gets 409 `ConflictError`, as the service answers concurrent updates.

use std::sync::Arc;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::Shared;
use crate::arm::{ArmError, Page, resource_not_found};
use crate::tenant::{AccessPolicyRecord, KeyVaultRecord, SubscriptionRecord, Tenant};

const KEY_PERMISSIONS: &[&str] = &[
    "all",
    "encrypt",
    "decrypt",
    "wrapkey",
    "unwrapkey",
    "sign",
    "verify",
    "get",
    "list",
    "create",
    "update",
    "import",
    "delete",
    "backup",
    "restore",
    "recover",
    "purge",
    "release",
    "rotate",
    "getrotationpolicy",
    "setrotationpolicy",
];
const SECRET_PERMISSIONS: &[&str] = &[
    "all", "get", "list", "set", "delete", "backup", "restore", "recover", "purge",
];
const CERTIFICATE_PERMISSIONS: &[&str] = &[
    "all",
    "get",
    "list",
    "delete",
    "create",
    "import",
    "update",
    "managecontacts",
    "getissuers",
    "listissuers",
    "setissuers",
    "deleteissuers",
    "manageissuers",
    "recover",
    "purge",
    "backup",
    "restore",
];
const STORAGE_PERMISSIONS: &[&str] = &[
    "all",
    "get",
    "list",
    "delete",
    "set",
    "update",
    "regeneratekey",
    "recover",
    "purge",
    "backup",
    "restore",
    "setsas",
    "listsas",
    "getsas",
    "deletesas",
];

fn vault_resource_id(sub: &SubscriptionRecord, kv: &KeyVaultRecord) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.KeyVault/vaults/{}",
        sub.subscription_id, kv.resource_group, kv.name
    )
}

fn policy_json(p: &AccessPolicyRecord) -> Value {
    let mut value = json!({
        "tenantId": p.tenant_id,
        "objectId": p.object_id,
        "permissions": {
            "keys": p.keys, "secrets": p.secrets, "certificates": p.certificates, "storage": p.storage
        }
    });
    if let Some(app) = &p.application_id {
        value["applicationId"] = json!(app);
    }
    value
}

fn vault_json(
    state: &Shared,
    tenant_id: &str,
    sub: &SubscriptionRecord,
    kv: &KeyVaultRecord,
) -> Value {
    json!({
        "id": vault_resource_id(sub, kv),
        "name": kv.name,
        "type": "Microsoft.KeyVault/vaults",
        "location": kv.location,
        "tags": {},
        "systemData": {
            "createdBy": "contosoadmin@contoso.com", "createdByType": "User", "createdAt": kv.created,
            "lastModifiedBy": "contosoadmin@contoso.com", "lastModifiedByType": "User", "lastModifiedAt": kv.created
        },
        "properties": {
            "sku": { "family": "A", "name": kv.sku },
            "tenantId": tenant_id,
            "accessPolicies": kv.access_policies.iter().map(policy_json).collect::<Vec<_>>(),
            "enabledForDeployment": false,
            "enabledForDiskEncryption": kv.enabled_for_disk_encryption,
            "enabledForTemplateDeployment": kv.enabled_for_template_deployment,
            "enableSoftDelete": true,
            "softDeleteRetentionInDays": kv.soft_delete_retention_days,
            "enableRbacAuthorization": kv.rbac_authorization,
            "enablePurgeProtection": kv.purge_protection,
            "vaultUri": state.vault_uri(&kv.name),
            "provisioningState": "Succeeded",
            "publicNetworkAccess": "Enabled"
        }
    })
}

/// `GET {sub}[/resourceGroups/{rg}]/providers/Microsoft.KeyVault/vaults`
pub fn list(
    state: &Shared,
    tenant: &Tenant,
    sub: &SubscriptionRecord,
    rg: Option<&str>,
    base: &str,
    page: Page,
) -> Value {
    let vaults = sub
        .key_vaults
        .iter()
        .filter(|kv| !kv.deleted && rg.is_none_or(|rg| kv.resource_group.eq_ignore_ascii_case(rg)));
    page.render(
        vaults,
        |kv| vault_json(state, &tenant.tenant_id, sub, kv),
        base,
    )
}

/// A key vault that is not deleted.
pub(crate) fn find<'a>(
    sub: &'a SubscriptionRecord,
    rg: &str,
    name: &str,
) -> Result<&'a KeyVaultRecord, ArmError> {
    sub.key_vaults
        .iter()
        .find(|kv| is_live(kv, rg, name))
        .ok_or_else(|| resource_not_found("Microsoft.KeyVault/vaults", name, rg))
}

/// `kv` is the vault `name` of group `rg`, not deleted.
fn is_live(kv: &KeyVaultRecord, rg: &str, name: &str) -> bool {
    !kv.deleted && kv.resource_group.eq_ignore_ascii_case(rg) && kv.name.eq_ignore_ascii_case(name)
}

/// A key vault that is not deleted, for a change.
pub(crate) fn live_vault_mut<'a>(
    sub: &'a mut SubscriptionRecord,
    rg: &str,
    name: &str,
) -> Result<&'a mut KeyVaultRecord, ArmError> {
    sub.key_vaults
        .iter_mut()
        .find(|kv| is_live(kv, rg, name))
        .ok_or_else(|| resource_not_found("Microsoft.KeyVault/vaults", name, rg))
}

/// `GET .../vaults/{name}`
pub fn get(
    state: &Shared,
    tenant: &Tenant,
    sub: &SubscriptionRecord,
    rg: &str,
    name: &str,
) -> Result<Response, ArmError> {
    find(sub, rg, name)
        .map(|kv| Json(vault_json(state, &tenant.tenant_id, sub, kv)).into_response())
}

/// `DELETE .../vaults/{name}`: soft delete. The vault leaves lists and gets and shows in
/// `deletedVaults`; its keys and secrets go with it.
pub fn delete(
    state: &Shared,
    subscription: &str,
    rg: &str,
    name: &str,
) -> Result<Response, ArmError> {
    let mut tenant = state.tenant_mut();
    let sub = tenant
        .subscription_mut(subscription)
        .ok_or_else(|| crate::arm::subscription_not_found(subscription))?;
    let Some(kv) = sub.key_vaults.iter_mut().find(|kv| {
        !kv.deleted
            && kv.resource_group.eq_ignore_ascii_case(rg)
            && kv.name.eq_ignore_ascii_case(name)
    }) else {
        // Deleting what is not there succeeds with 204, as ARM deletes do.
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    kv.deleted = true;
    state.persist(&tenant)?;
    Ok(StatusCode::OK.into_response())
}

fn deleted_json(sub: &SubscriptionRecord, kv: &KeyVaultRecord) -> Value {
    json!({
        "id": format!(
            "/subscriptions/{}/providers/Microsoft.KeyVault/locations/{}/deletedVaults/{}",
            sub.subscription_id, kv.location, kv.name
        ),
        "name": kv.name,
        "type": "Microsoft.KeyVault/deletedVaults",
        "properties": {
            "vaultId": vault_resource_id(sub, kv),
            "location": kv.location,
            "deletionDate": kv.created,
            "scheduledPurgeDate": kv.created,
            "purgeProtectionEnabled": kv.purge_protection
        }
    })
}

/// `GET {sub}/providers/Microsoft.KeyVault/deletedVaults`
pub fn list_deleted(sub: &SubscriptionRecord) -> Response {
    let value: Vec<Value> = sub
        .key_vaults
        .iter()
        .filter(|kv| kv.deleted)
        .map(|kv| deleted_json(sub, kv))
        .collect();
    Json(json!({ "value": value })).into_response()
}

fn deleted_not_found(name: &str, location: &str) -> ArmError {
    ArmError::new(
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
        format!("No deleted key vault named '{name}' exists in '{location}'."),
    )
}

/// `GET {sub}/providers/Microsoft.KeyVault/locations/{location}/deletedVaults/{name}`
pub fn get_deleted(
    sub: &SubscriptionRecord,
    location: &str,
    name: &str,
) -> Result<Response, ArmError> {
    sub.key_vaults
        .iter()
        .find(|kv| {
            kv.deleted
                && kv.name.eq_ignore_ascii_case(name)
                && kv.location.eq_ignore_ascii_case(location)
        })
        .map(|kv| Json(deleted_json(sub, kv)).into_response())
        .ok_or_else(|| deleted_not_found(name, location))
}

/// `POST .../deletedVaults/{name}/purge`: gone for good, unless purge protection keeps it.
pub fn purge_deleted(
    state: &Shared,
    subscription: &str,
    location: &str,
    name: &str,
) -> Result<Response, ArmError> {
    let mut tenant = state.tenant_mut();
    let sub = tenant
        .subscription_mut(subscription)
        .ok_or_else(|| crate::arm::subscription_not_found(subscription))?;
    let index = sub
        .key_vaults
        .iter()
        .position(|kv| {
            kv.deleted
                && kv.name.eq_ignore_ascii_case(name)
                && kv.location.eq_ignore_ascii_case(location)
        })
        .ok_or_else(|| deleted_not_found(name, location))?;
    if sub.key_vaults[index].purge_protection {
        return Err(ArmError::new(
            StatusCode::CONFLICT,
            "ConflictError",
            format!(
                "Purge protection is on for '{name}': it is kept until its retention period ends."
            ),
        ));
    }
    sub.key_vaults.remove(index);
    state.persist(&tenant)?;
    Ok(StatusCode::ACCEPTED.into_response())
}

#[derive(Deserialize)]
struct PolicyUpdate {
    properties: PolicyUpdateProperties,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PolicyUpdateProperties {
    access_policies: Vec<PolicyEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PolicyEntry {
    tenant_id: String,
    object_id: String,
    application_id: Option<String>,
    permissions: Permissions,
}

#[derive(Deserialize, Default)]
struct Permissions {
    #[serde(default)]
    keys: Vec<String>,
    #[serde(default)]
    secrets: Vec<String>,
    #[serde(default)]
    certificates: Vec<String>,
    #[serde(default)]
    storage: Vec<String>,
}

fn bad_request(message: String) -> ArmError {
    ArmError::new(StatusCode::BAD_REQUEST, "BadRequest", message)
}

fn check_permissions(kind: &str, given: &[String], allowed: &[&str]) -> Result<(), ArmError> {
    match given
        .iter()
        .find(|p| !allowed.contains(&p.to_ascii_lowercase().as_str()))
    {
        Some(unknown) => Err(bad_request(format!(
            "'{unknown}' is not a {kind} permission. Valid {kind} permissions: {}.",
            allowed.join(", ")
        ))),
        None => Ok(()),
    }
}

fn merge(into: &mut Vec<String>, add: &[String]) {
    for p in add {
        if !into.iter().any(|q| q.eq_ignore_ascii_case(p)) {
            into.push(p.clone());
        }
    }
}

fn subtract(from: &mut Vec<String>, remove: &[String]) {
    from.retain(|p| !remove.iter().any(|q| q.eq_ignore_ascii_case(p)));
}

/// The kinds of access-policy update.
#[derive(Clone, Copy)]
pub enum PolicyOperation {
    /// Merge permissions in.
    Add,
    /// Set permissions.
    Replace,
    /// Take permissions away.
    Remove,
}

impl PolicyOperation {
    /// Parses the `{operationKind}` path segment.
    pub fn parse(kind: &str) -> Option<Self> {
        match kind.to_ascii_lowercase().as_str() {
            "add" => Some(Self::Add),
            "replace" => Some(Self::Replace),
            "remove" => Some(Self::Remove),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Add => "add",
            Self::Replace => "replace",
            Self::Remove => "remove",
        }
    }
}

/// `PUT .../vaults/{name}/accessPolicies/{add|replace|remove}`
pub fn update_access_policy(
    state: &Shared,
    subscription_id: &str,
    rg: &str,
    name: &str,
    operation: PolicyOperation,
    body: &[u8],
) -> Result<Response, ArmError> {
    let update: PolicyUpdate = serde_json::from_slice(body).map_err(|e| {
        bad_request(format!(
            "The request body is not a valid access policy update: {e}."
        ))
    })?;
    for entry in &update.properties.access_policies {
        check_permissions("key", &entry.permissions.keys, KEY_PERMISSIONS)?;
        check_permissions("secret", &entry.permissions.secrets, SECRET_PERMISSIONS)?;
        check_permissions(
            "certificate",
            &entry.permissions.certificates,
            CERTIFICATE_PERMISSIONS,
        )?;
        check_permissions("storage", &entry.permissions.storage, STORAGE_PERMISSIONS)?;
        if uuid::Uuid::parse_str(&entry.object_id).is_err()
            || uuid::Uuid::parse_str(&entry.tenant_id).is_err()
        {
            return Err(bad_request(format!(
                "Access policy entries need GUIDs for tenantId and objectId; got '{}' and '{}'.",
                entry.tenant_id, entry.object_id
            )));
        }
    }

    let mut tenant = state.tenant_mut();
    let sub = tenant
        .subscription_mut(subscription_id)
        .ok_or_else(|| crate::arm::subscription_not_found(subscription_id))?;
    let sub_id = sub.subscription_id.clone();
    let kv = crate::keyvault::live_vault_mut(sub, rg, name)?;

    let vault_key = format!("{sub_id}/{}", kv.name).to_ascii_lowercase();
    let claim = state.key_vault_writes.claim(&vault_key)?;

    // The service answers with the entries it was sent, not the vault's whole list.
    let echo: Vec<Value> = update
        .properties
        .access_policies
        .iter()
        .map(|e| {
            policy_json(&AccessPolicyRecord {
                tenant_id: e.tenant_id.clone(),
                object_id: e.object_id.clone(),
                application_id: e.application_id.clone(),
                keys: e.permissions.keys.clone(),
                secrets: e.permissions.secrets.clone(),
                certificates: e.permissions.certificates.clone(),
                storage: e.permissions.storage.clone(),
            })
        })
        .collect();
    for entry in update.properties.access_policies {
        let position = kv.access_policies.iter().position(|p| {
            p.object_id.eq_ignore_ascii_case(&entry.object_id)
                && p.tenant_id.eq_ignore_ascii_case(&entry.tenant_id)
                && p.application_id.as_deref().map(str::to_ascii_lowercase)
                    == entry.application_id.as_deref().map(str::to_ascii_lowercase)
        });
        let perms = &entry.permissions;
        match (operation, position) {
            (PolicyOperation::Add, Some(i)) => {
                let p = &mut kv.access_policies[i];
                merge(&mut p.keys, &perms.keys);
                merge(&mut p.secrets, &perms.secrets);
                merge(&mut p.certificates, &perms.certificates);
                merge(&mut p.storage, &perms.storage);
            }
            (PolicyOperation::Add | PolicyOperation::Replace, None) => {
                kv.access_policies.push(AccessPolicyRecord {
                    tenant_id: entry.tenant_id,
                    object_id: entry.object_id,
                    application_id: entry.application_id,
                    keys: perms.keys.clone(),
                    secrets: perms.secrets.clone(),
                    certificates: perms.certificates.clone(),
                    storage: perms.storage.clone(),
                });
            }
            (PolicyOperation::Replace, Some(i)) => {
                let p = &mut kv.access_policies[i];
                p.keys.clone_from(&perms.keys);
                p.secrets.clone_from(&perms.secrets);
                p.certificates.clone_from(&perms.certificates);
                p.storage.clone_from(&perms.storage);
            }
            (PolicyOperation::Remove, Some(i)) => {
                let p = &mut kv.access_policies[i];
                subtract(&mut p.keys, &perms.keys);
                subtract(&mut p.secrets, &perms.secrets);
                subtract(&mut p.certificates, &perms.certificates);
                subtract(&mut p.storage, &perms.storage);
                if p.keys.is_empty()
                    && p.secrets.is_empty()
                    && p.certificates.is_empty()
                    && p.storage.is_empty()
                {
                    kv.access_policies.remove(i);
                }
            }
            (PolicyOperation::Remove, None) => {}
        }
    }
    let body = json!({
        "id": format!(
            "/subscriptions/{sub_id}/resourceGroups/{}/providers/Microsoft.KeyVault/vaults/{}/accessPolicies/{}",
            kv.resource_group, kv.name, operation.name()
        ),
        "type": "Microsoft.KeyVault/vaults/accessPolicies",
        "properties": { "accessPolicies": echo }
    });
    state.persist(&tenant)?;
    let mut response = Json(body).into_response();
    response.extensions_mut().insert(claim);
    Ok(response)
}

/// The vaults with an access-policy write in flight. A write overlapping another one on the
/// same vault gets 409 `ConflictError`, as the service answers concurrent updates; a write sent
/// after the previous one was answered never does.
#[derive(Default)]
pub struct VaultWrites {
    in_flight: std::sync::Mutex<std::collections::HashSet<String>>,
}

/// A write in flight. Its vault is free again when the last clone is dropped, which the ARM
/// dispatcher does after holding the answer for the configured processing time.
#[derive(Clone)]
pub struct InFlightWrite {
    _claim: Arc<Claim>,
}

struct Claim {
    writes: Arc<VaultWrites>,
    vault: String,
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.writes
            .in_flight
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&self.vault);
    }
}

impl VaultWrites {
    /// Claims `vault`, or fails with 409 while another write to it is in flight.
    pub fn claim(self: &Arc<Self>, vault: &str) -> Result<InFlightWrite, ArmError> {
        let mut in_flight = self
            .in_flight
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !in_flight.insert(vault.to_owned()) {
            return Err(ArmError::new(
                StatusCode::CONFLICT,
                "ConflictError",
                "Another update to this vault's access policies is in progress. Retry after it completes.",
            ));
        }
        Ok(InFlightWrite {
            _claim: Arc::new(Claim {
                writes: self.clone(),
                vault: vault.to_owned(),
            }),
        })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct VaultBody {
    location: Option<String>,
    properties: Option<VaultBodyProperties>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct VaultBodyProperties {
    tenant_id: Option<String>,
    sku: Option<Value>,
    access_policies: Option<Vec<PolicyEntry>>,
    enabled_for_disk_encryption: Option<bool>,
    enabled_for_template_deployment: Option<bool>,
    enable_soft_delete: Option<bool>,
    soft_delete_retention_in_days: Option<u32>,
    enable_purge_protection: Option<bool>,
    enable_rbac_authorization: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct VaultPatch {
    properties: Option<VaultBodyProperties>,
}

/// `PATCH .../vaults/{name}`: changes only the properties sent. An `accessPolicies` list replaces
/// the vault's whole list (which is why Safehold never sends one), and counts as an access-policy
/// write: it conflicts with one in flight.
pub fn update(
    state: &Shared,
    subscription: &str,
    rg: &str,
    name: &str,
    body: &[u8],
) -> Result<Response, ArmError> {
    let patch: VaultPatch = serde_json::from_slice(body)
        .map_err(|e| bad_request(format!("The request body is not a key vault patch: {e}.")))?;
    let p = patch.properties.unwrap_or_default();
    for entry in p.access_policies.iter().flatten() {
        check_permissions("key", &entry.permissions.keys, KEY_PERMISSIONS)?;
        check_permissions("secret", &entry.permissions.secrets, SECRET_PERMISSIONS)?;
    }
    let mut tenant = state.tenant_mut();
    let tenant_id = tenant.tenant_id.clone();
    if p.tenant_id
        .as_deref()
        .is_some_and(|t| !t.eq_ignore_ascii_case(&tenant_id))
    {
        return Err(bad_request(format!(
            "properties.tenantId must be the subscription's tenant, '{tenant_id}'."
        )));
    }
    let sub = tenant
        .subscription_mut(subscription)
        .ok_or_else(|| crate::arm::subscription_not_found(subscription))?;
    let sub_id = sub.subscription_id.clone();
    let kv = live_vault_mut(sub, rg, name)?;
    let claim = match p.access_policies {
        Some(_) => Some(
            state
                .key_vault_writes
                .claim(&format!("{sub_id}/{}", kv.name).to_ascii_lowercase())?,
        ),
        None => None,
    };
    if kv.purge_protection && p.enable_purge_protection == Some(false) {
        return Err(bad_request(
            "Purge protection cannot be turned off once it is on.".to_owned(),
        ));
    }
    if p.enable_soft_delete == Some(false) {
        return Err(bad_request(
            "Soft delete cannot be turned off once it is on.".to_owned(),
        ));
    }
    if let Some(sku) = p.sku.as_ref() {
        kv.sku = sku["name"]
            .as_str()
            .map(str::to_ascii_lowercase)
            .filter(|s| s == "standard" || s == "premium")
            .ok_or_else(|| {
                bad_request("properties.sku.name must be 'standard' or 'premium'.".to_owned())
            })?;
    }
    if let Some(policies) = p.access_policies {
        kv.access_policies = policies.into_iter().map(entry_record).collect();
    }
    if let Some(rbac) = p.enable_rbac_authorization {
        kv.rbac_authorization = rbac;
    }
    if let Some(disk) = p.enabled_for_disk_encryption {
        kv.enabled_for_disk_encryption = disk;
    }
    if let Some(template) = p.enabled_for_template_deployment {
        kv.enabled_for_template_deployment = template;
    }
    kv.purge_protection |= p.enable_purge_protection.unwrap_or(false);
    let kv = kv.clone();
    state.persist(&tenant)?;
    let sub = tenant
        .subscription(&sub_id)
        .ok_or_else(|| crate::arm::subscription_not_found(&sub_id))?;
    let mut response = Json(vault_json(state, &tenant_id, sub, &kv)).into_response();
    if let Some(claim) = claim {
        response.extensions_mut().insert(claim);
    }
    Ok(response)
}

fn entry_record(e: PolicyEntry) -> AccessPolicyRecord {
    AccessPolicyRecord {
        tenant_id: e.tenant_id,
        object_id: e.object_id,
        application_id: e.application_id,
        keys: e.permissions.keys,
        secrets: e.permissions.secrets,
        certificates: e.permissions.certificates,
        storage: e.permissions.storage,
    }
}

/// `PUT .../vaults/{name}`: create a key vault (201) or update one (200). Names are global:
/// a name taken anywhere, or held by a soft-deleted vault, gets 409.
pub fn create_or_update(
    state: &Shared,
    subscription: &str,
    rg: &str,
    name: &str,
    body: &[u8],
) -> Result<Response, ArmError> {
    let body: VaultBody = serde_json::from_slice(body)
        .map_err(|e| bad_request(format!("The request body is not a key vault: {e}.")))?;
    let location = body
        .location
        .ok_or_else(|| bad_request("'location' is required.".to_owned()))?;
    let p = body
        .properties
        .ok_or_else(|| bad_request("'properties' is required.".to_owned()))?;
    let valid_name = (3..=24).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !name.ends_with('-')
        && !name.contains("--");
    if !valid_name {
        return Err(ArmError::new(
            StatusCode::BAD_REQUEST,
            "VaultNameNotValid",
            format!(
                "'{name}' is not a valid key vault name: 3 to 24 letters, digits and single dashes, starting with a letter."
            ),
        ));
    }
    let mut tenant = state.tenant_mut();
    let tenant_id = tenant.tenant_id.clone();
    if !p
        .tenant_id
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case(&tenant_id))
    {
        return Err(bad_request(format!(
            "properties.tenantId must be the subscription's tenant, '{tenant_id}'."
        )));
    }
    let sku_name = p
        .sku
        .as_ref()
        .and_then(|s| s["name"].as_str())
        .map(str::to_ascii_lowercase)
        .filter(|s| s == "standard" || s == "premium")
        .ok_or_else(|| {
            bad_request(
                "properties.sku must be {\"family\": \"A\", \"name\": \"standard\" | \"premium\"}."
                    .to_owned(),
            )
        })?;
    let rbac = p.enable_rbac_authorization.unwrap_or(false);
    // Names are global: taken elsewhere, or held by a deleted vault, is a conflict.
    let taken = tenant
        .subscriptions
        .iter()
        .flat_map(|s| s.key_vaults.iter().map(move |k| (s, k)))
        .find(|(s, k)| {
            k.name.eq_ignore_ascii_case(name)
                && (k.deleted
                    || !s.subscription_id.eq_ignore_ascii_case(subscription)
                    || !k.resource_group.eq_ignore_ascii_case(rg))
        });
    if let Some((_, k)) = taken {
        let message = if k.deleted {
            format!(
                "A key vault named '{name}' exists in a deleted state. Recover or purge it, or choose another name."
            )
        } else {
            format!("The key vault name '{name}' is already in use.")
        };
        return Err(ArmError::new(
            StatusCode::CONFLICT,
            if k.deleted {
                "ConflictError"
            } else {
                "VaultAlreadyExists"
            },
            message,
        ));
    }
    let sub = tenant
        .subscription_mut(subscription)
        .ok_or_else(|| crate::arm::subscription_not_found(subscription))?;
    if !sub
        .resource_groups
        .iter()
        .any(|g| g.name.eq_ignore_ascii_case(rg))
    {
        return Err(ArmError::new(
            StatusCode::NOT_FOUND,
            "ResourceGroupNotFound",
            format!("Resource group '{rg}' could not be found."),
        ));
    }
    let sub_id = sub.subscription_id.clone();
    let existing = sub.key_vaults.iter().position(|k| {
        !k.deleted && k.resource_group.eq_ignore_ascii_case(rg) && k.name.eq_ignore_ascii_case(name)
    });
    let status = match existing {
        Some(i) => {
            let kv = &mut sub.key_vaults[i];
            if kv.purge_protection && p.enable_purge_protection == Some(false) {
                return Err(bad_request(
                    "Purge protection cannot be turned off once it is on.".to_owned(),
                ));
            }
            if p.enable_soft_delete == Some(false) {
                return Err(bad_request(
                    "Soft delete cannot be turned off once it is on.".to_owned(),
                ));
            }
            if let Some(policies) = p.access_policies {
                kv.access_policies = policies.into_iter().map(entry_record).collect();
            }
            kv.sku = sku_name;
            kv.rbac_authorization = rbac;
            kv.enabled_for_disk_encryption = p
                .enabled_for_disk_encryption
                .unwrap_or(kv.enabled_for_disk_encryption);
            kv.enabled_for_template_deployment = p
                .enabled_for_template_deployment
                .unwrap_or(kv.enabled_for_template_deployment);
            kv.purge_protection |= p.enable_purge_protection.unwrap_or(false);
            StatusCode::OK
        }
        None => {
            if !rbac && p.access_policies.is_none() {
                return Err(bad_request(
                    "properties.accessPolicies is required unless enableRbacAuthorization is true."
                        .to_owned(),
                ));
            }
            let retention = p.soft_delete_retention_in_days.unwrap_or(90);
            if !(7..=90).contains(&retention) {
                return Err(bad_request(
                    "softDeleteRetentionInDays must be 7 to 90.".to_owned(),
                ));
            }
            sub.key_vaults.push(KeyVaultRecord {
                resource_group: rg.to_owned(),
                name: name.to_owned(),
                location: location.to_ascii_lowercase(),
                sku: sku_name,
                rbac_authorization: rbac,
                enabled_for_disk_encryption: p.enabled_for_disk_encryption.unwrap_or(false),
                enabled_for_template_deployment: p.enabled_for_template_deployment.unwrap_or(false),
                soft_delete_retention_days: retention,
                purge_protection: p.enable_purge_protection.unwrap_or(false),
                access_policies: p
                    .access_policies
                    .unwrap_or_default()
                    .into_iter()
                    .map(entry_record)
                    .collect(),
                secrets: vec![],
                keys: vec![],
                deleted: false,
                role_assignments: vec![],
                created: time::OffsetDateTime::now_utc()
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default(),
            });
            StatusCode::CREATED
        }
    };
    state.persist(&tenant)?;
    drop(tenant);
    state.serve_vault(name).map_err(|e| {
        tracing::error!(error = %format!("{e:#}"), "could not start a key vault's data plane");
        ArmError::internal("The sandbox could not start the vault's data plane.")
    })?;
    let tenant = state.tenant();
    let sub = tenant
        .subscription(&sub_id)
        .ok_or_else(|| crate::arm::subscription_not_found(&sub_id))?;
    let kv = find(sub, rg, name)?;
    Ok((status, Json(vault_json(state, &tenant.tenant_id, sub, kv))).into_response())
}
