//! Compute: virtual machines (with instance view), their extensions, managed disks, and classic
//! VMs. Wire shapes are built from the VM records: where ADE put its references depends on the
//! generation (single-pass: on the disks; dual-pass: on the VM model).

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::Shared;
use crate::arm::{ArmError, Page, resource_not_found};
use crate::tenant::{
    AdePass, AdeRecord, DiskRecord, OsKind, RestoredDiskRecord, SubscriptionRecord, VaultObjectRef,
    VirtualMachineRecord,
};

/// A key vault's resource id, by name, in `sub`.
pub(crate) fn vault_id(sub: &SubscriptionRecord, name: &str) -> String {
    let rg = sub
        .key_vaults
        .iter()
        .find(|k| k.name.eq_ignore_ascii_case(name))
        .map_or("rg-unknown", |k| k.resource_group.as_str());
    format!(
        "/subscriptions/{}/resourceGroups/{rg}/providers/Microsoft.KeyVault/vaults/{name}",
        sub.subscription_id
    )
}

/// The versioned URL of a secret.
pub(crate) fn secret_url(state: &Shared, r: &VaultObjectRef) -> String {
    format!(
        "{}secrets/{}/{}",
        state.vault_uri(&r.vault),
        r.name,
        r.version
    )
}

/// The versioned URL of a key.
pub(crate) fn key_url(state: &Shared, r: &VaultObjectRef) -> String {
    format!("{}keys/{}/{}", state.vault_uri(&r.vault), r.name, r.version)
}

/// The `encryptionSettings` element for a disk (the shape is shared by disks and the VM model).
fn encryption_settings(state: &Shared, sub: &SubscriptionRecord, ade: &AdeRecord) -> Value {
    let mut settings = json!({
        "diskEncryptionKey": {
            "secretUrl": secret_url(state, &ade.bek),
            "sourceVault": { "id": vault_id(sub, &ade.bek.vault) }
        }
    });
    if let Some(kek) = &ade.kek {
        settings["keyEncryptionKey"] = json!({
            "keyUrl": key_url(state, kek),
            "sourceVault": { "id": vault_id(sub, &kek.vault) }
        });
    }
    settings
}

/// The VM's resource id.
pub(crate) fn vm_resource_id(sub: &SubscriptionRecord, vm: &VirtualMachineRecord) -> String {
    vm_id(sub, vm)
}

/// The ids of the VM's network interfaces, primary first.
pub(crate) fn network_interface_ids(
    sub: &SubscriptionRecord,
    vm: &VirtualMachineRecord,
) -> Vec<String> {
    if vm.network_interfaces.is_empty() {
        return vec![format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/networkInterfaces/{}-nic",
            sub.subscription_id, vm.resource_group, vm.name
        )];
    }
    vm.network_interfaces.clone()
}

fn vm_id(sub: &SubscriptionRecord, vm: &VirtualMachineRecord) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Compute/virtualMachines/{}",
        sub.subscription_id, vm.resource_group, vm.name
    )
}

fn disk_id(sub: &SubscriptionRecord, vm: &VirtualMachineRecord, disk: &DiskRecord) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Compute/disks/{}",
        sub.subscription_id, vm.resource_group, disk.name
    )
}

fn disk_reference(sub: &SubscriptionRecord, vm: &VirtualMachineRecord, disk: &DiskRecord) -> Value {
    let mut value = json!({
        "name": disk.name,
        "caching": if disk.lun.is_none() { "ReadWrite" } else { "None" },
        "diskSizeGB": disk.size_gb,
    });
    match &disk.vhd_uri {
        Some(uri) => value["vhd"] = json!({ "uri": uri }),
        None => {
            value["managedDisk"] =
                json!({ "id": disk_id(sub, vm, disk), "storageAccountType": "Premium_LRS" });
        }
    }
    match disk.lun {
        Some(lun) => {
            value["lun"] = json!(lun);
            value["createOption"] = json!("Empty");
        }
        None => {
            value["createOption"] = json!("FromImage");
            value["osType"] = json!(match vm.os {
                OsKind::Windows => "Windows",
                OsKind::Linux => "Linux",
            });
        }
    }
    value
}

const ADE_EXTENSION_PUBLISHER: &str = "Microsoft.Azure.Security";

