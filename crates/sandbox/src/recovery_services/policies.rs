//! Backup policies of a vault: list, read, create or replace. Only VM policies with a daily
//! schedule and daily retention are served.

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::VaultRequest;
use super::failures::{INVALID_POLICY, POLICY_NOT_FOUND};
use super::vaults::{VaultPath, read, vault_mut};
use crate::Shared;
use crate::arm::ArmError;
use crate::tenant::{BackupPolicyRecord, RecoveryVaultRecord};

/// `GET {vault}/backupPolicies`
pub(super) fn list(state: &Shared, r: &VaultRequest<'_>) -> Result<Response, ArmError> {
    read(state, r, |v, _, vault| {
        let value: Vec<Value> = vault
            .policies
            .iter()
            .map(|p| policy_json(v, p, count_protected(vault, &p.name)))
            .collect();
        Ok(Json(json!({ "value": value })).into_response())
    })
}

/// `GET {vault}/backupPolicies/{name}`
pub(super) fn get(state: &Shared, r: &VaultRequest<'_>, name: &str) -> Result<Response, ArmError> {
    read(state, r, |v, _, vault| {
        vault
            .policies
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .map(|p| Json(policy_json(v, p, count_protected(vault, &p.name))).into_response())
            .ok_or_else(|| policy_not_found(r.rest[1]))
    })
}

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

fn count_protected(vault: &RecoveryVaultRecord, policy: &str) -> usize {
    vault
        .protected_items
        .iter()
        .filter(|i| i.policy.eq_ignore_ascii_case(policy))
        .count()
}

/// The 404 for a policy the vault does not have.
pub(super) fn policy_not_found(name: &str) -> ArmError {
    POLICY_NOT_FOUND.error_with(&[("name", name)])
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

/// `PUT {vault}/backupPolicies/{name}`
pub(super) fn put(state: &Shared, r: &VaultRequest<'_>) -> Result<Response, ArmError> {
    let body: PolicyBody = serde_json::from_slice(r.body).map_err(|e| {
        INVALID_POLICY.error_because(format!(
            "The policy body is not valid JSON for a policy: {e}."
        ))
    })?;
    let p = body
        .properties
        .ok_or_else(|| INVALID_POLICY.error_because("The policy needs 'properties'."))?;
    if !p
        .backup_management_type
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case("AzureIaasVM"))
    {
        return Err(INVALID_POLICY.error_because("The sandbox supports VM policies only: set properties.backupManagementType to 'AzureIaasVM'."));
    }
    let schedule_time = p
        .schedule_policy
        .as_ref()
        .and_then(|s| s["scheduleRunTimes"][0].as_str())
        .and_then(|t| t.get(11..16))
        .ok_or_else(|| {
            INVALID_POLICY.error_because("A daily schedule needs schedulePolicy.scheduleRunTimes.")
        })?
        .to_owned();
    let retention_days = p
        .retention_policy
        .as_ref()
        .and_then(|r| r["dailySchedule"]["retentionDuration"]["count"].as_u64())
        .and_then(|d| u32::try_from(d).ok())
        .filter(|d| (7..=9999).contains(d))
        .ok_or_else(|| {
            INVALID_POLICY.error_because("Daily retention must be a count of 7 to 9999 days.")
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
