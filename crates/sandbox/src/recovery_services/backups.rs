//! On-demand backups and what decides their outcome.
//!
//! The outcome is computed from the tenant when the job starts, never scripted per VM: a VM that
//! no longer exists or whose agent is not ready fails; an encrypted VM fails while the Backup
//! Management Service cannot read its key vault(s) (access policies, or role assignments on an
//! RBAC vault), and succeeds once it can. A successful backup's recovery point appears when its
//! job ends.

use axum::response::Response;
use serde_json::Value;

use super::failures::{
    AGENT_NOT_READY, BACKUP_IN_PROGRESS, Failure, INVALID_INPUT, KEY_VAULT_ACCESS, VM_GONE,
};
use super::operations::{Operation, accept_on_item};
use super::protection::{item_not_found, parse_vm_name};
use super::vaults::{VaultPath, subscription_index, vault_mut};
use super::{VaultRequest, rfc3339};
use crate::Shared;
use crate::arm::ArmError;
use crate::seed::BACKUP_MANAGEMENT_SERVICE_APP_ID;
use crate::tenant::{
    AdeRecord, JobRecord, KeyVaultRecord, RecoveryPointRecord, SubscriptionRecord, Tenant,
    VirtualMachineRecord,
};

/// Whether access-policy permissions `granted` include every one of `needed` (or `all`).
fn has_all(granted: &[String], needed: &[&str]) -> bool {
    granted.iter().any(|p| p.eq_ignore_ascii_case("all"))
        || needed
            .iter()
            .all(|n| granted.iter().any(|p| p.eq_ignore_ascii_case(n)))
}

/// What Backup needs on an RBAC key vault.
const BACKUP_DATA_ACTIONS: [&str; 5] = [
    "Microsoft.KeyVault/vaults/keys/backup/action",
    "Microsoft.KeyVault/vaults/secrets/backup/action",
    "Microsoft.KeyVault/vaults/secrets/getSecret/action",
    "Microsoft.KeyVault/vaults/keys/read",
    "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
];

/// Whether the Backup Management Service can read what backup needs from `kv` of `sub`.
fn backup_can_read(
    tenant: &Tenant,
    sub: &SubscriptionRecord,
    kv: &KeyVaultRecord,
    needs_keys: bool,
    needs_secrets: bool,
) -> bool {
    let Some(backup) = tenant.service_principals.iter().find(|sp| {
        sp.app_id
            .eq_ignore_ascii_case(BACKUP_MANAGEMENT_SERVICE_APP_ID)
    }) else {
        return false;
    };
    if kv.rbac_authorization {
        // Backup's roles that apply at the vault, taken together, must grant the five data
        // actions (each may come from another role).
        return BACKUP_DATA_ACTIONS.iter().all(|action| {
            crate::authorization::grants_data_action(tenant, sub, kv, &backup.object_id, action)
        });
    }
    kv.access_policies.iter().any(|p| {
        p.object_id.eq_ignore_ascii_case(&backup.object_id)
            && (!needs_keys || has_all(&p.keys, &["get", "list", "backup"]))
            && (!needs_secrets || has_all(&p.secrets, &["get", "list", "backup"]))
    })
}

/// Why Backup cannot read the keys of an encrypted VM, if it cannot.
fn key_vault_failure(tenant: &Tenant, ade: &AdeRecord) -> Option<&'static Failure> {
    let readable = |vault: &str, keys: bool, secrets: bool| {
        tenant
            .key_vault(vault)
            .is_some_and(|(sub, kv)| !kv.deleted && backup_can_read(tenant, sub, kv, keys, secrets))
    };
    let bek_ok = readable(&ade.bek.vault, false, true);
    let kek_ok = ade
        .kek
        .as_ref()
        .is_none_or(|k| readable(&k.vault, true, false));
    (!(bek_ok && kek_ok)).then_some(&KEY_VAULT_ACCESS)
}

