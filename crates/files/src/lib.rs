//! Files Safehold writes in its data folder: whole, atomically, readable by the user only.

use std::path::Path;

/// Replaces `dir/name` with `bytes`: written to a temporary file beside it, made private to
/// the user, then renamed over the old one, so a crash never leaves half a file.
pub fn write_private(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut temp = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut temp, bytes)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(temp.path(), std::fs::Permissions::from_mode(0o600))?;
    }
    temp.persist(dir.join(name)).map_err(|e| e.error)?;
    Ok(())
}
