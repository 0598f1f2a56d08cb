//! Tauri commands, one module per capability. Each reads state, calls one service method and
//! maps the error.

pub mod accounts;
pub mod activity;
pub mod grant;
pub mod inventory;
pub mod operations;
pub mod session;
pub mod vaults;

use safehold_core::{AppError, Error};

/// Logs the full chain and hands the UI the safe projection.
pub(crate) fn to_app_error(error: &Error) -> AppError {
    tracing::warn!(code = %error.code, request_id = error.request_id.as_deref().unwrap_or("-"), error = %error.chain(), "command failed");
    AppError::from(error)
}
