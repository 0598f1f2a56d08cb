//! `accounts.json`: the account records, written whole and atomically, readable by the user only.

use std::path::Path;

use safehold_core::{Advice, Error, ErrorCode, Problem};

use super::AccountRecord;

const FILE: &str = "accounts.json";

#[derive(serde::Serialize, serde::Deserialize)]
struct File<T> {
    version: u32,
    accounts: Vec<T>,
}

/// The records in `dir`, or none when there is no file yet.
pub fn load(dir: &Path) -> Result<Vec<AccountRecord>, Error> {
    let path = dir.join(FILE);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
        Err(e) => {
            return Err(Error::new(
                ErrorCode::Internal,
                Problem::FileUnreadable {
                    path: path.display().to_string(),
                },
            )
            .with_advice(Advice::CheckDataFolder)
            .with_source(e));
        }
    };
    let file: File<AccountRecord> = serde_json::from_slice(&bytes)
        .map_err(|e| {
            Error::new(
                ErrorCode::Internal,
                Problem::AccountsFileDamaged {
                    path: path.display().to_string(),
                },
            )
            .with_advice(Advice::SignInAgainDamagedKept)
            .with_source(e)
        })
        .inspect_err(|_| {
            let _ = std::fs::rename(&path, path.with_extension("json.damaged"));
        })?;
    Ok(file.accounts)
}

/// Replaces the records in `dir` with `records`.
pub fn save(dir: &Path, records: &[&AccountRecord]) -> Result<(), Error> {
    let failed = |e: std::io::Error| {
        Error::new(ErrorCode::Internal, Problem::AccountsNotSaved)
            .with_advice(Advice::CheckDataFolder)
            .with_source(e)
    };
    let body = serde_json::to_vec_pretty(&File {
        version: 1,
        accounts: records.to_vec(),
    })
    .map_err(|e| failed(std::io::Error::other(e)))?;
    safehold_files::write_private(dir, FILE, &body).map_err(failed)?;
    Ok(())
}

const SETTINGS_FILE: &str = "settings.json";

/// The network settings in `dir`, or the defaults when there is no file yet.
pub fn load_settings(dir: &Path) -> Result<super::NetworkSettings, Error> {
    match std::fs::read(dir.join(SETTINGS_FILE)) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
            Error::new(ErrorCode::Internal, Problem::SettingsDamaged)
                .with_advice(Advice::ChooseNetworkSettings)
                .with_source(e)
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(super::NetworkSettings::default()),
        Err(e) => Err(Error::new(
            ErrorCode::Internal,
            Problem::FileUnreadable {
                path: dir.join(SETTINGS_FILE).display().to_string(),
            },
        )
        .with_advice(Advice::CheckDataFolder)
        .with_source(e)),
    }
}

/// Replaces the network settings in `dir`.
pub fn save_settings(dir: &Path, settings: &super::NetworkSettings) -> Result<(), Error> {
    let failed = |e: std::io::Error| {
        Error::new(ErrorCode::Internal, Problem::SettingsNotSaved)
            .with_advice(Advice::CheckDataFolder)
            .with_source(e)
    };
    let body = serde_json::to_vec_pretty(settings).map_err(|e| failed(std::io::Error::other(e)))?;
    safehold_files::write_private(dir, SETTINGS_FILE, &body).map_err(failed)?;
    Ok(())
}
