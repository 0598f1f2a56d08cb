//! The log on a real file: begin and finish, a crash in between, migrations, exports, privacy.

use std::sync::Arc;
use std::time::Duration;

use safehold_core::activity::{
    ActivityFilter, ActivityKind, ActivityOutcome, ActivityOutcomeState, NewActivity,
};
use safehold_core::clock::ManualClock;
use safehold_core::{AppError, Error, ErrorCode, Problem};

use crate::{ActivityError, ActivityLog, MIGRATIONS, RequestIds, schema_version};

fn change(target: &str) -> NewActivity {
    NewActivity {
        kind: ActivityKind::Grant,
        account_id: "acc-1".into(),
        principal_name: "ops@contoso.example".into(),
        target_id: format!(
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/{target}"
        ),
        target_name: target.into(),
        before: Some(r#"{"keys":[],"secrets":["get"]}"#.into()),
    }
}

#[tokio::test]
async fn an_entry_begins_in_flight_and_finishes_with_its_outcome() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::at(1_700_000_000));
    let log = ActivityLog::open(dir.path().join("activity.sqlite3"), clock.clone())
        .await
        .unwrap();
    let id = log.begin(change("kv-a")).await.unwrap();
    let listed = log.list(ActivityFilter::default()).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].outcome, ActivityOutcome::InFlight);
    assert_eq!(listed[0].started_at, "2023-11-14T22:13:20Z");
    assert_eq!(listed[0].finished_at, None);

    clock.advance(Duration::from_secs(5));
    log.finish(
        &id,
        &ActivityOutcome::Succeeded,
        Some(r#"{"keys":[],"secrets":["get","list"]}"#.into()),
        RequestIds {
            request_id: Some("req-1".into()),
            correlation_id: None,
        },
    )
    .await
    .unwrap();
    let entry = &log.list(ActivityFilter::default()).await.unwrap()[0];
    assert_eq!(entry.outcome, ActivityOutcome::Succeeded);
    assert_eq!(entry.finished_at.as_deref(), Some("2023-11-14T22:13:25Z"));
    assert_eq!(entry.request_id.as_deref(), Some("req-1"));
    assert!(!entry.correlation_id.is_empty(), "Safehold's own id stays");
    assert!(entry.after.as_deref().unwrap().contains("list"));

    let missing = log
        .finish(
            "nope",
            &ActivityOutcome::Succeeded,
            None,
            RequestIds::default(),
        )
        .await
        .unwrap_err();
    assert!(matches!(missing, ActivityError::NoSuchEntry));
}

#[tokio::test]
async fn a_stop_between_begin_and_finish_leaves_the_entry_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("activity.sqlite3");
    let clock = Arc::new(ManualClock::at(1_700_000_000));
    let log = ActivityLog::open(path.clone(), clock.clone())
        .await
        .unwrap();
    log.begin(change("kv-a")).await.unwrap();
    drop(log);

    let reopened = ActivityLog::open(path, clock).await.unwrap();
    let in_flight = reopened
        .list(ActivityFilter {
            outcome: Some(ActivityOutcomeState::InFlight),
            ..ActivityFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(in_flight.len(), 1);
    assert_eq!(in_flight[0].target_name, "kv-a");
}

#[tokio::test]
async fn entries_are_listed_newest_first_and_filtered() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::at(1_700_000_000));
    let log = ActivityLog::open(dir.path().join("a.sqlite3"), clock.clone())
        .await
        .unwrap();
    let first = log.begin(change("kv-old")).await.unwrap();
    clock.advance(Duration::from_secs(60));
    let second = log.begin(change("kv-new")).await.unwrap();
    let error = AppError::from(&Error::new(ErrorCode::Forbidden, Problem::Internal));
    log.finish(
        &first,
        &ActivityOutcome::Succeeded,
        None,
        RequestIds::default(),
    )
    .await
    .unwrap();
    log.finish(
        &second,
        &ActivityOutcome::Failed { error },
        None,
        RequestIds::default(),
    )
    .await
    .unwrap();

    let all = log.list(ActivityFilter::default()).await.unwrap();
    let names: Vec<&str> = all.iter().map(|e| e.target_name.as_str()).collect();
    assert_eq!(names, ["kv-new", "kv-old"]);
    let failed = log
        .list(ActivityFilter {
            outcome: Some(ActivityOutcomeState::Failed),
            ..ActivityFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].target_name, "kv-new");
    let searched = log
        .list(ActivityFilter {
            search: Some("OLD".into()),
            ..ActivityFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(searched.len(), 1);

    let csv = log.export_csv(ActivityFilter::default()).await.unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    let json: serde_json::Value =
        serde_json::from_str(&log.export_json(ActivityFilter::default()).await.unwrap()).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 2);
    assert_eq!(json[0]["outcome"]["state"], "failed");
    assert_eq!(json[0]["outcome"]["error"]["code"], "forbidden");
}

#[tokio::test]
async fn a_file_of_the_first_schema_is_migrated_and_keeps_its_entries() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("activity.sqlite3");
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(MIGRATIONS[0]).unwrap();
        c.pragma_update(None, "user_version", 1).unwrap();
        c.execute(
            "INSERT INTO activity (id, started_at, kind, account_id, principal_name, target_id,
                target_name, correlation_id, outcome)
             VALUES ('old', '2025-01-01T00:00:00Z', 'grant', 'a', 'p', '/t', 't', 'c',
                '{\"state\":\"succeeded\"}')",
            [],
        )
        .unwrap();
    }
    let log = ActivityLog::open(path.clone(), Arc::new(ManualClock::at(0)))
        .await
        .unwrap();
    let listed = log.list(ActivityFilter::default()).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, "old");
    assert_eq!(listed[0].outcome, ActivityOutcome::Succeeded);
    drop(log);
    let c = rusqlite::Connection::open(&path).unwrap();
    assert_eq!(
        schema_version(&c).unwrap(),
        i64::try_from(MIGRATIONS.len()).unwrap()
    );
    let index: i64 = c
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'activity_by_start'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(index, 1);
}

#[tokio::test]
async fn a_file_from_a_newer_safehold_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("activity.sqlite3");
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.pragma_update(None, "user_version", 99).unwrap();
    }
    let error = ActivityLog::open(path, Arc::new(ManualClock::at(0)))
        .await
        .unwrap_err();
    assert!(
        matches!(error, ActivityError::NewerSchema { found: 99, .. }),
        "{error:?}"
    );
    let shown = safehold_core::Error::from(error);
    assert_eq!(shown.problem, Problem::ActivityLogUnavailable);
}

#[cfg(unix)]
#[tokio::test]
async fn the_file_is_readable_by_its_user_only() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested").join("activity.sqlite3");
    let log = ActivityLog::open(path.clone(), Arc::new(ManualClock::at(0)))
        .await
        .unwrap();
    log.begin(change("kv-a")).await.unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}
