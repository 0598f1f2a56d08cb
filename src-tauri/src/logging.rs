//! Logging: one subscriber for the app, a daily rolling file in the platform log directory plus
//! stderr in debug builds. `RUST_LOG` overrides the filter.
//!
//! Library crates only emit events; HTTP logging in azure_core redacts every header and query
//! parameter not on its allow-list, so `Authorization` and SAS signatures never reach the file.

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Layer as _, fmt};

/// The file name prefix of the log files.
pub const LOG_FILE_PREFIX: &str = "safehold.log";

/// Installs the subscriber. Keep the guard alive for the app's lifetime, or lines are lost.
pub fn init(log_dir: &Path) -> std::io::Result<WorkerGuard> {
    std::fs::create_dir_all(log_dir)?;
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix(LOG_FILE_PREFIX)
        .max_log_files(14)
        .build(log_dir)
        .map_err(std::io::Error::other)?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
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
