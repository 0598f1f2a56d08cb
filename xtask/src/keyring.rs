//! The keyring step: safehold-keystore's tests against a real Secret Service.
//!
//! They run inside a private D-Bus session (`dbus-run-session`) with a GNOME Keyring of their
//! own: fresh `XDG_RUNTIME_DIR` and `XDG_DATA_HOME`, unlocked with a throwaway password, so the
//! tests never touch the user's keyring and work on a headless machine. The daemon is stopped
//! by its pid and the directories removed when the tests end, pass or fail.

use anyhow::Result;

use crate::step_with;

/// Starts the keyring daemon, waits (up to 10 s) until it owns `org.freedesktop.secrets` on
/// the session bus, then runs its arguments ("$@") and exits with their status.
const SESSION_SCRIPT: &str = r#"set -eu
runtime=$(mktemp -d)
data=$(mktemp -d)
chmod 700 "$runtime" "$data"
export XDG_RUNTIME_DIR="$runtime" XDG_DATA_HOME="$data"
printf safehold-test | gnome-keyring-daemon --foreground --unlock --components=secrets >"$runtime/daemon.log" 2>&1 &
daemon=$!
trap 'kill "$daemon" 2>/dev/null || true; wait "$daemon" 2>/dev/null || true; rm -rf "$runtime" "$data"' EXIT
trap 'exit 130' INT TERM
tries=0
until dbus-send --session --dest=org.freedesktop.DBus --type=method_call --print-reply /org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'; do
  if ! kill -0 "$daemon" 2>/dev/null; then
    echo "gnome-keyring-daemon stopped before it provided org.freedesktop.secrets:" >&2
    cat "$runtime/daemon.log" >&2
    exit 1
  elif [ "$tries" -ge 100 ]; then
    echo "gnome-keyring-daemon did not provide org.freedesktop.secrets within 10 s:" >&2
    cat "$runtime/daemon.log" >&2
    exit 1
  fi
  tries=$((tries + 1))
  sleep 0.1
done
status=0
"$@" || status=$?
exit "$status"
"#;

/// Runs the ignored tests of safehold-keystore (the real Secret Service, and the check that a
/// missing bus is reported) one at a time in a private session.
pub fn run() -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    step_with(
        &crate::root(),
        "dbus-run-session",
        &[
            "--",
            "sh",
            "-c",
            SESSION_SCRIPT,
            "keyring-session",
            &cargo,
            "test",
            "--locked",
            "-p",
            "safehold-keystore",
            "--tests",
            "--",
            "--ignored",
            "--test-threads=1",
        ],
        &[],
    )
}
