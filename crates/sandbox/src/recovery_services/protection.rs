//! Protecting VMs: container and item names, discovery (refresh and protectable items),
//! protected items, enabling protection with a policy, and a VM's backup status.
//!
//! Enabling protection is refused for a VM protected by another vault, in another region than
//! the vault, or encrypted and asking for disk exclusion; a BEK-only VM on managed disks fails
//! validation in a subscription that follows the 2017 support matrix; classic VMs are refused.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::failures::{
    BEK_ONLY_VALIDATION, CLASSIC_VM, DISK_EXCLUSION, Failure, INVALID_INPUT, ITEM_NOT_FOUND,
    PROTECTED_ELSEWHERE, VM_GONE, VM_IN_OTHER_REGION,
};
use super::operations::{Operation, accept_on_item, accepted};
use super::policies::policy_not_found;
use super::recovery_points::available_points;
use super::vaults::{VaultPath, read, vault_mut};
use super::{VaultRequest, query, rfc3339};
use crate::Shared;
use crate::arm::ArmError;
use crate::tenant::{
    JobRecord, ProtectedItemRecord, RecoveryPointRecord, RecoveryVaultRecord, SubscriptionRecord,
    VirtualMachineRecord,
};

/// `POST {vault}/backupFabrics/Azure/refreshContainers`: discovery, done at once; the 202 points
/// at an operation result that answers 204.
pub(super) fn refresh_containers(
    state: &Shared,
    r: &VaultRequest<'_>,
) -> Result<Response, ArmError> {
    read(state, r, |v, _, _| {
        let op = uuid::Uuid::new_v4();
        let location = format!(
            "{}{}/backupFabrics/Azure/operationResults/{op}?api-version=2016-12-01",
            state.arm_endpoint,
            v.id()
        );
        Ok(accepted(state, Some(&location), None))
    })
}

/// `GET {vault}/backupFabrics/Azure/operationResults/{op}`: discovery is always finished.
pub(super) fn refresh_result(state: &Shared, r: &VaultRequest<'_>) -> Result<Response, ArmError> {
    read(state, r, |_, _, _| {
        Ok(StatusCode::NO_CONTENT.into_response())
    })
}

/// `GET {vault}/backupProtectableItems`
pub(super) fn list_protectable(state: &Shared, r: &VaultRequest<'_>) -> Result<Response, ArmError> {
    read(state, r, |v, sub, vault| {
        Ok(protectable_items(v, sub, vault))
    })
}

/// `GET {vault}/backupProtectedItems`
pub(super) fn list_protected(
    state: &Shared,
    r: &VaultRequest<'_>,
    now: i64,
) -> Result<Response, ArmError> {
    read(state, r, |v, sub, vault| {
        // Paged like every ARM list; the filter stays on the nextLink.
        let base = match query(r, "$filter") {
            Some(filter) => format!(
                "{}&{}",
                r.base,
                url_form::Serializer::new(String::new())
                    .append_pair("$filter", filter)
                    .finish()
            ),
            None => r.base.clone(),
        };
        let body = r.page.render(
            &vault.protected_items,
            |i| protected_item_json(v, sub, vault, i, false, now),
            &base,
        );
        Ok(Json(body).into_response())
    })
}

/// `GET {vault}/backupFabrics/Azure/protectionContainers/{c}/protectedItems/{item}`
pub(super) fn get_protected(
    state: &Shared,
    r: &VaultRequest<'_>,
    now: i64,
) -> Result<Response, ArmError> {
    read(state, r, |v, sub, vault| {
        let (rg, vm) = parse_vm_name(r.rest[5])?;
        let item = find_item(vault, &rg, &vm).ok_or_else(|| item_not_found(r.rest[5]))?;
        let extended =
            query(r, "$filter").is_some_and(|f| f.to_ascii_lowercase().contains("extendedinfo"));
        Ok(Json(protected_item_json(v, sub, vault, item, extended, now)).into_response())
    })
}

/// The protection container name of a Resource Manager VM.
pub(crate) fn container_name(rg: &str, vm: &str) -> String {
    format!("iaasvmcontainerv2;{rg};{vm}")
}

