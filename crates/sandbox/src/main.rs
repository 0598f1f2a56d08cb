//! `safehold-sandbox`: run the sandbox cloud on its own, for tests and for the official SDKs.
//!
//! Once listening it prints one JSON line on stdout (endpoints, tenant, CA and credentials file
//! paths) and serves until interrupted.

use std::io::Write as _;
use std::path::PathBuf;

use clap::Parser;

/// Safehold's sandbox cloud: a local HTTPS emulator of the Azure APIs Safehold calls.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Folder for the CA, the service principal's credentials and the tenant's state.
    #[arg(long, default_value = "sandbox-data")]
    data_dir: PathBuf,
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Items per page in list responses.
    #[arg(long, default_value_t = 100)]
    page_size: usize,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let mut config = safehold_sandbox::Config::new(args.data_dir);
    config.port = args.port;
    config.page_size = args.page_size;
    let sandbox = safehold_sandbox::Sandbox::start(config).await?;
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer(&mut stdout, sandbox.endpoints())?;
    writeln!(stdout)?;
    stdout.flush()?;
    drop(stdout);
    tokio::signal::ctrl_c().await?;
    sandbox.shutdown().await;
    Ok(())
}
