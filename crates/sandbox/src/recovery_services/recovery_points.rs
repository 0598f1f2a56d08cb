//! Recovery points of a protected item: list (newest first) and read. A point is listed once
//! the job that makes it has ended; read on its own, an encrypted VM's point names its key and
//! secret (`keyAndSecret`).

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::failures::POINT_NOT_FOUND;
use super::protection::{find_item, item_not_found, parse_vm_name};
use super::vaults::read;
use super::{VaultRequest, parse_time};
use crate::Shared;
use crate::arm::ArmError;
use crate::tenant::{
    AdePass, OsKind, ProtectedItemRecord, RecoveryPointRecord, SubscriptionRecord,
    VirtualMachineRecord,
};

/// `GET {item}/recoveryPoints`
pub(super) fn list(state: &Shared, r: &VaultRequest<'_>, now: i64) -> Result<Response, ArmError> {
    read(state, r, |v, sub, vault| {
        let (rg, vm) = parse_vm_name(r.rest[5])?;
        let item = find_item(vault, &rg, &vm).ok_or_else(|| item_not_found(r.rest[5]))?;
        let item_id = v.item_id(&item.vm_resource_group, &item.vm_name);
        let value: Vec<Value> = available_points(item, now)
            .rev()
            .map(|p| recovery_point_json(state, sub, &item_id, p, false))
            .collect();
        Ok(Json(json!({ "value": value })).into_response())
    })
}

/// `GET {item}/recoveryPoints/{id}`
pub(super) fn get(state: &Shared, r: &VaultRequest<'_>, now: i64) -> Result<Response, ArmError> {
    read(state, r, |v, sub, vault| {
        let (rg, vm) = parse_vm_name(r.rest[5])?;
        let item = find_item(vault, &rg, &vm).ok_or_else(|| item_not_found(r.rest[5]))?;
        let item_id = v.item_id(&item.vm_resource_group, &item.vm_name);
        available_points(item, now)
            .find(|p| p.id == r.rest[7])
            .map(|p| Json(recovery_point_json(state, sub, &item_id, p, true)).into_response())
            .ok_or_else(|| point_not_found(r.rest[7]))
    })
}

/// The 404 for a recovery point id the item does not have (yet).
pub(super) fn point_not_found(id: &str) -> ArmError {
    POINT_NOT_FOUND.error_with(&[("id", id)])
}

/// The item's points that exist at `now`, oldest first.
pub(crate) fn available_points(
    item: &ProtectedItemRecord,
    now: i64,
) -> impl DoubleEndedIterator<Item = &RecoveryPointRecord> {
    item.recovery_points
        .iter()
        .filter(move |p| p.available_at <= now)
}

fn recovery_point_json(
    state: &Shared,
    sub: &SubscriptionRecord,
    item_id: &str,
    p: &RecoveryPointRecord,
    detail: bool,
) -> Value {
    let mut properties = json!({
        "objectType": "IaasVMRecoveryPoint",
        "recoveryPointType": "AppConsistent",
        "recoveryPointTime": p.time,
        "sourceVMStorageType": "NormalStorage",
        "isSourceVMEncrypted": p.encryption.is_some(),
        "isManagedVirtualMachine": p.managed,
        "virtualMachineSize": p.vm_size,
        "originalStorageAccountOption": false,
        "osType": match p.os { OsKind::Windows => "Windows", OsKind::Linux => "Linux" },
        "recoveryPointTierDetails": [
            { "type": "InstantRP", "status": "Valid" },
            { "type": "HardenedRP", "status": "Valid" }
        ]
    });
    if detail && let Some(ade) = &p.encryption {
        let vault_id = |name: &str| crate::compute::vault_id(sub, name);
        let mut key_and_secret = json!({
            "bekDetails": {
                "secretUrl": crate::compute::secret_url(state, &ade.bek),
                "secretVaultId": vault_id(&ade.bek.vault)
            },
            "encryptionMechanism": match ade.pass { AdePass::SinglePass => "SinglePass", AdePass::DualPass => "DoublePass" }
        });
        if let Some(kek) = &ade.kek {
            key_and_secret["kekDetails"] = json!({
                "keyUrl": crate::compute::key_url(state, kek),
                "keyVaultId": vault_id(&kek.vault)
            });
        }
        properties["keyAndSecret"] = key_and_secret;
    }
    json!({
        "id": format!("{item_id}/recoveryPoints/{}", p.id),
        "name": p.id,
        "type": "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems/recoveryPoints",
        "properties": properties
    })
}

/// A recovery point taken at `time` (RFC 3339) of `vm`, for the demo seed; `index` keeps ids
/// unique for points taken in the same second.
pub fn point(
    index: usize,
    time: &str,
    vm: &VirtualMachineRecord,
    encrypted: bool,
) -> RecoveryPointRecord {
    let at = parse_time(time);
    RecoveryPointRecord {
        id: format!("{at}{index:03}"),
        time: time.to_owned(),
        available_at: at,
        encryption: if encrypted {
            vm.encryption.clone()
        } else {
            None
        },
        managed: vm.os_disk.vhd_uri.is_none(),
        os: vm.os,
        vm_size: vm.size.clone(),
    }
}
