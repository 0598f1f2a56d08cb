//! The conformance step: the official Azure SDKs for Python against the sandbox binary
//! (`tests/conformance`, see its README).
//!
//! The SDKs live in a virtualenv under `~/.cache/safehold/`, named after a hash of
//! `requirements.txt` and the interpreter version, so a pin bump or a new Python gets a fresh one
//! and an unchanged setup reuses it. A stamp file is written only after `pip install` succeeded;
//! a venv without it (an interrupted install) is rebuilt.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, Result, bail};

use crate::step_with;

const REQUIREMENTS: &str = "tests/conformance/requirements.txt";
const STAMP: &str = "safehold-install-complete";

/// Builds the sandbox, makes sure the venv is there, and runs the suite, passing `pytest_args`
/// on. Any pytest failure fails the step, including exit status 5 ("no tests collected").
pub fn run(pytest_args: &[String]) -> Result<()> {
    let root = crate::root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    step_with(
        &root,
        &cargo,
        &["build", "--locked", "-p", "safehold-sandbox"],
        &[],
    )?;
    let python = venv(&root)?;
    let sandbox = crate::target_dir().join("debug").join("safehold-sandbox");
    let sandbox = sandbox.to_str().context("target dir is not UTF-8")?;
    // REQUESTS_CA_BUNDLE needs no handling here: each sandbox has its own CA, so conftest.py
    // points the variable at it for the duration of every test.
    step_with(
        &root,
        path_str(&python)?,
        &["-m", "pytest", "-q", "tests/conformance"]
            .into_iter()
            .chain(pytest_args.iter().map(String::as_str))
            .collect::<Vec<_>>(),
        &[
            ("SAFEHOLD_SANDBOX_BIN", sandbox),
            // No __pycache__ inside the repository.
            ("PYTHONDONTWRITEBYTECODE", "1"),
        ],
    )
}

/// The venv's python, creating and filling the venv first if this requirements file has none.
pub(crate) fn venv(root: &Path) -> Result<PathBuf> {
    venv_for(root, REQUIREMENTS, "conformance-venv")
}

/// The python of the venv `{prefix}-{hash}` for `requirements` (relative to `root`), made and
/// filled first when missing or unfinished.
pub(crate) fn venv_for(root: &Path, requirements_path: &str, prefix: &str) -> Result<PathBuf> {
    let requirements = fs::read(root.join(requirements_path))
        .with_context(|| format!("could not read {requirements_path}"))?;
    let interpreter = Command::new("python3")
        .arg("--version")
        .output()
        .context("python3 is not installed (Debian: apt-get install python3 python3-venv)")?;
    let key = [requirements.as_slice(), &interpreter.stdout].concat();
    let home = std::env::var_os("HOME").context("HOME is not set")?;
    let dir = PathBuf::from(home)
        .join(".cache/safehold")
        .join(format!("{prefix}-{:012x}", fnv1a(&key) >> 16));
    let python = dir.join("bin/python");
    if dir.join(STAMP).is_file() {
        println!("• {prefix} present ({})", dir.display());
        return Ok(python);
    }
    if dir.exists() {
        fs::remove_dir_all(&dir)
            .with_context(|| format!("could not remove the unfinished venv {}", dir.display()))?;
    }
    let dir_str = path_str(&dir)?;
    step_with(root, "python3", &["-m", "venv", dir_str], &[])?;
    step_with(
        root,
        path_str(&python)?,
        &["-m", "pip", "install", "-q", "-r", requirements_path],
        &[("PIP_DISABLE_PIP_VERSION_CHECK", "1")],
    )?;
    fs::write(dir.join(STAMP), b"")
        .with_context(|| format!("could not write the stamp in {}", dir.display()))?;
    Ok(python)
}

pub(crate) fn path_str(path: &Path) -> Result<&str> {
    match path.to_str() {
        Some(s) => Ok(s),
        None => bail!("path is not UTF-8: {}", path.display()),
    }
}

/// 64-bit FNV-1a: stable across Rust releases, unlike `DefaultHasher`, so cache names stay put.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_the_reference_vectors() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
    }
}
