//! The activity log's rules: what one change Safehold made looks like, which entries a filter
//! keeps, and how the log reads as CSV.
//!
//! An entry is written before its change is sent (outcome [`ActivityOutcome::InFlight`]) and completed
//! after, so an entry still in flight after a restart is a change whose result nobody saw. An
//! entry names who made the change and on what, never a credential: the before and after are
//! the change's own description (permissions, role names), not a request carrying a token.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::AppError;

/// What kind of change an entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub enum ActivityKind {
    /// Backup's access to a key vault was granted.
    Grant,
}

impl ActivityKind {
    /// The kind as it is stored and exported.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Grant => "grant",
        }
    }

    /// The kind a stored name stands for.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "grant" => Some(Self::Grant),
            _ => None,
        }
    }
}

/// How a change ended, or that it has not yet.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum ActivityOutcome {
    /// Sent, and no result recorded: still running, or Safehold stopped before it heard back.
    InFlight,
    /// Done.
    Succeeded,
    /// Refused or failed, with the error as the UI shows it.
    Failed {
        /// What went wrong.
        error: AppError,
    },
}

impl ActivityOutcome {
    /// The outcome without its details, for filters and exports.
    pub fn state(&self) -> ActivityOutcomeState {
        match self {
            Self::InFlight => ActivityOutcomeState::InFlight,
            Self::Succeeded => ActivityOutcomeState::Succeeded,
            Self::Failed { .. } => ActivityOutcomeState::Failed,
        }
    }
}

/// An outcome's state alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub enum ActivityOutcomeState {
    /// No result recorded.
    InFlight,
    /// Done.
    Succeeded,
    /// Refused or failed.
    Failed,
}

impl ActivityOutcomeState {
    /// The state as it is exported.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InFlight => "inFlight",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }
}

/// A change about to be sent: what [`ActivityEntry`] starts from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewActivity {
    /// What kind of change.
    pub kind: ActivityKind,
    /// The Safehold account that made it.
    pub account_id: String,
    /// Who that account signs in as (a user name or a principal's name).
    pub principal_name: String,
    /// The resource changed.
    pub target_id: String,
    /// Its name.
    pub target_name: String,
    /// What the target had before, as JSON.
    pub before: Option<String>,
}

/// One change Safehold made.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ActivityEntry {
    /// The entry's id.
    pub id: String,
    /// When the change was about to be sent (RFC 3339, UTC).
    pub started_at: String,
    /// When its result was recorded (RFC 3339, UTC); none while in flight.
    pub finished_at: Option<String>,
    /// What kind of change.
    pub kind: ActivityKind,
    /// The Safehold account that made it.
    pub account_id: String,
    /// Who that account signs in as.
    pub principal_name: String,
    /// The resource changed.
    pub target_id: String,
    /// Its name.
    pub target_name: String,
    /// The service's request id, when it gave one.
    pub request_id: Option<String>,
    /// The id Safehold gave the change, to find it among the service's records.
    pub correlation_id: String,
    /// What the target had before, as JSON.
    pub before: Option<String>,
    /// What was applied, as JSON.
    pub after: Option<String>,
    /// How it ended.
    pub outcome: ActivityOutcome,
}

/// Which entries the Activity screen shows.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ActivityFilter {
    /// Only this kind.
    pub kind: Option<ActivityKind>,
    /// Only this outcome.
    pub outcome: Option<ActivityOutcomeState>,
    /// Text found, ignoring case, in the target, who made it, or the request or correlation id.
    pub search: Option<String>,
}

impl ActivityFilter {
    /// Whether `entry` passes the filter.
    pub fn matches(&self, entry: &ActivityEntry) -> bool {
        if self.kind.is_some_and(|k| k != entry.kind) {
            return false;
        }
        if self.outcome.is_some_and(|o| o != entry.outcome.state()) {
            return false;
        }
        let Some(search) = self
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        else {
            return true;
        };
        let needle = search.to_lowercase();
        [
            Some(entry.target_id.as_str()),
            Some(entry.target_name.as_str()),
            Some(entry.principal_name.as_str()),
            Some(entry.account_id.as_str()),
            Some(entry.correlation_id.as_str()),
            entry.request_id.as_deref(),
        ]
        .into_iter()
        .flatten()
        .any(|field| field.to_lowercase().contains(&needle))
    }
}

/// How the log is exported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub enum ExportFormat {
    /// Comma-separated values, one line per entry, with a header.
    Csv,
    /// The entries as a JSON array.
    Json,
}

/// The CSV columns, in order.
pub const CSV_HEADER: [&str; 14] = [
    "id",
    "startedAt",
    "finishedAt",
    "kind",
    "accountId",
    "principalName",
    "targetId",
    "targetName",
    "requestId",
    "correlationId",
    "outcome",
    "errorCode",
    "before",
    "after",
];

