//! Without a session bus, opening the OS keyring fails quickly and says what to install.
//!
//! The environment is process-wide and changing it is `unsafe`, so the test runs itself again
//! as a child process whose `DBUS_SESSION_BUS_ADDRESS` points at a socket that does not exist.
//! Its own test binary keeps it apart from the tests that need the real Secret Service.

#![cfg(target_os = "linux")]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use safehold_keystore::{SecretStore, StoreError};

/// Set in the child: the test then does the check instead of starting a child.
const CHILD: &str = "SAFEHOLD_KEYSTORE_NO_BUS_CHILD";
/// The line the child prints when its check passed, so the parent knows it really ran.
const PASSED: &str = "no-bus check passed";
/// How long opening may take without a bus.
const QUICKLY: Duration = Duration::from_secs(3);

#[test]
#[ignore = "needs a Secret Service: run through cargo xtask test"]
fn open_os_without_a_session_bus_is_unavailable() {
    if std::env::var_os(CHILD).is_some() {
        check_in_child();
    } else {
        run_child();
    }
}

fn check_in_child() {
    let dir = tempfile::TempDir::new().unwrap();
    let started = Instant::now();
    let result = SecretStore::open_os("dev.safehold.keystore-test.no-bus", dir.path().into());
    let elapsed = started.elapsed();
    let error = match result {
        Err(error @ StoreError::Unavailable { .. }) => error,
        other => panic!("expected Unavailable without a session bus, got {other:?}"),
    };
    assert!(elapsed < QUICKLY, "opening took {elapsed:?}");
    let message = error.to_string();
    assert!(message.contains("No OS keyring is available"), "{message}");
    assert!(message.contains("nothing will be saved"), "{message}");
    let suggestion = error.suggestion();
    for needed in ["gnome-keyring", "KeePassXC", "D-Bus"] {
        assert!(suggestion.contains(needed), "{needed}: {suggestion}");
    }
    assert!(
        !dir.path().join("secrets").exists(),
        "nothing is written when the keyring is unavailable"
    );
    println!("{PASSED} in {} ms: {message}", elapsed.as_millis());
}

fn run_child() {
    let missing = tempfile::TempDir::new().unwrap();
    let socket = missing.path().join("no-bus-here");
    let started = Instant::now();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "open_os_without_a_session_bus_is_unavailable",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            format!("unix:path={}", socket.display()),
        )
        // No X11 autolaunch of a bus, whatever the parent has.
        .env_remove("DISPLAY")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The child must finish on its own well within this, or the check failed.
    let limit = Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            let output = child.wait_with_output().unwrap();
            panic!(
                "opening the keyring without a bus hung for {limit:?}:\n{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains(PASSED),
        "the child check failed ({}):\n{stdout}{stderr}",
        output.status
    );
    let line = stdout.lines().find(|l| l.contains(PASSED)).unwrap();
    println!("{line}");
}
