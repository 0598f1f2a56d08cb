//! Backup's access to a key vault: the plan, then the grant.

use safehold_core::AppError;
use safehold_core::grant::GrantPlan;
use tauri::State;

use crate::AppState;
use crate::commands::to_app_error;

/// The change a grant would make on a key vault, and who else has access.
#[tauri::command]
#[specta::specta]
#[tracing::instrument(skip_all, name = "command.plan_grant")]
pub async fn plan_grant(
    state: State<'_, AppState>,
    vault_id: String,
) -> Result<GrantPlan, AppError> {
    let services = state.services().await;
    services
        .grant
        .plan(&vault_id)
        .await
        .map_err(|e| to_app_error(&e))
}

/// Grants the Backup Management Service what it needs on a key vault.
#[tauri::command]
#[specta::specta]
#[tracing::instrument(skip_all, name = "command.grant_backup_access")]
pub async fn grant_backup_access(
    state: State<'_, AppState>,
    vault_id: String,
) -> Result<GrantPlan, AppError> {
    let services = state.services().await;
    services
        .grant
        .grant(&vault_id)
        .await
        .map_err(|e| to_app_error(&e))
}
