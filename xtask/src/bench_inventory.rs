//! `cargo xtask bench-inventory`: the inventory and readiness scan on generated tenants, with
//! 20 ms of latency on every request, against its latency lower bound, its request model, and
//! the same picture computed with the official Python SDKs.
//!
//! For each tenant it starts the release sandbox, runs `examples/bench_inventory` (Safehold's
//! scan, three times, then three times without latency) and `tests/bench/readiness_sdk.py` (the
//! Python scan, once) against it, checks that both found the same failing checks on every
//! encrypted VM, and writes `docs/benchmarks/inventory.md`.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context as _, Result, bail};
use serde_json::Value;

use crate::{root, step, target_dir};

const LATENCY_MS: u64 = 20;
const PAGE_SIZE: usize = 100;
/// Scans per measurement (the example runs as many again without latency).
const RUNS: usize = 3;
/// What the scan is held to: wall time against the latency bound, requests against the model,
/// and heap kept per VM.
const BOUND_TARGET: f64 = 1.5;
const MODEL_TARGET: f64 = 1.1;
const KEPT_TARGET_KB: f64 = 3.0;

struct Tenant {
    label: &'static str,
    /// `--scale`, `--scale-skew`, `--scale-key-vaults`, `--scale-vaults`.
    grid: &'static str,
    skew: Option<usize>,
    key_vaults: usize,
    vaults: usize,
}

const TENANTS: &[Tenant] = &[
    Tenant {
        label: "50 subscriptions × 200 VMs",
        grid: "50x200",
        skew: None,
        key_vaults: 100,
        vaults: 50,
    },
    Tenant {
        label: "skewed: 5,000 VMs + 49 × 100",
        grid: "50x100",
        skew: Some(5_000),
        key_vaults: 100,
        vaults: 50,
    },
];

struct Row {
    label: &'static str,
    vms: u64,
    encrypted: u64,
    wall_ms: f64,
    floor_ms: f64,
    bound_ms: f64,
    /// Round trips of the longest chain.
    round_trips: u64,
    /// The sandbox's own time for one page.
    page_ms: f64,
    /// The Compute lists fetched and thrown away, without latency.
    transfer_ms: f64,
    requests: u64,
    model: u64,
    client_cpu_ms: f64,
    sandbox_cpu_ms: f64,
    python_ms: f64,
    python_requests: u64,
    bytes_per_vm: f64,
    peak_mb: f64,
}

fn median(values: &Value) -> Result<f64> {
    let mut all: Vec<f64> = values
        .as_array()
        .context("a list of timings")?
        .iter()
        .filter_map(Value::as_f64)
        .collect();
    if all.is_empty() {
        bail!("no timings");
    }
    all.sort_by(f64::total_cmp);
    Ok(all[all.len() / 2])
}

fn number(value: &Value, pointer: &str) -> Result<u64> {
    value
        .pointer(pointer)
        .and_then(Value::as_u64)
        .with_context(|| format!("{pointer} missing from {value:.200}"))
}

