//! The inventory benchmark's Safehold side, run by `cargo xtask bench-inventory`.
//!
//! Given a running sandbox (its announcement line in a file) that serves a generated tenant,
//! it scans the whole tenant the way the app does (subscriptions, then every list call through
//! `safehold_inventory::scan::build`, with the Backup Management Service looked up in Graph
//! alongside) and prints one JSON object:
//!
//! - `elapsedMs`: wall time of each scan, each with fresh clients (a new connection and token);
//! - `requests`: requests the sandbox served during each scan (its fault layer counts them);
//! - `model`: the requests the scan cannot do without, and its latency lower bound in round
//!   trips, both worked out from the same generated tenant and the page size;
//! - `retainedBytes`/`peakBytes`: the heap the finished inventory keeps, and the most the scan
//!   held at once, from a counting allocator;
//! - `transferMs`: the Compute lists' pages fetched and thrown away, without latency;
//! - `picture`: every encrypted VM with the checks that fail, to compare with another client.
//!
//! Usage: `bench_inventory ANNOUNCEMENT_FILE --scale SxV [--skew N] [--key-vaults N]
//! [--vaults N] [--page-size N] [--runs N] [--latency-ms N] [--sandbox-pid N]`. The sandbox must inject
//! `--latency-ms` (20 by default): its fault layer counts the requests it delays. After the
//! measured runs, the same scans run once more without latency.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Instant;

use peak_alloc::PeakAlloc;
use safehold_azure::identity::credential;
use safehold_azure::{ArmClient, Cloud, GraphClient};
use safehold_core::ports::{DirectoryApi as _, ResourceManagerApi as _};
use safehold_core::readiness::Outcome;
use safehold_inventory::scan::{Clients, Inventory};
use safehold_sandbox::scale::{ScaleSpec, generate};
use serde_json::{Value, json};

/// The system allocator, counting the bytes live now and the most live at once.
#[global_allocator]
static ALLOCATOR: PeakAlloc = PeakAlloc;

struct Args {
    announcement: String,
    spec: ScaleSpec,
    page_size: usize,
    runs: usize,
    latency_ms: u64,
    /// The sandbox's process id, to read its CPU time too.
    sandbox_pid: Option<String>,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut args = std::env::args().skip(1);
    let announcement = args
        .next()
        .ok_or_else(|| anyhow::anyhow!("usage: bench_inventory ANNOUNCEMENT_FILE --scale SxV"))?;
    let mut spec = None;
    let (mut skew, mut key_vaults, mut vaults) = (None, None, None);
    let (mut page_size, mut runs, mut latency_ms) = (100, 3, 20);
    let mut sandbox_pid = None;
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .ok_or_else(|| anyhow::anyhow!("{flag} needs a value"))?;
        let number = || {
            value
                .parse::<usize>()
                .map_err(|_| anyhow::anyhow!("{flag} {value}: not a number"))
        };
        match flag.as_str() {
            "--scale" => spec = Some(ScaleSpec::parse(&value).map_err(anyhow::Error::msg)?),
            "--skew" => skew = Some(number()?),
            "--key-vaults" => key_vaults = Some(number()?),
            "--vaults" => vaults = Some(number()?),
            "--page-size" => page_size = number()?,
            "--runs" => runs = number()?.max(1),
            "--latency-ms" => latency_ms = number()? as u64,
            "--sandbox-pid" => sandbox_pid = Some(number()?.to_string()),
            _ => anyhow::bail!("unknown flag {flag}"),
        }
    }
    let mut spec = spec.ok_or_else(|| anyhow::anyhow!("--scale SxV is required"))?;
    spec.skewed_first = skew;
    spec.key_vaults = key_vaults.unwrap_or(spec.key_vaults);
    spec.recovery_vaults = vaults.unwrap_or(spec.recovery_vaults);
    Ok(Args {
        announcement,
        spec,
        page_size,
        runs,
        latency_ms,
        sandbox_pid,
    })
}