/// The ADE extension's type, handler version and name for this VM.
fn ade_extension_identity(
    vm: &VirtualMachineRecord,
    ade: &AdeRecord,
) -> (&'static str, &'static str) {
    match (vm.os, ade.pass) {
        (OsKind::Windows, AdePass::SinglePass) => ("AzureDiskEncryption", "2.2"),
        (OsKind::Windows, AdePass::DualPass) => ("AzureDiskEncryption", "1.1"),
        (OsKind::Linux, AdePass::SinglePass) => ("AzureDiskEncryptionForLinux", "1.1"),
        (OsKind::Linux, AdePass::DualPass) => ("AzureDiskEncryptionForLinux", "0.1"),
    }
}

/// The name of the VM's ADE extension, when it has one.
pub(crate) fn ade_extension_name(vm: &VirtualMachineRecord) -> Option<&'static str> {
    vm.encryption
        .as_ref()
        .map(|ade| ade_extension_identity(vm, ade).0)
}

fn ade_extension(
    state: &Shared,
    sub: &SubscriptionRecord,
    vm: &VirtualMachineRecord,
    ade: &AdeRecord,
) -> Value {
    let (kind, version) = ade_extension_identity(vm, ade);
    let mut settings = json!({
        "EncryptionOperation": "EnableEncryption",
        "KeyVaultURL": state.vault_uri(&ade.bek.vault),
        "KeyEncryptionKeyURL": ade.kek.as_ref().map(|k| key_url(state, k)).unwrap_or_default(),
        "KeyEncryptionAlgorithm": "RSA-OAEP",
        "VolumeType": ade.volume_type,
        "SequenceVersion": vm.vm_id,
    });
    match ade.pass {
        AdePass::SinglePass => {
            settings["KeyVaultResourceId"] = json!(vault_id(sub, &ade.bek.vault));
            settings["KekVaultResourceId"] = json!(
                ade.kek
                    .as_ref()
                    .map(|k| vault_id(sub, &k.vault))
                    .unwrap_or_default()
            );
        }
        AdePass::DualPass => {
            settings["AADClientID"] = json!(ade.aad_client_id.clone().unwrap_or_default());
        }
    }
    json!({
        "id": format!("{}/extensions/{kind}", vm_id(sub, vm)),
        "name": kind,
        "type": "Microsoft.Compute/virtualMachines/extensions",
        "location": vm.location,
        "properties": {
            "publisher": ADE_EXTENSION_PUBLISHER,
            "type": kind,
            "typeHandlerVersion": version,
            "autoUpgradeMinorVersion": true,
            "settings": settings,
            "provisioningState": "Succeeded"
        }
    })
}

fn status(code: &str, level: &str, display: &str) -> Value {
    json!({ "code": code, "level": level, "displayStatus": display })
}

fn instance_view(state: &Shared, sub: &SubscriptionRecord, vm: &VirtualMachineRecord) -> Value {
    let agent = if vm.agent_ready {
        json!({
            "vmAgentVersion": "2.7.41491.1102",
            "statuses": [{
                "code": "ProvisioningState/succeeded", "level": "Info", "displayStatus": "Ready",
                "message": "The guest agent is running and accepts new configurations."
            }]
        })
    } else {
        json!({
            "vmAgentVersion": "Unknown",
            "statuses": [{
                "code": "ProvisioningState/Unavailable", "level": "Warning", "displayStatus": "Not Ready",
                "message": "The guest agent has not reported for more than 15 minutes."
            }]
        })
    };
    let disks: Vec<Value> = std::iter::once(&vm.os_disk)
        .chain(&vm.data_disks)
        .map(|disk| {
            let mut statuses = vec![status(
                "ProvisioningState/succeeded",
                "Info",
                "Provisioning succeeded",
            )];
            let mut value = json!({ "name": disk.name });
            match &vm.encryption {
                Some(ade) if ade.volume_type == "All" || disk.lun.is_none() => {
                    statuses.push(status(
                        "EncryptionState/encrypted",
                        "Info",
                        "Encryption is enabled on disk",
                    ));
                    if ade.pass == AdePass::SinglePass {
                        value["encryptionSettings"] = json!([encryption_settings(state, sub, ade)]);
                    }
                }
                _ => statuses.push(status(
                    "EncryptionState/notEncrypted",
                    "Info",
                    "Encryption is disabled on disk",
                )),
            }
            value["statuses"] = json!(statuses);
            value
        })
        .collect();
    let extensions: Vec<Value> = vm
        .encryption
        .iter()
        .map(|ade| {
            let (kind, version) = ade_extension_identity(vm, ade);
            json!({
                "name": kind,
                "type": format!("{ADE_EXTENSION_PUBLISHER}.{kind}"),
                "typeHandlerVersion": version,
                "statuses": [{
                    "code": "ProvisioningState/succeeded", "level": "Info",
                    "displayStatus": "Provisioning succeeded",
                    "message": "Encryption succeeded for all volumes"
                }],
                "substatuses": match vm.os {
                    OsKind::Linux => json!([{
                        "code": "ComponentStatus/EncryptionStatus/succeeded", "level": "Info",
                        "displayStatus": "Provisioning succeeded",
                        "message": "{\"os\": \"Encrypted\", \"data\": \"Encrypted\"}"
                    }]),
                    OsKind::Windows => json!([]),
                }
            })
        })
        .collect();
    json!({
        "computerName": vm.name,
        "osName": vm.os_name,
        "vmAgent": agent,
        "disks": disks,
        "extensions": extensions,
        "hyperVGeneration": "V2",
        "statuses": [
            status("ProvisioningState/succeeded", "Info", "Provisioning succeeded"),
            status(&format!("PowerState/{}", vm.power_state), "Info", &format!("VM {}", vm.power_state)),
        ]
    })
}

