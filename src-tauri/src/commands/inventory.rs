//! Subscriptions and Recovery Services vaults.

use safehold_core::AppError;
use safehold_core::inventory::{RecoveryVault, Subscription};
use tauri::State;

use crate::Connection;
use crate::commands::to_app_error;

/// Every subscription the signed-in principal can see.
#[tauri::command]
#[specta::specta]
#[tracing::instrument(skip_all, name = "command.list_subscriptions")]
pub async fn list_subscriptions(
    connection: State<'_, Connection>,
) -> Result<Vec<Subscription>, AppError> {
    let session = connection.session().await.map_err(|e| to_app_error(&e))?;
    session
        .arm
        .list_subscriptions()
        .await
        .map_err(|e| to_app_error(&e))
}

/// The Recovery Services vaults of one subscription.
#[tauri::command]
#[specta::specta]
#[tracing::instrument(skip_all, name = "command.list_vaults", fields(subscription_id = %subscription_id))]
pub async fn list_vaults(
    connection: State<'_, Connection>,
    subscription_id: String,
) -> Result<Vec<RecoveryVault>, AppError> {
    let session = connection.session().await.map_err(|e| to_app_error(&e))?;
    session
        .arm
        .list_recovery_vaults(&subscription_id)
        .await
        .map_err(|e| to_app_error(&e))
}
