//! Small, atomic file writes for the sandbox's data directory.

use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;

/// Reads the JSON file at `path`, or creates it from `create` (owner-only) when it does not exist.
/// A file that exists but does not parse is an error, never silently replaced: it is user state.
pub fn load_or_create_json<T>(
    path: &Path,
    what: &str,
    create: impl FnOnce() -> T,
) -> anyhow::Result<T>
where
    T: serde::Serialize + serde::de::DeserializeOwned,
{
    if path.exists() {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        return serde_json::from_slice(&bytes)
            .with_context(|| format!("{} is not a sandbox {what} file", path.display()));
    }
    let value = create();
    write_private(path, &serde_json::to_vec(&value)?)?;
    Ok(value)
}

/// Writes a file readable by the owner only (keys, the service principal's secret).
pub fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    write_atomically(path, bytes, 0o600)
}

/// Writes a file anyone on the machine may read (the CA certificate).
pub fn write_public(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    write_atomically(path, bytes, 0o644)
}

/// Writes through a temporary file in the same folder and renames it into place, so a crash
/// never leaves half a file behind. The mode is set before any byte is written.
fn write_atomically(path: &Path, bytes: &[u8], mode: u32) -> anyhow::Result<()> {
    let dir = path.parent().context("a data file needs a parent folder")?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("data"),
        uuid::Uuid::new_v4().simple()
    ));
    let result = (|| {
        let mut file = options
            .open(&tmp)
            .with_context(|| format!("creating {}", tmp.display()))?;
        file.write_all(bytes)
            .with_context(|| format!("writing {}", tmp.display()))?;
        file.sync_all()
            .with_context(|| format!("flushing {}", tmp.display()))?;
        std::fs::rename(&tmp, path).with_context(|| format!("replacing {}", path.display()))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
