//! Restoring a VM's disks from a recovery point (`IaasVMRestoreRequest`), the path the docs
//! prescribe for encrypted VMs.
//!
//! Outcomes are computed from the tenant when the restore starts: it fails when the recovery
//! point's key vault no longer exists, or its key and secret are gone; creating a VM directly
//! (`AlternateLocation`) from an encrypted point fails as not authorised (restore the disks and
//! build the VM instead); replacing disks and cross-subscription restores of encrypted VMs are
//! refused. A successful restore writes its outputs — the VM config, an ARM template (only for
//! points after 26 April 2017) and, for encrypted VMs, the encryption info with the key and secret
//! backups — into the staging storage account, readable at the blob endpoint when the job ends,
//! and creates the managed disks in the target resource group. The job's property bag names them
//! as the service does, trailing space in `"Recovery point time "` included.

use std::collections::BTreeMap;

use axum::response::Response;
use base64::Engine as _;
use serde::Deserialize;
use serde_json::{Value, json};

use super::failures::{
    CROSS_SUBSCRIPTION_RESTORE, Failure, INVALID_INPUT, REPLACE_DISKS_OF_ENCRYPTED_VM,
    RESTORE_KEYS_GONE, RESTORE_NOT_AUTHORISED, RESTORE_VAULT_GONE, STAGING_ACCOUNT_NOT_FOUND,
    TARGET_GROUP_NOT_FOUND,
};
use super::operations::{Operation, accept_on_item};
use super::protection::{item_not_found, parse_vm_name};
use super::recovery_points::{available_points, point_not_found};
use super::vaults::{VaultPath, find_vault, subscription_index, vault_mut};
use super::{VaultRequest, parse_time, rfc3339};
use crate::Shared;
use crate::arm::{ArmError, segment_after};
use crate::tenant::{
    AdeRecord, BlobRecord, JobRecord, OsKind, RecoveryPointRecord, RestoredDiskRecord, Tenant,
};

/// Recovery points from before this day have no template (Unix seconds of 2017-04-26).
const TEMPLATES_SINCE: i64 = 1_493_164_800;

#[derive(Deserialize)]
struct RestoreRequest {
    properties: RestoreProperties,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RestoreProperties {
    object_type: String,
    recovery_type: String,
    storage_account_id: Option<String>,
    target_resource_group_id: Option<String>,
    region: Option<String>,
}

/// Why a restore of a point with these encryption settings fails, if it does.
fn key_failure(tenant: &Tenant, ade: &AdeRecord) -> Option<&'static Failure> {
    let vault_gone = |name: &str| tenant.key_vault(name).is_none_or(|(_, kv)| kv.deleted);
    if vault_gone(&ade.bek.vault) || ade.kek.as_ref().is_some_and(|k| vault_gone(&k.vault)) {
        return Some(&RESTORE_VAULT_GONE);
    }
    let secret_present = tenant.key_vault(&ade.bek.vault).is_some_and(|(_, kv)| {
        kv.secrets.iter().any(|s| {
            !s.deleted && s.name.eq_ignore_ascii_case(&ade.bek.name) && s.version == ade.bek.version
        })
    });
    let key_present = ade.kek.as_ref().is_none_or(|k| {
        tenant.key_vault(&k.vault).is_some_and(|(_, kv)| {
            kv.keys.iter().any(|key| {
                !key.deleted && key.name.eq_ignore_ascii_case(&k.name) && key.version == k.version
            })
        })
    });
    (!(secret_present && key_present)).then_some(&RESTORE_KEYS_GONE)
}

