//! Sign-in state and app facts.

use safehold_core::cloud::CloudInfo;
use safehold_core::{Advice, AppError, Error, ErrorCode, Problem};
use serde::Serialize;
use tauri::State;

use crate::AppState;
use crate::commands::to_app_error;

/// Who is signed in to which cloud, for the header. Never carries a token.
#[derive(Clone, Debug, Serialize, specta::Type)]
// JSON carries no type names; the rename only names the TypeScript type.
#[serde(rename = "Session", rename_all = "camelCase")]
pub struct SessionInfo {
    /// The first account's cloud.
    pub cloud: CloudInfo,
    /// Its home tenant.
    pub tenant_id: String,
    /// Who it is.
    pub principal: String,
    /// How many accounts are signed in.
    pub account_count: u32,
    /// Whether any account is on the sandbox (the UI labels everything as simulated).
    pub simulated: bool,
}

/// Facts for Settings and support.
#[derive(Clone, Debug, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    /// Safehold's version.
    pub version: String,
    /// Where the log files are.
    pub log_directory: String,
    /// Where Safehold keeps its data.
    pub data_directory: String,
}

/// Loads the accounts (signing in to the sandbox on a first start) and describes them.
#[tauri::command]
#[specta::specta]
#[tracing::instrument(skip_all, name = "command.connect")]
pub async fn connect(state: State<'_, AppState>) -> Result<SessionInfo, AppError> {
    let view = state.services().await.accounts.view().await;
    let Some(first) = view.accounts.first() else {
        return Err(to_app_error(
            &Error::new(ErrorCode::Auth, Problem::NotSignedIn).with_advice(Advice::AddAccount),
        ));
    };
    Ok(SessionInfo {
        cloud: first.cloud.clone(),
        tenant_id: first.home_tenant_id.clone(),
        principal: first.display_name.clone(),
        account_count: u32::try_from(view.accounts.len()).unwrap_or(u32::MAX),
        simulated: view.accounts.iter().any(|a| a.cloud.simulated),
    })
}

/// The version and the folders Safehold uses.
#[tauri::command]
#[specta::specta]
#[tracing::instrument(skip_all, name = "command.get_app_info")]
pub async fn get_app_info(state: State<'_, AppState>) -> Result<AppInfo, AppError> {
    Ok(AppInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        log_directory: state.log_dir.display().to_string(),
        data_directory: state.data_dir.display().to_string(),
    })
}
