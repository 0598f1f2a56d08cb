//! The store against a real OS keyring (on Linux, the Secret Service). Ignored by plain
//! `cargo test`; `cargo xtask test` runs them with `--ignored` inside a private D-Bus session with
//! its own unlocked GNOME Keyring. With `--ignored` they fail, never skip, when the keyring does
//! not work.
//!
//! Every test uses its own service name, so runs never see each other's entries, and removes
//! what it stored.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use safehold_keystore::{KeyringBackend, OVERFLOW_KEY_NAME, SecretStore};
use tempfile::TempDir;

/// A service name no other run or test uses.
fn unique_service(test: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "dev.safehold.keystore-test.{test}.{}.{nanos}",
        std::process::id()
    )
}

/// A store on the OS keyring, and a guard that removes the test's entries however it ends.
struct Keyring {
    store: SecretStore,
    service: String,
    names: Vec<&'static str>,
    dir: TempDir,
}

impl Keyring {
    fn open(test: &str, names: &[&'static str]) -> Self {
        let service = unique_service(test);
        let dir = TempDir::new().unwrap();
        let store =
            SecretStore::open_os(&service, dir.path().join("secrets")).unwrap_or_else(|error| {
                panic!(
                    "the OS keyring must work here: {error}\n{}",
                    error.suggestion()
                )
            });
        Self {
            store,
            service,
            names: names.to_vec(),
            dir,
        }
    }

    /// A second store on the same service and directory, as after a restart of the app.
    fn reopen(&self) -> SecretStore {
        SecretStore::open_os(&self.service, self.dir.path().join("secrets")).unwrap()
    }

    /// What the keyring itself holds under `name`, bypassing the store.
    fn raw(&self, name: &str) -> Option<String> {
        use safehold_keystore::Backend as _;
        KeyringBackend::new(&self.service).get(name).unwrap()
    }

    fn files(&self) -> Vec<String> {
        files(self.store.overflow_dir())
    }
}

impl Drop for Keyring {
    fn drop(&mut self) {
        let result = self.store.delete_all(&self.names);
        if !std::thread::panicking() {
            result.unwrap();
            assert_eq!(
                self.raw(OVERFLOW_KEY_NAME),
                None,
                "sign-out removes the data key"
            );
        }
    }
}

fn files(dir: &Path) -> Vec<String> {
    match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect(),
        Err(_) => Vec::new(),
    }
}

fn large_secret() -> String {
    let line = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDLk3m2p8sWq0Yv\n";
    format!(
        "-----BEGIN PRIVATE KEY-----\n{}-----END PRIVATE KEY-----\n",
        line.repeat(160)
    )
}

#[test]
#[ignore = "needs a Secret Service: run through cargo xtask test"]
fn small_secret_round_trip() {
    let keyring = Keyring::open("small", &["token"]);
    keyring
        .store
        .put("token", "0.AVYA-small-refresh-token")
        .unwrap();
    assert_eq!(
        keyring.store.get("token").unwrap().unwrap().as_str(),
        "0.AVYA-small-refresh-token"
    );
    assert_eq!(
        keyring.raw("token").as_deref(),
        Some("0.AVYA-small-refresh-token")
    );
    assert!(keyring.files().is_empty());
    // It persists: a new store (as after a restart) reads it.
    assert_eq!(
        keyring.reopen().get("token").unwrap().unwrap().as_str(),
        "0.AVYA-small-refresh-token"
    );
}

#[test]
#[ignore = "needs a Secret Service: run through cargo xtask test"]
fn large_secret_round_trip() {
    let keyring = Keyring::open("large", &["certificate"]);
    let secret = large_secret();
    assert!(secret.len() > 10_000);
    keyring.store.put("certificate", &secret).unwrap();
    assert_eq!(*keyring.store.get("certificate").unwrap().unwrap(), secret);
    let marker = keyring.raw("certificate").unwrap();
    assert!(marker.starts_with("overflow:v1:"), "{marker}");
    assert_eq!(keyring.raw(OVERFLOW_KEY_NAME).map(|k| k.len()), Some(64));
    assert_eq!(keyring.files().len(), 1);
    assert_eq!(
        *keyring.reopen().get("certificate").unwrap().unwrap(),
        secret
    );
}

#[test]
#[ignore = "needs a Secret Service: run through cargo xtask test"]
fn delete_leaves_nothing() {
    let keyring = Keyring::open("delete", &["token", "certificate"]);
    keyring.store.put("token", "small").unwrap();
    keyring.store.put("certificate", &large_secret()).unwrap();
    keyring.store.delete("token").unwrap();
    keyring.store.delete("certificate").unwrap();
    assert!(keyring.store.get("token").unwrap().is_none());
    assert!(keyring.store.get("certificate").unwrap().is_none());
    assert_eq!(keyring.raw("token"), None);
    assert_eq!(keyring.raw("certificate"), None);
    assert!(keyring.files().is_empty());
    assert!(keyring.reopen().get("token").unwrap().is_none());
    // Deleting again is fine.
    keyring.store.delete("token").unwrap();
}

#[test]
#[ignore = "needs a Secret Service: run through cargo xtask test"]
fn overwrite_in_every_direction() {
    let keyring = Keyring::open("overwrite", &["secret"]);
    let large = large_secret();
    let other_large = large.replace('M', "m");
    let steps: [&str; 5] = ["first", "second", &large, &other_large, "small again"];
    for value in steps {
        keyring.store.put("secret", value).unwrap();
        assert_eq!(
            keyring.store.get("secret").unwrap().unwrap().as_str(),
            value
        );
    }
    assert_eq!(keyring.raw("secret").as_deref(), Some("small again"));
    assert!(keyring.files().is_empty(), "the large value's file is gone");
}
