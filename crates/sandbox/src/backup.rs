//! Azure Backup for VMs (Recovery Services, `bms`): policies, discovery, enabling protection,
//! on-demand backups, jobs, recovery points and the backup status of a VM.
//!
//! Outcomes are computed from the tenant's state at the moment a job starts, never scripted per
//! VM: a backup of an encrypted VM fails with `UserErrorKeyvaultPermissionsNotConfigured` while
//! the Backup Management Service lacks what it needs on the key vault(s), and succeeds once
//! granted; a VM whose agent is not ready fails its backup; enabling protection of a BEK-only VM
//! on managed disks fails validation in a subscription that follows the 2017 support matrix;
//! classic VMs are refused.
//!
//! Jobs progress over simulated time: their state is computed when read, from their start and
//! duration, and a successful backup's recovery point appears when its job ends. The symbolic
//! error code travels in `errorDetails[].errorTitle`; `errorCode` stays an integer as in the
//! service's schema (the numbers are the sandbox's own).

use axum::Json;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::Shared;
use crate::arm::{ArmError, resource_not_found};
use crate::seed::BACKUP_MANAGEMENT_SERVICE_APP_ID;
use crate::tenant::{
    AdePass, AdeRecord, BackupPolicyRecord, JobFailure, JobRecord, KeyVaultRecord, OsKind,
    ProtectedItemRecord, RecoveryPointRecord, RecoveryVaultRecord, SubscriptionRecord, Tenant,
    VirtualMachineRecord,
};

/// Key Vault Administrator, the built-in role the docs prescribe for RBAC vaults.
pub const KEY_VAULT_ADMINISTRATOR: &str = "00482a5a-887f-4fb3-b363-3b7fe8e74483";

// ---- What Backup can do: access, agent, support matrix ----------------------------------------

fn has_all(granted: &[String], needed: &[&str]) -> bool {
    granted.iter().any(|p| p.eq_ignore_ascii_case("all"))
        || needed
            .iter()
            .all(|n| granted.iter().any(|p| p.eq_ignore_ascii_case(n)))
}

/// Whether the Backup Management Service can read what backup needs from `kv`.
/// What Backup needs on an RBAC key vault.
const BACKUP_DATA_ACTIONS: [&str; 5] = [
    "Microsoft.KeyVault/vaults/keys/backup/action",
    "Microsoft.KeyVault/vaults/secrets/backup/action",
    "Microsoft.KeyVault/vaults/secrets/getSecret/action",
    "Microsoft.KeyVault/vaults/keys/read",
    "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
];

fn backup_can_read(
    tenant: &Tenant,
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
        // Backup's roles at the vault, taken together, must grant the five data actions.
        let granted: Vec<String> = kv
            .role_assignments
            .iter()
            .filter(|a| a.principal_id.eq_ignore_ascii_case(&backup.object_id))
            .flat_map(|a| crate::authorization::data_actions_of(tenant, &a.role_definition))
            .collect();
        return BACKUP_DATA_ACTIONS.iter().all(|needed| {
            granted
                .iter()
                .any(|pattern| crate::authorization::grants(pattern, needed))
        });
    }
    kv.access_policies.iter().any(|p| {
        p.object_id.eq_ignore_ascii_case(&backup.object_id)
            && (!needs_keys || has_all(&p.keys, &["get", "list", "backup"]))
            && (!needs_secrets || has_all(&p.secrets, &["get", "list", "backup"]))
    })
}

fn failure(code: &str, numeric: i64, message: &str, recommendation: &str) -> JobFailure {
    JobFailure {
        code: code.to_owned(),
        numeric,
        message: message.to_owned(),
        recommendation: recommendation.to_owned(),
    }
}

/// Why Backup cannot read the keys of an encrypted VM, if it cannot.
fn key_vault_failure(tenant: &Tenant, ade: &AdeRecord) -> Option<JobFailure> {
    let readable = |vault: &str, keys: bool, secrets: bool| {
        tenant
            .key_vault(vault)
            .is_some_and(|(_, kv)| !kv.deleted && backup_can_read(tenant, kv, keys, secrets))
    };
    let bek_ok = readable(&ade.bek.vault, false, true);
    let kek_ok = ade
        .kek
        .as_ref()
        .is_none_or(|k| readable(&k.vault, true, false));
    (!(bek_ok && kek_ok)).then(|| {
        failure(
            "UserErrorKeyvaultPermissionsNotConfigured",
            400_110,
            "Backup lacks the permissions on the key vault that it needs to back up this encrypted VM.",
            "Give the Backup Management Service get, list and backup on the vault's keys and secrets (secrets only for BEK-only VMs), or the Key Vault Administrator role on an RBAC vault, then retry.",
        )
    })
}

/// The outcome of a backup of `vm` started now.
fn backup_outcome(tenant: &Tenant, vm: Option<&VirtualMachineRecord>) -> Option<JobFailure> {
    let Some(vm) = vm else {
        return Some(failure(
            "BCMV2VMNotFound",
            400_094,
            "The virtual machine no longer exists.",
            "Stop protection of this item, or restore the VM from a recovery point.",
        ));
    };
    if !vm.agent_ready {
        return Some(failure(
            "UserErrorGuestAgentStatusUnavailable",
            400_112,
            "The VM agent does not answer, so Backup cannot take a snapshot.",
            "Make sure the VM is running and its agent is installed, up to date and reporting Ready, then retry.",
        ));
    }
    vm.encryption
        .as_ref()
        .and_then(|ade| key_vault_failure(tenant, ade))
}

