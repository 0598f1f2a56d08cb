//! The CLI conformance step: the real Azure CLI against the standalone sandbox (`tests/cli`,
//! see its README).
//!
//! The CLI lives in its own virtualenv under `~/.cache/safehold/`, keyed like the conformance
//! venv by a hash of `tests/cli/requirements.txt` and the interpreter version. `--record` also
//! writes each command's wall time to `docs/benchmarks/azure-cli.md`.

use std::time::Instant;

use anyhow::{Context as _, Result};

use crate::conformance::{path_str, venv_for};
use crate::step_with;

const REQUIREMENTS: &str = "tests/cli/requirements.txt";
const BENCHMARK: &str = "docs/benchmarks/azure-cli.md";

/// Builds the sandbox, makes sure the CLI's venv is there and runs the suite on two workers.
/// `--record` (anywhere in `args`) writes the benchmark; everything else goes to pytest.
pub fn run(args: &[String]) -> Result<()> {
    let root = crate::root();
    let record = args.iter().any(|a| a == "--record");
    let pytest_args: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| *a != "--record")
        .collect();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    step_with(
        &root,
        &cargo,
        &["build", "--locked", "-p", "safehold-sandbox"],
        &[],
    )?;
    let python = venv_for(&root, REQUIREMENTS, "cli-venv")?;
    let sandbox = crate::target_dir().join("debug").join("safehold-sandbox");
    let sandbox = sandbox.to_str().context("target dir is not UTF-8")?;
    let timings = tempfile_dir()?;
    let timings_str = path_str(&timings)?.to_owned();
    let mut env = vec![
        ("SAFEHOLD_SANDBOX_BIN", sandbox),
        ("PYTHONDONTWRITEBYTECODE", "1"),
    ];
    if record {
        env.push(("SAFEHOLD_CLI_TIMINGS_DIR", timings_str.as_str()));
    }
    let started = Instant::now();
    // Two workers: the CLI is slow to start and most of a command is spent in Python.
    let result = step_with(
        &root,
        path_str(&python)?,
        &["-m", "pytest", "-q", "-n", "2", "tests/cli"]
            .into_iter()
            .chain(pytest_args)
            .collect::<Vec<_>>(),
        &env,
    );
    let seconds = started.elapsed().as_secs_f64();
    if result.is_ok() && record {
        step_with(
            &root,
            path_str(&python)?,
            &[
                "tests/cli/report.py",
                &timings_str,
                BENCHMARK,
                &format!("{seconds:.1}"),
            ],
            &[],
        )?;
    }
    let _ = std::fs::remove_dir_all(&timings);
    result
}

/// A fresh, empty directory for this run's timings.
fn tempfile_dir() -> Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!(
        "safehold-cli-timings-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    ));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}