/// What a scan of the generated tenant must ask at the least, and its longest chain of
/// requests that wait for one another (in round trips, tokens excluded: the sandbox serves
/// them without latency and does not count them).
fn model(spec: &ScaleSpec, page_size: usize) -> (u64, u64) {
    let tenant = generate(spec, "model");
    let pages = |items: usize| items.div_ceil(page_size).max(1) as u64;
    // The Graph lookup of the Backup Management Service.
    let mut requests = 1;
    let mut longest = 0;
    for sub in &tenant.subscriptions {
        let vms = sub.virtual_machines.len();
        let disks: usize = sub
            .virtual_machines
            .iter()
            .filter(|vm| vm.os_disk.vhd_uri.is_none())
            .map(|vm| 1 + vm.data_disks.len())
            .sum();
        let protected: Vec<u64> = sub
            .recovery_vaults
            .iter()
            .map(|v| pages(v.protected_items.len()))
            .collect();
        // Each vault's failed jobs: the generated tenant has no job history, one page each.
        let jobs: Vec<u64> = sub
            .recovery_vaults
            .iter()
            .map(|v| pages(v.jobs.len()))
            .collect();
        let rbac_vaults = sub
            .key_vaults
            .iter()
            .filter(|k| k.rbac_authorization)
            .count() as u64;
        // Models and instance views, classic VMs, disks, key vaults, Recovery Services vaults and each
        // vault's protected items and failed jobs, and role assignments of each RBAC key vault.
        requests += 2 * pages(vms)
            + pages(sub.classic_virtual_machines.len())
            + pages(disks)
            + pages(sub.key_vaults.len())
            + pages(sub.recovery_vaults.len())
            + protected.iter().sum::<u64>()
            + jobs.iter().sum::<u64>()
            + rbac_vaults;
        let chain = [
            pages(vms),
            pages(disks),
            pages(sub.key_vaults.len()) + u64::from(rbac_vaults > 0),
            pages(sub.recovery_vaults.len())
                + protected.iter().chain(&jobs).copied().max().unwrap_or(0),
        ]
        .into_iter()
        .max()
        .unwrap_or(0);
        longest = longest.max(chain);
    }
    let subscription_pages = pages(tenant.subscriptions.len());
    requests += subscription_pages;
    // The subscription list comes first; the Graph lookup runs beside the lists.
    (requests, subscription_pages + longest.max(1))
}

struct Target {
    cloud: Cloud,
    tenant_id: String,
    client_id: String,
    secret: String,
    admin: String,
}

impl Target {
    /// A new credential for the sandbox operator (its own token cache).
    fn credential(&self) -> anyhow::Result<Arc<dyn azure_core::credentials::TokenCredential>> {
        Ok(credential::client_secret(
            &self.cloud,
            &self.tenant_id,
            &self.client_id,
            self.secret.clone(),
        )?)
    }
}

fn target(announcement: &str) -> anyhow::Result<Target> {
    let line: Value = serde_json::from_str(&std::fs::read_to_string(announcement)?)?;
    let text = |key: &str| {
        line.get(key)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| anyhow::anyhow!("the announcement has no {key}"))
    };
    let credentials: Value =
        serde_json::from_str(&std::fs::read_to_string(text("credentials_file")?)?)?;
    let secret = ["client_secret", "clientSecret"]
        .iter()
        .find_map(|k| credentials.get(*k).and_then(Value::as_str))
        .ok_or_else(|| anyhow::anyhow!("the credentials file has no client secret"))?
        .to_owned();
    let ca = std::fs::read_to_string(text("ca_cert")?)?;
    Ok(Target {
        cloud: Cloud::sandbox(
            text("arm_endpoint")?.parse()?,
            text("authority_host")?.parse()?,
            ca,
        ),
        tenant_id: text("tenant_id")?,
        client_id: text("client_id")?,
        secret,
        admin: text("admin_endpoint")?,
    })
}

/// One scan with fresh clients; returns the inventory, its wall time and the requests it made.
async fn scan(
    target: &Target,
    admin: &Admin,
    count: bool,
) -> anyhow::Result<(Inventory, f64, u64)> {
    let credential = target.credential()?;
    admin.zero_counts().await?;

    let started = Instant::now();
    let arm = Arc::new(ArmClient::new(&target.cloud, credential.clone())?);
    let graph = GraphClient::new(&target.cloud, credential)?;
    let app_id = target
        .cloud
        .backup_app_id
        .clone()
        .ok_or_else(|| anyhow::anyhow!("the sandbox cloud names no Backup app id"))?;
    let tenant_id = target.tenant_id.clone();
    let principals = async move {
        let principal = graph
            .service_principal_by_app_id(&app_id)
            .await
            .ok()
            .flatten();
        HashMap::from([(safehold_core::TenantId::new(tenant_id), principal)])
    };
    let subscriptions = arm.list_subscriptions().await?;
    let clients: Arc<dyn Clients> = arm;
    let inventory = safehold_inventory::scan::build(
        subscriptions,
        &|_| clients.clone(),
        principals,
        safehold_inventory::scan::failed_jobs_since(&safehold_core::clock::SystemClock),
        &|_| {},
    )
    .await;
    let elapsed = started.elapsed().as_secs_f64() * 1000.0;

    let requests = match admin.counted().await? {
        Some(n) if n > 0 || !count => n,
        _ => anyhow::bail!("the sandbox did not count requests (is latency on?)"),
    };
    if let Some(failed) = inventory.subscriptions.iter().find(|s| s.error.is_some()) {
        anyhow::bail!(
            "{} could not be read: {:?}",
            failed.subscription.display_name,
            failed.error
        );
    }
    Ok((inventory, elapsed, requests))
}