/// Why enabling protection of `vm` fails validation, if it does.
fn protection_refusal(sub: &SubscriptionRecord, vm: &VirtualMachineRecord) -> Option<JobFailure> {
    let ade = vm.encryption.as_ref()?;
    let bek_only_managed = ade.kek.is_none() && vm.os_disk.vhd_uri.is_none();
    (sub.bek_only_managed_unsupported && bek_only_managed).then(|| {
        failure(
            "UserErrorBekOnlyEncryptedVmNotSupported",
            400_115,
            "Validation failed because the virtual machine is encrypted with a BEK only. Backup can be enabled only for VMs encrypted with both a BEK and a KEK.",
            "Decrypt the VM, encrypt it again with a BEK and a KEK, then enable backup.",
        )
    })
}

// ---- Names and ids ------------------------------------------------------------------------------

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
            Err(ArmError::new(
                StatusCode::BAD_REQUEST,
                "UserErrorClassicVmNotSupported",
                "Encrypted classic virtual machines cannot be backed up; only Resource Manager VMs can.",
            ))
        }
        _ => Err(ArmError::new(
            StatusCode::BAD_REQUEST,
            "BMSUserErrorInvalidInput",
            format!(
                "'{name}' is not a VM container or item name (expected IaasVMContainer;iaasvmcontainerv2;<rg>;<vm>)."
            ),
        )),
    }
}

pub(crate) struct VaultPath<'a> {
    pub(crate) sub: &'a str,
    pub(crate) rg: &'a str,
    pub(crate) vault: &'a str,
}

impl VaultPath<'_> {
    fn id(&self) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.RecoveryServices/vaults/{}",
            self.sub, self.rg, self.vault
        )
    }

    pub(crate) fn item_id(&self, rg: &str, vm: &str) -> String {
        format!(
            "{}/backupFabrics/Azure/protectionContainers/IaasVMContainer;{}/protectedItems/VM;{}",
            self.id(),
            container_name(rg, vm),
            container_name(rg, vm)
        )
    }
}

pub(crate) fn rfc3339(seconds: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

pub(crate) fn parse_time(text: &str) -> i64 {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map_or(0, time::OffsetDateTime::unix_timestamp)
}

// ---- Wire shapes --------------------------------------------------------------------------------

fn policy_json(v: &VaultPath<'_>, p: &BackupPolicyRecord, protected: usize) -> Value {
    let run_time = format!("2023-01-01T{}:00Z", p.schedule_time);
    json!({
        "id": format!("{}/backupPolicies/{}", v.id(), p.name),
        "name": p.name,
        "type": "Microsoft.RecoveryServices/vaults/backupPolicies",
        "properties": {
            "backupManagementType": "AzureIaasVM",
            "policyType": "V1",
            "instantRpRetentionRangeInDays": p.instant_rp_days,
            "schedulePolicy": {
                "schedulePolicyType": "SimpleSchedulePolicy",
                "scheduleRunFrequency": "Daily",
                "scheduleRunTimes": [run_time],
                "scheduleWeeklyFrequency": 0
            },
            "retentionPolicy": {
                "retentionPolicyType": "LongTermRetentionPolicy",
                "dailySchedule": {
                    "retentionTimes": [run_time],
                    "retentionDuration": { "count": p.retention_days, "durationType": "Days" }
                }
            },
            "timeZone": p.time_zone,
            "protectedItemsCount": protected
        }
    })
}

/// A job's state at `now`: status, progress and task states.
fn job_json(v: &VaultPath<'_>, job: &JobRecord, now: i64) -> Value {
    let elapsed = (now - job.start).max(0);
    let done = elapsed >= job.duration_secs;
    let status = match (done, &job.failure) {
        (false, _) => "InProgress",
        (true, None) => "Completed",
        (true, Some(_)) => "Failed",
    };
    let progress = if done {
        100
    } else {
        (elapsed * 100 / job.duration_secs.max(1)).min(99)
    };
    let task_names: &[&str] = match job.operation.as_str() {
        "Backup" => &["Take Snapshot", "Transfer data to vault"],
        "Restore" => &["Transfer data"],
        _ => &["Configure Backup"],
    };
    // A failure stops the first task (snapshot failures are where key vault access shows).
    let tasks: Vec<Value> = task_names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let share = 100 / task_names.len() as i64;
            let task_status = match (done, &job.failure) {
                (true, None) => "Completed",
                (true, Some(_)) if i == 0 => "Failed",
                (true, Some(_)) => "NotStarted",
                (false, _) if progress >= share * (i as i64 + 1) => "Completed",
                (false, _) if progress >= share * i as i64 => "InProgress",
                (false, _) => "NotStarted",
            };
            json!({ "taskId": name, "status": task_status, "duration": "PT0S" })
        })
        .collect();
    let run = if done { job.duration_secs } else { elapsed };
    let mut properties = json!({
        "jobType": "AzureIaaSVMJob",
        "entityFriendlyName": job.vm_name,
        "backupManagementType": "AzureIaasVM",
        "operation": job.operation,
        "status": status,
        "startTime": rfc3339(job.start),
        "duration": format!("PT{run}S"),
        "activityId": job.id,
        "virtualMachineVersion": "Compute",
        "containerName": container_name(&job.vm_resource_group, &job.vm_name),
        "isUserTriggered": job.user_triggered,
        "extendedInfo": {
            "tasksList": tasks,
            "propertyBag": property_bag(job, done),
            "progressPercentage": progress,
            "estimatedRemainingDuration": format!("PT{}S", (job.duration_secs - elapsed).max(0))
        }
    });
    if done {
        properties["endTime"] = json!(rfc3339(job.start + job.duration_secs));
        if let Some(f) = &job.failure {
            properties["errorDetails"] = json!([{
                "errorCode": f.numeric,
                "errorString": f.message,
                "errorTitle": f.code,
                "recommendations": [f.recommendation]
            }]);
            properties["extendedInfo"]["dynamicErrorMessage"] = json!(f.message);
        }
    }
    json!({
        "id": format!("{}/backupJobs/{}", v.id(), job.id),
        "name": job.id,
        "type": "Microsoft.RecoveryServices/vaults/backupJobs",
        "properties": properties
    })
}

