//! The inventory of the demo tenant, scanned against a sandbox started per test: every verdict
//! names what to fix, and faults on the wire do not change the picture.

use safehold_azure::sandboxed::{Running, start};
use safehold_core::ports::ResourceManagerApi;
use safehold_inventory::scan;

#[tokio::test]
async fn the_demo_tenants_verdicts_name_what_to_fix() {
    use safehold_core::ports::DirectoryApi;
    use safehold_core::readiness::{Check, Finding, Outcome, Status};
    use scan::BackupAccess;

    let r = start(100).await;
    let credential = r.operator();
    let arm =
        std::sync::Arc::new(safehold_azure::ArmClient::new(&r.cloud, credential.clone()).unwrap());
    let graph = safehold_azure::GraphClient::new(&r.cloud, credential).unwrap();
    let backup = graph
        .service_principal_by_app_id(safehold_azure::cloud::BACKUP_APP_ID_PUBLIC)
        .await
        .unwrap();
    assert!(backup.is_some());
    let tenant_id = r.sandbox.endpoints().tenant_id.clone();
    let principals =
        std::collections::HashMap::from([(safehold_core::TenantId::new(tenant_id), backup)]);
    let subscriptions = arm.list_subscriptions().await.unwrap();
    let clients: std::sync::Arc<dyn scan::Clients> = arm;
    let progress = std::sync::Mutex::new(vec![]);
    let inventory = scan::build(
        subscriptions,
        &|_| clients.clone(),
        std::future::ready(principals.clone()),
        SEED_HISTORY_FROM,
        &|scan| {
            progress
                .lock()
                .unwrap()
                .push(scan.subscription.display_name.clone())
        },
    )
    .await;
    assert_eq!(
        progress.lock().unwrap().len(),
        2,
        "each subscription reports once"
    );
    assert!(inventory.subscriptions.iter().all(|s| s.error.is_none()));

    let verdict = |name: &str| {
        inventory
            .vms
            .iter()
            .find(|v| v.name == name)
            .unwrap_or_else(|| panic!("{name} is missing"))
            .verdict
            .clone()
            .unwrap_or_else(|| panic!("{name} has no verdict"))
    };
    assert_eq!(
        verdict("vm-sql-01").status,
        Status::Ready,
        "{:?}",
        verdict("vm-sql-01")
    );
    let finance = verdict("vm-fin-db01");
    assert_eq!(finance.status, Status::ActionNeeded);
    assert!(finance.reasons.iter().any(|r| matches!(
        &r.finding,
        Finding::MissingPermissions { vault, missing } if vault == "kv-finance-ade" && missing.keys.contains("backup")
    )), "{finance:?}");
    let batch = verdict("vm-batch02");
    assert!(
        batch
            .reasons
            .iter()
            .any(|r| r.check == Check::AgentReady && r.outcome == Outcome::Fail)
    );
    let hr = verdict("vm-hr-rbac01");
    assert!(
        hr.reasons
            .iter()
            .any(|r| matches!(&r.finding, Finding::MissingRole { vault } if vault == "kv-hr-rbac")),
        "{hr:?}"
    );
    // The development subscription's service refused protection of this BEK-only VM (its
    // failed ConfigureBackup job says so): the 2017 matrix holds there.
    let dev = verdict("vm-dev-bekonly");
    assert_eq!(
        (&dev.reasons[0].finding, dev.reasons[0].outcome),
        (
            &Finding::BekOnlyManaged {
                service_answer: Some(false)
            },
            Outcome::Fail
        )
    );
    let failed: Vec<(&str, &str, Option<&str>)> = inventory
        .failed_jobs
        .iter()
        .map(|j| {
            (
                j.vm_name.as_str(),
                j.operation.as_str(),
                j.error_code.as_deref(),
            )
        })
        .collect();
    assert!(
        failed.contains(&(
            "vm-dev-bekonly",
            "ConfigureBackup",
            Some("UserErrorBekOnlyEncryptedVmNotSupported")
        )),
        "{failed:?}"
    );
    assert!(failed.contains(&(
        "vm-fin-db01",
        "Backup",
        Some("UserErrorKeyvaultPermissionsNotConfigured")
    )));
    assert!(
        inventory
            .failed_jobs
            .windows(2)
            .all(|w| w[0].start_time >= w[1].start_time),
        "newest first"
    );
    // The classic VM comes from the classic list: Backup cannot protect it encrypted.
    let classic = verdict("classic-web01");
    assert_eq!(
        (classic.status, &classic.reasons[0].finding),
        (Status::Unsupported, &Finding::ClassicUnsupported)
    );
    let legacy = verdict("vm-legacy-web01");
    assert_eq!(legacy.reasons[0].finding, Finding::DualPass);

    let shared = inventory
        .key_vaults
        .iter()
        .find(|k| k.vault.name == "kv-shared-jpe")
        .unwrap();
    assert!(
        matches!(shared.backup_access, BackupAccess::Missing { .. }),
        "{shared:?}"
    );
    assert!(
        shared.vms.contains(&"vm-web01".to_owned()) && shared.vms.contains(&"vm-web02".to_owned())
    );
    let protected = inventory
        .vms
        .iter()
        .find(|v| v.name == "vm-sql-01")
        .unwrap();
    assert!(protected.protection.is_some());
    let new_app = inventory
        .vms
        .iter()
        .find(|v| v.name == "vm-new-app01")
        .unwrap();
    assert!(new_app.protection.is_none(), "not yet protected");
}

