//! Subscriptions and Recovery Services vaults, across every signed-in account.

use safehold_core::AppError;
use safehold_core::inventory::{RecoveryVault, Subscription};
use tauri::State;

use crate::AppState;
use crate::commands::to_app_error;

/// The subscriptions of every account's selected tenants, through its filter.
#[tauri::command]
#[specta::specta]
#[tracing::instrument(skip_all, name = "command.list_subscriptions")]
pub async fn list_subscriptions(state: State<'_, AppState>) -> Result<Vec<Subscription>, AppError> {
    let services = state.services().await;
    services
        .accounts
        .subscriptions()
        .await
        .map_err(|e| to_app_error(&e))
}

/// The Recovery Services vaults of one subscription.
#[tauri::command]
#[specta::specta]
#[tracing::instrument(skip_all, name = "command.list_vaults", fields(subscription_id = %subscription_id))]
pub async fn list_vaults(
    state: State<'_, AppState>,
    subscription_id: String,
) -> Result<Vec<RecoveryVault>, AppError> {
    let services = state.services().await;
    services
        .accounts
        .vaults(&subscription_id)
        .await
        .map_err(|e| to_app_error(&e))
}