/// The property bag: the VM's name, and once a restore is done, where its output went.
fn property_bag(job: &JobRecord, done: bool) -> Value {
    let mut bag = serde_json::Map::new();
    bag.insert("VM Name".to_owned(), json!(job.vm_name));
    if done && job.failure.is_none() {
        for (key, value) in &job.property_bag {
            bag.insert(key.clone(), json!(value));
        }
    }
    Value::Object(bag)
}

pub(crate) fn available_points(
    item: &ProtectedItemRecord,
    now: i64,
) -> impl DoubleEndedIterator<Item = &RecoveryPointRecord> {
    item.recovery_points
        .iter()
        .filter(move |p| p.available_at <= now)
}

fn protected_item_json(
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

// ---- Dispatch -------------------------------------------------------------------------------------

/// Everything a vault-scoped backup request needs.
pub struct VaultRequest<'a> {
    /// HTTP method.
    pub method: &'a Method,
    /// Subscription id as sent.
    pub subscription: &'a str,
    /// Vault resource group as sent.
    pub resource_group: &'a str,
    /// Vault name as sent.
    pub vault: &'a str,
    /// Path segments after the vault name, original casing.
    pub rest: &'a [&'a str],
    /// The same, lower-cased.
    pub lower: &'a [&'a str],
    /// Query parameters.
    pub pairs: &'a [(String, String)],
    /// Request body.
    pub body: &'a [u8],
    /// The page a list asks for.
    pub page: crate::arm::Page,
    /// The request's address with its api-version, for a list's `nextLink`.
    pub base: String,
}

/// The vault a request addresses, for a change.
pub(crate) fn vault_mut<'a>(
    sub: &'a mut SubscriptionRecord,
    r: &VaultRequest<'_>,
) -> Result<&'a mut RecoveryVaultRecord, ArmError> {
    sub.recovery_vaults
        .iter_mut()
        .find(|v| {
            v.resource_group.eq_ignore_ascii_case(r.resource_group)
                && v.name.eq_ignore_ascii_case(r.vault)
        })
        .ok_or_else(|| {
            resource_not_found(
                "Microsoft.RecoveryServices/vaults",
                r.vault,
                r.resource_group,
            )
        })
}

/// The position of subscription `id` in the tenant.
pub(crate) fn subscription_index(tenant: &Tenant, id: &str) -> Result<usize, ArmError> {
    tenant
        .subscriptions
        .iter()
        .position(|s| s.subscription_id.eq_ignore_ascii_case(id))
        .ok_or_else(|| crate::arm::subscription_not_found(id))
}

pub(crate) fn find_vault<'a>(
    sub: &'a SubscriptionRecord,
    rg: &str,
    name: &str,
) -> Result<&'a RecoveryVaultRecord, ArmError> {
    sub.recovery_vaults
        .iter()
        .find(|v| v.resource_group.eq_ignore_ascii_case(rg) && v.name.eq_ignore_ascii_case(name))
        .ok_or_else(|| resource_not_found("Microsoft.RecoveryServices/vaults", name, rg))
}

pub(crate) fn item_not_found(name: &str) -> ArmError {
    ArmError::new(
        StatusCode::NOT_FOUND,
        "BMSUserErrorObjectNotFound",
        format!("The protected item '{name}' does not exist in this vault."),
    )
}