fn vm_json(
    state: &Shared,
    sub: &SubscriptionRecord,
    vm: &VirtualMachineRecord,
    expand: bool,
) -> Value {
    let mut os_disk = disk_reference(sub, vm, &vm.os_disk);
    if let Some(ade) = vm
        .encryption
        .as_ref()
        .filter(|a| a.pass == AdePass::DualPass)
    {
        let mut settings = encryption_settings(state, sub, ade);
        settings["enabled"] = json!(true);
        os_disk["encryptionSettings"] = settings;
    }
    let os_profile = match vm.os {
        OsKind::Windows => json!({
            "computerName": vm.name, "adminUsername": "contosoadmin",
            "windowsConfiguration": { "provisionVMAgent": true, "enableAutomaticUpdates": true },
            "secrets": [], "allowExtensionOperations": true
        }),
        OsKind::Linux => json!({
            "computerName": vm.name, "adminUsername": "contosoadmin",
            "linuxConfiguration": { "disablePasswordAuthentication": true, "provisionVMAgent": true },
            "secrets": [], "allowExtensionOperations": true
        }),
    };
    let id = vm_id(sub, vm);
    let mut value = json!({
        "id": id,
        "name": vm.name,
        "type": "Microsoft.Compute/virtualMachines",
        "location": vm.location,
        "tags": vm.tags,
        "properties": {
            "vmId": vm.vm_id,
            "hardwareProfile": { "vmSize": vm.size },
            "storageProfile": {
                "osDisk": os_disk,
                "dataDisks": vm.data_disks.iter().map(|d| disk_reference(sub, vm, d)).collect::<Vec<_>>()
            },
            "osProfile": os_profile,
            "networkProfile": {
                "networkInterfaces": network_interface_ids(sub, vm)
                    .iter()
                    .enumerate()
                    .map(|(i, id)| json!({ "id": id, "properties": { "primary": i == 0 } }))
                    .collect::<Vec<_>>()
            },
            "provisioningState": "Succeeded",
            "timeCreated": vm.created
        }
    });
    if let Some(ade) = &vm.encryption {
        let (kind, _) = ade_extension_identity(vm, ade);
        value["resources"] = json!([{ "id": format!("{id}/extensions/{kind}") }]);
    }
    if expand {
        value["properties"]["instanceView"] = instance_view(state, sub, vm);
    }
    value
}

fn find_vm<'a>(
    sub: &'a SubscriptionRecord,
    rg: &str,
    name: &str,
) -> Result<&'a VirtualMachineRecord, ArmError> {
    sub.virtual_machines
        .iter()
        .find(|v| v.resource_group.eq_ignore_ascii_case(rg) && v.name.eq_ignore_ascii_case(name))
        .ok_or_else(|| resource_not_found("Microsoft.Compute/virtualMachines", name, rg))
}