/// The entries as CSV (RFC 4180: CRLF line ends, fields quoted when they hold a comma, a quote
/// or a line break). A field that a spreadsheet would read as a formula is prefixed with `'`.
pub fn to_csv(entries: &[ActivityEntry]) -> String {
    let mut out = String::new();
    push_row(&mut out, CSV_HEADER.iter().copied());
    for e in entries {
        let code = match &e.outcome {
            ActivityOutcome::Failed { error } => error.code.to_string(),
            _ => String::new(),
        };
        push_row(
            &mut out,
            [
                e.id.as_str(),
                e.started_at.as_str(),
                e.finished_at.as_deref().unwrap_or(""),
                e.kind.as_str(),
                e.account_id.as_str(),
                e.principal_name.as_str(),
                e.target_id.as_str(),
                e.target_name.as_str(),
                e.request_id.as_deref().unwrap_or(""),
                e.correlation_id.as_str(),
                e.outcome.state().as_str(),
                code.as_str(),
                e.before.as_deref().unwrap_or(""),
                e.after.as_deref().unwrap_or(""),
            ],
        );
    }
    out
}

fn push_row<'a>(out: &mut String, fields: impl IntoIterator<Item = &'a str>) {
    for (i, field) in fields.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&csv_field(field));
    }
    out.push_str("\r\n");
}

/// One CSV field, quoted when it must be.
pub fn csv_field(value: &str) -> String {
    // A leading =, +, - or @ makes a spreadsheet evaluate the cell; a quote mark keeps it text.
    let value = if value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// `time` as RFC 3339 in UTC, to the second (`2026-12-02T15:04:05Z`); the epoch for times
/// before it.
pub fn rfc3339(time: SystemTime) -> String {
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = i64::try_from(secs / 86_400).unwrap_or(i64::MAX);
    let rest = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        (rest / 60) % 60,
        rest % 60
    )
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        y,
        u32::try_from(m).unwrap_or(1),
        u32::try_from(d).unwrap_or(1),
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::{Error, ErrorCode, Problem};

    fn entry(outcome: ActivityOutcome) -> ActivityEntry {
        ActivityEntry {
            id: "e1".into(),
            started_at: "2026-12-02T10:00:00Z".into(),
            finished_at: None,
            kind: ActivityKind::Grant,
            account_id: "acc-1".into(),
            principal_name: "ops@contoso.example".into(),
            target_id:
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-Prod"
                    .into(),
            target_name: "kv-Prod".into(),
            request_id: Some("req-42".into()),
            correlation_id: "corr-7".into(),
            before: Some(r#"{"keys":["get"],"secrets":[]}"#.into()),
            after: None,
            outcome,
        }
    }

    #[test]
    fn times_are_written_as_rfc3339_in_utc() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(rfc3339(t), "2023-11-14T22:13:20Z");
        // A leap day.
        let t = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(rfc3339(t), "2000-02-29T00:00:00Z");
        assert_eq!(
            rfc3339(UNIX_EPOCH - Duration::from_secs(3)),
            "1970-01-01T00:00:00Z"
        );
    }

    #[test]
    fn csv_fields_are_quoted_only_when_they_must_be() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field(r#"say "hi""#), r#""say ""hi""""#);
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_field("=1+2"), "'=1+2");
        assert_eq!(csv_field(""), "");
    }

    #[test]
    fn the_csv_has_a_header_and_one_line_per_entry() {
        let failed = ActivityOutcome::Failed {
            error: (&Error::new(ErrorCode::Forbidden, Problem::Internal)).into(),
        };
        let csv = to_csv(&[entry(ActivityOutcome::Succeeded), entry(failed)]);
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(lines.len(), 4, "{csv}");
        assert_eq!(lines[0], CSV_HEADER.join(","));
        assert!(lines[1].contains(",succeeded,,"), "{}", lines[1]);
        assert!(lines[1].contains(r#""{""keys"":[""get""],""secrets"":[]}""#));
        assert!(lines[2].contains(",failed,Forbidden,"), "{}", lines[2]);
        assert_eq!(lines[3], "");
    }

    #[test]
    fn filters_match_kind_outcome_and_text_ignoring_case() {
        let e = entry(ActivityOutcome::InFlight);
        assert!(ActivityFilter::default().matches(&e));
        let by_outcome = |o| ActivityFilter {
            outcome: Some(o),
            ..ActivityFilter::default()
        };
        assert!(by_outcome(ActivityOutcomeState::InFlight).matches(&e));
        assert!(!by_outcome(ActivityOutcomeState::Succeeded).matches(&e));
        let by_text = |s: &str| ActivityFilter {
            kind: Some(ActivityKind::Grant),
            search: Some(s.into()),
            ..ActivityFilter::default()
        };
        assert!(by_text("KV-prod").matches(&e));
        assert!(by_text("REQ-4").matches(&e));
        assert!(by_text("ops@").matches(&e));
        assert!(by_text("  ").matches(&e));
        assert!(!by_text("kv-test").matches(&e));
    }
}
