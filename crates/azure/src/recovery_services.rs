//! Azure Backup through Recovery Services: the vaults of a subscription, the VMs each protects,
//! and the jobs that failed.

use safehold_core::inventory::{FailedJob, ProtectedVmRecord, RecoveryVault, resource_id_segment};
use safehold_core::ports::RecoveryServicesApi;
use safehold_core::{Error, ErrorCode, Problem};
use serde::Deserialize;
use serde_json::Value;

use crate::ArmClient;
use crate::json::{list, text};

const BACKUP_API: &str = "2024-04-01";
const RECOVERY_SERVICES_API: &str = "2024-04-01";

#[derive(Deserialize)]
struct VaultWire {
    id: String,
    name: String,
    location: Option<String>,
    sku: Option<SkuWire>,
    properties: Option<VaultPropertiesWire>,
}

#[derive(Deserialize)]
struct SkuWire {
    name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct VaultPropertiesWire {
    provisioning_state: Option<String>,
    redundancy_settings: Option<RedundancyWire>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RedundancyWire {
    standard_tier_storage_redundancy: Option<String>,
}

/// A time as the jobs filter wants it: `2016-01-01 12:00:00 AM`, UTC.
fn job_filter_time(unix: i64) -> String {
    let at =
        time::OffsetDateTime::from_unix_timestamp(unix).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let (hour, period) = match at.hour() {
        0 => (12, "AM"),
        h @ 1..=11 => (h, "AM"),
        12 => (12, "PM"),
        h => (h - 12, "PM"),
    };
    format!(
        "{:04}-{:02}-{:02} {hour:02}:{:02}:{:02} {period}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.minute(),
        at.second()
    )
}

#[async_trait::async_trait]
impl RecoveryServicesApi for ArmClient {
    #[tracing::instrument(skip_all, fields(subscription_id = %subscription_id))]
    async fn list_recovery_vaults(
        &self,
        subscription_id: &str,
    ) -> Result<Vec<RecoveryVault>, Error> {
        if subscription_id.is_empty()
            || !subscription_id
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == '-')
        {
            return Err(Error::new(
                ErrorCode::InvalidInput,
                Problem::NotASubscriptionId {
                    value: subscription_id.to_owned(),
                },
            ));
        }
        let path =
            format!("/subscriptions/{subscription_id}/providers/Microsoft.RecoveryServices/vaults");
        let wires: Vec<VaultWire> = self
            .list_all(self.url(&path, RECOVERY_SERVICES_API)?)
            .await?;
        Ok(wires
            .into_iter()
            .map(|w| {
                let properties = w.properties;
                RecoveryVault {
                    resource_group: resource_id_segment(&w.id, "resourceGroups")
                        .unwrap_or_default()
                        .to_owned(),
                    subscription_id: resource_id_segment(&w.id, "subscriptions")
                        .unwrap_or(subscription_id)
                        .to_owned(),
                    location: w.location.unwrap_or_default(),
                    sku: w.sku.and_then(|s| s.name),
                    provisioning_state: properties
                        .as_ref()
                        .and_then(|p| p.provisioning_state.clone()),
                    storage_redundancy: properties
                        .and_then(|p| p.redundancy_settings)
                        .and_then(|r| r.standard_tier_storage_redundancy),
                    name: w.name,
                    id: w.id,
                }
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

    #[tracing::instrument(skip_all, fields(vault_id = %vault_id))]
    async fn list_failed_jobs(&self, vault_id: &str, since: i64) -> Result<Vec<FailedJob>, Error> {
        let path = format!("{}/backupJobs", vault_id.trim_end_matches('/'));
        let mut url = self.url(&path, BACKUP_API)?;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        url.query_pairs_mut().append_pair(
            "$filter",
            &format!(
                "backupManagementType eq 'AzureIaasVM' and status eq 'Failed' and startTime eq '{}' and endTime eq '{}'",
                job_filter_time(since),
                job_filter_time(now)
            ),
        );
        let items: Vec<Value> = self.list_all(url).await?;
        Ok(items
            .iter()
            .filter_map(|job| {
                let p = job.get("properties")?;
                let error = list(p, "/errorDetails").first();
                Some(FailedJob {
                    id: text(job, "/id")?,
                    vault_id: vault_id.to_owned(),
                    vm_name: text(p, "/entityFriendlyName").unwrap_or_default(),
                    operation: text(p, "/operation").unwrap_or_default(),
                    start_time: text(p, "/startTime").unwrap_or_default(),
                    // The symbolic code is the title; `errorCode` is a number.
                    error_code: error.and_then(|e| text(e, "/errorTitle")).or_else(|| {
                        error
                            .and_then(|e| e.get("errorCode"))
                            .map(|c| c.to_string().trim_matches('"').to_owned())
                    }),
                    error_message: error.and_then(|e| text(e, "/errorString")),
                    recommendation: error
                        .and_then(|e| list(e, "/recommendations").first())
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                })
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_filter_times_use_the_services_twelve_hour_clock() {
        assert_eq!(job_filter_time(1_451_606_400), "2016-01-01 12:00:00 AM");
        assert_eq!(job_filter_time(1_451_655_000), "2016-01-01 01:30:00 PM");
        assert_eq!(job_filter_time(1_451_649_600), "2016-01-01 12:00:00 PM");
    }
}
