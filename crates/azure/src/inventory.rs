//! The inventory's list calls: VMs (models, then instance views with `statusOnly=true`),
//! managed disks, key vaults and protected VMs, each a list per subscription or per vault.
//!
//! Items are read one by one from the page's JSON: an item the service describes oddly
//! (a missing field, an unknown value, odd casing) becomes a record saying what could not be
//! read, and never fails the whole list.

use std::collections::HashMap;

use safehold_core::Error;
use safehold_core::ade::{
    AgentState, DiskKeys, DiskKind, ExtensionFacts, OsType, Permissions, VaultObject, VmFacts,
};
use safehold_core::inventory::{
    AccessPolicy, DiskRecord, KeyVaultRecord, ProtectedVmRecord, RoleAssignmentRecord, VmRecord,
    resource_id_segment,
};
use safehold_core::ports::InventoryApi;
use serde_json::Value;

use crate::ArmClient;

const COMPUTE_API: &str = "2024-07-01";
const DISKS_API: &str = "2024-03-02";
const KEY_VAULT_API: &str = "2023-07-01";
const BACKUP_API: &str = "2024-04-01";
const AUTHORIZATION_API: &str = "2022-04-01";

fn text(value: &Value, pointer: &str) -> Option<String> {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn list<'a>(value: &'a Value, pointer: &str) -> &'a [Value] {
    value
        .pointer(pointer)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// The BEK and KEK of an `encryptionSettings` object (VM model, instance view or disk).
fn keys_of(settings: &Value) -> DiskKeys {
    let object = |url: &str, vault: &str| {
        text(settings, url).map(|u| VaultObject::new(&u, text(settings, vault).as_deref()))
    };
    DiskKeys {
        secret: object(
            "/diskEncryptionKey/secretUrl",
            "/diskEncryptionKey/sourceVault/id",
        ),
        key: object(
            "/keyEncryptionKey/keyUrl",
            "/keyEncryptionKey/sourceVault/id",
        ),
    }
}

/// Lower-cased resource id, for joining lists.
fn key(id: &str) -> String {
    id.trim_end_matches('/').to_ascii_lowercase()
}

/// A VM's record from its model.
fn vm_from_model(model: &Value) -> VmRecord {
    let id = text(model, "/id").unwrap_or_default();
    let mut problems = vec![];
    if id.is_empty() {
        problems.push("the service sent a VM without an id".to_owned());
    }
    let os_disk = model.pointer("/properties/storageProfile/osDisk");
    let os = match os_disk
        .and_then(|d| d.get("osType"))
        .and_then(Value::as_str)
    {
        Some(t) if t.eq_ignore_ascii_case("windows") => Some(OsType::Windows),
        Some(t) if t.eq_ignore_ascii_case("linux") => Some(OsType::Linux),
        Some(other) => {
            problems.push(format!("unknown OS type '{other}'"));
            None
        }
        None => None,
    };
    let disks = match os_disk {
        Some(d) if d.pointer("/managedDisk/id").is_some() => Some(DiskKind::Managed),
        Some(d) if d.pointer("/vhd/uri").is_some() => Some(DiskKind::Unmanaged),
        _ => {
            problems.push("the OS disk is neither a managed disk nor a VHD".to_owned());
            None
        }
    };
    let model_keys = os_disk
        .and_then(|d| d.get("encryptionSettings"))
        .filter(|s| s.get("enabled").and_then(Value::as_bool).unwrap_or(true))
        .map(keys_of);
    let managed_disk_ids = os_disk
        .and_then(|d| text(d, "/managedDisk/id"))
        .into_iter()
        .chain(
            list(model, "/properties/storageProfile/dataDisks")
                .iter()
                .filter_map(|d| text(d, "/managedDisk/id")),
        )
        .collect();
    // The model's `resources` name the extensions; their settings, when present, say more.
    let extensions = list(model, "/resources")
        .iter()
        .filter_map(|r| {
            let kind = text(r, "/properties/type").or_else(|| {
                text(r, "/id").and_then(|id| id.rsplit('/').next().map(str::to_owned))
            })?;
            Some(ExtensionFacts {
                kind,
                version: text(r, "/properties/typeHandlerVersion").unwrap_or_default(),
                status: None,
                message: None,
            })
        })
        .collect();
    VmRecord {
        resource_group: resource_id_segment(&id, "resourceGroups")
            .unwrap_or_default()
            .to_owned(),
        subscription_id: resource_id_segment(&id, "subscriptions")
            .unwrap_or_default()
            .to_owned(),
        name: text(model, "/name")
            .unwrap_or_else(|| id.rsplit('/').next().unwrap_or_default().to_owned()),
        location: text(model, "/location").unwrap_or_default(),
        id,
        facts: VmFacts {
            os,
            disks,
            classic: false,
            model_keys,
            disk_keys: vec![],
            disk_states: vec![],
            extensions,
            agent: AgentState::Unknown,
        },
        managed_disk_ids,
        problems,
    }
}

