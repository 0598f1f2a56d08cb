//! Sign-in state and app facts.

use safehold_core::AppError;
use safehold_core::cloud::CloudInfo;
use serde::Serialize;
use tauri::State;

use crate::Connection;
use crate::commands::to_app_error;

/// Who is signed in to which cloud. Never carries a token.
#[derive(Clone, Debug, Serialize, specta::Type)]
// JSON carries no type names; the rename only names the TypeScript type.
#[serde(rename = "Session", rename_all = "camelCase")]
pub struct SessionInfo {
    /// The cloud.
    pub cloud: CloudInfo,
    /// The tenant.
    pub tenant_id: String,
    /// Who is signed in.
    pub principal: String,
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

/// Starts the sandbox if needed, signs in and describes the session.
#[tauri::command]
#[specta::specta]
#[tracing::instrument(skip_all, name = "command.connect")]
pub async fn connect(connection: State<'_, Connection>) -> Result<SessionInfo, AppError> {
    let session = connection.session().await.map_err(|e| to_app_error(&e))?;
    Ok(SessionInfo {
        cloud: session.cloud_info(),
        tenant_id: session.tenant_id.clone(),
        principal: session.principal.clone(),
    })
}

/// The version and the folders Safehold uses.
#[tauri::command]
#[specta::specta]
#[tracing::instrument(skip_all, name = "command.get_app_info")]
pub async fn get_app_info(connection: State<'_, Connection>) -> Result<AppInfo, AppError> {
    Ok(AppInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        log_directory: connection.log_dir.display().to_string(),
        data_directory: connection.data_dir.display().to_string(),
    })
}
