//! `cargo xtask bench-sandbox`: the sandbox's loopback throughput, measured with wrk.
//!
//! Starts the release sandbox on a generated tenant of one subscription with 100 VMs, then
//! drives two requests for a fixed time each: a page of 100 VMs (`GET .../virtualMachines`, the
//! largest list page Safehold reads) and a client-credentials token request. wrk and the sandbox
//! share the machine's cores, as they will in every benchmark that uses the sandbox. The results
//! are written to `docs/benchmarks/sandbox-throughput.md`.

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context as _, Result, bail};

use crate::{root, step, target_dir};

const DURATION: &str = "10s";
const CONNECTIONS: &str = "32";

struct Measured {
    what: &'static str,
    requests_per_sec: f64,
    latency_p50: String,
    latency_p99: String,
    errors: String,
}

fn wrk(url: &str, script: &Path, env: &[(&str, &str)]) -> Result<String> {
    let output = Command::new("wrk")
        .args([
            "-t",
            "1",
            "-c",
            CONNECTIONS,
            "-d",
            DURATION,
            "--latency",
            "-s",
        ])
        .arg(script)
        .arg(url)
        .envs(env.iter().copied())
        .output()
        .context("could not run wrk (package wrk)")?;
    if !output.status.success() {
        bail!("wrk failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

fn parse(what: &'static str, report: &str) -> Result<Measured> {
    let field = |prefix: &str| {
        report
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with(prefix))
            .map(|l| l[prefix.len()..].trim().to_owned())
    };
    let requests_per_sec = field("Requests/sec:")
        .and_then(|v| v.parse().ok())
        .with_context(|| format!("no Requests/sec in wrk's report:\n{report}"))?;
    let non_2xx = field("Non-2xx or 3xx responses:").unwrap_or_else(|| "0".to_owned());
    let socket = field("Socket errors:").unwrap_or_else(|| "none".to_owned());
    Ok(Measured {
        what,
        requests_per_sec,
        latency_p50: field("50%").unwrap_or_default(),
        latency_p99: field("99%").unwrap_or_default(),
        errors: format!("non-2xx {non_2xx}; socket {socket}"),
    })
}

pub fn run() -> Result<()> {
    crate::setup::system_packages(crate::setup::Purpose::Bench)?;
    let root = root();
    step(
        &root,
        "cargo",
        &["build", "--release", "--locked", "-p", "safehold-sandbox"],
    )?;
    let data = tempdir()?;
    let mut sandbox = Command::new(target_dir().join("release/safehold-sandbox"))
        .args([
            "--data-dir",
            data.to_str().context("temp path")?,
            "--scale",
            "1x100",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .context("could not start the sandbox")?;
    let result = measure(&mut sandbox, &data);
    let _ = sandbox.kill();
    let _ = sandbox.wait();
    let _ = std::fs::remove_dir_all(&data);
    let results = result?;

    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    let mut doc = String::new();
    doc.push_str("# Sandbox throughput on loopback\n\n");
    doc.push_str(
        "Reproduce with `cargo xtask bench-sandbox` (release build; wrk with 1 thread and ",
    );
    doc.push_str(&format!(
        "{CONNECTIONS} connections for {DURATION} per request; wrk and the sandbox share the machine's {cores} cores).\n\n"
    ));
    doc.push_str("| Request | Requests/s | p50 | p99 | Errors |\n|---|---:|---:|---:|---|\n");
    for m in &results {
        doc.push_str(&format!(
            "| {} | {:.0} | {} | {} | {} |\n",
            m.what, m.requests_per_sec, m.latency_p50, m.latency_p99, m.errors
        ));
    }
    doc.push_str(
        "\nThe list page is a page of 100 VM models (about 250 KB of JSON) from a generated\n",
    );
    doc.push_str("tenant (`--scale 1x100`); the token request is a client-credentials grant that signs a JWT.\n");
    let out = root.join("docs/benchmarks/sandbox-throughput.md");
    std::fs::create_dir_all(out.parent().context("docs path")?)?;
    std::fs::write(&out, &doc)?;
    print!("\n{doc}");
    println!("\nwritten to {}", out.display());
    Ok(())
}

fn tempdir() -> Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("safehold-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn measure(sandbox: &mut std::process::Child, data: &Path) -> Result<Vec<Measured>> {
    let stdout = sandbox.stdout.take().context("sandbox stdout")?;
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    let endpoints: serde_json::Value =
        serde_json::from_str(&line).context("the sandbox's JSON line")?;
    let arm = endpoints["arm_endpoint"]
        .as_str()
        .context("arm_endpoint")?
        .to_owned();
    let tenant = endpoints["tenant_id"]
        .as_str()
        .context("tenant_id")?
        .to_owned();
    let credentials: serde_json::Value = serde_json::from_slice(&std::fs::read(
        endpoints["credentials_file"]
            .as_str()
            .context("credentials_file")?,
    )?)?;
    let client_id = credentials["client_id"]
        .as_str()
        .context("client_id")?
        .to_owned();
    let secret = credentials["client_secret"]
        .as_str()
        .context("client_secret")?
        .to_owned();
    let ca = endpoints["ca_cert"].as_str().context("ca_cert")?.to_owned();

    let form = format!(
        "grant_type=client_credentials&client_id={client_id}&client_secret={secret}&scope=https%3A%2F%2Fmanagement.azure.com%2F.default"
    );
    let token_url = format!("{arm}/{tenant}/oauth2/v2.0/token");
    let token_json = Command::new("curl")
        .args(["-sf", "--cacert", &ca, "-d", &form, &token_url])
        .output()
        .context("curl")?;
    let token: serde_json::Value =
        serde_json::from_slice(&token_json.stdout).context("token answer")?;
    let token = token["access_token"]
        .as_str()
        .context("access_token")?
        .to_owned();
    let subs = Command::new("curl")
        .args([
            "-sf",
            "--cacert",
            &ca,
            "-H",
            &format!("Authorization: Bearer {token}"),
        ])
        .arg(format!("{arm}/subscriptions?api-version=2022-12-01"))
        .output()?;
    let subs: serde_json::Value = serde_json::from_slice(&subs.stdout).context("subscriptions")?;
    let sub = subs["value"][0]["subscriptionId"]
        .as_str()
        .context("a subscription")?
        .to_owned();

    let script = data.join("bench.lua");
    let mut file = std::fs::File::create(&script)?;
    writeln!(
        file,
        "wrk.method = os.getenv('BENCH_METHOD') or 'GET'\n\
         wrk.body = os.getenv('BENCH_BODY')\n\
         local auth = os.getenv('BENCH_AUTH')\n\
         if auth then wrk.headers['Authorization'] = auth end\n\
         if wrk.body then wrk.headers['Content-Type'] = 'application/x-www-form-urlencoded' end"
    )?;
    let auth = format!("Bearer {token}");
    let list = format!(
        "{arm}/subscriptions/{sub}/providers/Microsoft.Compute/virtualMachines?api-version=2024-07-01"
    );
    println!("▶ wrk: page of 100 VMs");
    let page = parse(
        "VM list page (100 VMs)",
        &wrk(&list, &script, &[("BENCH_AUTH", &auth)])?,
    )?;
    println!("▶ wrk: token request");
    let token = parse(
        "Token (client credentials)",
        &wrk(
            &token_url,
            &script,
            &[("BENCH_METHOD", "POST"), ("BENCH_BODY", &form)],
        )?,
    )?;
    Ok(vec![page, token])
}
