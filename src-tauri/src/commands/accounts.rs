//! The accounts panel: sign in, tenants, subscription filter, sign out.

use safehold_core::inventory::Subscription;
use safehold_core::{AppError, Error, ErrorCode};
use tauri::State;
use tauri_specta::Event as _;

use crate::Connection;
use crate::accounts::{AccountView, AccountsView, NetworkSettings, SignInRequest};
use crate::commands::to_app_error;

/// Every account, and whether the keyring works.
#[tauri::command]
#[specta::specta]
#[tracing::instrument(skip_all, name = "command.list_accounts")]
pub async fn list_accounts(connection: State<'_, Connection>) -> Result<AccountsView, AppError> {
    Ok(connection.accounts().await.view().await)
}

/// Signs in a new account. A browser sign-in opens the system browser; a device-code sign-in
/// sends [`crate::accounts::DeviceCodeShown`] and waits for someone to use the code.
#[tauri::command]
#[specta::specta]
#[tracing::instrument(skip_all, name = "command.sign_in")]
pub async fn sign_in(
    app: tauri::AppHandle,
    connection: State<'_, Connection>,
    request: SignInRequest,
) -> Result<AccountView, AppError> {
    tracing::info!(request = ?request, "sign-in requested");
    let accounts = connection.accounts().await;
    accounts
        .sign_in(
            request,
            |prompt| {
                if let Err(error) = prompt.emit(&app) {
                    tracing::warn!(error = %error, "could not show the device code");
                }
            },
            |url| {
                webbrowser::open(url).map_err(|e| {
                    Error::new(
                        ErrorCode::Unavailable,
                        "The system browser could not be opened.",
                    )
                    .with_suggestion(
                        "Use the device-code sign-in instead, or set a default browser.",
                    )
                    .with_source(e)
                })
            },
        )
        .await
        .map_err(|e| to_app_error(&e))
}

/// Signs an account out: its keyring entries are deleted and checked gone.
#[tauri::command]
#[specta::specta]
#[tracing::instrument(skip_all, name = "command.sign_out")]
pub async fn sign_out(
    connection: State<'_, Connection>,
    account_id: String,
) -> Result<AccountsView, AppError> {
    connection
        .accounts()
        .await
        .sign_out(&account_id)
        .await
        .map_err(|e| to_app_error(&e))
}

/// Lists an account's tenants again.
#[tauri::command]
#[specta::specta]
#[tracing::instrument(skip_all, name = "command.refresh_tenants")]
pub async fn refresh_tenants(
    connection: State<'_, Connection>,
    account_id: String,
) -> Result<AccountView, AppError> {
    connection
        .accounts()
        .await
        .refresh_tenants(&account_id)
        .await
        .map_err(|e| to_app_error(&e))
}

/// Chooses an account's tenants and subscriptions (none: all of them).
#[tauri::command]
#[specta::specta]
#[tracing::instrument(skip_all, name = "command.set_account_scope")]
pub async fn set_account_scope(
    connection: State<'_, Connection>,
    account_id: String,
    selected_tenants: Vec<String>,
    subscription_filter: Option<Vec<String>>,
) -> Result<AccountView, AppError> {
    connection
        .accounts()
        .await
        .set_scope(&account_id, selected_tenants, subscription_filter)
        .await
        .map_err(|e| to_app_error(&e))
}

/// Every subscription an account sees in one tenant, for the filter.
#[tauri::command]
#[specta::specta]
#[tracing::instrument(skip_all, name = "command.list_account_subscriptions")]
pub async fn list_account_subscriptions(
    connection: State<'_, Connection>,
    account_id: String,
    tenant_id: String,
) -> Result<Vec<Subscription>, AppError> {
    connection
        .accounts()
        .await
        .account_subscriptions(&account_id, &tenant_id)
        .await
        .map_err(|e| to_app_error(&e))
}

/// Cancels the sign-in in progress (the browser or device code nobody finished).
#[tauri::command]
#[specta::specta]
#[tracing::instrument(skip_all, name = "command.cancel_sign_in")]
pub async fn cancel_sign_in(connection: State<'_, Connection>) -> Result<(), AppError> {
    connection.accounts().await.cancel_sign_in();
    Ok(())
}

/// How Safehold reaches Azure: the system proxy, an explicit one, or none.
#[tauri::command]
#[specta::specta]
#[tracing::instrument(skip_all, name = "command.get_network_settings")]
pub async fn get_network_settings(
    connection: State<'_, Connection>,
) -> Result<NetworkSettings, AppError> {
    Ok(connection.accounts().await.network_settings())
}

/// Changes the proxy; signed-in accounts stay signed in.
#[tauri::command]
#[specta::specta]
#[tracing::instrument(skip_all, name = "command.set_network_settings")]
pub async fn set_network_settings(
    connection: State<'_, Connection>,
    settings: NetworkSettings,
) -> Result<NetworkSettings, AppError> {
    connection
        .accounts()
        .await
        .set_network_settings(settings)
        .await
        .map_err(|e| to_app_error(&e))
}