/// `(resource group, vm)` from a container or item name like `IaasVMContainer;iaasvmcontainerv2;rg;vm`.
pub(crate) fn parse_vm_name(name: &str) -> Result<(String, String), ArmError> {
    let parts: Vec<&str> = name.split(';').collect();
    let v2 = parts
        .iter()
        .position(|p| p.eq_ignore_ascii_case("iaasvmcontainerv2"));
    match v2 {
        Some(i) if parts.len() == i + 3 => Ok((parts[i + 1].to_owned(), parts[i + 2].to_owned())),
        _ if parts
            .iter()
            .any(|p| p.eq_ignore_ascii_case("iaasvmcontainer")) =>
        {
            Err(CLASSIC_VM.error())
        }
        _ => Err(INVALID_INPUT.error_because(format!(
            "'{name}' is not a VM container or item name (expected IaasVMContainer;iaasvmcontainerv2;<rg>;<vm>)."
        ))),
    }
}

/// Why enabling protection of `vm` fails validation, if it does.
fn protection_refusal(
    sub: &SubscriptionRecord,
    vm: &VirtualMachineRecord,
) -> Option<&'static Failure> {
    let ade = vm.encryption.as_ref()?;
    let bek_only_managed = ade.kek.is_none() && vm.os_disk.vhd_uri.is_none();
    (sub.bek_only_managed_unsupported && bek_only_managed).then_some(&BEK_ONLY_VALIDATION)
}

/// The 404 for a protected item the vault does not have.
pub(crate) fn item_not_found(name: &str) -> ArmError {
    ITEM_NOT_FOUND.error_with(&[("name", name)])
}

/// The vault's protected item for VM `vm` of group `rg`.
pub(super) fn find_item<'a>(
    vault: &'a RecoveryVaultRecord,
    rg: &str,
    vm: &str,
) -> Option<&'a ProtectedItemRecord> {
    vault.protected_items.iter().find(|i| {
        i.vm_resource_group.eq_ignore_ascii_case(rg) && i.vm_name.eq_ignore_ascii_case(vm)
    })
}

pub(super) fn protected_item_json(
    v: &VaultPath<'_>,
    sub: &SubscriptionRecord,
    vault: &RecoveryVaultRecord,
    item: &ProtectedItemRecord,
    extended: bool,
    now: i64,
) -> Value {
    let vm_id = format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Compute/virtualMachines/{}",
        sub.subscription_id, item.vm_resource_group, item.vm_name
    );
    let last_backup = vault
        .jobs
        .iter()
        .filter(|j| {
            j.operation == "Backup"
                && j.vm_name.eq_ignore_ascii_case(&item.vm_name)
                && j.vm_resource_group
                    .eq_ignore_ascii_case(&item.vm_resource_group)
                && j.start + j.duration_secs <= now
        })
        .max_by_key(|j| j.start);
    let points: Vec<&RecoveryPointRecord> = available_points(item, now).collect();
    let container = container_name(&item.vm_resource_group, &item.vm_name);
    let mut properties = json!({
        "friendlyName": item.vm_name,
        "virtualMachineId": vm_id,
        "protectionStatus": if last_backup.is_some_and(|j| j.failure.is_some()) { "Unhealthy" } else { "Healthy" },
        "protectionState": if points.is_empty() { "IRPending" } else { "Protected" },
        "healthStatus": if last_backup.is_some_and(|j| j.failure.is_some()) { "ActionRequired" } else { "Passed" },
        "lastBackupStatus": last_backup.map_or("", |j| if j.failure.is_some() { "Failed" } else { "Completed" }),
        "protectedItemDataId": item.recovery_points.first().map_or_else(|| "0".to_owned(), |p| p.id.clone()),
        "protectedItemType": "Microsoft.Compute/virtualMachines",
        "backupManagementType": "AzureIaasVM",
        "workloadType": "VM",
        "containerName": container,
        "sourceResourceId": vm_id,
        "policyId": format!("{}/backupPolicies/{}", v.id(), item.policy),
        "policyName": item.policy
    });
    if let Some(job) = last_backup {
        properties["lastBackupTime"] = json!(rfc3339(job.start));
        if let Some(f) = &job.failure {
            properties["healthDetails"] = json!([{
                "code": f.numeric, "title": f.code, "message": f.message, "recommendations": [f.recommendation]
            }]);
        }
    }
    if let Some(last) = points.last() {
        properties["lastRecoveryPoint"] = json!(last.time);
    }
    if extended {
        properties["extendedInfo"] = json!({
            "oldestRecoveryPoint": points.first().map(|p| p.time.clone()),
            "recoveryPointCount": points.len(),
            "policyInconsistent": false
        });
    }
    json!({
        "id": v.item_id(&item.vm_resource_group, &item.vm_name),
        "name": format!("VM;{container}"),
        "type": "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems",
        "properties": properties
    })
}