fn encryption_info(state: &Shared, tenant: &Tenant, subscription: &str, ade: &AdeRecord) -> Value {
    let secret = tenant.key_vault(&ade.bek.vault).and_then(|(_, kv)| {
        kv.secrets
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(&ade.bek.name) && s.version == ade.bek.version)
            .map(|s| (kv, s))
    });
    let region = secret.map_or("japaneast", |(kv, _)| kv.location.as_str());
    let geo = crate::keyvault_data::geography(region).to_owned();
    // The encryption info carries the backup blobs base64-encoded (the REST restore takes them
    // base64url-encoded).
    let blob = |content: &crate::keyvault_data::BackupContent| {
        base64::engine::general_purpose::STANDARD
            .encode(crate::keyvault_data::backup_bytes(content))
    };
    let mut details = json!({
        "SecretUrl": crate::compute::secret_url(state, &ade.bek),
        "SecretData": secret.map(|(_, s)| s.value.clone()),
    });
    match &ade.kek {
        Some(kek) => {
            details["KeyUrl"] = json!(crate::compute::key_url(state, kek));
            details["KeyBackupData"] = json!(blob(&crate::keyvault_data::BackupContent {
                kind: "key".to_owned(),
                subscription: subscription.to_owned(),
                geography: geo,
                name: kek.name.clone(),
                version: kek.version.clone(),
                value: None,
                content_type: None,
                tags: Default::default(),
            }));
        }
        None => {
            details["KeyVaultSecretBackupData"] =
                json!(blob(&crate::keyvault_data::BackupContent {
                    kind: "secret".to_owned(),
                    subscription: subscription.to_owned(),
                    geography: geo,
                    name: ade.bek.name.clone(),
                    version: ade.bek.version.clone(),
                    value: secret.map(|(_, s)| s.value.clone()),
                    content_type: secret.and_then(|(_, s)| s.content_type.clone()),
                    tags: secret.map(|(_, s)| s.tags.clone()).unwrap_or_default(),
                }));
        }
    }
    json!({ "OsDiskKeyAndSecretDetails": details })
}

fn template(vm: &str, rp: &RecoveryPointRecord, disks: &[String]) -> Value {
    let os_type = match rp.os {
        OsKind::Windows => "Windows",
        OsKind::Linux => "Linux",
    };
    let os_disk = disks.first().map_or_else(
        || json!({ "osType": os_type, "createOption": "Attach", "vhd": { "uri": "[parameters('OsDiskVhdUri')]" } }),
        |id| json!({ "osType": os_type, "createOption": "Attach", "managedDisk": { "id": id } }),
    );
    json!({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {
            "VirtualMachineName": { "type": "string", "defaultValue": format!("{vm}-restored") },
            "VirtualNetwork": { "type": "string" },
            "VirtualNetworkResourceGroup": { "type": "string", "defaultValue": "[resourceGroup().name]" },
            "Subnet": { "type": "string", "defaultValue": "default" },
            "NetworkInterfaceName": { "type": "string", "defaultValue": format!("{vm}-restored-nic") }
        },
        "resources": [{
            "type": "Microsoft.Network/networkInterfaces",
            "apiVersion": "2024-03-01",
            "name": "[parameters('NetworkInterfaceName')]",
            "location": "[resourceGroup().location]",
            "properties": { "ipConfigurations": [{
                "name": "ipconfig1",
                "properties": {
                    "privateIPAllocationMethod": "Dynamic",
                    "subnet": { "id": "[resourceId(parameters('VirtualNetworkResourceGroup'), 'Microsoft.Network/virtualNetworks/subnets', parameters('VirtualNetwork'), parameters('Subnet'))]" }
                }
            }] }
        }, {
            "type": "Microsoft.Compute/virtualMachines",
            "apiVersion": "2024-07-01",
            "name": "[parameters('VirtualMachineName')]",
            "location": "[resourceGroup().location]",
            "dependsOn": ["[resourceId('Microsoft.Network/networkInterfaces', parameters('NetworkInterfaceName'))]"],
            "properties": {
                "hardwareProfile": { "vmSize": rp.vm_size },
                "storageProfile": { "osDisk": os_disk, "dataDisks": [] },
                "networkProfile": { "networkInterfaces": [{
                    "id": "[resourceId('Microsoft.Network/networkInterfaces', parameters('NetworkInterfaceName'))]"
                }] }
            }
        }]
    })
}