/// `GET {sub}[/resourceGroups/{rg}]/providers/Microsoft.Compute/virtualMachines`; with
/// `statusOnly=true`, each VM's instance view without its model.
pub fn list_vms(
    state: &Shared,
    sub: &SubscriptionRecord,
    rg: Option<&str>,
    base: &str,
    page: Page,
    status_only: bool,
) -> Value {
    let vms = sub
        .virtual_machines
        .iter()
        .filter(|v| rg.is_none_or(|rg| v.resource_group.eq_ignore_ascii_case(rg)));
    if status_only {
        return page.render(
            vms,
            |v| {
                json!({
                    "id": vm_id(sub, v),
                    "name": v.name,
                    "type": "Microsoft.Compute/virtualMachines",
                    "location": v.location,
                    "properties": { "instanceView": instance_view(state, sub, v) }
                })
            },
            base,
        );
    }
    page.render(vms, |v| vm_json(state, sub, v, false), base)
}

/// `GET .../virtualMachines/{name}[?$expand=instanceView]`
pub fn get_vm(
    state: &Shared,
    sub: &SubscriptionRecord,
    rg: &str,
    name: &str,
    expand: bool,
) -> Result<Response, ArmError> {
    find_vm(sub, rg, name).map(|vm| Json(vm_json(state, sub, vm, expand)).into_response())
}

/// `GET .../virtualMachines/{name}/instanceView`
pub fn get_instance_view(
    state: &Shared,
    sub: &SubscriptionRecord,
    rg: &str,
    name: &str,
) -> Result<Response, ArmError> {
    find_vm(sub, rg, name).map(|vm| Json(instance_view(state, sub, vm)).into_response())
}

fn extensions(state: &Shared, sub: &SubscriptionRecord, vm: &VirtualMachineRecord) -> Vec<Value> {
    vm.encryption
        .iter()
        .map(|ade| ade_extension(state, sub, vm, ade))
        .collect()
}

/// `GET .../virtualMachines/{name}/extensions`
pub fn list_extensions(
    state: &Shared,
    sub: &SubscriptionRecord,
    rg: &str,
    name: &str,
) -> Result<Response, ArmError> {
    find_vm(sub, rg, name)
        .map(|vm| Json(json!({ "value": extensions(state, sub, vm) })).into_response())
}