/// Adds what an instance view says to a VM's facts.
fn add_instance_view(record: &mut VmRecord, view: &Value) {
    let facts = &mut record.facts;
    let agent = list(view, "/vmAgent/statuses").first();
    facts.agent = match agent.and_then(|s| text(s, "/displayStatus")) {
        Some(status) if status.eq_ignore_ascii_case("Ready") => AgentState::Ready,
        Some(_) => AgentState::NotReady,
        None => AgentState::NotReady,
    };
    for disk in list(view, "/disks") {
        for settings in list(disk, "/encryptionSettings") {
            if settings.get("enabled").and_then(Value::as_bool) != Some(false) {
                facts.disk_keys.push(keys_of(settings));
            }
        }
        if let Some(state) = list(disk, "/statuses")
            .iter()
            .filter_map(|s| text(s, "/code"))
            .find(|c| c.starts_with("EncryptionState/"))
        {
            facts.disk_states.push(state);
        }
    }
    for extension in list(view, "/extensions") {
        let kind = text(extension, "/type").unwrap_or_default();
        let status = list(extension, "/statuses").first();
        let reported = ExtensionFacts {
            kind: kind.clone(),
            version: text(extension, "/typeHandlerVersion").unwrap_or_default(),
            status: status.and_then(|s| text(s, "/code")),
            message: status.and_then(|s| text(s, "/message")),
        };
        let short = kind.rsplit('.').next().unwrap_or_default().to_owned();
        match facts.extensions.iter_mut().find(|e| {
            e.kind
                .rsplit('.')
                .next()
                .unwrap_or_default()
                .eq_ignore_ascii_case(&short)
        }) {
            Some(known) => {
                if known.version.is_empty() {
                    known.version.clone_from(&reported.version);
                }
                known.status = reported.status;
                known.message = reported.message;
            }
            None => facts.extensions.push(reported),
        }
    }
}

fn permissions(entry: &Value) -> Permissions {
    let names = |pointer: &str| -> Vec<&str> {
        list(entry, pointer)
            .iter()
            .filter_map(Value::as_str)
            .collect()
    };
    Permissions::from_lists(names("/permissions/keys"), names("/permissions/secrets"))
}

/// A key vault from its JSON (list item or GET).
fn key_vault_from(vault: &Value, subscription_id: &str) -> Option<KeyVaultRecord> {
    let id = text(vault, "/id")?;
    let flag = |name: &str| {
        vault
            .pointer(&format!("/properties/{name}"))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    };
    Some(KeyVaultRecord {
        name: text(vault, "/name")
            .unwrap_or_else(|| id.rsplit('/').next().unwrap_or_default().to_owned()),
        resource_group: resource_id_segment(&id, "resourceGroups")
            .unwrap_or_default()
            .to_owned(),
        subscription_id: resource_id_segment(&id, "subscriptions")
            .unwrap_or(subscription_id)
            .to_owned(),
        location: text(vault, "/location").unwrap_or_default(),
        tenant_id: text(vault, "/properties/tenantId").unwrap_or_default(),
        rbac_authorization: flag("enableRbacAuthorization"),
        enabled_for_disk_encryption: flag("enabledForDiskEncryption"),
        access_policies: list(vault, "/properties/accessPolicies")
            .iter()
            .map(|entry| AccessPolicy {
                tenant_id: text(entry, "/tenantId").unwrap_or_default(),
                object_id: text(entry, "/objectId").unwrap_or_default(),
                application_id: text(entry, "/applicationId"),
                permissions: permissions(entry),
            })
            .collect(),
        id,
    })
}

#[async_trait::async_trait]
impl safehold_core::ports::KeyVaultAccessApi for ArmClient {
    #[tracing::instrument(skip_all, fields(vault_id = %vault_id))]
    async fn get_key_vault(&self, vault_id: &str) -> Result<KeyVaultRecord, Error> {
        let response = self.get(self.url(vault_id, KEY_VAULT_API)?).await?;
        let value: Value = serde_json::from_slice(response.body()).map_err(|e| {
            Error::new(
                safehold_core::ErrorCode::Internal,
                "Key Vault sent a vault Safehold cannot read.",
            )
            .with_source(e)
        })?;
        key_vault_from(&value, "").ok_or_else(|| {
            Error::new(
                safehold_core::ErrorCode::Internal,
                "Key Vault sent a vault without an id.",
            )
        })
    }