fn json_of(output: &std::process::Output, what: &str) -> Result<Value> {
    if !output.status.success() {
        bail!(
            "{what} failed: {}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    serde_json::from_slice(&output.stdout).with_context(|| format!("{what} printed no JSON"))
}

fn measure(tenant: &Tenant, python: &Path, work: &Path) -> Result<Row> {
    let data = work.join(tenant.grid);
    let _ = std::fs::remove_dir_all(&data);
    let mut args = vec![
        "--data-dir".to_owned(),
        data.to_str().context("temp path")?.to_owned(),
        "--page-size".to_owned(),
        PAGE_SIZE.to_string(),
        "--latency-ms".to_owned(),
        LATENCY_MS.to_string(),
        "--scale".to_owned(),
        tenant.grid.to_owned(),
        "--scale-key-vaults".to_owned(),
        tenant.key_vaults.to_string(),
        "--scale-vaults".to_owned(),
        tenant.vaults.to_string(),
    ];
    if let Some(skew) = tenant.skew {
        args.extend(["--scale-skew".to_owned(), skew.to_string()]);
    }
    let mut sandbox = Command::new(target_dir().join("release/safehold-sandbox"))
        .args(&args)
        .stdout(Stdio::piped())
        .spawn()
        .context("could not start the sandbox")?;
    let result = (|| -> Result<Row> {
        let mut line = String::new();
        BufReader::new(sandbox.stdout.take().context("sandbox stdout")?).read_line(&mut line)?;
        let announcement = work.join(format!("{}.json", tenant.grid));
        std::fs::write(&announcement, &line)?;
        let announcement = announcement.to_str().context("temp path")?;

        println!("▶ {}: Safehold's scan", tenant.label);
        let mut example = vec![
            announcement.to_owned(),
            "--scale".to_owned(),
            tenant.grid.to_owned(),
            "--key-vaults".to_owned(),
            tenant.key_vaults.to_string(),
            "--vaults".to_owned(),
            tenant.vaults.to_string(),
            "--page-size".to_owned(),
            PAGE_SIZE.to_string(),
            "--latency-ms".to_owned(),
            LATENCY_MS.to_string(),
            "--runs".to_owned(),
            RUNS.to_string(),
            "--sandbox-pid".to_owned(),
            sandbox.id().to_string(),
        ];
        if let Some(skew) = tenant.skew {
            example.extend(["--skew".to_owned(), skew.to_string()]);
        }
        let rust = json_of(
            &Command::new(target_dir().join("release/examples/bench_inventory"))
                .args(&example)
                .output()
                .context("could not run the bench_inventory example")?,
            "bench_inventory",
        )?;

        println!("▶ {}: the Python SDK scan", tenant.label);
        let sdk = json_of(
            &Command::new(python)
                .arg(root().join("tests/bench/readiness_sdk.py"))
                .arg(announcement)
                .env("PYTHONDONTWRITEBYTECODE", "1")
                .output()
                .context("could not run readiness_sdk.py")?,
            "readiness_sdk.py",
        )?;
        if rust["picture"] != sdk["picture"] {
            let (ours, theirs) = (&rust["picture"], &sdk["picture"]);
            let differing = ours
                .as_object()
                .into_iter()
                .flatten()
                .filter(|(vm, checks)| theirs.get(vm.as_str()) != Some(checks))
                .take(5)
                .map(|(vm, checks)| format!("{vm}: {checks} vs {}", theirs[vm.as_str()]))
                .collect::<Vec<_>>();
            bail!(
                "{}: Safehold and the Python SDK scan disagree (first differences: {differing:?})",
                tenant.label
            );
        }
        let vms = number(&rust, "/vms")?;
        Ok(Row {
            label: tenant.label,
            vms,
            encrypted: number(&rust, "/encrypted")?,
            wall_ms: median(&rust["elapsedMs"])?,
            floor_ms: median(&rust["elapsedMsWithoutLatency"])?,
            bound_ms: (number(&rust, "/model/roundTrips")? * LATENCY_MS) as f64,
            round_trips: number(&rust, "/model/roundTrips")?,
            page_ms: rust["servicePageMs"].as_f64().context("servicePageMs")?,
            transfer_ms: median(&rust["transferMs"])?,
            requests: median(&rust["requests"])? as u64,
            model: number(&rust, "/model/requests")?,
            client_cpu_ms: rust["cpuMsPerScan"].as_f64().context("cpuMsPerScan")?,
            sandbox_cpu_ms: rust["sandboxCpuMsPerScan"]
                .as_f64()
                .context("sandboxCpuMsPerScan")?,
            python_ms: sdk["elapsedMs"].as_f64().context("the SDK's elapsedMs")?,
            python_requests: number(&sdk, "/requests")?,
            bytes_per_vm: number(&rust, "/retainedBytes")? as f64 / vms.max(1) as f64,
            peak_mb: number(&rust, "/peakBytes")? as f64 / 1e6,
        })
    })();
    let _ = sandbox.kill();
    let _ = sandbox.wait();
    let _ = std::fs::remove_dir_all(&data);
    result
}

pub fn run() -> Result<()> {
    crate::setup::system_packages(crate::setup::Purpose::Bench)?;
    let root = root();
    step(
        &root,
        "cargo",
        &["build", "--release", "--locked", "-p", "safehold-sandbox"],
    )?;
    step(
        &root,
        "cargo",
        &[
            "build",
            "--release",
            "--locked",
            "-p",
            "safehold-inventory",
            "--example",
            "bench_inventory",
        ],
    )?;
    let python = crate::conformance::venv(&root)?;
    let work =
        std::env::temp_dir().join(format!("safehold-bench-inventory-{}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    let rows: Result<Vec<Row>> = TENANTS.iter().map(|t| measure(t, &python, &work)).collect();
    let _ = std::fs::remove_dir_all(&work);
    let rows = rows?;

    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    let mut doc = String::new();
    doc.push_str("# Inventory and readiness scan\n\n");
    doc.push_str(&format!(
        "Reproduce with `cargo xtask bench-inventory`: release builds, the sandbox injecting \
         {LATENCY_MS} ms before every answer, pages of {PAGE_SIZE}, one machine with {cores} cores \
         shared by the sandbox and the client. Each tenant has 100 key vaults and 50 Recovery \
         Services vaults.\n\n"
    ));
    doc.push_str("| Tenant | VMs (encrypted) | Scan | Latency bound | × bound | Without latency | Requests | Model | × model | Python SDK | × Safehold | Kept per VM | Peak heap |\n");
    doc.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for r in &rows {
        doc.push_str(&format!(
            "| {} | {} ({}) | {:.0} ms | {:.0} ms | {:.2} | {:.0} ms | {} | {} | {:.2} | {:.0} ms | {:.1} | {:.2} KB | {:.0} MB |\n",
            r.label,
            r.vms,
            r.encrypted,
            r.wall_ms,
            r.bound_ms,
            r.wall_ms / r.bound_ms,
            r.floor_ms,
            r.requests,
            r.model,
            r.requests as f64 / r.model as f64,
            r.python_ms,
            r.python_ms / r.wall_ms,
            r.bytes_per_vm / 1000.0,
            r.peak_mb,
        ));
    }
    doc.push_str(&format!(
        "\nTargets: a scan within {BOUND_TARGET}× its latency bound, requests within \
         {MODEL_TARGET}× the model, at most {KEPT_TARGET_KB} KB kept per VM.\n\n"
    ));
    for r in &rows {
        let verdict = |met: bool| if met { "met" } else { "missed" };
        doc.push_str(&format!(
            "- {}: time {}, requests {}, memory {}.\n",
            r.label,
            verdict(r.wall_ms / r.bound_ms <= BOUND_TARGET),
            verdict(r.requests as f64 / r.model as f64 <= MODEL_TARGET),
            verdict(r.bytes_per_vm / 1000.0 <= KEPT_TARGET_KB),
        ));
    }
    doc.push_str(
        "\n- **Scan**: the median of three scans, each with fresh clients (a new connection and \
         token), from listing subscriptions to the last verdict; the Graph lookup of the Backup \
         Management Service runs beside the lists.\n\
         - **Latency bound**: the longest chain of requests that must wait for one another (the \
         subscription list, then a subscription's longest page chain: its disks, its VMs, or its \
         vaults then their protected items), times the latency. **Without latency** is the same \
         scan with the latency off: what the bytes cost to produce, send and read on this \
         machine, sandbox included. A scan cannot be faster than the larger of the two: where **Without \
         latency** is above the bound, the machine (two cores shared by the sandbox sending and \
         Safehold reading about 65 MB of JSON per 10,000 VMs) sets the pace, not the round trips. \
         The sandbox keeps the list pages it has rendered until the tenant changes, so its share \
         is mostly TLS and HTTP/2 framing.\n\
         - **Requests**: what the sandbox served during one scan (tokens excluded), against the \
         pages the tenant needs at this page size. **Python SDK**: `tests/bench/readiness_sdk.py`, \
         the official Azure SDKs for Python in a thread pool, one run, its requests including \
         tokens and discovery; it found the same failing checks on every encrypted VM (the \
         command fails otherwise).\n\
         - **Kept per VM**: heap held by the finished inventory, divided by the VMs; **peak heap**: \
         the most the scan held at once (a counting allocator in `examples/bench_inventory.rs`).\n",
    );
    doc.push_str(
        "\nWhere the time goes, per scan: CPU time from `/proc` (10 ms ticks) without latency, and \
         the sandbox's own time to answer one page of 100 disks (eleven requests one after \
         another, the median). A chain of pages costs at least its round trips × (latency + that \
         time): the bound with the service's time. **What latency adds** is the scan with latency \
         less the same scan without: the part of the wall time the round trips cost, against the \
         latency bound. **Moving the bytes** fetches every page of every subscription's VM, \
         instance-view and disk lists (nine tenths of the bytes) over one new HTTP/2 \
         connection, all chains at once, without latency, and reads nothing: the part of \
         **Without latency** no client can avoid on this machine. Where it is near or above the \
         latency bound, no client reaches the time target here, however little it does with \
         the bytes.\n\n\
         | Tenant | Safehold's CPU | The sandbox's CPU | Moving the bytes | × latency bound | Service time per page | Bound with it | × that bound | What latency adds | × latency bound | Python SDK requests |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in &rows {
        let served = r.round_trips as f64 * (LATENCY_MS as f64 + r.page_ms);
        doc.push_str(&format!(
            "| {} | {:.0} ms | {:.0} ms | {:.0} ms | {:.2} | {:.1} ms | {:.0} ms | {:.2} | {:.0} ms | {:.2} | {} |\n",
            r.label,
            r.client_cpu_ms,
            r.sandbox_cpu_ms,
            r.transfer_ms,
            r.transfer_ms / r.bound_ms,
            r.page_ms,
            served,
            r.wall_ms / served,
            r.wall_ms - r.floor_ms,
            (r.wall_ms - r.floor_ms) / r.bound_ms,
            r.python_requests
        ));
    }
    let out = root.join("docs/benchmarks/inventory.md");
    std::fs::create_dir_all(out.parent().context("docs path")?)?;
    std::fs::write(&out, &doc)?;
    print!("\n{doc}");
    println!("\nwritten to {}", out.display());
    Ok(())
}
