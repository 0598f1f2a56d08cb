//! Logging: one subscriber for the app, a daily rolling file in the platform log directory plus
//! stderr in debug builds. `RUST_LOG` overrides the filter.
//!
//! Library crates only emit events; HTTP logging in azure_core redacts every header and query
//! parameter not on its allow-list, so `Authorization` and SAS signatures never reach the file.
//!
//! On Unix the log directory is private to the user (0700) and every log file in it is 0600,
//! whatever the umask: the lines name tenants, subscriptions, vaults and users.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Layer as _, fmt};

/// The file name prefix of the log files.
pub const LOG_FILE_PREFIX: &str = "safehold.log";

/// Installs the subscriber. Keep the guard alive for the app's lifetime, or lines are lost.
pub fn init(log_dir: &Path) -> std::io::Result<WorkerGuard> {
    let (writer, guard) = tracing_appender::non_blocking(PrivateLogFiles::open(log_dir)?);
    let filter = || {
        EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| EnvFilter::new("info,safehold_app=debug,safehold_azure=debug"))
    };
    let file = fmt::layer()
        .with_writer(writer)
        .with_ansi(false)
        .with_filter(filter());
    let stderr = cfg!(debug_assertions).then(|| {
        fmt::layer()
            .with_writer(std::io::stderr)
            .with_filter(filter())
    });
    // A second init (tests, a restarted runtime) keeps the first subscriber.
    let _ = tracing_subscriber::registry()
        .with(file)
        .with(stderr)
        .try_init();
    Ok(guard)
}

/// The daily rolling log files, kept private to the user.
///
/// The appender creates each day's file itself, with the process's default mode. The directory
/// is made 0700 first, so nobody else can reach a file even for the moment before its mode is
/// tightened; the files are then set to 0600 at start and again after the first write of each
/// new day (the appender rolls over by UTC date).
struct PrivateLogFiles {
    appender: tracing_appender::rolling::RollingFileAppender,
    dir: PathBuf,
    checked_day: Option<u64>,
}

impl PrivateLogFiles {
    fn open(dir: &Path) -> io::Result<Self> {
        private_dir(dir)?;
        let appender = tracing_appender::rolling::Builder::new()
            .rotation(tracing_appender::rolling::Rotation::DAILY)
            .filename_prefix(LOG_FILE_PREFIX)
            .max_log_files(14)
            .build(dir)
            .map_err(io::Error::other)?;
        let mut files = Self {
            appender,
            dir: dir.to_owned(),
            checked_day: None,
        };
        files.make_files_private()?;
        files.checked_day = Some(utc_day());
        Ok(files)
    }

    fn make_files_private(&self) -> io::Result<()> {
        #[cfg(unix)]
        for entry in std::fs::read_dir(&self.dir)? {
            use std::os::unix::fs::PermissionsExt as _;
            let entry = entry?;
            let is_log = entry
                .file_name()
                .to_str()
                .is_some_and(|name| name.starts_with(LOG_FILE_PREFIX));
            // A symbolic link is not followed: its target is not ours to change.
            let metadata = entry.metadata()?;
            if is_log && metadata.is_file() && metadata.permissions().mode() & 0o777 != 0o600 {
                std::fs::set_permissions(entry.path(), std::fs::Permissions::from_mode(0o600))?;
            }
        }
        Ok(())
    }
}

impl Write for PrivateLogFiles {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let written = self.appender.write(bytes)?;
        let today = utc_day();
        // The line is written either way; a check that fails is tried again on the next one.
        if self.checked_day != Some(today) && self.make_files_private().is_ok() {
            self.checked_day = Some(today);
        }
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.appender.flush()
    }
}

/// Days since the Unix epoch, in UTC: changes exactly when the appender's file name does.
fn utc_day() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs() / 86_400)
}

/// Creates `dir` (and its parents) if needed, and makes it readable only by the user on Unix,
/// also when it already existed with a wider mode.
fn private_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt as _, PermissionsExt as _};
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        if std::fs::metadata(dir)?.permissions().mode() & 0o777 != 0o700 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir)
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    fn log_files(dir: &Path) -> Vec<PathBuf> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| {
                path.file_name()
                    .and_then(|name| name.to_str())
                    .is_some_and(|name| name.starts_with(LOG_FILE_PREFIX))
            })
            .collect()
    }

    #[test]
    fn a_new_log_folder_and_its_files_are_private() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("logs").join("safehold");
        let mut files = PrivateLogFiles::open(&dir).unwrap();
        files.write_all(b"a line\n").unwrap();
        files.flush().unwrap();
        assert_eq!(mode(&dir), 0o700);
        let written = log_files(&dir);
        assert!(!written.is_empty());
        for file in written {
            assert_eq!(mode(&file), 0o600, "{}", file.display());
        }
    }

    #[test]
    fn an_existing_log_folder_and_its_files_are_made_private() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("logs");
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let old = dir.join(format!("{LOG_FILE_PREFIX}.2020-01-01"));
        std::fs::write(&old, b"old line\n").unwrap();
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).unwrap();
        let other = dir.join("not-a-log.txt");
        std::fs::write(&other, b"").unwrap();
        std::fs::set_permissions(&other, std::fs::Permissions::from_mode(0o644)).unwrap();

        let mut files = PrivateLogFiles::open(&dir).unwrap();
        files.write_all(b"a line\n").unwrap();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&old), 0o600);
        assert_eq!(mode(&other), 0o644, "only log files are touched");
    }

    #[test]
    fn a_new_day_file_is_made_private_after_its_first_write() {
        let root = tempfile::tempdir().unwrap();
        let mut files = PrivateLogFiles::open(root.path()).unwrap();
        // As if the appender had just rolled over to a file with the default mode.
        let rolled = root.path().join(format!("{LOG_FILE_PREFIX}.2099-12-31"));
        std::fs::write(&rolled, b"").unwrap();
        std::fs::set_permissions(&rolled, std::fs::Permissions::from_mode(0o644)).unwrap();
        files.checked_day = Some(utc_day() - 1);
        files.write_all(b"a line\n").unwrap();
        assert_eq!(mode(&rolled), 0o600);
    }
}
