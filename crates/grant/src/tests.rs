//! The grant service against the embedded sandbox: it works from the inventory in memory.

use std::sync::Arc;

use safehold_activity::ActivityLog;
use safehold_core::activity::{ActivityFilter, ActivityKind, ActivityOutcome, NewActivity};
use safehold_core::clock::SystemClock;
use safehold_core::grant::GrantChange;
use safehold_core::{Error, ErrorCode, Problem, Service, ServiceError};
use safehold_inventory::InventoryService;
use tokio_util::sync::CancellationToken;

use crate::GrantService;

async fn activity(dir: &std::path::Path) -> Arc<ActivityLog> {
    Arc::new(
        ActivityLog::open(dir.join("activity.sqlite3"), Arc::new(SystemClock))
            .await
            .unwrap(),
    )
}

/// Every string value in the sandbox's credentials file: its client secret among them.
fn sandbox_secrets(dir: &std::path::Path) -> Vec<String> {
    let file = std::fs::read(dir.join("sandbox").join("credentials.json"))
        .expect("the embedded sandbox keeps its principal's credentials");
    let json: serde_json::Value = serde_json::from_slice(&file).unwrap();
    let mut found = vec![];
    let mut stack = vec![json];
    while let Some(value) = stack.pop() {
        match value {
            serde_json::Value::Object(map) => {
                for (key, value) in map {
                    if key.contains("secret")
                        && let serde_json::Value::String(s) = &value
                    {
                        found.push(s.clone());
                    }
                    stack.push(value);
                }
            }
            serde_json::Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    found
}

#[tokio::test]
async fn a_grant_works_from_the_inventory_in_memory_with_no_file_anywhere() {
    let dir = tempfile::tempdir().unwrap();
    let accounts = safehold_accounts::signed_in_to_sandbox(dir.path()).await;
    let inventory = Arc::new(InventoryService::in_memory(accounts, Arc::new(SystemClock)));
    let log = activity(dir.path()).await;
    let service = GrantService::new(inventory.clone(), log.clone());

    // Before any scan there is nothing to grant on.
    let error = service
        .plan("/subscriptions/x/resourceGroups/y/providers/Microsoft.KeyVault/vaults/z")
        .await
        .unwrap_err();
    assert_eq!(error.problem, Problem::VaultNotInInventory);

    let snapshot = inventory
        .scan(&CancellationToken::new(), |_| {})
        .await
        .unwrap();
    assert!(
        !dir.path().join("inventory.json").exists(),
        "kept in memory only"
    );
    let lacking = snapshot
        .inventory
        .key_vaults
        .iter()
        .find(|k| {
            matches!(
                k.backup_access,
                safehold_inventory::BackupAccess::Missing { .. }
            )
        })
        .expect("the demo tenant has a vault lacking Backup's access");
    let plan = service.plan(&lacking.vault.id).await.unwrap();
    assert!(
        matches!(plan.change, GrantChange::AccessPolicy { .. }),
        "{:?}",
        plan.change
    );
    let done = service.grant(&lacking.vault.id).await.unwrap();
    assert_eq!(done.vault_id, lacking.vault.id);
    // Granted now: planning again changes nothing.
    assert_eq!(
        service.plan(&lacking.vault.id).await.unwrap().change,
        GrantChange::Nothing
    );
    assert_eq!(error.code, ErrorCode::NotFound);

    // One entry, done, with what Backup had and what it has now.
    let entries = log.list(ActivityFilter::default()).await.unwrap();
    assert_eq!(entries.len(), 1, "{entries:?}");
    let entry = &entries[0];
    assert_eq!(entry.kind, ActivityKind::Grant);
    assert_eq!(entry.outcome, ActivityOutcome::Succeeded);
    assert_eq!(entry.target_id, lacking.vault.id);
    assert_eq!(entry.target_name, lacking.vault.name);
    assert!(!entry.account_id.is_empty());
    assert!(entry.finished_at.is_some());
    let before: GrantChange = serde_json::from_str(entry.before.as_deref().unwrap()).unwrap();
    let after: GrantChange = serde_json::from_str(entry.after.as_deref().unwrap()).unwrap();
    assert_eq!(before, plan.change);
    assert_eq!(after, done.change);

    // No secret in the log's file.
    drop(service);
    drop(entries);
    let secrets = sandbox_secrets(dir.path());
    assert!(!secrets.is_empty());
    let bytes = std::fs::read(log.path()).unwrap();
    for secret in secrets {
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "a secret reached the activity log"
        );
    }
}

#[tokio::test]
async fn a_refused_grant_is_recorded_failed_with_the_services_code_and_request_id() {
    let dir = tempfile::tempdir().unwrap();
    let log = activity(dir.path()).await;
    let id = log
        .begin(NewActivity {
            kind: ActivityKind::Grant,
            account_id: "acc".into(),
            principal_name: "ops".into(),
            target_id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"
                .into(),
            target_name: "kv".into(),
            before: None,
        })
        .await
        .unwrap();
    let refused = Error::new(
        ErrorCode::Forbidden,
        Problem::ServiceRefused {
            service: Service::ResourceManager,
        },
    )
    .with_service(
        Service::ResourceManager,
        ServiceError {
            status: Some(403),
            code: Some("AuthorizationFailed".into()),
            ..ServiceError::default()
        },
    )
    .with_request_id(Some("req-403".into()));
    crate::service::record(&log, &id, &Err(refused)).await;

    let entry = &log.list(ActivityFilter::default()).await.unwrap()[0];
    let ActivityOutcome::Failed { error } = &entry.outcome else {
        panic!("{:?}", entry.outcome)
    };
    assert_eq!(error.code, ErrorCode::Forbidden);
    assert_eq!(
        error.service.as_ref().and_then(|s| s.said.code.as_deref()),
        Some("AuthorizationFailed")
    );
    assert_eq!(entry.request_id.as_deref(), Some("req-403"));
    assert_eq!(entry.after, None);
}
