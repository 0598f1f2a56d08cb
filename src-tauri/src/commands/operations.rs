//! Long operations: cancelling one by the id the UI gave it.

use safehold_core::AppError;
use tauri::State;

use crate::AppState;

/// Cancels the operation `operation_id` (a scan, a sign-in), if it is still running.
#[tauri::command]
#[specta::specta]
#[tracing::instrument(skip_all, name = "command.cancel_operation", fields(operation_id = %operation_id))]
pub async fn cancel_operation(
    state: State<'_, AppState>,
    operation_id: String,
) -> Result<bool, AppError> {
    Ok(state.operations.cancel(&operation_id))
}
