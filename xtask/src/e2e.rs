//! End-to-end journeys through the real app: Xvfb, tauri-driver and WebKitWebDriver, and the
//! WebdriverIO journeys in tests/e2e. The app runs with its own temporary home, session bus and
//! GNOME Keyring, so the user's data, logs and keyring are never touched.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};

use crate::{root, step_with, target_dir};

/// Kills a background process when dropped, so a failed step never leaves one running.
struct Background {
    name: &'static str,
    child: Child,
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        println!("  (stopped {})", self.name);
    }
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn free_display() -> Result<u32> {
    (90..190)
        .find(|n| {
            !Path::new(&format!("/tmp/.X{n}-lock")).exists()
                && !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
        })
        .context("no free X display number between :90 and :189")
}

fn wait_until(what: &str, timeout: Duration, mut ready: impl FnMut() -> bool) -> Result<()> {
    let started = Instant::now();
    while !ready() {
        if started.elapsed() > timeout {
            bail!("{what} was not ready after {}s", timeout.as_secs());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}

fn listening(port: u16) -> bool {
    TcpStream::connect(("127.0.0.1", port)).is_ok()
}

pub fn run(tauri_driver: &Path) -> Result<()> {
    let root = root();
    let app = target_dir().join("debug/safehold");
    if !app.exists() {
        bail!("{} was not built", app.display());
    }
    let screenshots = root.join("target/e2e");
    let _ = std::fs::remove_dir_all(&screenshots);
    std::fs::create_dir_all(&screenshots)?;
    let home = root.join("target/e2e-home");
    let _ = std::fs::remove_dir_all(&home);
    let data_home = home.join("data");
    for dir in ["data", "config", "cache", "runtime"] {
        std::fs::create_dir_all(home.join(dir))?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(home.join("runtime"), std::fs::Permissions::from_mode(0o700))?;
    }
    let log_dir: PathBuf = data_home.join("dev.safehold.desktop/logs");

    let display_number = free_display()?;
    let display = format!(":{display_number}");
    println!("\n▶ Xvfb {display}");
    let xvfb = Background {
        name: "Xvfb",
        child: Command::new("Xvfb")
            .args([
                display.as_str(),
                "-screen",
                "0",
                "1400x900x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("could not start Xvfb (package xvfb)")?,
    };
    wait_until("Xvfb", Duration::from_secs(20), || {
        Path::new(&format!("/tmp/.X11-unix/X{display_number}")).exists()
    })?;

    // A session bus and an unlocked GNOME Keyring of the app's own, so sign-ins are kept in a
    // real Secret Service, as on a desktop, without touching the user's keyring.
    let bus_path = home.join("runtime/bus");
    let bus = format!("unix:path={}", bus_path.display());
    println!("\n▶ dbus-daemon --session, gnome-keyring-daemon");
    let _dbus = Background {
        name: "dbus-daemon",
        child: Command::new("dbus-daemon")
            .args(["--session", "--nofork", &format!("--address={bus}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("could not start dbus-daemon (package dbus)")?,
    };
    wait_until("the session bus", Duration::from_secs(10), || {
        bus_path.exists()
    })?;
    let mut keyring = Command::new("gnome-keyring-daemon")
        .args(["--foreground", "--unlock", "--components=secrets"])
        .env("DBUS_SESSION_BUS_ADDRESS", &bus)
        .env("XDG_RUNTIME_DIR", home.join("runtime"))
        .env("XDG_DATA_HOME", &data_home)
        .env("HOME", &home)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("could not start gnome-keyring-daemon (package gnome-keyring)")?;
    if let Some(mut stdin) = keyring.stdin.take() {
        use std::io::Write as _;
        stdin.write_all(b"safehold-e2e")?;
    }
    let _keyring = Background {
        name: "gnome-keyring-daemon",
        child: keyring,
    };
    wait_until("the Secret Service", Duration::from_secs(10), || {
        Command::new("dbus-send")
            .args([
                "--session",
                "--dest=org.freedesktop.DBus",
                "--type=method_call",
                "--print-reply",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                "string:org.freedesktop.secrets",
            ])
            .env("DBUS_SESSION_BUS_ADDRESS", &bus)
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("boolean true"))
    })?;

    let port = free_port()?;
    let native_port = free_port()?;
    let env: Vec<(&str, String)> = vec![
        ("DBUS_SESSION_BUS_ADDRESS", bus),
        ("DISPLAY", display),
        ("HOME", home.display().to_string()),
        ("XDG_DATA_HOME", data_home.display().to_string()),
        ("XDG_CONFIG_HOME", home.join("config").display().to_string()),
        ("XDG_CACHE_HOME", home.join("cache").display().to_string()),
        (
            "XDG_RUNTIME_DIR",
            home.join("runtime").display().to_string(),
        ),
        ("WEBKIT_DISABLE_DMABUF_RENDERER", "1".to_owned()),
        // The app's "system browser": a script that clicks through the sandbox's sign-in page.
        (
            "BROWSER",
            root.join("tests/e2e/journeys/stand-in-browser.mjs")
                .display()
                .to_string(),
        ),
        ("NO_AT_BRIDGE", "1".to_owned()),
    ];
    println!("\n▶ tauri-driver --port {port} --native-port {native_port}");
    let driver = Background {
        name: "tauri-driver",
        child: Command::new(tauri_driver)
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
                "--native-driver",
                "/usr/bin/WebKitWebDriver",
            ])
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(Stdio::null())
            .spawn()
            .context("could not start tauri-driver")?,
    };
    // tauri-driver answers before the native driver behind it does: wait for both.
    wait_until("tauri-driver", Duration::from_secs(30), || {
        listening(port) && listening(native_port)
    })?;

    let app = app.display().to_string();
    let shots = screenshots.display().to_string();
    let logs = log_dir.display().to_string();
    let port = port.to_string();
    let mut journey_env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    journey_env.extend([
        ("SAFEHOLD_APP", app.as_str()),
        ("SAFEHOLD_WEBDRIVER_PORT", port.as_str()),
        ("SAFEHOLD_E2E_SCREENSHOTS", shots.as_str()),
        ("SAFEHOLD_E2E_LOG_DIR", logs.as_str()),
    ]);
    let result = step_with(&root.join("tests/e2e"), "npm", &["test"], &journey_env);
    drop(driver);
    drop(xvfb);
    result?;
    println!("  screenshots in {}", screenshots.display());
    Ok(())
}
