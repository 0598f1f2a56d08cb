//! The grant service against the embedded sandbox: it works from the inventory in memory.

use std::sync::Arc;

use safehold_core::clock::SystemClock;
use safehold_core::grant::GrantChange;
use safehold_core::{ErrorCode, Problem};
use safehold_inventory::InventoryService;
use tokio_util::sync::CancellationToken;

use crate::GrantService;

#[tokio::test]
async fn a_grant_works_from_the_inventory_in_memory_with_no_file_anywhere() {
    let dir = tempfile::tempdir().unwrap();
    let accounts = safehold_accounts::signed_in_to_sandbox(dir.path()).await;
    let inventory = Arc::new(InventoryService::in_memory(accounts, Arc::new(SystemClock)));
    let service = GrantService::new(inventory.clone());

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
}
