//! The inventory of encrypted VMs and their key vaults.

use safehold_core::AppError;
use tauri::State;
use tauri_specta::Event as _;

use crate::Connection;
use crate::commands::to_app_error;
use crate::inventory::InventorySnapshot;

/// Scans every selected subscription; sends [`InventoryProgress`] as each one finishes.
#[tauri::command]
#[specta::specta]
#[tracing::instrument(skip_all, name = "command.scan_inventory")]
pub async fn scan_inventory(
    app: tauri::AppHandle,
    connection: State<'_, Connection>,
) -> Result<InventorySnapshot, AppError> {
    let accounts = connection.accounts().await;
    let cancel = connection.scan_cancel.clone();
    let scan = crate::inventory::scan(&accounts, &connection.data_dir, |progress| {
        if let Err(error) = progress.emit(&app) {
            tracing::debug!(error = %error, "could not report scan progress");
        }
    });
    // Dropping the scan stops it: its requests in flight are abandoned, its subscriptions'
    // tasks aborted, and the inventory kept from before stays as it was.
    tokio::select! {
        result = scan => result.map_err(|e| to_app_error(&e)),
        () = cancel.notified() => {
            tracing::info!("inventory scan cancelled");
            Err(to_app_error(&safehold_core::Error::new(
                safehold_core::ErrorCode::Cancelled,
                "The scan was cancelled; the inventory shown is the one from before.",
            )))
        }
    }
}

/// Stops the running inventory scan, if there is one.
#[tauri::command]
#[specta::specta]
#[tracing::instrument(skip_all, name = "command.cancel_scan")]
pub async fn cancel_scan(connection: State<'_, Connection>) -> Result<(), AppError> {
    connection.scan_cancel.notify_waiters();
    Ok(())
}

/// The last inventory kept on disk, shown at once while a new scan runs.
#[tauri::command]
#[specta::specta]
#[tracing::instrument(skip_all, name = "command.cached_inventory")]
pub async fn cached_inventory(
    connection: State<'_, Connection>,
) -> Result<Option<InventorySnapshot>, AppError> {
    let dir = connection.data_dir.clone();
    Ok(
        tokio::task::spawn_blocking(move || crate::inventory::cached(&dir))
            .await
            .unwrap_or(None),
    )
}

/// The change a grant would make on a key vault, and who else has access.
#[tauri::command]
#[specta::specta]
#[tracing::instrument(skip_all, name = "command.plan_grant")]
pub async fn plan_grant(
    connection: State<'_, Connection>,
    vault_id: String,
) -> Result<safehold_core::grant::GrantPlan, AppError> {
    let accounts = connection.accounts().await;
    crate::inventory::plan_grant(&accounts, &connection.data_dir, &vault_id)
        .await
        .map_err(|e| to_app_error(&e))
}

/// Grants the Backup Management Service what it needs on a key vault.
#[tauri::command]
#[specta::specta]
#[tracing::instrument(skip_all, name = "command.grant_backup_access")]
pub async fn grant_backup_access(
    connection: State<'_, Connection>,
    vault_id: String,
) -> Result<safehold_core::grant::GrantPlan, AppError> {
    let accounts = connection.accounts().await;
    crate::inventory::grant(
        &accounts,
        &connection.data_dir,
        &connection.grant_locks,
        &vault_id,
    )
    .await
    .map_err(|e| to_app_error(&e))
}