/// Serves `{vault}/...` backup requests. `None` when no route matches.
pub fn dispatch(state: &Shared, r: &VaultRequest<'_>) -> Option<Result<Response, ArmError>> {
    let now = crate::token::now();
    let result = match (r.method, r.lower) {
        (&Method::GET, ["backuppolicies"]) => read(state, r, |v, _, vault| {
            let value: Vec<Value> = vault
                .policies
                .iter()
                .map(|p| policy_json(v, p, count_protected(vault, &p.name)))
                .collect();
            Ok(Json(json!({ "value": value })).into_response())
        }),
        (&Method::GET, ["backuppolicies", name]) => read(state, r, |v, _, vault| {
            vault
                .policies
                .iter()
                .find(|p| p.name.eq_ignore_ascii_case(name))
                .map(|p| Json(policy_json(v, p, count_protected(vault, &p.name))).into_response())
                .ok_or_else(|| policy_not_found(r.rest[1]))
        }),
        (&Method::PUT, ["backuppolicies", _]) => put_policy(state, r),
        (&Method::POST, ["backupfabrics", "azure", "refreshcontainers"]) => {
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
        (&Method::GET, ["backupfabrics", "azure", "operationresults", _]) => {
            read(state, r, |_, _, _| {
                Ok(StatusCode::NO_CONTENT.into_response())
            })
        }
        // The vault-wide view of an operation (`BackupOperationStatuses_Get`), which the Azure
        // CLI polls after enabling protection, backing up or restoring.
        (&Method::GET, ["backupoperations", op]) => operation_status(state, op),
        // The tenant model has no customer-managed keys for vault data: every vault is
        // encrypted at rest with platform keys, which is what this answers. The Azure CLI reads
        // it before a restore.
        (&Method::GET, ["backupencryptionconfigs", "backupresourceencryptionconfig"]) => {
            read(state, r, |v, sub, _| {
                Ok(Json(json!({
                    "id": format!("{}/backupEncryptionConfigs/backupResourceEncryptionConfig", v.id()),
                    "name": "backupResourceEncryptionConfig",
                    "type": "Microsoft.RecoveryServices/vaults/backupEncryptionConfigs",
                    "properties": {
                        "encryptionAtRestType": "MicrosoftManaged",
                        "subscriptionId": sub.subscription_id,
                        "lastUpdateStatus": "NotEnabled",
                        "infrastructureEncryptionState": "Disabled"
                    }
                }))
                .into_response())
            })
        }
        // Nor resource guards (multi-user authorisation): no vault has a proxy to one.
        (&Method::GET, ["backupresourceguardproxies"]) => read(state, r, |_, _, _| {
            Ok(Json(json!({ "value": [] })).into_response())
        }),
        (&Method::GET, ["backupprotectableitems"]) => read(state, r, |v, sub, vault| {
            Ok(protectable_items(v, sub, vault))
        }),
        (&Method::GET, ["backupprotecteditems"]) => read(state, r, |v, sub, vault| {
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
        }),
        (
            &Method::GET,
            [
                "backupfabrics",
                "azure",
                "protectioncontainers",
                _,
                "protecteditems",
                _,
            ],
        ) => read(state, r, |v, sub, vault| {
            let (rg, vm) = parse_vm_name(r.rest[5])?;
            let item = find_item(vault, &rg, &vm).ok_or_else(|| item_not_found(r.rest[5]))?;
            let extended = query(r, "$filter")
                .is_some_and(|f| f.to_ascii_lowercase().contains("extendedinfo"));
            Ok(Json(protected_item_json(v, sub, vault, item, extended, now)).into_response())
        }),
        (
            &Method::PUT,
            [
                "backupfabrics",
                "azure",
                "protectioncontainers",
                _,
                "protecteditems",
                _,
            ],
        ) => enable_protection(state, r),
        (
            &Method::POST,
            [
                "backupfabrics",
                "azure",
                "protectioncontainers",
                _,
                "protecteditems",
                _,
                "backup",
            ],
        ) => trigger_backup(state, r),
        (
            &Method::GET,
            [
                "backupfabrics",
                "azure",
                "protectioncontainers",
                _,
                "protecteditems",
                _,
                "operationsstatus",
                op,
            ],
        ) => operation_status(state, op),
        (
            &Method::GET,
            [
                "backupfabrics",
                "azure",
                "protectioncontainers",
                _,
                "protecteditems",
                _,
                "operationresults",
                op,
            ],
        ) => operation_result(state, r, op, now),
        (
            &Method::GET,
            [
                "backupfabrics",
                "azure",
                "protectioncontainers",
                _,
                "protecteditems",
                _,
                "recoverypoints",
            ],
        ) => read(state, r, |v, sub, vault| {
            let (rg, vm) = parse_vm_name(r.rest[5])?;
            let item = find_item(vault, &rg, &vm).ok_or_else(|| item_not_found(r.rest[5]))?;
            let item_id = v.item_id(&item.vm_resource_group, &item.vm_name);
            let value: Vec<Value> = available_points(item, now)
                .rev()
                .map(|p| recovery_point_json(state, sub, &item_id, p, false))
                .collect();
            Ok(Json(json!({ "value": value })).into_response())
        }),
        (
            &Method::GET,
            [
                "backupfabrics",
                "azure",
                "protectioncontainers",
                _,
                "protecteditems",
                _,
                "recoverypoints",
                _,
            ],
        ) => read(state, r, |v, sub, vault| {
            let (rg, vm) = parse_vm_name(r.rest[5])?;
            let item = find_item(vault, &rg, &vm).ok_or_else(|| item_not_found(r.rest[5]))?;
            let item_id = v.item_id(&item.vm_resource_group, &item.vm_name);
            available_points(item, now)
                .find(|p| p.id == r.rest[7])
                .map(|p| Json(recovery_point_json(state, sub, &item_id, p, true)).into_response())
                .ok_or_else(|| {
                    ArmError::new(
                        StatusCode::NOT_FOUND,
                        "BMSUserErrorRecoveryPointNotFound",
                        format!("Recovery point '{}' does not exist.", r.rest[7]),
                    )
                })
        }),
        (
            &Method::POST,
            [
                "backupfabrics",
                "azure",
                "protectioncontainers",
                _,
                "protecteditems",
                _,
                "recoverypoints",
                _,
                "restore",
            ],
        ) => crate::restore::trigger(state, r),
        (&Method::GET, ["backupjobs"]) => read(state, r, |v, _, vault| {
            let filter = JobFilter::parse(query(r, "$filter").unwrap_or_default())?;
            let base = match query(r, "$filter") {
                Some(text) => format!(
                    "{}&{}",
                    r.base,
                    url_form::Serializer::new(String::new())
                        .append_pair("$filter", text)
                        .finish()
                ),
                None => r.base.clone(),
            };
            // Newest first, as the service lists them.
            let jobs = vault.jobs.iter().rev().filter(|j| filter.matches(j, now));
            Ok(Json(r.page.render(jobs, |j| job_json(v, j, now), &base)).into_response())
        }),
        (&Method::GET, ["backupjobs", id]) => read(state, r, |v, _, vault| {
            vault
                .jobs
                .iter()
                .find(|j| j.id.eq_ignore_ascii_case(id))
                .map(|j| Json(job_json(v, j, now)).into_response())
                .ok_or_else(|| {
                    ArmError::new(
                        StatusCode::NOT_FOUND,
                        "BMSUserErrorJobNotFound",
                        format!("Job '{id}' does not exist."),
                    )
                })
        }),
        _ => return None,
    };
    Some(result)
}

/// A jobs list's `$filter`: `status`, `operation`, `backupManagementType`, `startTime` and
/// `endTime` clauses joined by `and`, times written `2016-01-01 00:00:00 AM` (UTC).
#[derive(Default)]
struct JobFilter {
    status: Option<String>,
    operation: Option<String>,
    from: Option<i64>,
    to: Option<i64>,
}

impl JobFilter {
    fn parse(text: &str) -> Result<Self, ArmError> {
        let invalid = |why: String| {
            ArmError::new(
                StatusCode::BAD_REQUEST,
                "BMSUserErrorInvalidFilter",
                format!("The job filter is not valid: {why}."),
            )
        };
        let mut filter = Self::default();
        if text.trim().is_empty() {
            return Ok(filter);
        }
        let lower = text.to_ascii_lowercase();
        let mut rest = text;
        let mut offset = 0;
        while !rest.is_empty() {
            let end = lower[offset..]
                .find(" and ")
                .map_or(text.len(), |i| offset + i);
            let clause = text[offset..end].trim();
            let (key, value) = clause
                .split_once(" eq ")
                .or_else(|| clause.split_once(" EQ "))
                .ok_or_else(|| invalid(format!("'{clause}' is not 'name eq value'")))?;
            let value = value.trim().trim_matches('\'').to_owned();
            match key.trim().to_ascii_lowercase().as_str() {
                "status" => filter.status = Some(value),
                "operation" => filter.operation = Some(value),
                "backupmanagementtype" if value.eq_ignore_ascii_case("AzureIaasVM") => {}
                "backupmanagementtype" => {
                    return Err(invalid(format!("this vault has no '{value}' jobs")));
                }
                "starttime" => {
                    filter.from = Some(job_time(&value).ok_or_else(|| {
                        invalid(format!(
                            "'{value}' is not a time like 2016-01-01 00:00:00 AM"
                        ))
                    })?)
                }
                "endtime" => {
                    filter.to = Some(job_time(&value).ok_or_else(|| {
                        invalid(format!(
                            "'{value}' is not a time like 2016-01-01 00:00:00 AM"
                        ))
                    })?)
                }
                other => return Err(invalid(format!("'{other}' cannot be filtered on"))),
            }
            offset = (end + " and ".len()).min(text.len());
            rest = &text[offset..];
        }
        Ok(filter)
    }

    fn matches(&self, job: &JobRecord, now: i64) -> bool {
        let status = match (now - job.start >= job.duration_secs, &job.failure) {
            (false, _) => "InProgress",
            (true, None) => "Completed",
            (true, Some(_)) => "Failed",
        };
        self.status
            .as_ref()
            .is_none_or(|s| s.eq_ignore_ascii_case(status))
            && self
                .operation
                .as_ref()
                .is_none_or(|o| o.eq_ignore_ascii_case(&job.operation))
            && self.from.is_none_or(|from| job.start >= from)
            && self.to.is_none_or(|to| job.start <= to)
    }
}

/// `2016-01-01 00:00:00 AM` (UTC) as Unix seconds. The service writes midnight as `00` or `12`.
fn job_time(text: &str) -> Option<i64> {
    let (date, rest) = text.trim().split_once(' ')?;
    let (clock, period) = rest.trim().split_once(' ').unwrap_or((rest, ""));
    let date = time::Date::parse(
        date,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()?;
    let mut parts = clock.split(':').map(|p| p.parse::<u8>().ok());
    let (hour, minute, second) = (
        parts.next()??,
        parts.next()??,
        parts.next().flatten().unwrap_or(0),
    );
    let hour = match period.to_ascii_uppercase().as_str() {
        "AM" => hour % 12,
        "PM" => hour % 12 + 12,
        "" => hour,
        _ => return None,
    };
    let clock = time::Time::from_hms(hour, minute, second).ok()?;
    Some(
        time::PrimitiveDateTime::new(date, clock)
            .assume_utc()
            .unix_timestamp(),
    )
}

fn query<'a>(r: &'a VaultRequest<'_>, key: &str) -> Option<&'a str> {
    r.pairs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.as_str())
}

fn count_protected(vault: &RecoveryVaultRecord, policy: &str) -> usize {
    vault
        .protected_items
        .iter()
        .filter(|i| i.policy.eq_ignore_ascii_case(policy))
        .count()
}

fn policy_not_found(name: &str) -> ArmError {
    ArmError::new(
        StatusCode::NOT_FOUND,
        "BMSUserErrorPolicyNotFound",
        format!("The backup policy '{name}' does not exist in this vault."),
    )
}

fn find_item<'a>(
    vault: &'a RecoveryVaultRecord,
    rg: &str,
    vm: &str,
) -> Option<&'a ProtectedItemRecord> {
    vault.protected_items.iter().find(|i| {
        i.vm_resource_group.eq_ignore_ascii_case(rg) && i.vm_name.eq_ignore_ascii_case(vm)
    })
}

