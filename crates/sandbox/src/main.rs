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
    /// How long backup and restore jobs run, in seconds.
    #[arg(long, default_value_t = 20)]
    job_duration_secs: i64,
    /// The Retry-After (seconds) sent with 202 answers; the service sends 60.
    #[arg(long, default_value_t = 2)]
    lro_retry_after_secs: u64,
    /// The polling interval (seconds) device-code sign-ins are told to use; Entra says 5.
    #[arg(long, default_value_t = 5)]
    device_poll_interval_secs: u64,
    /// Fault injection: fixed delay before every answer, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Fault injection: extra random delay, up to this many milliseconds.
    #[arg(long, default_value_t = 0)]
    jitter_ms: u64,
    /// Fault injection: share of requests answered 429 (0 to 1).
    #[arg(long, default_value_t = 0.0)]
    throttle_rate: f64,
    /// Fault injection: Retry-After seconds on those 429s.
    #[arg(long, default_value_t = 1)]
    retry_after_secs: u64,
    /// Fault injection: throttle like ARM's token bucket (per subscription and caller).
    #[arg(long)]
    token_bucket: bool,
    /// Fault injection: share of requests answered 500/503 (0 to 1).
    #[arg(long, default_value_t = 0.0)]
    server_error_rate: f64,
    /// Fault injection: share of connections dropped before the request is processed.
    #[arg(long, default_value_t = 0.0)]
    reset_before_rate: f64,
    /// Fault injection: share of requests processed whose answer is then lost.
    #[arg(long, default_value_t = 0.0)]
    reset_after_rate: f64,
    /// Fault injection: seed for reproducible faults.
    #[arg(long)]
    fault_seed: Option<u64>,
    /// Fault injection: long-running operations stay in progress this many seconds.
    #[arg(long, default_value_t = 0)]
    slow_lro_secs: u64,
    /// Fault injection: share of operation polls answered 404 for a moment (0 to 1).
    #[arg(long, default_value_t = 0.0)]
    poll_not_found_rate: f64,
    /// Start a new data directory with a generated tenant of SUBSCRIPTIONSxVMS (e.g. 50x200)
    /// instead of the Contoso demo.
    #[arg(long, value_name = "SxV")]
    scale: Option<String>,
    /// With --scale: put this many VMs in the first subscription (a skewed tenant).
    #[arg(long, requires = "scale")]
    scale_skew: Option<usize>,
    /// With --scale: key vaults in the whole tenant (default: one per subscription).
    #[arg(long, requires = "scale")]
    scale_key_vaults: Option<usize>,
    /// With --scale: Recovery Services vaults in the whole tenant (default: one per subscription).
    #[arg(long, requires = "scale")]
    scale_vaults: Option<usize>,
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
    config.job_duration_secs = args.job_duration_secs;
    config.lro_retry_after_secs = args.lro_retry_after_secs;
    config.device_poll_interval_secs = args.device_poll_interval_secs;
    config.faults = safehold_sandbox::faults::FaultConfig {
        latency_ms: args.latency_ms,
        jitter_ms: args.jitter_ms,
        throttle_rate: args.throttle_rate,
        retry_after_secs: args.retry_after_secs,
        token_bucket: args.token_bucket,
        server_error_rate: args.server_error_rate,
        reset_before_rate: args.reset_before_rate,
        reset_after_rate: args.reset_after_rate,
        seed: args.fault_seed,
        slow_lro_secs: args.slow_lro_secs,
        poll_not_found_rate: args.poll_not_found_rate,
    };
    if let Some(grid) = &args.scale {
        let mut spec =
            safehold_sandbox::scale::ScaleSpec::parse(grid).map_err(anyhow::Error::msg)?;
        spec.skewed_first = args.scale_skew;
        spec.key_vaults = args.scale_key_vaults.unwrap_or(spec.key_vaults);
        spec.recovery_vaults = args.scale_vaults.unwrap_or(spec.recovery_vaults);
        config.tenant_seed = safehold_sandbox::TenantSeed::Scale(spec);
    }
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
