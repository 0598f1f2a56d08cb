//! The accounts panel: sign in, tenants, subscription filter, sign out.

use safehold_core::inventory::Subscription;
use safehold_core::{Advice, AppError, Error, ErrorCode, Problem};
use tauri::State;
use tauri::ipc::Channel;

use crate::AppState;
use crate::commands::to_app_error;
use safehold_accounts::{
    AccountView, AccountsView, DeviceCodeShown, DiscoveredCloud, NetworkSettings, SignInRequest,
};

/// Every account, and whether the keyring works.
#[tauri::command]
#[specta::specta]
#[tracing::instrument(skip_all, name = "command.list_accounts")]
pub async fn list_accounts(state: State<'_, AppState>) -> Result<AccountsView, AppError> {
    Ok(state.services().await.accounts.view().await)
}

/// Signs in a new account. A browser sign-in opens the system browser; a device-code sign-in
/// sends the code on `on_device_code` and waits for someone to use it. Cancelling
/// `operation_id` ends it, keeping nothing.
#[tauri::command]
#[specta::specta]
#[tracing::instrument(skip_all, name = "command.sign_in")]
pub async fn sign_in(
    state: State<'_, AppState>,
    request: SignInRequest,
    operation_id: String,
    on_device_code: Channel<DeviceCodeShown>,
) -> Result<AccountView, AppError> {
    tracing::info!(request = ?request, "sign-in requested");
    let services = state.services().await;
    let running = state.operations.start(&operation_id);
    services
        .accounts
        .sign_in(
            request,
            &running.cancel,
            |prompt| {
                if let Err(error) = on_device_code.send(prompt) {
                    tracing::warn!(error = %error, "could not show the device code");
                }
            },
            |url| {
                webbrowser::open(url).map_err(|e| {
                    Error::new(ErrorCode::Unavailable, Problem::BrowserUnavailable)
                        .with_advice(Advice::UseDeviceCode)
                        .with_source(e)
                })
            },
        )
        .await
        .map_err(|e| to_app_error(&e))
}

/// Reads a custom cloud's metadata and says where it signs in and which token audience it
/// uses, so the user can check them before the first sign-in.
#[tauri::command]
#[specta::specta]
#[tracing::instrument(skip_all, name = "command.discover_cloud")]
pub async fn discover_cloud(
    state: State<'_, AppState>,
    arm_endpoint: String,
    ca_certificate_path: Option<String>,
) -> Result<DiscoveredCloud, AppError> {
    state
        .services()
        .await
        .accounts
        .discover_cloud(&arm_endpoint, ca_certificate_path.as_deref())
        .await
        .map_err(|e| to_app_error(&e))
}

/// Signs an account out: its keyring entries are deleted and checked gone.
#[tauri::command]
#[specta::specta]
#[tracing::instrument(skip_all, name = "command.sign_out")]
pub async fn sign_out(
    state: State<'_, AppState>,
    account_id: String,
) -> Result<AccountsView, AppError> {
    let services = state.services().await;
    let view = services.accounts.sign_out(&account_id).await;
    // The inventory was read through the accounts signed in until now: it goes with them.
    services.inventory.forget().await;
    view.map_err(|e| to_app_error(&e))
}

/// Lists an account's tenants again.
#[tauri::command]
#[specta::specta]
#[tracing::instrument(skip_all, name = "command.refresh_tenants")]
pub async fn refresh_tenants(
    state: State<'_, AppState>,
    account_id: String,
) -> Result<AccountView, AppError> {
    let services = state.services().await;
    services
        .accounts
        .refresh_tenants(&account_id)
        .await
        .map_err(|e| to_app_error(&e))
}

/// Chooses an account's tenants and subscriptions (none: all of them).
#[tauri::command]
#[specta::specta]
#[tracing::instrument(skip_all, name = "command.set_account_scope")]
pub async fn set_account_scope(
    state: State<'_, AppState>,
    account_id: String,
    selected_tenants: Vec<String>,
    subscription_filter: Option<Vec<String>>,
) -> Result<AccountView, AppError> {
    let services = state.services().await;
    services
        .accounts
        .set_scope(&account_id, selected_tenants, subscription_filter)
        .await
        .map_err(|e| to_app_error(&e))
}

/// Every subscription an account sees in one tenant, for the filter.
#[tauri::command]
#[specta::specta]
#[tracing::instrument(skip_all, name = "command.list_account_subscriptions")]
pub async fn list_account_subscriptions(
    state: State<'_, AppState>,
    account_id: String,
    tenant_id: String,
) -> Result<Vec<Subscription>, AppError> {
    let services = state.services().await;
    services
        .accounts
        .account_subscriptions(&account_id, &tenant_id)
        .await
        .map_err(|e| to_app_error(&e))
}

/// How Safehold reaches Azure: the system proxy, an explicit one, or none.
#[tauri::command]
#[specta::specta]
#[tracing::instrument(skip_all, name = "command.get_network_settings")]
pub async fn get_network_settings(state: State<'_, AppState>) -> Result<NetworkSettings, AppError> {
    Ok(state.services().await.accounts.network_settings())
}

/// Changes the proxy; signed-in accounts stay signed in.
#[tauri::command]
#[specta::specta]
#[tracing::instrument(skip_all, name = "command.set_network_settings")]
pub async fn set_network_settings(
    state: State<'_, AppState>,
    settings: NetworkSettings,
) -> Result<NetworkSettings, AppError> {
    let services = state.services().await;
    services
        .accounts
        .set_network_settings(settings)
        .await
        .map_err(|e| to_app_error(&e))
}