/// CPU time process `pid` (`self` for this one) has used, user and system, in milliseconds,
/// from `/proc/{pid}/stat` (Linux; 0 elsewhere).
fn cpu_ms(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and
    // 13th of them, in clock ticks of 10 ms.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) * 10.0
}

/// The sandbox's admin endpoint and its ARM, with one token: fault settings, the request
/// counter, and single requests timed.
struct Admin {
    client: reqwest::Client,
    /// The sandbox's CA, for clients of its own.
    ca: reqwest::Certificate,
    bearer: String,
    admin: String,
    arm: String,
}

impl Admin {
    async fn new(target: &Target) -> anyhow::Result<Self> {
        let credential = target.credential()?;
        let token = credential
            .get_token(&[&target.cloud.arm_scope()], None)
            .await?;
        let ca = target
            .cloud
            .extra_trusted_ca_pem
            .as_deref()
            .unwrap_or_default();
        let ca = reqwest::Certificate::from_pem(ca.as_bytes())?;
        Ok(Self {
            client: reqwest::Client::builder()
                .add_root_certificate(ca.clone())
                .build()?,
            ca,
            bearer: format!("Bearer {}", token.token.secret()),
            admin: target.admin.clone(),
            arm: target
                .cloud
                .arm_endpoint
                .as_str()
                .trim_end_matches('/')
                .to_owned(),
        })
    }

    /// Sets the injected latency (the rest of the fault settings off).
    async fn set_latency(&self, latency_ms: u64) -> anyhow::Result<()> {
        self.client
            .put(format!("{}/faults", self.admin))
            .header("Authorization", &self.bearer)
            .json(&json!({ "latencyMs": latency_ms }))
            .send()
            .await?
            .error_for_status()?;
        Ok(())
    }

    async fn zero_counts(&self) -> anyhow::Result<()> {
        self.client
            .delete(format!("{}/faults/counts", self.admin))
            .header("Authorization", &self.bearer)
            .send()
            .await?
            .error_for_status()?;
        Ok(())
    }

    /// Requests the fault layer counted (it counts those it delays).
    async fn counted(&self) -> anyhow::Result<Option<u64>> {
        let counts: Value = self
            .client
            .get(format!("{}/faults", self.admin))
            .header("Authorization", &self.bearer)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        Ok(counts.pointer("/counts/delayed").and_then(Value::as_u64))
    }

    /// The body of an ARM `GET` of `url` through `client`, with the admin's token.
    async fn fetch(
        &self,
        client: &reqwest::Client,
        url: &str,
    ) -> anyhow::Result<azure_core::Bytes> {
        Ok(client
            .get(url)
            .header("Authorization", &self.bearer)
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?)
    }

    /// Every page of every subscription's VM, instance-view and disk lists (nine tenths of a
    /// scan's bytes), fetched over one new HTTP/2 connection, all subscriptions at once, each
    /// chain following its `nextLink`s, and thrown away: what moving those bytes costs on this
    /// machine with nothing read. Milliseconds.
    async fn transfer_ms(&self, subscriptions: &[String]) -> anyhow::Result<f64> {
        #[derive(serde::Deserialize)]
        struct Link {
            #[serde(rename = "nextLink")]
            next_link: Option<String>,
        }
        let client = reqwest::Client::builder()
            .add_root_certificate(self.ca.clone())
            .build()?;
        let started = Instant::now();
        let chains = subscriptions.iter().flat_map(|id| {
            let base = format!(
                "{}/subscriptions/{id}/providers/Microsoft.Compute",
                self.arm
            );
            [
                format!("{base}/virtualMachines?api-version=2024-07-01"),
                format!("{base}/virtualMachines?api-version=2024-07-01&statusOnly=true"),
                format!("{base}/disks?api-version=2024-03-02"),
            ]
        });
        futures::future::try_join_all(chains.map(|first| {
            let client = client.clone();
            async move {
                let mut next = Some(first);
                while let Some(url) = next.take() {
                    let body = self.fetch(&client, &url).await?;
                    next = serde_json::from_slice::<Link>(&body)?.next_link;
                }
                anyhow::Ok(())
            }
        }))
        .await?;
        Ok(started.elapsed().as_secs_f64() * 1000.0)
    }