/// `GET .../virtualMachines/{name}/extensions/{extension}`
pub fn get_extension(
    state: &Shared,
    sub: &SubscriptionRecord,
    rg: &str,
    name: &str,
    extension: &str,
) -> Result<Response, ArmError> {
    let vm = find_vm(sub, rg, name)?;
    extensions(state, sub, vm)
        .into_iter()
        .find(|e| {
            e["name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(extension))
        })
        .map(|e| Json(e).into_response())
        .ok_or_else(|| {
            resource_not_found(
                "Microsoft.Compute/virtualMachines/extensions",
                extension,
                rg,
            )
        })
}

fn managed_disks(
    sub: &SubscriptionRecord,
) -> impl Iterator<Item = (&VirtualMachineRecord, &DiskRecord)> {
    sub.virtual_machines.iter().flat_map(|vm| {
        std::iter::once(&vm.os_disk)
            .chain(&vm.data_disks)
            .filter(|d| d.vhd_uri.is_none())
            .map(move |d| (vm, d))
    })
}

fn disk_json(
    state: &Shared,
    sub: &SubscriptionRecord,
    vm: &VirtualMachineRecord,
    disk: &DiskRecord,
) -> Value {
    let mut properties = json!({
        "creationData": { "createOption": if disk.lun.is_none() { "FromImage" } else { "Empty" } },
        "diskSizeGB": disk.size_gb,
        "diskState": "Attached",
        "encryption": { "type": "EncryptionAtRestWithPlatformKey" },
        "provisioningState": "Succeeded",
        "timeCreated": vm.created,
    });
    if disk.lun.is_none() {
        properties["osType"] = json!(match vm.os {
            OsKind::Windows => "Windows",
            OsKind::Linux => "Linux",
        });
    }
    if let Some(ade) = vm
        .encryption
        .as_ref()
        .filter(|a| a.volume_type == "All" || disk.lun.is_none())
    {
        // Single-pass ADE stamps the references on the disk (settings version 1.1); dual-pass
        // keeps them on the VM model and marks the disk with version 1.0.
        properties["encryptionSettingsCollection"] = match ade.pass {
            AdePass::SinglePass => json!({
                "enabled": true,
                "encryptionSettings": [encryption_settings(state, sub, ade)],
                "encryptionSettingsVersion": "1.1"
            }),
            AdePass::DualPass => json!({ "enabled": true, "encryptionSettingsVersion": "1.0" }),
        };
    }
    json!({
        "id": disk_id(sub, vm, disk),
        "name": disk.name,
        "type": "Microsoft.Compute/disks",
        "location": vm.location,
        "managedBy": vm_id(sub, vm),
        "sku": { "name": "Premium_LRS", "tier": "Premium" },
        "properties": properties
    })
}

fn restored_disk_json(state: &Shared, sub: &SubscriptionRecord, d: &RestoredDiskRecord) -> Value {
    let mut properties = json!({
        "creationData": { "createOption": "Restore" },
        "diskSizeGB": d.size_gb,
        "diskState": "Unattached",
        "encryption": { "type": "EncryptionAtRestWithPlatformKey" },
        "provisioningState": "Succeeded",
    });
    if let Some(os) = d.os {
        properties["osType"] = json!(match os {
            OsKind::Windows => "Windows",
            OsKind::Linux => "Linux",
        });
        // The restored OS disk keeps the recovery point's ADE references.
        if let Some(ade) = &d.encryption {
            properties["encryptionSettingsCollection"] = json!({
                "enabled": true,
                "encryptionSettings": [encryption_settings(state, sub, ade)],
                "encryptionSettingsVersion": if ade.pass == AdePass::SinglePass { "1.1" } else { "1.0" }
            });
        }
    }
    json!({
        "id": format!("/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Compute/disks/{}", sub.subscription_id, d.resource_group, d.name),
        "name": d.name,
        "type": "Microsoft.Compute/disks",
        "location": d.location,
        "sku": { "name": "Premium_LRS", "tier": "Premium" },
        "properties": properties
    })
}

fn restored_disks(sub: &SubscriptionRecord) -> impl Iterator<Item = &RestoredDiskRecord> {
    let now = crate::token::now();
    sub.restored_disks
        .iter()
        .filter(move |d| d.available_at <= now)
}

/// How many disks that restores created are visible now. Together with the tenant's
/// generation it fixes a disk list: restored disks only ever appear, as their restores finish.
pub fn visible_restored_disks(sub: &SubscriptionRecord) -> usize {
    restored_disks(sub).count()
}

/// `GET {sub}[/resourceGroups/{rg}]/providers/Microsoft.Compute/disks`
pub fn list_disks(
    state: &Shared,
    sub: &SubscriptionRecord,
    rg: Option<&str>,
    base: &str,
    page: Page,
) -> Value {
    // Only the page's own disks are rendered: a page of a large list costs the page.
    let items = managed_disks(sub)
        .filter(|(vm, _)| rg.is_none_or(|rg| vm.resource_group.eq_ignore_ascii_case(rg)))
        .map(Disk::Managed)
        .chain(
            restored_disks(sub)
                .filter(|d| rg.is_none_or(|rg| d.resource_group.eq_ignore_ascii_case(rg)))
                .map(Disk::Restored),
        );
    page.render(
        items,
        |disk| match disk {
            Disk::Managed((vm, d)) => disk_json(state, sub, vm, d),
            Disk::Restored(d) => restored_disk_json(state, sub, d),
        },
        base,
    )
}

/// A disk of the list: one of a VM's, or one a restore created.
enum Disk<'a> {
    Managed((&'a VirtualMachineRecord, &'a DiskRecord)),
    Restored(&'a RestoredDiskRecord),
}

/// `GET .../disks/{name}`
pub fn get_disk(
    state: &Shared,
    sub: &SubscriptionRecord,
    rg: &str,
    name: &str,
) -> Result<Response, ArmError> {
    managed_disks(sub)
        .find(|(vm, d)| {
            vm.resource_group.eq_ignore_ascii_case(rg) && d.name.eq_ignore_ascii_case(name)
        })
        .map(|(vm, d)| Json(disk_json(state, sub, vm, d)).into_response())
        .or_else(|| {
            restored_disks(sub)
                .find(|d| {
                    d.resource_group.eq_ignore_ascii_case(rg) && d.name.eq_ignore_ascii_case(name)
                })
                .map(|d| Json(restored_disk_json(state, sub, d)).into_response())
        })
        .ok_or_else(|| resource_not_found("Microsoft.Compute/disks", name, rg))
}

/// `GET {sub}/providers/Microsoft.ClassicCompute/virtualMachines`
pub fn list_classic_vms(sub: &SubscriptionRecord) -> Response {
    let value: Vec<Value> = sub
        .classic_virtual_machines
        .iter()
        .map(|vm| {
            json!({
                "id": format!(
                    "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.ClassicCompute/virtualMachines/{}",
                    sub.subscription_id, vm.resource_group, vm.name
                ),
                "name": vm.name,
                "type": "Microsoft.ClassicCompute/virtualMachines",
                "location": vm.location,
                "properties": {
                    "provisioningState": "Succeeded",
                    "instanceView": { "status": "ReadyRole", "powerState": "Started" },
                    "hardwareProfile": { "size": "Small", "deploymentName": vm.name, "deploymentId": vm.name }
                }
            })
        })
        .collect();
    Json(json!({ "value": value })).into_response()
}

/// `PUT .../virtualMachines/{name}`: a new VM from restored disks (`osDisk.createOption:
/// Attach` with the restored OS disk's id), on NICs that exist in its region, as INDEX.md's
/// "direct Compute calls" path does it. Answers 201 with the VM and `Azure-AsyncOperation`.
/// Changing an existing VM, or a VM from an image, is not something the sandbox evaluates: it
/// refuses them with `OperationNotAllowed` rather than pretending.
pub fn create_vm(
    state: &Shared,
    subscription: &str,
    rg: &str,
    name: &str,
    api_version: &str,
    body: &[u8],
) -> Result<Response, ArmError> {
    use axum::http::StatusCode;
    let body: Value = serde_json::from_slice(body).map_err(|e| {
        ArmError::new(
            StatusCode::BAD_REQUEST,
            "InvalidRequestContent",
            format!("The request content was invalid and could not be deserialized: {e}."),
        )
    })?;
    let refuse =
        |message: String| ArmError::new(StatusCode::CONFLICT, "OperationNotAllowed", message);
    let mut tenant = state.tenant_mut();
    let sub = tenant
        .subscription(subscription)
        .ok_or_else(|| crate::arm::subscription_not_found(subscription))?;
    let group = sub
        .resource_groups
        .iter()
        .find(|g| g.name.eq_ignore_ascii_case(rg))
        .ok_or_else(|| {
            ArmError::new(
                StatusCode::NOT_FOUND,
                "ResourceGroupNotFound",
                format!("Resource group '{rg}' could not be found."),
            )
        })?;
    if sub
        .virtual_machines
        .iter()
        .any(|v| v.resource_group.eq_ignore_ascii_case(rg) && v.name.eq_ignore_ascii_case(name))
    {
        return Err(refuse(format!(
            "The sandbox creates VMs from restored disks; it does not change the existing VM '{name}'."
        )));
    }
    let attach = body["properties"]["storageProfile"]["osDisk"]["createOption"]
        .as_str()
        .is_some_and(|o| o.eq_ignore_ascii_case("Attach"));
    if !attach {
        return Err(refuse(
            "The sandbox creates VMs only by attaching a restored OS disk (storageProfile.osDisk.createOption 'Attach' with managedDisk.id).".to_owned(),
        ));
    }
    let location = group.location.clone();
    let vm = crate::deployments::build_vm(&tenant, sub, rg, name, &body, &location).map_err(
        |(code, message)| {
            let status = if code == "NotFound" {
                StatusCode::NOT_FOUND
            } else {
                StatusCode::BAD_REQUEST
            };
            ArmError::owned(status, code, message)
        },
    )?;
    let vm_location = vm.location.clone();
    let sub_id = sub.subscription_id.clone();
    let sub = tenant
        .subscription_mut(&sub_id)
        .ok_or_else(|| crate::arm::subscription_not_found(&sub_id))?;
    sub.virtual_machines.push(vm);
    let json = sub
        .virtual_machines
        .last()
        .map(|vm| vm_json(state, sub, vm, false))
        .unwrap_or_default();
    state.persist(&tenant)?;
    drop(tenant);
    let status_url = format!(
        "{}/subscriptions/{sub_id}/providers/Microsoft.Compute/locations/{vm_location}/operations/{}?api-version={api_version}",
        state.arm_endpoint,
        uuid::Uuid::new_v4()
    );
    let mut response = (StatusCode::CREATED, Json(json)).into_response();
    if let Ok(value) = axum::http::HeaderValue::from_str(&status_url) {
        response.headers_mut().insert("azure-asyncoperation", value);
    }
    Ok(response)
}

/// `GET {sub}/providers/Microsoft.Compute/locations/{loc}/operations/{id}`: a VM create finishes
/// when it is answered.
pub fn operation_status(id: &str) -> Response {
    let now = crate::recovery_services::rfc3339(crate::token::now());
    Json(json!({ "name": id, "status": "Succeeded", "startTime": now, "endTime": now }))
        .into_response()
}
