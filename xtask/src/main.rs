//! Project automation. The README's two commands live here:
//!
//! - `cargo xtask run`: install what is missing, build the UI, launch the app on the sandbox.
//! - `cargo xtask test`: install what is missing, then every check CI runs (format, lints, Rust
//!   tests with the bindings drift check, UI typecheck + lint + tests, end-to-end journeys).
//!
//! Also `cargo xtask bindings` (regenerate `ui/src/bindings.ts`) and `cargo xtask sandbox`
//! (run the sandbox cloud alone). Setup is idempotent and cheap when nothing is missing, so both
//! commands work on a fresh Debian 12 machine and stay fast on a warm one.

mod bench;
mod bench_inventory;
mod cli_conformance;
mod conformance;
mod e2e;
mod keyring;
mod setup;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context as _, Result, bail};

const USAGE: &str = "\
usage: cargo xtask <command>

  run        install what is missing, build the UI and start Safehold on the sandbox cloud
  test       install what is missing and run every check (what CI runs)
  bindings   regenerate ui/src/bindings.ts from the Rust commands
  conformance [pytest arguments]
             run the conformance suite alone (e.g. -k restore)
  cli-conformance [--record] [pytest arguments]
             run the Azure CLI against the sandbox (tests/cli); --record also writes
             each command's wall time to docs/benchmarks/azure-cli.md
  sandbox    run the sandbox cloud alone (arguments go to safehold-sandbox, e.g. --port 8443)
  bench-sandbox
             measure the sandbox's loopback throughput (writes docs/benchmarks/)
  bench-inventory
             time the inventory scan on 10,000-VM tenants against its bounds and the
             Python SDKs (writes docs/benchmarks/)
";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => run(),
        Some("test") => test(),
        Some("bindings") => bindings(),
        Some("sandbox") => sandbox(&args[1..]),
        Some("conformance") => conformance::run(&args[1..]),
        Some("cli-conformance") => cli_conformance::run(&args[1..]),
        Some("bench-sandbox") => bench::run(),
        Some("bench-inventory") => bench_inventory::run(),
        Some("-h" | "--help" | "help") | None => {
            print!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(anyhow::anyhow!("unknown command '{other}'\n\n{USAGE}")),
    };
    if let Err(error) = result {
        eprintln!("\nxtask: {error:#}");
        std::process::exit(1);
    }
}

/// The workspace root (the parent of this crate).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives inside the workspace")
        .to_path_buf()
}

/// Where cargo puts build output (honours `CARGO_TARGET_DIR`).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| if p.is_absolute() { p } else { root().join(p) })
        .unwrap_or_else(|| root().join("target"))
}

/// Runs a command in `dir`, echoing it on stderr (stdout stays the command's own), and fails if
/// it fails.
pub fn step(dir: &Path, program: &str, args: &[&str]) -> Result<()> {
    step_with(dir, program, args, &[])
}

/// Like [`step`], with extra environment variables.
pub fn step_with(dir: &Path, program: &str, args: &[&str], env: &[(&str, &str)]) -> Result<()> {
    eprintln!("\n▶ {program} {}", args.join(" "));
    let started = Instant::now();
    let status = Command::new(program)
        .args(args)
        .current_dir(dir)
        .envs(env.iter().copied())
        .status()
        .with_context(|| format!("could not start {program}"))?;
    if !status.success() {
        bail!("`{program} {}` failed ({status})", args.join(" "));
    }
    eprintln!("  ✓ {:.1}s", started.elapsed().as_secs_f64());
    Ok(())
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

/// The features every app build uses, so clippy, tests and the e2e binary share artifacts.
const APP_FEATURES: &str = "safehold-app/custom-protocol";

fn build_ui() -> Result<()> {
    step(&root().join("ui"), "npm", &["run", "build"])
}

fn run() -> Result<()> {
    setup::system_packages(setup::Purpose::Run)?;
    setup::node_modules(&root().join("ui"))?;
    build_ui()?;
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        bail!(
            "no display: DISPLAY and WAYLAND_DISPLAY are unset. Run this from a desktop session \
             (or under `xvfb-run -a cargo xtask run` to start it headless)."
        );
    }
    let cargo = cargo();
    step(
        &root(),
        &cargo,
        &[
            "run",
            "--locked",
            "-p",
            "safehold-app",
            "--features",
            APP_FEATURES,
        ],
    )
}

fn test() -> Result<()> {
    let started = Instant::now();
    let root = root();
    let cargo = cargo();
    setup::system_packages(setup::Purpose::Test)?;
    setup::node_modules(&root.join("ui"))?;
    setup::node_modules(&root.join("tests/e2e"))?;
    let tauri_driver = setup::tauri_driver()?;

    step(&root, &cargo, &["fmt", "--all", "--check"])?;

    let ui = root.join("ui");
    step(&ui, "npm", &["run", "typecheck"])?;
    step(&ui, "npm", &["run", "lint"])?;
    step(&ui, "npm", &["test"])?;
    // The app embeds ui/dist, so the UI is built before anything compiles the shell.
    build_ui()?;

    step(
        &root,
        &cargo,
        &[
            "clippy",
            "--locked",
            "--workspace",
            "--all-targets",
            "--features",
            APP_FEATURES,
            "--",
            "-D",
            "warnings",
        ],
    )?;
    // Includes the bindings drift check (safehold-app's committed_bindings_match_the_commands).
    step(
        &root,
        &cargo,
        &[
            "test",
            "--locked",
            "--workspace",
            "--features",
            APP_FEATURES,
        ],
    )?;
    keyring::run()?;
    conformance::run(&[])?;
    cli_conformance::run(&[])?;
    step(
        &root,
        &cargo,
        &[
            "build",
            "--locked",
            "-p",
            "safehold-app",
            "--features",
            APP_FEATURES,
        ],
    )?;
    e2e::run(&tauri_driver)?;

    println!(
        "\nAll checks passed in {:.0}s.",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn bindings() -> Result<()> {
    step_with(
        &root(),
        &cargo(),
        &[
            "test",
            "--locked",
            "-p",
            "safehold-app",
            "--lib",
            "committed_bindings_match_the_commands",
        ],
        &[("SAFEHOLD_UPDATE_BINDINGS", "1")],
    )
}

fn sandbox(args: &[String]) -> Result<()> {
    let mut all = vec!["run", "--locked", "-q", "-p", "safehold-sandbox", "--"];
    // `cargo xtask sandbox -- --port 8443` hands xtask a literal `--`; clap must not see it.
    let args = args.strip_prefix(&["--".to_owned()]).unwrap_or(args);
    all.extend(args.iter().map(String::as_str));
    step(&root(), &cargo(), &all)
}