    #[tracing::instrument(skip_all, fields(vault_id = %vault_id))]
    async fn add_access_policy(&self, vault_id: &str, entry: &AccessPolicy) -> Result<(), Error> {
        let body = serde_json::json!({"properties": {"accessPolicies": [{
            "tenantId": entry.tenant_id,
            "objectId": entry.object_id,
            "permissions": {
                "keys": entry.permissions.keys,
                "secrets": entry.permissions.secrets,
            }
        }]}});
        self.put_json(
            &format!("{}/accessPolicies/add", vault_id.trim_end_matches('/')),
            KEY_VAULT_API,
            &body,
        )
        .await
        .map(drop)
    }

    #[tracing::instrument(skip_all, fields(scope = %scope))]
    async fn assign_role(
        &self,
        scope: &str,
        role_definition_guid: &str,
        principal_id: &str,
    ) -> Result<(), Error> {
        let subscription = resource_id_segment(scope, "subscriptions").unwrap_or_default();
        let body = serde_json::json!({"properties": {
            "roleDefinitionId": format!("/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions/{role_definition_guid}"),
            "principalId": principal_id,
            "principalType": "ServicePrincipal"
        }});
        let path = format!(
            "{}/providers/Microsoft.Authorization/roleAssignments/{}",
            scope.trim_end_matches('/'),
            uuid::Uuid::new_v4()
        );
        match self.put_json(&path, AUTHORIZATION_API, &body).await {
            Ok(_) => Ok(()),
            // The same role for the same principal at the same scope is already there.
            Err(error) if error.message.contains("RoleAssignmentExists") => Ok(()),
            Err(error) => Err(error),
        }
    }
}

#[async_trait::async_trait]
impl InventoryApi for ArmClient {
    #[tracing::instrument(skip_all, fields(subscription_id = %subscription_id))]
    async fn list_vms(&self, subscription_id: &str) -> Result<Vec<VmRecord>, Error> {
        let path =
            format!("/subscriptions/{subscription_id}/providers/Microsoft.Compute/virtualMachines");
        let models: Vec<Value> = self.list_all(self.url(&path, COMPUTE_API)?).await?;
        let mut status_url = self.url(&path, COMPUTE_API)?;
        status_url
            .query_pairs_mut()
            .append_pair("statusOnly", "true");
        let views: Vec<Value> = self.list_all(status_url).await?;
        let views: HashMap<String, &Value> = views
            .iter()
            .filter_map(|v| Some((key(v.get("id")?.as_str()?), v)))
            .collect();
        Ok(models
            .iter()
            .map(|model| {
                let mut record = vm_from_model(model);
                match views
                    .get(&key(&record.id))
                    .and_then(|v| v.pointer("/properties/instanceView"))
                {
                    Some(view) => add_instance_view(&mut record, view),
                    None => record
                        .problems
                        .push("no instance view was returned for this VM".to_owned()),
                }
                record
            })
            .collect())
    }

    #[tracing::instrument(skip_all, fields(subscription_id = %subscription_id))]
    async fn list_disks(&self, subscription_id: &str) -> Result<Vec<DiskRecord>, Error> {
        let path = format!("/subscriptions/{subscription_id}/providers/Microsoft.Compute/disks");
        let disks: Vec<Value> = self.list_all(self.url(&path, DISKS_API)?).await?;
        Ok(disks
            .iter()
            .filter_map(|disk| {
                let id = text(disk, "/id")?;
                let collection = disk.pointer("/properties/encryptionSettingsCollection");
                let keys = collection
                    .filter(|c| c.get("enabled").and_then(Value::as_bool) == Some(true))
                    .and_then(|c| list(c, "/encryptionSettings").first())
                    .map(keys_of);
                Some(DiskRecord { id, keys })
            })
            .collect())
    }

    #[tracing::instrument(skip_all, fields(subscription_id = %subscription_id))]
    async fn list_key_vaults(&self, subscription_id: &str) -> Result<Vec<KeyVaultRecord>, Error> {
        let path = format!("/subscriptions/{subscription_id}/providers/Microsoft.KeyVault/vaults");
        let vaults: Vec<Value> = self.list_all(self.url(&path, KEY_VAULT_API)?).await?;
        Ok(vaults
            .iter()
            .filter_map(|vault| key_vault_from(vault, subscription_id))
            .collect())
    }

