//! The inventory service against the embedded sandbox's demo tenant and an in-memory keyring.

use super::*;
use safehold_core::clock::ManualClock;

fn clock() -> Arc<dyn Clock> {
    // 2026-12-01T00:00:00Z
    Arc::new(ManualClock::at(1_796_083_200))
}

/// Waits for the background writer to have written the kept file.
async fn kept(dir: &std::path::Path) -> Option<InventorySnapshot> {
    for _ in 0..200 {
        if let Some(kept) = read_kept(&dir.join(CACHE_FILE)) {
            return Some(kept);
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    None
}

#[tokio::test]
async fn a_scan_of_the_demo_tenant_is_shown_and_kept_for_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let accounts = safehold_accounts::signed_in_to_sandbox(dir.path()).await;
    let service = InventoryService::new(accounts.clone(), clock(), dir.path().to_owned());
    assert!(service.current().await.is_none());
    let heard = std::sync::Mutex::new(vec![]);
    let snapshot = service
        .scan(&CancellationToken::new(), |p| heard.lock().unwrap().push(p))
        .await
        .unwrap();
    let heard = heard.into_inner().unwrap();
    assert_eq!(heard.len(), 2);
    assert_eq!(heard.last().unwrap().done, 2);
    assert_eq!(snapshot.scanned_at, "2026-12-01T00:00:00Z");
    assert!(snapshot.inventory.vms.iter().any(|v| v.name == "vm-sql-01"));
    assert!(
        snapshot
            .inventory
            .key_vaults
            .iter()
            .any(|k| k.vault.name == "kv-finance-ade")
    );
    assert_eq!(service.current().await, Some(snapshot.clone()));
    assert_eq!(kept(dir.path()).await.as_ref(), Some(snapshot.as_ref()));

    // The next start shows it before any scan.
    let next = InventoryService::new(accounts, clock(), dir.path().to_owned());
    assert_eq!(next.current().await, Some(snapshot));
}

#[tokio::test]
async fn forgetting_the_inventory_clears_the_screens_and_the_kept_file() {
    let dir = tempfile::tempdir().unwrap();
    let accounts = safehold_accounts::signed_in_to_sandbox(dir.path()).await;
    let service = InventoryService::new(accounts.clone(), clock(), dir.path().to_owned());
    service
        .scan(&CancellationToken::new(), |_| {})
        .await
        .unwrap();
    assert!(kept(dir.path()).await.is_some());
    service.forget().await;
    assert!(service.current().await.is_none());
    assert!(!dir.path().join(CACHE_FILE).exists());
    let next = InventoryService::new(accounts, clock(), dir.path().to_owned());
    assert!(next.current().await.is_none());
}

#[tokio::test]
async fn a_cancelled_scan_keeps_the_inventory_from_before() {
    let dir = tempfile::tempdir().unwrap();
    let accounts = safehold_accounts::signed_in_to_sandbox(dir.path()).await;
    let service = InventoryService::in_memory(accounts, clock());
    let before = service
        .scan(&CancellationToken::new(), |_| {})
        .await
        .unwrap();
    let cancel = CancellationToken::new();
    cancel.cancel();
    let error = service.scan(&cancel, |_| {}).await.unwrap_err();
    assert_eq!(error.code, safehold_core::ErrorCode::Cancelled);
    assert_eq!(service.current().await, Some(before));
}

#[tokio::test]
async fn a_damaged_kept_file_counts_as_none() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(CACHE_FILE), b"{ not json").unwrap();
    let accounts = safehold_accounts::signed_in_to_sandbox(dir.path()).await;
    let service = InventoryService::new(accounts, clock(), dir.path().to_owned());
    assert!(service.current().await.is_none());
}
