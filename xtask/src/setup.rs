//! Installing what the commands need on a fresh Debian 12 machine, and nothing when it is there.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, Result, bail};

use crate::step_with;

/// What the packages are for: running needs the build chain; testing also needs a headless
/// display, the WebDriver and a Secret Service.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Run,
    Test,
    Bench,
}

const BUILD_PACKAGES: &[&str] = &[
    "build-essential",
    "pkg-config",
    "curl",
    "wget",
    "file",
    "libwebkit2gtk-4.1-dev",
    // The keyring's Secret Service client talks D-Bus through libdbus.
    "libdbus-1-dev",
    // The Japanese UI needs CJK glyphs; without them every label is a row of boxes.
    "fonts-noto-cjk",
];

const TEST_PACKAGES: &[&str] = &[
    "xvfb",
    "xauth",
    "webkit2gtk-driver",
    "dbus",
    "dbus-x11",
    "gnome-keyring",
    "keyutils",
    "imagemagick",
    "xdotool",
    // The conformance suite's virtualenv (tests/conformance).
    "python3-venv",
];

fn is_installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .output()
        .is_ok_and(|o| o.status.success() && o.stdout.ends_with(b"install ok installed"))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

/// Installs the Debian packages that are missing (with sudo when not root).
pub fn system_packages(purpose: Purpose) -> Result<()> {
    check_node()?;
    if Command::new("dpkg-query")
        .arg("--version")
        .output()
        .is_err()
    {
        println!("• not a Debian system: install the packages listed in the README yourself");
        return Ok(());
    }
    let mut wanted: Vec<&str> = BUILD_PACKAGES.to_vec();
    match purpose {
        Purpose::Run => {}
        Purpose::Test => wanted.extend(TEST_PACKAGES),
        Purpose::Bench => wanted.extend(["wrk", "curl", "python3", "python3-venv"]),
    }
    let missing: Vec<&str> = wanted.into_iter().filter(|p| !is_installed(p)).collect();
    if missing.is_empty() {
        println!("• system packages present");
        return Ok(());
    }
    println!("• installing {}", missing.join(" "));
    let (program, prefix): (&str, Vec<&str>) = if is_root() {
        ("apt-get", vec![])
    } else {
        ("sudo", vec!["apt-get"])
    };
    let env = [("DEBIAN_FRONTEND", "noninteractive")];
    let mut update = prefix.clone();
    update.extend(["update", "-qq"]);
    step_with(Path::new("/"), program, &update, &env)?;
    let mut install = prefix;
    install.extend(["install", "-y", "-qq", "--no-install-recommends"]);
    install.extend(missing.iter().copied());
    step_with(Path::new("/"), program, &install, &env)
}

/// The UI toolchain needs Node.js 20.19 or newer (Vite 8).
fn check_node() -> Result<()> {
    let output = Command::new("node").arg("--version").output().context(
        "Node.js is not installed: install Node.js 20.19 or newer (with npm), then run this again",
    )?;
    let version = String::from_utf8_lossy(&output.stdout);
    let mut parts = version.trim().trim_start_matches('v').split('.');
    let major: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let minor: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    if (major, minor) < (20, 19) {
        bail!(
            "Node.js {} is too old: install 20.19 or newer, then run this again",
            version.trim()
        );
    }
    Ok(())
}

/// Runs `npm ci` in `dir` when its lockfile changed since the last install.
pub fn node_modules(dir: &Path) -> Result<()> {
    let lock = std::fs::read(dir.join("package-lock.json"))
        .with_context(|| format!("{} has no package-lock.json", dir.display()))?;
    let stamp = dir.join("node_modules/.safehold-installed-lock");
    if std::fs::read(&stamp).is_ok_and(|s| s == lock) {
        println!("• npm packages present in {}", dir.display());
        return Ok(());
    }
    step_with(dir, "npm", &["ci", "--no-audit", "--no-fund"], &[])?;
    std::fs::write(&stamp, lock).context("recording the installed lockfile")
}

const TAURI_DRIVER_VERSION: &str = "2.1.0";

/// Installs tauri-driver into a per-user cache (not the project), once per version.
pub fn tauri_driver() -> Result<PathBuf> {
    let home = std::env::var_os("HOME").context("HOME is not set")?;
    let tools = PathBuf::from(home).join(".cache/safehold/tools");
    let binary = tools.join("bin/tauri-driver");
    let manifest = std::fs::read_to_string(tools.join(".crates2.json")).unwrap_or_default();
    if binary.exists() && manifest.contains(&format!("tauri-driver {TAURI_DRIVER_VERSION}")) {
        println!("• tauri-driver {TAURI_DRIVER_VERSION} present");
        return Ok(binary);
    }
    let root = tools.to_str().context("the cache path is not UTF-8")?;
    step_with(
        Path::new("/"),
        &std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()),
        &[
            "install",
            "--locked",
            "tauri-driver",
            "--version",
            TAURI_DRIVER_VERSION,
            "--root",
            root,
        ],
        &[],
    )?;
    Ok(binary)
}