    /// The sandbox's own time for one page of disks (100 by default), the median of eleven
    /// requests sent one after another on a warm connection: with latency off, what each
    /// round trip of a chain costs besides the latency.
    async fn page_ms(&self, subscription_id: &str) -> anyhow::Result<f64> {
        let url = format!(
            "{}/subscriptions/{subscription_id}/providers/Microsoft.Compute/disks?api-version=2024-03-02",
            self.arm
        );
        let mut times = vec![];
        for _ in 0..11 {
            let started = Instant::now();
            self.fetch(&self.client, &url).await?;
            times.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        Ok(times[times.len() / 2])
    }
}

/// Every encrypted VM with the checks that fail, by name.
fn picture(inventory: &Inventory) -> BTreeMap<String, Vec<String>> {
    inventory
        .vms
        .iter()
        .filter_map(|vm| {
            let verdict = vm.verdict.as_ref()?;
            let mut failing: Vec<String> = verdict
                .reasons
                .iter()
                .filter(|r| r.outcome == Outcome::Fail)
                .map(|r| {
                    serde_json::to_value(r.check)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default()
                })
                .collect();
            failing.sort();
            failing.dedup();
            Some((vm.name.clone(), failing))
        })
        .collect()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let (model_requests, model_depth) = model(&args.spec, args.page_size);
    let target = target(&args.announcement)?;
    let admin = Admin::new(&target).await?;

    let mut elapsed = vec![];
    let mut requests = vec![];
    let mut retained = 0;
    let mut peak = 0;
    let mut last = None;
    for _ in 0..args.runs {
        let baseline = ALLOCATOR.current_usage();
        ALLOCATOR.reset_peak_usage();
        let (inventory, ms, count) = scan(&target, &admin, true).await?;
        peak = ALLOCATOR.peak_usage().saturating_sub(baseline);
        let summary = picture(&inventory);
        let encrypted = summary.len();
        let counts = (inventory.vms.len(), inventory.key_vaults.len());
        let before_drop = ALLOCATOR.current_usage();
        drop(inventory);
        retained = before_drop.saturating_sub(ALLOCATOR.current_usage());
        elapsed.push(ms);
        requests.push(count);
        last = Some((summary, encrypted, counts));
    }
    let (summary, encrypted, (vms, key_vaults)) = last.ok_or_else(|| anyhow::anyhow!("no run"))?;

    // The same scans without latency: what the scan costs in CPU on this machine (the sandbox's
    // share included), the floor no amount of overlapping can go under.
    admin.set_latency(0).await?;
    let mut unlatent = vec![];
    let sandbox_pid = args.sandbox_pid.clone().unwrap_or_default();
    let (cpu_before, sandbox_before) = (cpu_ms("self"), cpu_ms(&sandbox_pid));
    let mut subscriptions = vec![];
    for _ in 0..args.runs {
        let (inventory, ms, _) = scan(&target, &admin, false).await?;
        unlatent.push(ms);
        subscriptions = inventory
            .subscriptions
            .iter()
            .map(|s| s.subscription.subscription_id.clone())
            .collect();
    }
    let cpu_per_scan = (cpu_ms("self") - cpu_before) / args.runs as f64;
    let sandbox_cpu_per_scan = (cpu_ms(&sandbox_pid) - sandbox_before) / args.runs as f64;
    let page_ms = match subscriptions.first() {
        Some(id) => admin.page_ms(id).await?,
        None => 0.0,
    };
    let mut transfer = vec![];
    for _ in 0..args.runs {
        transfer.push(admin.transfer_ms(&subscriptions).await?);
    }
    admin.set_latency(args.latency_ms).await?;
    println!(
        "{}",
        json!({
            "vms": vms,
            "encrypted": encrypted,
            "keyVaults": key_vaults,
            "elapsedMs": elapsed,
            "elapsedMsWithoutLatency": unlatent,
            "cpuMsPerScan": cpu_per_scan,
            "sandboxCpuMsPerScan": sandbox_cpu_per_scan,
            "servicePageMs": page_ms,
            "transferMs": transfer,
            "requests": requests,
            "model": { "requests": model_requests, "roundTrips": model_depth },
            "retainedBytes": retained,
            "peakBytes": peak,
            "picture": summary,
        })
    );
    Ok(())
}
