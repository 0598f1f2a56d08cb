//! The activity log: every change Safehold made, filtered, and exported as text the UI saves.

use safehold_core::AppError;
use safehold_core::activity::{ActivityEntry, ActivityFilter, ExportFormat};
use tauri::State;

use crate::AppState;
use crate::commands::to_app_error;

/// The changes Safehold made that `filter` keeps, newest first.
#[tauri::command]
#[specta::specta]
#[tracing::instrument(skip_all, name = "command.list_activity")]
pub async fn list_activity(
    state: State<'_, AppState>,
    filter: ActivityFilter,
) -> Result<Vec<ActivityEntry>, AppError> {
    let services = state.services().await;
    services
        .activity
        .list(filter)
        .await
        .map_err(|e| to_app_error(&e.into()))
}

/// The changes `filter` keeps, as CSV or JSON text.
#[tauri::command]
#[specta::specta]
#[tracing::instrument(skip_all, name = "command.export_activity")]
pub async fn export_activity(
    state: State<'_, AppState>,
    format: ExportFormat,
    filter: ActivityFilter,
) -> Result<String, AppError> {
    let services = state.services().await;
    services
        .activity
        .export(format, filter)
        .await
        .map_err(|e| to_app_error(&e.into()))
}