/// The demo seed's job history starts in November 2026; a fixed window keeps these tests
/// independent of today's date.
const SEED_HISTORY_FROM: i64 = 1_793_491_200; // 2026-11-01T00:00:00Z

/// The whole inventory of the demo tenant, as the scan builds it.
async fn scan(r: &Running) -> scan::Inventory {
    use safehold_core::ports::DirectoryApi;
    let credential = r.operator();
    let arm =
        std::sync::Arc::new(safehold_azure::ArmClient::new(&r.cloud, credential.clone()).unwrap());
    let backup = safehold_azure::GraphClient::new(&r.cloud, credential)
        .unwrap()
        .service_principal_by_app_id(safehold_azure::cloud::BACKUP_APP_ID_PUBLIC)
        .await
        .unwrap();
    let tenant_id = r.sandbox.endpoints().tenant_id.clone();
    let principals =
        std::collections::HashMap::from([(safehold_core::TenantId::new(tenant_id), backup)]);
    let subscriptions = arm.list_subscriptions().await.unwrap();
    let clients: std::sync::Arc<dyn scan::Clients> = arm;
    scan::build(
        subscriptions,
        &|_| clients.clone(),
        std::future::ready(principals.clone()),
        SEED_HISTORY_FROM,
        &|_| {},
    )
    .await
}

#[tokio::test]
async fn throttling_server_errors_and_resets_do_not_change_the_inventory() {
    let r = start(3).await;
    let calm = scan(&r).await;
    r.sandbox
        .faults()
        .set(safehold_sandbox::faults::FaultConfig {
            throttle_rate: 0.15,
            retry_after_secs: 0,
            server_error_rate: 0.1,
            reset_before_rate: 0.05,
            seed: Some(7),
            ..Default::default()
        })
        .unwrap();
    r.sandbox.faults().reset_counts();
    let stormy = scan(&r).await;
    let counts = r.sandbox.faults().counts();
    assert!(
        counts.throttled + counts.server_errors + counts.resets_before > 0,
        "faults were injected: {counts:?}"
    );
    assert!(
        stormy.subscriptions.iter().all(|s| s.error.is_none()),
        "{:?}",
        stormy.subscriptions
    );
    assert!(calm == stormy, "the inventory differs under faults");
}

#[tokio::test]
async fn a_cancelled_scan_stops_asking() {
    // Slow pages (one item each, 150 ms apiece), so the scan is mid-way when it is dropped.
    let r = start(1).await;
    r.sandbox
        .faults()
        .set(safehold_sandbox::faults::FaultConfig {
            latency_ms: 150,
            ..Default::default()
        })
        .unwrap();
    let cut_short = tokio::time::timeout(std::time::Duration::from_millis(700), scan(&r)).await;
    assert!(
        cut_short.is_err(),
        "the scan finished before it could be cancelled"
    );
    let at_cancel = r.sandbox.faults().counts().delayed;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    // Requests already past the fault layer's delay may still be answered; none new start.
    let settled = r.sandbox.faults().counts().delayed;
    tokio::time::sleep(std::time::Duration::from_millis(900)).await;
    assert_eq!(
        r.sandbox.faults().counts().delayed,
        settled,
        "requests kept coming after the scan was dropped (from {at_cancel})"
    );
}
