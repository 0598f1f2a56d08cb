//! Azure Backup for VMs (Recovery Services): vaults, policies, protection, on-demand backups,
//! jobs, recovery points and restores, one file per concern.
//!
//! - [`vaults`]: the vault resource, and how a request finds its vault.
//! - [`policies`]: backup policies.
//! - [`protection`]: containers, discovery, protected items, enabling protection, backup status.
//! - [`backups`]: on-demand backups and what decides whether they succeed.
//! - [`jobs`]: the job list and a job's state over time.
//! - [`recovery_points`]: recovery points and their key-and-secret details.
//! - [`restore`]: restoring disks from a recovery point.
//! - [`operations`]: the long-running operations the 202s point at.
//! - [`failures`]: every failure the above produce: code, number, status, message, advice.
//!
//! Outcomes come from the tenant's state at the moment a job starts, and jobs progress over
//! simulated time: their state is computed when read. Routes and wire shapes follow `bms.json`.

mod backups;
pub(crate) mod failures;
mod jobs;
mod operations;
mod policies;
mod protection;
mod recovery_points;
mod restore;
pub(crate) mod vaults;

use axum::http::Method;
use axum::response::Response;

pub(crate) use operations::{Operation, accepted};
pub use protection::backup_status;
pub use recovery_points::point;

use crate::Shared;
use crate::arm::ArmError;

/// Unix seconds as RFC 3339 (UTC), the way ARM writes times.
pub(crate) fn rfc3339(seconds: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// RFC 3339 as Unix seconds (0 when it does not parse).
pub(crate) fn parse_time(text: &str) -> i64 {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map_or(0, time::OffsetDateTime::unix_timestamp)
}

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

/// The query parameter `key` (any case) of a request.
pub(crate) fn query<'a>(r: &'a VaultRequest<'_>, key: &str) -> Option<&'a str> {
    r.pairs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.as_str())
}

/// Serves `{vault}/...` backup requests. `None` when no route matches.
pub fn dispatch(state: &Shared, r: &VaultRequest<'_>) -> Option<Result<Response, ArmError>> {
    const ITEM: [&str; 6] = [
        "backupfabrics",
        "azure",
        "protectioncontainers",
        "",
        "protecteditems",
        "",
    ];
    let now = crate::token::now();
    // Below an item (`.../protectionContainers/{c}/protectedItems/{i}/...`), what follows it.
    let under_item = (r.lower.len() >= ITEM.len()
        && r.lower
            .iter()
            .zip(ITEM)
            .all(|(segment, fixed)| fixed.is_empty() || *segment == fixed))
    .then(|| &r.lower[ITEM.len()..]);
    let result = match (r.method, r.lower, under_item) {
        (&Method::GET, ["backuppolicies"], _) => policies::list(state, r),
        (&Method::GET, ["backuppolicies", name], _) => policies::get(state, r, name),
        (&Method::PUT, ["backuppolicies", _], _) => policies::put(state, r),
        (&Method::POST, ["backupfabrics", "azure", "refreshcontainers"], _) => {
            protection::refresh_containers(state, r)
        }
        (&Method::GET, ["backupfabrics", "azure", "operationresults", _], _) => {
            protection::refresh_result(state, r)
        }
        (&Method::GET, ["backupprotectableitems"], _) => protection::list_protectable(state, r),
        (&Method::GET, ["backupprotecteditems"], _) => protection::list_protected(state, r, now),
        (&Method::GET, _, Some([])) => protection::get_protected(state, r, now),
        (&Method::PUT, _, Some([])) => protection::enable_protection(state, r),
        (&Method::POST, _, Some(["backup"])) => backups::trigger(state, r),
        (&Method::GET, _, Some(["operationsstatus", op])) => operations::status(state, op),
        (&Method::GET, _, Some(["operationresults", op])) => operations::result(state, r, op, now),
        (&Method::GET, _, Some(["recoverypoints"])) => recovery_points::list(state, r, now),
        (&Method::GET, _, Some(["recoverypoints", _])) => recovery_points::get(state, r, now),
        (&Method::POST, _, Some(["recoverypoints", _, "restore"])) => restore::trigger(state, r),
        (&Method::GET, ["backupjobs"], _) => jobs::list(state, r, now),
        (&Method::GET, ["backupjobs", id], _) => jobs::get(state, r, id, now),
        _ => return None,
    };
    Some(result)
}