    #[tracing::instrument(skip_all, fields(scope = %scope))]
    async fn list_role_assignments(
        &self,
        scope: &str,
        principal_id: &str,
    ) -> Result<Vec<RoleAssignmentRecord>, Error> {
        let path = format!(
            "{}/providers/Microsoft.Authorization/roleAssignments",
            scope.trim_end_matches('/')
        );
        let mut url = self.url(&path, AUTHORIZATION_API)?;
        url.query_pairs_mut()
            .append_pair("$filter", &format!("principalId eq '{principal_id}'"));
        let items: Vec<Value> = self.list_all(url).await?;
        Ok(items
            .iter()
            .filter_map(|a| {
                Some(RoleAssignmentRecord {
                    role_definition_id: text(a, "/properties/roleDefinitionId")?,
                    principal_id: text(a, "/properties/principalId")?,
                    scope: text(a, "/properties/scope").unwrap_or_default(),
                })
            })
            .collect())
    }

    #[tracing::instrument(skip_all, fields(vault_id = %vault_id))]
    async fn list_protected_vms(&self, vault_id: &str) -> Result<Vec<ProtectedVmRecord>, Error> {
        let path = format!("{}/backupProtectedItems", vault_id.trim_end_matches('/'));
        let mut url = self.url(&path, BACKUP_API)?;
        url.query_pairs_mut().append_pair(
            "$filter",
            "backupManagementType eq 'AzureIaasVM' and itemType eq 'VM'",
        );
        let items: Vec<Value> = self.list_all(url).await?;
        Ok(items
            .iter()
            .filter_map(|item| {
                let p = item.get("properties")?;
                Some(ProtectedVmRecord {
                    source_resource_id: text(p, "/sourceResourceId")
                        .or_else(|| text(p, "/virtualMachineId"))?,
                    vault_id: vault_id.to_owned(),
                    policy_name: text(p, "/policyName"),
                    last_backup_time: text(p, "/lastBackupTime"),
                    last_backup_status: text(p, "/lastBackupStatus"),
                    health_status: text(p, "/healthStatus"),
                    protection_state: text(p, "/protectionState"),
                })
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_odd_vm_is_kept_with_what_could_not_be_read() {
        let record = vm_from_model(&json!({
            "id": "/SUBSCRIPTIONS/s1/resourcegroups/RG/providers/Microsoft.Compute/virtualMachines/vm1",
            "properties": {"storageProfile": {"osDisk": {"osType": "Plan9"}}}
        }));
        assert_eq!(record.name, "vm1");
        assert_eq!(record.resource_group, "RG");
        assert_eq!(record.subscription_id, "s1");
        assert_eq!(record.facts.os, None);
        assert_eq!(record.problems.len(), 2, "{:?}", record.problems);
    }

    #[test]
    fn a_dual_pass_model_and_its_instance_view_join_into_facts() {
        let mut record = vm_from_model(&json!({
            "id": "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1",
            "name": "vm1",
            "properties": {"storageProfile": {"osDisk": {
                "osType": "Windows", "vhd": {"uri": "https://st.blob.core.windows.net/vhds/os.vhd"},
                "encryptionSettings": {"enabled": true, "diskEncryptionKey": {
                    "secretUrl": "https://kv-old.vault.azure.net/secrets/bek/1",
                    "sourceVault": {"id": "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-old"}}}
            }}},
            "resources": [{"id": "/subscriptions/s1/.../extensions/AzureDiskEncryption"}]
        }));
        add_instance_view(
            &mut record,
            &json!({
                "vmAgent": {"statuses": [{"code": "ProvisioningState/succeeded", "displayStatus": "Ready"}]},
                "disks": [{"name": "os", "statuses": [{"code": "EncryptionState/encrypted"}]}],
                "extensions": [{"type": "Microsoft.Azure.Security.AzureDiskEncryption", "typeHandlerVersion": "1.1",
                    "statuses": [{"code": "ProvisioningState/succeeded"}]}]
            }),
        );
        assert!(record.problems.is_empty(), "{:?}", record.problems);
        assert_eq!(record.facts.agent, AgentState::Ready);
        assert_eq!(record.facts.disks, Some(DiskKind::Unmanaged));
        assert_eq!(
            record.facts.extensions.len(),
            1,
            "model and view name one extension"
        );
        assert_eq!(record.facts.extensions[0].version, "1.1");
        let ade = safehold_core::ade::classify(&record.facts).ade.unwrap();
        assert_eq!(ade.pass, safehold_core::ade::AdePass::DualPass);
        assert_eq!(ade.secret.unwrap().vault_name, "kv-old");
    }
}