/// `POST {item}/recoveryPoints/{id}/restore`
pub(super) fn trigger(state: &Shared, r: &VaultRequest<'_>) -> Result<Response, ArmError> {
    let (rg, vm_name) = parse_vm_name(r.rest[5])?;
    let rp_id = r.rest[7];
    let request: RestoreRequest = serde_json::from_slice(r.body).map_err(|e| {
        INVALID_INPUT.error_because(format!("The restore request is not valid: {e}."))
    })?;
    let p = request.properties;
    if !p.object_type.eq_ignore_ascii_case("IaasVMRestoreRequest") {
        return Err(
            INVALID_INPUT.error_because("properties.objectType must be 'IaasVMRestoreRequest'.")
        );
    }
    let now = crate::token::now();
    let duration = state.job_duration_secs;
    let mut tenant = state.tenant_mut();
    let sub_index = subscription_index(&tenant, r.subscription)?;
    let sub = &tenant.subscriptions[sub_index];
    let sub_id = sub.subscription_id.clone();
    let vault = find_vault(sub, r.resource_group, r.vault)?;
    let vault_location = vault.location.clone();
    let item = vault
        .protected_items
        .iter()
        .find(|i| {
            i.vm_resource_group.eq_ignore_ascii_case(&rg)
                && i.vm_name.eq_ignore_ascii_case(&vm_name)
        })
        .ok_or_else(|| item_not_found(r.rest[5]))?;
    let rp = available_points(item, now)
        .find(|p| p.id == rp_id)
        .cloned()
        .ok_or_else(|| point_not_found(rp_id))?;
    let encrypted = rp.encryption.is_some();

    let outcome = match p.recovery_type.to_ascii_lowercase().as_str() {
        "restoredisks" => None,
        "originallocation" if encrypted => {
            return Err(REPLACE_DISKS_OF_ENCRYPTED_VM.error());
        }
        "alternatelocation" if encrypted => Some(&RESTORE_NOT_AUTHORISED),
        other => {
            return Err(INVALID_INPUT.error_because(format!(
                "The sandbox restores disks of VMs (recoveryType 'RestoreDisks'), not '{other}'."
            )));
        }
    };

    // The staging storage account: same subscription for encrypted VMs, the vault's region.
    let account_id = p
        .storage_account_id
        .as_deref()
        .ok_or_else(|| INVALID_INPUT.error_because("properties.storageAccountId is required."))?;
    let account_sub = segment_after(account_id, "subscriptions").unwrap_or_default();
    if encrypted && !account_sub.eq_ignore_ascii_case(&sub_id) {
        return Err(CROSS_SUBSCRIPTION_RESTORE.error());
    }
    let account_name = segment_after(account_id, "storageAccounts")
        .unwrap_or_default()
        .to_owned();
    let account = sub
        .storage_accounts
        .iter()
        .find(|a| a.name.eq_ignore_ascii_case(&account_name))
        .ok_or_else(|| STAGING_ACCOUNT_NOT_FOUND.error_with(&[("name", &account_name)]))?;
    if let Some(refusal) = crate::storage::staging_refusal(account, &vault_location, rp.managed) {
        return Err(refusal);
    }
    if p.region
        .as_deref()
        .is_some_and(|region| !region.eq_ignore_ascii_case(&vault_location))
    {
        return Err(INVALID_INPUT.error_because(format!(
            "properties.region must be the vault's region, '{vault_location}'."
        )));
    }
    let target_group = match (&p.target_resource_group_id, rp.managed) {
        (Some(id), _) => {
            let name = segment_after(id, "resourceGroups")
                .unwrap_or_default()
                .to_owned();
            if !sub
                .resource_groups
                .iter()
                .any(|g| g.name.eq_ignore_ascii_case(&name))
            {
                return Err(TARGET_GROUP_NOT_FOUND.error_with(&[("name", &name)]));
            }
            Some(name)
        }
        (None, true) => {
            return Err(
                INVALID_INPUT.error_because("Managed disks need properties.targetResourceGroupId.")
            );
        }
        (None, false) => None,
    };
    let account_rg = account.resource_group.clone();
    let outcome = outcome.or_else(|| {
        rp.encryption
            .as_ref()
            .and_then(|ade| key_failure(&tenant, ade))
    });

    let job_id = uuid::Uuid::new_v4().to_string();
    let ready = now + duration;
    let mut bag = BTreeMap::new();
    let mut blobs = Vec::new();
    let mut disks = Vec::new();
    if outcome.is_none() {
        let container = format!(
            "{}-{}",
            vm_name.to_ascii_lowercase(),
            uuid::Uuid::new_v4().simple()
        );
        let blob_url =
            |name: &str| format!("{}/{account_name}/{container}/{name}", state.blob_endpoint);
        let stamp = rfc3339(now).replace([':', '-'], "");
        if let Some(group) = &target_group {
            for (suffix, os) in [("osdisk", Some(rp.os)), ("datadisk-0", None)] {
                let name = format!("{vm_name}-{suffix}-{}", &stamp[..15.min(stamp.len())]);
                disks.push(format!("/subscriptions/{sub_id}/resourceGroups/{group}/providers/Microsoft.Compute/disks/{name}"));
                tenant.subscriptions[sub_index]
                    .restored_disks
                    .push(RestoredDiskRecord {
                        resource_group: group.clone(),
                        name,
                        location: vault_location.clone(),
                        size_gb: 128,
                        os,
                        encryption: rp.encryption.clone(),
                        available_at: ready,
                    });
            }
        }
        let config = format!("config-{vm_name}-{job_id}.json");
        let config_body = json!({
            "name": vm_name,
            "properties": {
                "hardwareProfile": { "vmSize": rp.vm_size },
                "storageProfile": { "osDisk": { "osType": match rp.os { OsKind::Windows => "Windows", OsKind::Linux => "Linux" }, "name": format!("{vm_name}_OsDisk_1") } }
            }
        });
        blobs.push((container.clone(), config.clone(), config_body.to_string()));
        bag.insert("Config Blob Container Name".to_owned(), container.clone());
        bag.insert("Config Blob Name".to_owned(), config.clone());
        bag.insert("Config Blob Uri".to_owned(), blob_url(&config));
        bag.insert("Job Type".to_owned(), "Recover disks".to_owned());
        bag.insert("Recovery point time ".to_owned(), rp.time.clone());
        bag.insert(
            "Target Storage Account Name".to_owned(),
            account_name.clone(),
        );
        bag.insert(
            "Target resource group".to_owned(),
            target_group.unwrap_or(account_rg),
        );
        if parse_time(&rp.time) >= TEMPLATES_SINCE {
            let template_name = format!("azuredeploy{job_id}.json");
            blobs.push((
                container.clone(),
                template_name.clone(),
                template(&vm_name, &rp, &disks).to_string(),
            ));
            bag.insert("Template Blob Uri".to_owned(), blob_url(&template_name));
        }
        if let Some(ade) = &rp.encryption {
            let info = format!("encryptioninfo-{vm_name}-{job_id}.json");
            blobs.push((
                container,
                info.clone(),
                encryption_info(state, &tenant, &sub_id, ade).to_string(),
            ));
            bag.insert("Encryption Info Blob Name".to_owned(), info);
        }
    }
    let sub = &mut tenant.subscriptions[sub_index];
    if let Some(account) = sub
        .storage_accounts
        .iter_mut()
        .find(|a| a.name.eq_ignore_ascii_case(&account_name))
    {
        for (container, name, content) in blobs {
            account.blobs.push(BlobRecord {
                container,
                name,
                content,
                available_at: ready,
            });
        }
    }
    let vault = vault_mut(sub, r)?;
    vault.jobs.push(JobRecord {
        id: job_id.clone(),
        operation: "Restore".to_owned(),
        vm_resource_group: rg.clone(),
        vm_name: vm_name.clone(),
        start: now,
        duration_secs: duration,
        failure: outcome.map(Failure::job_failure),
        user_triggered: true,
        property_bag: bag,
    });
    let item_id = VaultPath {
        sub: &sub_id,
        rg: &vault.resource_group,
        vault: &vault.name,
    }
    .item_id(&rg, &vm_name);
    state.persist(&tenant)?;
    drop(tenant);
    Ok(accept_on_item(
        state,
        &item_id,
        Operation {
            job_id: Some(job_id),
            start: now,
            error: None,
            item: None,
        },
    ))
}