fn protectable_items(
    v: &VaultPath<'_>,
    sub: &SubscriptionRecord,
    vault: &RecoveryVaultRecord,
) -> Response {
    let protected_anywhere = |vm: &VirtualMachineRecord| {
        sub.recovery_vaults
            .iter()
            .any(|rv| find_item(rv, &vm.resource_group, &vm.name).is_some())
    };
    let value: Vec<Value> = sub
        .virtual_machines
        .iter()
        .filter(|vm| vm.location.eq_ignore_ascii_case(&vault.location) && !protected_anywhere(vm))
        .map(|vm| {
            let container = container_name(&vm.resource_group, &vm.name);
            json!({
                "id": format!("{}/backupFabrics/Azure/protectionContainers/IaasVMContainer;{container}/protectableItems/vm;{container}", v.id()),
                "name": container,
                "type": "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectableItems",
                "properties": {
                    "backupManagementType": "AzureIaasVM",
                    "workloadType": "VM",
                    "protectableItemType": "Microsoft.Compute/virtualMachines",
                    "friendlyName": vm.name,
                    "protectionState": "NotProtected",
                    "virtualMachineId": format!("/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Compute/virtualMachines/{}", sub.subscription_id, vm.resource_group, vm.name),
                    "virtualMachineVersion": "Compute",
                    "resourceGroup": vm.resource_group
                }
            })
        })
        .collect();
    Json(json!({ "value": value })).into_response()
}

#[derive(Deserialize)]
struct ItemBody {
    properties: Option<ItemProperties>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ItemProperties {
    protected_item_type: Option<String>,
    source_resource_id: Option<String>,
    policy_id: Option<String>,
    extended_properties: Option<Value>,
}

/// `PUT {vault}/backupFabrics/Azure/protectionContainers/{c}/protectedItems/{item}`
pub(super) fn enable_protection(
    state: &Shared,
    r: &VaultRequest<'_>,
) -> Result<Response, ArmError> {
    let (rg, vm_name) = parse_vm_name(r.rest[5])?;
    parse_vm_name(r.rest[3])?;
    let body: ItemBody = serde_json::from_slice(r.body).map_err(|e| {
        INVALID_INPUT.error_because(format!("The protected item body is not valid JSON: {e}."))
    })?;
    let p = body
        .properties
        .ok_or_else(|| INVALID_INPUT.error_because("The protected item needs 'properties'."))?;
    if !p
        .protected_item_type
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case("Microsoft.Compute/virtualMachines"))
    {
        return Err(INVALID_INPUT.error_because(
            "properties.protectedItemType must be 'Microsoft.Compute/virtualMachines'.",
        ));
    }
    let policy_name = p
        .policy_id
        .as_deref()
        .and_then(|id| crate::arm::segment_after(id, "backupPolicies"))
        .ok_or_else(|| {
            INVALID_INPUT.error_because(
                "properties.policyId must be the id of a backup policy in this vault.",
            )
        })?
        .to_owned();
    let now = crate::token::now();
    let mut tenant = state.tenant_mut();
    let sub = tenant
        .subscription_mut(r.subscription)
        .ok_or_else(|| crate::arm::subscription_not_found(r.subscription))?;
    let vm = sub
        .virtual_machines
        .iter()
        .find(|v| {
            v.resource_group.eq_ignore_ascii_case(&rg) && v.name.eq_ignore_ascii_case(&vm_name)
        })
        .cloned()
        .ok_or_else(|| {
            VM_GONE.error_because(format!(
                "The virtual machine '{vm_name}' in resource group '{rg}' does not exist."
            ))
        })?;
    if let Some(source) = &p.source_resource_id
        && !source.to_ascii_lowercase().ends_with(&format!(
            "/resourcegroups/{}/providers/microsoft.compute/virtualmachines/{}",
            rg.to_ascii_lowercase(),
            vm_name.to_ascii_lowercase()
        ))
    {
        return Err(INVALID_INPUT.error_because(
            "properties.sourceResourceId does not name the VM of this protected item.",
        ));
    }
    if vm.encryption.is_some()
        && p.extended_properties
            .as_ref()
            .is_some_and(|e| !e["diskExclusionProperties"].is_null())
    {
        return Err(DISK_EXCLUSION.error());
    }
    let refusal = protection_refusal(sub, &vm);
    let other_vault = sub
        .recovery_vaults
        .iter()
        .find(|v| !v.name.eq_ignore_ascii_case(r.vault) && find_item(v, &rg, &vm_name).is_some())
        .map(|v| v.name.clone());
    let sub_id = sub.subscription_id.clone();
    let vault = vault_mut(sub, r)?;
    if let Some(other) = other_vault {
        return Err(PROTECTED_ELSEWHERE.error_with(&[("vault", &other)]));
    }
    if !vm.location.eq_ignore_ascii_case(&vault.location) {
        return Err(VM_IN_OTHER_REGION.error_with(&[
            ("vm_region", &vm.location),
            ("vault_region", &vault.location),
        ]));
    }
    if !vault
        .policies
        .iter()
        .any(|p| p.name.eq_ignore_ascii_case(&policy_name))
    {
        return Err(policy_not_found(&policy_name));
    }
    let job = JobRecord {
        id: uuid::Uuid::new_v4().to_string(),
        operation: "ConfigureBackup".to_owned(),
        vm_resource_group: vm.resource_group.clone(),
        vm_name: vm.name.clone(),
        start: now,
        duration_secs: 0,
        failure: refusal.map(Failure::job_failure),
        user_triggered: true,
        property_bag: Default::default(),
    };
    let item_id = VaultPath {
        sub: &sub_id,
        rg: &vault.resource_group,
        vault: &vault.name,
    }
    .item_id(&vm.resource_group, &vm.name);
    let job_id = job.id.clone();
    vault.jobs.push(job);
    if refusal.is_none() {
        match vault.protected_items.iter_mut().find(|i| {
            i.vm_resource_group.eq_ignore_ascii_case(&rg)
                && i.vm_name.eq_ignore_ascii_case(&vm_name)
        }) {
            Some(existing) => existing.policy = policy_name,
            None => vault.protected_items.push(ProtectedItemRecord {
                vm_resource_group: vm.resource_group.clone(),
                vm_name: vm.name.clone(),
                policy: policy_name,
                recovery_points: vec![],
            }),
        }
    }
    state.persist(&tenant)?;
    drop(tenant);
    Ok(accept_on_item(
        state,
        &item_id,
        Operation {
            job_id: Some(job_id),
            start: now,
            error: refusal,
            item: Some((vm.resource_group.clone(), vm.name)),
        },
    ))
}