/// Runs `f` on the vault under the read lock.
fn read(
    state: &Shared,
    r: &VaultRequest<'_>,
    f: impl FnOnce(
        &VaultPath<'_>,
        &SubscriptionRecord,
        &RecoveryVaultRecord,
    ) -> Result<Response, ArmError>,
) -> Result<Response, ArmError> {
    let tenant = state.tenant();
    let sub = tenant
        .subscription(r.subscription)
        .ok_or_else(|| crate::arm::subscription_not_found(r.subscription))?;
    let vault = find_vault(sub, r.resource_group, r.vault)?;
    let v = VaultPath {
        sub: &sub.subscription_id,
        rg: &vault.resource_group,
        vault: &vault.name,
    };
    f(&v, sub, vault)
}

/// `202 Accepted` with the LRO headers the service sends, `Retry-After` as configured.
pub(crate) fn accepted(
    state: &Shared,
    location: Option<&str>,
    async_operation: Option<&str>,
) -> Response {
    let mut response = StatusCode::ACCEPTED.into_response();
    let headers = response.headers_mut();
    for (name, value) in [
        ("location", location),
        ("azure-asyncoperation", async_operation),
    ] {
        if let Some(value) = value.and_then(|v| HeaderValue::from_str(v).ok()) {
            headers.insert(name, value);
        }
    }
    headers.insert(
        axum::http::header::RETRY_AFTER,
        HeaderValue::from(state.lro_retry_after_secs),
    );
    response
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
struct PolicyBody {
    properties: Option<PolicyProperties>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PolicyProperties {
    backup_management_type: Option<String>,
    schedule_policy: Option<Value>,
    retention_policy: Option<Value>,
    time_zone: Option<String>,
    instant_rp_retention_range_in_days: Option<u32>,
}

pub(crate) fn bad_request(code: &'static str, message: impl Into<String>) -> ArmError {
    ArmError::new(StatusCode::BAD_REQUEST, code, message)
}

fn put_policy(state: &Shared, r: &VaultRequest<'_>) -> Result<Response, ArmError> {
    let body: PolicyBody = serde_json::from_slice(r.body).map_err(|e| {
        bad_request(
            "BMSUserErrorInvalidPolicyInput",
            format!("The policy body is not valid JSON for a policy: {e}."),
        )
    })?;
    let p = body.properties.ok_or_else(|| {
        bad_request(
            "BMSUserErrorInvalidPolicyInput",
            "The policy needs 'properties'.",
        )
    })?;
    if !p
        .backup_management_type
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case("AzureIaasVM"))
    {
        return Err(bad_request(
            "BMSUserErrorInvalidPolicyInput",
            "The sandbox supports VM policies only: set properties.backupManagementType to 'AzureIaasVM'.",
        ));
    }
    let schedule_time = p
        .schedule_policy
        .as_ref()
        .and_then(|s| s["scheduleRunTimes"][0].as_str())
        .and_then(|t| t.get(11..16))
        .ok_or_else(|| {
            bad_request(
                "BMSUserErrorInvalidPolicyInput",
                "A daily schedule needs schedulePolicy.scheduleRunTimes.",
            )
        })?
        .to_owned();
    let retention_days = p
        .retention_policy
        .as_ref()
        .and_then(|r| r["dailySchedule"]["retentionDuration"]["count"].as_u64())
        .and_then(|d| u32::try_from(d).ok())
        .filter(|d| (7..=9999).contains(d))
        .ok_or_else(|| {
            bad_request(
                "BMSUserErrorInvalidPolicyInput",
                "Daily retention must be a count of 7 to 9999 days.",
            )
        })?;
    let record = BackupPolicyRecord {
        name: r.rest[1].to_owned(),
        schedule_time,
        retention_days,
        instant_rp_days: p.instant_rp_retention_range_in_days.unwrap_or(2),
        time_zone: p.time_zone.unwrap_or_else(|| "UTC".to_owned()),
    };
    let mut tenant = state.tenant_mut();
    let sub = tenant
        .subscription_mut(r.subscription)
        .ok_or_else(|| crate::arm::subscription_not_found(r.subscription))?;
    let sub_id = sub.subscription_id.clone();
    let vault = vault_mut(sub, r)?;
    vault
        .policies
        .retain(|p| !p.name.eq_ignore_ascii_case(&record.name));
    vault.policies.push(record.clone());
    let v = VaultPath {
        sub: &sub_id,
        rg: &vault.resource_group,
        vault: &vault.name,
    };
    let body = policy_json(&v, &record, count_protected(vault, &record.name));
    state.persist(&tenant)?;
    Ok(Json(body).into_response())
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

/// A finished long-running operation, kept in memory for its status and result URLs.
#[derive(Clone)]
pub struct Operation {
    pub(crate) job_id: Option<String>,
    pub(crate) start: i64,
    pub(crate) error: Option<(String, String)>,
    pub(crate) item: Option<(String, String)>,
}

pub(crate) fn start_operation(state: &Shared, op: Operation) -> String {
    let id = uuid::Uuid::new_v4().to_string();
    state
        .operations
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .insert(id.clone(), op);
    id
}

pub(crate) fn item_urls(state: &Shared, item_id: &str, op: &str) -> (String, String) {
    let base = format!("{}{item_id}", state.arm_endpoint);
    (
        format!("{base}/operationResults/{op}?api-version=2019-05-13"),
        format!("{base}/operationsStatus/{op}?api-version=2019-05-13"),
    )
}

fn enable_protection(state: &Shared, r: &VaultRequest<'_>) -> Result<Response, ArmError> {
    let (rg, vm_name) = parse_vm_name(r.rest[5])?;
    parse_vm_name(r.rest[3])?;
    let body: ItemBody = serde_json::from_slice(r.body).map_err(|e| {
        bad_request(
            "BMSUserErrorInvalidInput",
            format!("The protected item body is not valid JSON: {e}."),
        )
    })?;
    let p = body.properties.ok_or_else(|| {
        bad_request(
            "BMSUserErrorInvalidInput",
            "The protected item needs 'properties'.",
        )
    })?;
    if !p
        .protected_item_type
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case("Microsoft.Compute/virtualMachines"))
    {
        return Err(bad_request(
            "BMSUserErrorInvalidInput",
            "properties.protectedItemType must be 'Microsoft.Compute/virtualMachines'.",
        ));
    }
    let policy_name = p
        .policy_id
        .as_deref()
        .and_then(|id| crate::arm::segment_after(id, "backupPolicies"))
        .ok_or_else(|| {
            bad_request(
                "BMSUserErrorInvalidInput",
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
            bad_request(
                "BCMV2VMNotFound",
                format!("The virtual machine '{vm_name}' in resource group '{rg}' does not exist."),
            )
        })?;
    if let Some(source) = &p.source_resource_id
        && !source.to_ascii_lowercase().ends_with(&format!(
            "/resourcegroups/{}/providers/microsoft.compute/virtualmachines/{}",
            rg.to_ascii_lowercase(),
            vm_name.to_ascii_lowercase()
        ))
    {
        return Err(bad_request(
            "BMSUserErrorInvalidInput",
            "properties.sourceResourceId does not name the VM of this protected item.",
        ));
    }
    if vm.encryption.is_some()
        && p.extended_properties
            .as_ref()
            .is_some_and(|e| !e["diskExclusionProperties"].is_null())
    {
        return Err(bad_request(
            "UserErrorEncryptedVmNotSupportedWithDiskEx",
            "Disk exclusion is not supported for encrypted virtual machines.",
        ));
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
        return Err(bad_request(
            "UserErrorProtectedInAnotherVault",
            format!(
                "The VM is already protected by the vault '{other}'. Stop protection there first."
            ),
        ));
    }
    if !vm.location.eq_ignore_ascii_case(&vault.location) {
        return Err(bad_request(
            "UserErrorVmNotInVaultRegion",
            format!(
                "The VM is in '{}' and the vault in '{}'; a VM can only be protected by a vault in its region.",
                vm.location, vault.location
            ),
        ));
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
        failure: refusal.clone(),
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
    let op = start_operation(
        state,
        Operation {
            job_id: Some(job_id),
            start: now,
            error: refusal.map(|f| (f.code, f.message)),
            item: Some((vm.resource_group.clone(), vm.name)),
        },
    );
    let (location, status) = item_urls(state, &item_id, &op);
    Ok(accepted(state, Some(&location), Some(&status)))
}

fn trigger_backup(state: &Shared, r: &VaultRequest<'_>) -> Result<Response, ArmError> {
    let (rg, vm_name) = parse_vm_name(r.rest[5])?;
    if !r.body.is_empty() {
        let body: Value = serde_json::from_slice(r.body).map_err(|e| {
            bad_request(
                "BMSUserErrorInvalidInput",
                format!("The backup request is not valid JSON: {e}."),
            )
        })?;
        if !body["properties"]["objectType"]
            .as_str()
            .is_some_and(|t| t.eq_ignore_ascii_case("IaasVMBackupRequest"))
        {
            return Err(bad_request(
                "BMSUserErrorInvalidInput",
                "properties.objectType must be 'IaasVMBackupRequest'.",
            ));
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
        return Err(bad_request(
            "BMSUserErrorBackupOperationInProgress",
            "A backup of this VM is already in progress. Wait for it to finish.",
        ));
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
        failure: outcome,
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
    let op = start_operation(
        state,
        Operation {
            job_id: Some(job_id),
            start: now,
            error: None,
            item: None,
        },
    );
    let (location, status) = item_urls(state, &item_id, &op);
    Ok(accepted(state, Some(&location), Some(&status)))
}

fn operation_status(state: &Shared, op: &str) -> Result<Response, ArmError> {
    let ops = state
        .operations
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let operation = ops
        .get(op)
        .cloned()
        .ok_or_else(|| operation_not_found(op))?;
    drop(ops);
    let slow = i64::try_from(state.faults.config().slow_lro_secs).unwrap_or(i64::MAX);
    if crate::token::now() < operation.start.saturating_add(slow) {
        return Ok(Json(json!({
            "id": op, "name": op, "status": "InProgress", "startTime": rfc3339(operation.start)
        }))
        .into_response());
    }
    let mut body = json!({
        "id": op,
        "name": op,
        "status": if operation.error.is_some() { "Failed" } else { "Succeeded" },
        "startTime": rfc3339(operation.start),
        "endTime": rfc3339(operation.start),
    });
    if let Some(job_id) = &operation.job_id {
        body["properties"] =
            json!({ "objectType": "OperationStatusJobExtendedInfo", "jobId": job_id });
    }
    if let Some((code, message)) = &operation.error {
        body["error"] = json!({ "code": code, "message": message });
    }
    Ok(Json(body).into_response())
}

fn operation_not_found(op: &str) -> ArmError {
    ArmError::new(
        StatusCode::NOT_FOUND,
        "BMSUserErrorOperationNotFound",
        format!("Operation '{op}' does not exist."),
    )
}

fn operation_result(
    state: &Shared,
    r: &VaultRequest<'_>,
    op: &str,
    now: i64,
) -> Result<Response, ArmError> {
    let operation = state
        .operations
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get(op)
        .cloned()
        .ok_or_else(|| operation_not_found(op))?;
    let slow = i64::try_from(state.faults.config().slow_lro_secs).unwrap_or(i64::MAX);
    if now < operation.start.saturating_add(slow) {
        // Still running: the service answers 202 again, with the same Location.
        return Ok(accepted(state, None, None));
    }
    if let Some((code, message)) = operation.error {
        return Err(ArmError::owned(StatusCode::BAD_REQUEST, code, message));
    }
    match operation.item {
        Some((rg, vm)) => read(state, r, |v, sub, vault| {
            let item = find_item(vault, &rg, &vm).ok_or_else(|| item_not_found(&vm))?;
            Ok(Json(protected_item_json(v, sub, vault, item, false, now)).into_response())
        }),
        None => Ok(StatusCode::NO_CONTENT.into_response()),
    }
}

/// `POST {sub}/providers/Microsoft.RecoveryServices/locations/{region}/backupStatus`
pub fn backup_status(
    state: &Shared,
    subscription: &str,
    body: &[u8],
) -> Result<Response, ArmError> {
    let request: Value = serde_json::from_slice(body).map_err(|e| {
        bad_request(
            "BMSUserErrorInvalidInput",
            format!("The body is not valid JSON: {e}."),
        )
    })?;
    let resource_id = request["resourceId"].as_str().ok_or_else(|| {
        bad_request(
            "BMSUserErrorInvalidInput",
            "The body needs 'resourceId', the VM's id.",
        )
    })?;
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

    #[test]
    fn all_grants_everything_and_missing_permissions_are_noticed() {
        let granted = vec!["Get".to_owned(), "list".to_owned()];
        assert!(has_all(&granted, &["get", "list"]));
        assert!(!has_all(&granted, &["get", "list", "backup"]));
        assert!(has_all(&["all".to_owned()], &["get", "list", "backup"]));
    }

    #[test]
    fn job_filters_read_the_services_time_format_and_refuse_what_they_cannot_filter() {
        assert_eq!(job_time("2016-01-01 00:00:00 AM"), Some(1_451_606_400));
        assert_eq!(job_time("2016-01-01 12:00:00 AM"), Some(1_451_606_400));
        assert_eq!(job_time("2016-01-01 01:30:00 PM"), Some(1_451_655_000));
        assert_eq!(job_time("yesterday"), None);
        let filter = JobFilter::parse(
            "status eq 'Failed' and operation eq 'ConfigureBackup' and startTime eq '2026-11-01 00:00:00 AM' and endTime eq '2026-11-30 00:00:00 AM'",
        )
        .unwrap_or_default();
        let job = JobRecord {
            id: "j".to_owned(),
            operation: "ConfigureBackup".to_owned(),
            vm_resource_group: "rg".to_owned(),
            vm_name: "vm".to_owned(),
            start: job_time("2026-11-20 01:00:00 AM").unwrap_or_default(),
            duration_secs: 95,
            failure: Some(failure("E", 1, "m", "r")),
            user_triggered: true,
            property_bag: Default::default(),
        };
        assert!(filter.matches(&job, job.start + 100));
        assert!(!filter.matches(&job, job.start + 10), "still running");
        assert!(JobFilter::parse("colour eq 'blue'").is_err());
        assert!(JobFilter::parse("startTime eq 'soon'").is_err());
    }
}