/// The outcome of a backup of `vm` started now.
fn backup_outcome(tenant: &Tenant, vm: Option<&VirtualMachineRecord>) -> Option<&'static Failure> {
    let Some(vm) = vm else {
        return Some(&VM_GONE);
    };
    if !vm.agent_ready {
        return Some(&AGENT_NOT_READY);
    }
    vm.encryption
        .as_ref()
        .and_then(|ade| key_vault_failure(tenant, ade))
}

/// `POST {item}/backup`: an on-demand backup.
pub(super) fn trigger(state: &Shared, r: &VaultRequest<'_>) -> Result<Response, ArmError> {
    let (rg, vm_name) = parse_vm_name(r.rest[5])?;
    if !r.body.is_empty() {
        let body: Value = serde_json::from_slice(r.body).map_err(|e| {
            INVALID_INPUT.error_because(format!("The backup request is not valid JSON: {e}."))
        })?;
        if !body["properties"]["objectType"]
            .as_str()
            .is_some_and(|t| t.eq_ignore_ascii_case("IaasVMBackupRequest"))
        {
            return Err(
                INVALID_INPUT.error_because("properties.objectType must be 'IaasVMBackupRequest'.")
            );
        }
    }
    let now = crate::token::now();
    let duration = state.job_duration_secs;
    let mut tenant = state.tenant_mut();
    let sub_index = subscription_index(&tenant, r.subscription)?;
    let vm = tenant.subscriptions[sub_index]
        .virtual_machines
        .iter()
        .find(|v| {
            v.resource_group.eq_ignore_ascii_case(&rg) && v.name.eq_ignore_ascii_case(&vm_name)
        })
        .cloned();
    let outcome = backup_outcome(&tenant, vm.as_ref());
    let sub = &mut tenant.subscriptions[sub_index];
    let sub_id = sub.subscription_id.clone();
    let vault = vault_mut(sub, r)?;
    if vault.jobs.iter().any(|j| {
        j.operation == "Backup"
            && j.vm_name.eq_ignore_ascii_case(&vm_name)
            && j.vm_resource_group.eq_ignore_ascii_case(&rg)
            && j.start + j.duration_secs > now
    }) {
        return Err(BACKUP_IN_PROGRESS.error());
    }
    let item = vault
        .protected_items
        .iter_mut()
        .find(|i| {
            i.vm_resource_group.eq_ignore_ascii_case(&rg)
                && i.vm_name.eq_ignore_ascii_case(&vm_name)
        })
        .ok_or_else(|| item_not_found(r.rest[5]))?;
    if let (None, Some(vm)) = (&outcome, &vm) {
        item.recovery_points.push(RecoveryPointRecord {
            id: (now * 1000
                + i64::from(u16::try_from(item.recovery_points.len() % 1000).unwrap_or(0)))
            .to_string(),
            time: rfc3339(now),
            available_at: now + duration,
            encryption: vm.encryption.clone(),
            managed: vm.os_disk.vhd_uri.is_none(),
            os: vm.os,
            vm_size: vm.size.clone(),
        });
    }
    let job = JobRecord {
        id: uuid::Uuid::new_v4().to_string(),
        operation: "Backup".to_owned(),
        vm_resource_group: rg.clone(),
        vm_name: vm_name.clone(),
        start: now,
        duration_secs: duration,
        failure: outcome.map(Failure::job_failure),
        user_triggered: true,
        property_bag: Default::default(),
    };
    let job_id = job.id.clone();
    let item_id = VaultPath {
        sub: &sub_id,
        rg: &vault.resource_group,
        vault: &vault.name,
    }
    .item_id(&rg, &vm_name);
    vault.jobs.push(job);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_grants_everything_and_missing_permissions_are_noticed() {
        let granted = vec!["Get".to_owned(), "list".to_owned()];
        assert!(has_all(&granted, &["get", "list"]));
        assert!(!has_all(&granted, &["get", "list", "backup"]));
        assert!(has_all(&["all".to_owned()], &["get", "list", "backup"]));
    }
}