/// `POST {sub}/providers/Microsoft.RecoveryServices/locations/{region}/backupStatus`
pub fn backup_status(
    state: &Shared,
    subscription: &str,
    body: &[u8],
) -> Result<Response, ArmError> {
    let request: Value = serde_json::from_slice(body)
        .map_err(|e| INVALID_INPUT.error_because(format!("The body is not valid JSON: {e}.")))?;
    let resource_id = request["resourceId"]
        .as_str()
        .ok_or_else(|| INVALID_INPUT.error_because("The body needs 'resourceId', the VM's id."))?;
    let rg = crate::arm::segment_after(resource_id, "resourceGroups")
        .unwrap_or_default()
        .to_owned();
    let vm = crate::arm::segment_after(resource_id, "virtualMachines")
        .unwrap_or_default()
        .to_owned();
    let tenant = state.tenant();
    let sub = tenant
        .subscription(subscription)
        .ok_or_else(|| crate::arm::subscription_not_found(subscription))?;
    let found = sub
        .recovery_vaults
        .iter()
        .find_map(|v| find_item(v, &rg, &vm).map(|i| (v, i)));
    let body = match found {
        Some((vault, item)) => {
            let v = VaultPath {
                sub: &sub.subscription_id,
                rg: &vault.resource_group,
                vault: &vault.name,
            };
            json!({
                "protectionStatus": "Protected",
                "vaultId": v.id(),
                "fabricName": "Azure",
                "containerName": format!("IaasVMContainer;{}", container_name(&rg, &vm)),
                "protectedItemName": format!("VM;{}", container_name(&rg, &vm)),
                "policyName": item.policy,
                "errorCode": "",
                "errorMessage": ""
            })
        }
        None => json!({ "protectionStatus": "NotProtected" }),
    };
    Ok(Json(body).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_and_item_names_parse_to_the_vm() {
        assert_eq!(
            parse_vm_name("IaasVMContainer;iaasvmcontainerv2;rg-sql;vm-sql-01").unwrap(),
            ("rg-sql".to_owned(), "vm-sql-01".to_owned())
        );
        assert_eq!(
            parse_vm_name("vm;IAASVMCONTAINERV2;rg;vm1").unwrap(),
            ("rg".to_owned(), "vm1".to_owned())
        );
        assert!(parse_vm_name("iaasvmcontainer;classic;web01").is_err());
        assert!(parse_vm_name("nonsense").is_err());
    }
}
