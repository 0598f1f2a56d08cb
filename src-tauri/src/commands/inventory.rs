//! The inventory of encrypted VMs and their key vaults.

use safehold_core::AppError;
use safehold_inventory::{InventoryProgress, InventorySnapshot};
use tauri::State;
use tauri::ipc::Channel;

use crate::AppState;
use crate::commands::to_app_error;

/// Scans every selected subscription, sending progress on `on_progress` as each finishes.
/// Cancelling `operation_id` stops it; the inventory from before stays.
#[tauri::command]
#[specta::specta]
#[tracing::instrument(skip_all, name = "command.scan_inventory")]
pub async fn scan_inventory(
    state: State<'_, AppState>,
    operation_id: String,
    on_progress: Channel<InventoryProgress>,
) -> Result<InventorySnapshot, AppError> {
    let services = state.services().await;
    let running = state.operations.start(&operation_id);
    let report = |progress| {
        if let Err(error) = on_progress.send(progress) {
            tracing::debug!(error = %error, "could not report scan progress");
        }
    };
    let snapshot = services.inventory.scan(&running.cancel, report).await;
    snapshot.map(|s| (*s).clone()).map_err(|e| to_app_error(&e))
}

/// The inventory on screen: the last scan's, or the one kept from the last run.
#[tauri::command]
#[specta::specta]
#[tracing::instrument(skip_all, name = "command.cached_inventory")]
pub async fn cached_inventory(
    state: State<'_, AppState>,
) -> Result<Option<InventorySnapshot>, AppError> {
    let current = state.services().await.inventory.current().await;
    Ok(current.map(|s| (*s).clone()))
}
