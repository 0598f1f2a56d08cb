//! Backup jobs: list (newest first, with the service's `$filter`), read, and a job's state,
//! computed when read from its start and duration.
//!
//! The symbolic error code travels in `errorDetails[].errorTitle`; `errorCode` stays an integer,
//! as the service's schema has it.

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::failures::{INVALID_FILTER, JOB_NOT_FOUND};
use super::protection::container_name;
use super::vaults::{VaultPath, read};
use super::{VaultRequest, query, rfc3339};
use crate::Shared;
use crate::arm::ArmError;
use crate::tenant::JobRecord;

/// `GET {vault}/backupJobs`
pub(super) fn list(state: &Shared, r: &VaultRequest<'_>, now: i64) -> Result<Response, ArmError> {
    read(state, r, |v, _, vault| {
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
    })
}

/// `GET {vault}/backupJobs/{id}`
pub(super) fn get(
    state: &Shared,
    r: &VaultRequest<'_>,
    id: &str,
    now: i64,
) -> Result<Response, ArmError> {
    read(state, r, |v, _, vault| {
        vault
            .jobs
            .iter()
            .find(|j| j.id.eq_ignore_ascii_case(id))
            .map(|j| Json(job_json(v, j, now)).into_response())
            .ok_or_else(|| JOB_NOT_FOUND.error_with(&[("id", id)]))
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
        let invalid = |why: String| INVALID_FILTER.error_with(&[("why", &why)]);
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

#[cfg(test)]
mod tests {
    use super::*;

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
            failure: Some(super::super::failures::AGENT_NOT_READY.job_failure()),
            user_triggered: true,
            property_bag: Default::default(),
        };
        assert!(filter.matches(&job, job.start + 100));
        assert!(!filter.matches(&job, job.start + 10), "still running");
        assert!(JobFilter::parse("colour eq 'blue'").is_err());
        assert!(JobFilter::parse("startTime eq 'soon'").is_err());
    }
}
