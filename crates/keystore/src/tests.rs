//! The store against [`MemoryBackend`]: layout, encryption, failure handling, and that no value
//! leaks into errors, `Debug` output or logs.

use std::fs;
use std::io;
use std::sync::{Arc, Mutex};

use tempfile::TempDir;

use super::*;

const CANARY: &str = "CANARY-b9e1c7d4-do-not-leak";

struct Fixture {
    store: SecretStore,
    backend: MemoryBackend,
    // Holds the overflow directory's parent alive.
    _dir: TempDir,
}

fn fixture() -> Fixture {
    fixture_with(MemoryBackend::new())
}

fn fixture_with(backend: MemoryBackend) -> Fixture {
    let dir = TempDir::new().unwrap();
    let store = SecretStore::open(Box::new(backend.clone()), dir.path().join("secrets")).unwrap();
    Fixture {
        store,
        backend,
        _dir: dir,
    }
}

/// About 10 KB, with the canary at both ends and in the middle.
fn large_secret() -> String {
    let filler = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC".repeat(100);
    format!("{CANARY}{filler}{CANARY}{filler}{CANARY}")
}

fn overflow_files(store: &SecretStore) -> Vec<String> {
    match fs::read_dir(store.overflow_dir()) {
        Ok(entries) => {
            let mut names: Vec<String> = entries
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect();
            names.sort();
            names
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound => Vec::new(),
        Err(error) => panic!("{error}"),
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn small_secrets_live_in_their_entry() {
    let Fixture { store, backend, .. } = fixture();
    store.put("client-secret", CANARY).unwrap();
    assert_eq!(
        store.get("client-secret").unwrap().unwrap().as_str(),
        CANARY
    );
    assert_eq!(backend.raw("client-secret").as_deref(), Some(CANARY));
    assert_eq!(backend.names(), vec!["client-secret".to_owned()]);
    assert!(overflow_files(&store).is_empty());
    assert!(store.get("other").unwrap().is_none());
    // Empty secrets are secrets too.
    store.put("empty", "").unwrap();
    assert_eq!(store.get("empty").unwrap().unwrap().as_str(), "");
}

#[test]
fn large_secrets_are_encrypted_to_a_file() {
    let Fixture { store, backend, .. } = fixture();
    let secret = large_secret();
    assert!(secret.len() > 10_000);
    store.put("certificate", &secret).unwrap();
    assert_eq!(*store.get("certificate").unwrap().unwrap(), secret);

    let file = overflow::file_name("certificate");
    assert_eq!(
        backend.raw("certificate").unwrap(),
        format!("overflow:v1:{file}")
    );
    assert_eq!(overflow_files(&store), vec![file.clone()]);
    let key = backend.raw(OVERFLOW_KEY_NAME).expect("a data key entry");
    assert!(overflow::decode_key(&key).is_some());

    // Neither the backend nor the file holds the plaintext; the key is not on disk.
    for name in backend.names() {
        assert!(!backend.raw(&name).unwrap().contains(CANARY), "{name}");
    }
    let bytes = fs::read(store.overflow_dir().join(&file)).unwrap();
    assert!(!contains(&bytes, CANARY.as_bytes()));
    assert!(!contains(&bytes, &secret.as_bytes()[200..400]));
    assert!(!contains(&bytes, key.as_bytes()));
    assert!(!contains(
        &bytes,
        overflow::decode_key(&key).unwrap().as_ref()
    ));
    assert_eq!(bytes.len(), 24 + secret.len() + 16);
}

#[cfg(unix)]
#[test]
fn overflow_files_are_private() {
    use std::os::unix::fs::PermissionsExt as _;
    let Fixture { store, .. } = fixture();
    store.put("certificate", &large_secret()).unwrap();
    let mode = |path: &Path| fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(store.overflow_dir()), 0o700);
    let file = store
        .overflow_dir()
        .join(overflow::file_name("certificate"));
    assert_eq!(mode(&file), 0o600);
    // No temporary file is left behind.
    assert_eq!(overflow_files(&store).len(), 1);
}

#[test]
fn the_limit_counts_the_larger_of_utf8_and_utf16_sizes() {
    // A backend that behaves like Windows Credential Manager (2,560 bytes of UTF-16).
    let Fixture { store, backend, .. } = fixture_with(MemoryBackend::with_entry_limit(2560));
    let cases = [
        ("ascii-at-limit", "a".repeat(1024), true),
        ("ascii-over-limit", "a".repeat(1025), false),
        ("accented-at-limit", "é".repeat(1024), true),
        ("accented-over-limit", "é".repeat(1025), false),
        ("cjk-at-limit", "界".repeat(682), true),
        ("cjk-over-limit", "界".repeat(683), false),
    ];
    for (name, secret, inline) in &cases {
        store.put(name, secret).unwrap();
        assert_eq!(
            backend.raw(name).as_deref() == Some(secret),
            *inline,
            "{name}"
        );
        assert_eq!(*store.get(name).unwrap().unwrap(), *secret, "{name}");
    }
}

#[test]
fn a_secret_that_looks_like_a_marker_is_encrypted_too() {
    let Fixture { store, backend, .. } = fixture();
    let tricky = format!("overflow:v1:{}", overflow::file_name("y"));
    store.put("x", &tricky).unwrap();
    assert_eq!(
        backend.raw("x").unwrap(),
        format!("overflow:v1:{}", overflow::file_name("x"))
    );
    assert_eq!(*store.get("x").unwrap().unwrap(), tricky);
}

#[test]
fn a_changed_or_missing_file_is_corrupt_never_garbage() {
    let Fixture { store, backend, .. } = fixture();
    store.put("a", &large_secret()).unwrap();
    store.put("b", &large_secret()).unwrap();
    let path_a = store.overflow_dir().join(overflow::file_name("a"));
    let path_b = store.overflow_dir().join(overflow::file_name("b"));
    let original = fs::read(&path_a).unwrap();
    let corrupt = |result: Result<Option<Zeroizing<String>>, StoreError>| match result {
        Err(error @ StoreError::Corrupt { .. }) => error.to_string(),
        other => panic!(
            "expected Corrupt, got {:?}",
            other.map(|v| v.map(|_| "a value"))
        ),
    };

    let mut flipped = original.clone();
    flipped[original.len() / 2] ^= 0x01;
    fs::write(&path_a, &flipped).unwrap();
    assert!(corrupt(store.get("a")).contains("does not decrypt"));

    fs::write(&path_a, &original[..10]).unwrap();
    assert!(corrupt(store.get("a")).contains("truncated"));

    // b's file in a's place: bound to another name.
    fs::copy(&path_b, &path_a).unwrap();
    assert!(corrupt(store.get("a")).contains("does not decrypt"));

    fs::remove_file(&path_a).unwrap();
    let message = corrupt(store.get("a"));
    assert!(
        message.contains("missing") && message.contains("'a'"),
        "{message}"
    );

    // An entry pointing at another secret's file.
    backend
        .set("a", &format!("overflow:v1:{}", overflow::file_name("b")))
        .unwrap();
    assert!(corrupt(store.get("a")).contains("another name"));

    // A lost data key.
    backend.delete(OVERFLOW_KEY_NAME).unwrap();
    assert!(corrupt(store.get("b")).contains("data key"));
    // Writing again replaces the damaged copy.
    store.put("b", "fresh").unwrap();
    assert_eq!(store.get("b").unwrap().unwrap().as_str(), "fresh");
    fs::write(&path_b, &original).unwrap();
    store.put("b", &large_secret()).unwrap();
    assert_eq!(*store.get("b").unwrap().unwrap(), large_secret());
}

#[test]
fn replacing_moves_between_entry_and_file() {
    let Fixture { store, backend, .. } = fixture();
    let path = store.overflow_dir().join(overflow::file_name("token"));
    store.put("token", "small").unwrap();
    store.put("token", &large_secret()).unwrap();
    assert!(path.exists());
    let other_large = large_secret().replace('M', "m");
    store.put("token", &other_large).unwrap();
    assert_eq!(*store.get("token").unwrap().unwrap(), other_large);
    store.put("token", "small again").unwrap();
    assert!(!path.exists(), "the old file is removed");
    assert_eq!(backend.raw("token").as_deref(), Some("small again"));
    assert!(overflow_files(&store).is_empty());
}

fn write_failed(result: Result<(), StoreError>) -> (String, bool) {
    match result {
        Err(
            ref error @ StoreError::WriteFailed {
                cleanup_verified, ..
            },
        ) => (error.to_string(), cleanup_verified),
        other => panic!("expected WriteFailed, got {other:?}"),
    }
}

#[test]
fn a_failed_data_key_write_leaves_nothing() {
    let Fixture { store, backend, .. } = fixture();
    backend.fail_next_writes(1);
    let (message, verified) = write_failed(store.put("certificate", &large_secret()));
    assert!(verified, "{message}");
    assert!(message.contains("data key"), "{message}");
    assert!(backend.names().is_empty(), "{:?}", backend.names());
    assert!(overflow_files(&store).is_empty());
    // The next attempt works.
    store.put("certificate", &large_secret()).unwrap();
    assert_eq!(*store.get("certificate").unwrap().unwrap(), large_secret());
}

#[test]
fn a_failed_marker_write_removes_the_file() {
    let Fixture { store, backend, .. } = fixture();
    store.put("existing", &large_secret()).unwrap();
    let key = backend.raw(OVERFLOW_KEY_NAME).unwrap();
    // The key exists, so the next write is the marker.
    backend.fail_next_writes(1);
    let (message, verified) = write_failed(store.put("certificate", &large_secret()));
    assert!(verified, "{message}");
    assert!(backend.raw("certificate").is_none());
    assert_eq!(
        overflow_files(&store),
        vec![overflow::file_name("existing")]
    );
    // What was there before is untouched, including the data key.
    assert_eq!(backend.raw(OVERFLOW_KEY_NAME), Some(key));
    assert_eq!(*store.get("existing").unwrap().unwrap(), large_secret());
}

#[test]
fn a_failed_write_removes_the_previous_secret_too() {
    let Fixture { store, backend, .. } = fixture();
    store.put("token", "old").unwrap();
    backend.fail_next_writes(1);
    let (_, verified) = write_failed(store.put("token", "new"));
    assert!(verified);
    assert!(store.get("token").unwrap().is_none());
}

fn replace_failed(result: Result<(), StoreError>) -> (String, bool) {
    match result {
        Err(ref error @ StoreError::ReplaceFailed { previous_kept, .. }) => {
            (error.to_string(), previous_kept)
        }
        other => panic!("expected ReplaceFailed, got {other:?}"),
    }
}

#[test]
fn a_failed_replace_keeps_the_previous_secret() {
    let Fixture { store, backend, .. } = fixture();
    store.put("token", "old").unwrap();
    backend.fail_next_writes(1);
    let (message, kept) = replace_failed(store.replace("token", "new"));
    assert!(kept, "{message}");
    assert!(message.contains("previous one is kept"), "{message}");
    assert_eq!(store.get("token").unwrap().unwrap().as_str(), "old");
    // The next rotation goes through.
    store.replace("token", "new").unwrap();
    assert_eq!(store.get("token").unwrap().unwrap().as_str(), "new");
}

#[test]
fn a_failed_replace_of_a_large_secret_by_a_small_one_keeps_the_file() {
    let Fixture { store, backend, .. } = fixture();
    store.put("token", &large_secret()).unwrap();
    backend.fail_next_writes(1);
    let (message, kept) = replace_failed(store.replace("token", "small"));
    assert!(kept, "{message}");
    assert_eq!(*store.get("token").unwrap().unwrap(), large_secret());
    store.replace("token", "small").unwrap();
    assert_eq!(store.get("token").unwrap().unwrap().as_str(), "small");
    assert!(overflow_files(&store).is_empty(), "the old file goes");
}

#[test]
fn a_failed_replace_of_a_small_secret_by_a_large_one_leaves_no_file() {
    let Fixture { store, backend, .. } = fixture();
    store.put("token", "small").unwrap();
    // With a data key already there, the one keyring write is the marker, and it fails.
    store.replace("other", &large_secret()).unwrap();
    backend.fail_next_writes(1);
    let (message, kept) = replace_failed(store.replace("token", &large_secret()));
    assert!(kept, "{message}");
    assert_eq!(store.get("token").unwrap().unwrap().as_str(), "small");
    assert_eq!(overflow_files(&store), vec![overflow::file_name("other")]);
    assert_eq!(*store.get("other").unwrap().unwrap(), large_secret());
}

#[test]
fn a_failed_data_key_write_during_replace_keeps_the_small_secret() {
    let Fixture { store, backend, .. } = fixture();
    store.put("token", "small").unwrap();
    backend.fail_next_writes(1);
    let (message, kept) = replace_failed(store.replace("token", &large_secret()));
    assert!(kept, "{message}");
    assert_eq!(store.get("token").unwrap().unwrap().as_str(), "small");
    assert!(overflow_files(&store).is_empty());
    assert_eq!(
        backend.names(),
        vec!["token".to_owned()],
        "no stray data key"
    );
}

#[test]
fn replacing_a_large_secret_by_another_rewrites_only_the_file() {
    let Fixture { store, backend, .. } = fixture();
    store.put("token", &large_secret()).unwrap();
    let marker = backend.raw("token").unwrap();
    let other_large = large_secret().replace('M', "m");
    // A keyring write would fail, but none is needed: the entry already points at the file.
    backend.fail_next_writes(1);
    store.replace("token", &other_large).unwrap();
    assert_eq!(backend.raw("token"), Some(marker));
    assert_eq!(*store.get("token").unwrap().unwrap(), other_large);
}

#[test]
fn a_failed_replace_of_nothing_leaves_nothing() {
    let Fixture { store, backend, .. } = fixture();
    backend.fail_next_writes(1);
    let (message, kept) = replace_failed(store.replace("token", "new"));
    assert!(kept, "{message}");
    assert!(backend.names().is_empty());
    assert!(store.get("token").unwrap().is_none());
}

#[test]
fn a_keyring_that_refuses_the_new_value_keeps_the_old_one() {
    let Fixture { store, .. } = fixture_with(MemoryBackend::with_entry_limit(100));
    store.put("token", "old").unwrap();
    let (message, kept) = replace_failed(store.replace("token", &"a".repeat(200)));
    assert!(kept, "{message}");
    assert_eq!(store.get("token").unwrap().unwrap().as_str(), "old");
}

#[test]
fn a_failed_file_write_leaves_nothing() {
    let dir = TempDir::new().unwrap();
    let not_a_dir = dir.path().join("file");
    fs::write(&not_a_dir, b"").unwrap();
    let backend = MemoryBackend::new();
    let store = SecretStore::open(Box::new(backend.clone()), not_a_dir.join("secrets")).unwrap();
    let (message, verified) = write_failed(store.put("certificate", &large_secret()));
    assert!(verified, "{message}");
    assert!(message.contains("encrypted file"), "{message}");
    assert!(
        backend.names().is_empty(),
        "the new data key is removed too"
    );
}

#[test]
fn a_keyring_that_refuses_the_value_leaves_nothing() {
    let Fixture { store, backend, .. } = fixture_with(MemoryBackend::with_entry_limit(100));
    let (message, verified) = write_failed(store.put("token", &"a".repeat(200)));
    assert!(verified, "{message}");
    assert!(backend.names().is_empty());
}

#[test]
fn a_cleanup_that_cannot_be_confirmed_says_so() {
    let Fixture { store, backend, .. } = fixture();
    store.put("token", "old").unwrap();
    backend.fail_next_writes(1);
    backend.ignore_next_deletes(1);
    let (message, verified) = write_failed(store.put("token", "new"));
    assert!(!verified);
    assert!(message.contains("could not confirm"), "{message}");
    assert!(backend.raw("token").is_some());
    store.put("token", "x").unwrap();
}

#[test]
fn delete_removes_entry_and_file_and_checks() {
    let Fixture { store, backend, .. } = fixture();
    store.put("certificate", &large_secret()).unwrap();
    store.put("token", "small").unwrap();
    store.delete("certificate").unwrap();
    assert!(backend.raw("certificate").is_none());
    assert!(overflow_files(&store).is_empty());
    store.delete("certificate").unwrap(); // already gone: fine
    store.delete("never-there").unwrap();

    backend.ignore_next_deletes(1);
    match store.delete("token") {
        Err(StoreError::DeleteFailed { name, detail }) => {
            assert_eq!(name, "token");
            assert!(detail.contains("still there"), "{detail}");
        }
        other => panic!("expected DeleteFailed, got {other:?}"),
    }
    backend.fail_next_deletes(1);
    assert!(matches!(
        store.delete("token"),
        Err(StoreError::DeleteFailed { .. })
    ));
    store.delete("token").unwrap();
    assert!(store.get("token").unwrap().is_none());
}

#[test]
fn delete_all_keeps_going_and_reports_every_failure() {
    let Fixture { store, backend, .. } = fixture();
    store.put("a", "small").unwrap();
    store.put("b", &large_secret()).unwrap();
    store.put("c", "small").unwrap();
    store.put("d", "small").unwrap();
    backend.fail_next_deletes(1); // a
    let error = store.delete_all(&["a", "b", "c", "", "d"]).unwrap_err();
    let StoreError::Incomplete { failures } = &error else {
        panic!("expected Incomplete, got {error:?}");
    };
    assert_eq!(failures.len(), 2, "{failures:?}");
    assert!(matches!(&failures[0], StoreError::DeleteFailed { name, .. } if name == "a"));
    assert!(matches!(&failures[1], StoreError::InvalidName { .. }));
    for gone in ["b", "c", "d"] {
        assert!(store.get(gone).unwrap().is_none(), "{gone}");
    }
    assert!(overflow_files(&store).is_empty());
    // With no file left, the data key went too; only the failed entry remains.
    assert_eq!(backend.names(), vec!["a".to_owned()]);
    assert!(error.to_string().contains("'a'"));
    store.delete_all(&["a"]).unwrap();
    assert!(backend.names().is_empty());
}

#[test]
fn delete_all_keeps_the_data_key_while_files_remain() {
    let Fixture { store, backend, .. } = fixture();
    store.put("x", &large_secret()).unwrap();
    store.put("y", &large_secret()).unwrap();
    store.delete_all(&["x"]).unwrap();
    assert!(backend.raw(OVERFLOW_KEY_NAME).is_some());
    assert_eq!(*store.get("y").unwrap().unwrap(), large_secret());
    store.delete_all(&["y"]).unwrap();
    assert!(backend.names().is_empty());
}

#[test]
fn open_fails_as_unavailable_when_the_probe_fails() {
    let dir = TempDir::new().unwrap();
    let open = |backend: &MemoryBackend| {
        SecretStore::open(Box::new(backend.clone()), dir.path().to_path_buf())
    };
    let backend = MemoryBackend::new();
    backend.fail_next_writes(1);
    match open(&backend) {
        Err(error @ StoreError::Unavailable { .. }) => {
            let message = error.to_string();
            assert!(message.contains("nothing will be saved"), "{message}");
            assert!(message.contains("writing a test entry failed"), "{message}");
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
    backend.ignore_next_deletes(1);
    assert!(matches!(
        open(&backend),
        Err(StoreError::Unavailable { detail }) if detail.contains("still there")
    ));
    backend.delete(PROBE_NAME).unwrap();
    // A working backend opens and keeps no probe entry.
    open(&backend).unwrap();
    assert!(backend.names().is_empty());
}

#[test]
fn reserved_and_empty_names_are_refused() {
    let Fixture { store, .. } = fixture();
    for name in ["", OVERFLOW_KEY_NAME, PROBE_NAME] {
        assert!(matches!(
            store.put(name, "x"),
            Err(StoreError::InvalidName { .. })
        ));
        assert!(matches!(
            store.get(name),
            Err(StoreError::InvalidName { .. })
        ));
        assert!(matches!(
            store.delete(name),
            Err(StoreError::InvalidName { .. })
        ));
    }
}

/// Collects everything the store logs, at every level.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn secrets_never_reach_errors_debug_output_or_logs() {
    let logs = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer({
            let logs = logs.clone();
            move || logs.clone()
        })
        .finish();
    let mut seen = Vec::new();
    tracing::subscriber::with_default(subscriber, || {
        let Fixture { store, backend, .. } = fixture();
        let small = format!("{CANARY}-small");
        let large = large_secret();
        store.put("small", &small).unwrap();
        store.put("large", &large).unwrap();
        let key = backend.raw(OVERFLOW_KEY_NAME).unwrap();
        seen.push(format!("{store:?} {backend:?}"));
        seen.push(format!("{:?}", store.get("small").unwrap().map(|_| ())));

        // Failures at every step, with the canary as the value.
        for secret in [&small, &large] {
            backend.fail_next_writes(1);
            let error = store.put("small", secret).unwrap_err();
            seen.push(format!("{error} {error:?} {}", error.suggestion()));
        }
        backend.delete(OVERFLOW_KEY_NAME).unwrap();
        backend.fail_next_writes(1); // the new data key
        let error = store.put("large", &large).unwrap_err();
        seen.push(format!("{error} {error:?} {}", error.suggestion()));
        store.put("large", &large).unwrap();
        let path = store.overflow_dir().join(overflow::file_name("large"));
        fs::write(&path, b"tampered tampered tampered tampered").unwrap();
        let error = store.get("large").unwrap_err();
        seen.push(format!("{error} {error:?} {}", error.suggestion()));
        store.put("small", &small).unwrap();
        backend.fail_next_deletes(3);
        let error = store.delete_all(&["small", "large"]).unwrap_err();
        seen.push(format!("{error} {error:?} {}", error.suggestion()));
        seen.push(key);
    });
    let key = seen.pop().unwrap();
    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("saving a secret failed"), "logging works");
    for text in seen.iter().chain([&logs]) {
        assert!(!text.contains(CANARY), "the canary leaked: {text}");
        assert!(!text.contains(&key), "the data key leaked: {text}");
    }
}

#[test]
fn the_store_can_be_shared_between_threads() {
    fn shared<T: Send + Sync>() {}
    shared::<SecretStore>();
    let Fixture { store, .. } = fixture();
    let store = Arc::new(store);
    let threads: Vec<_> = (0..4)
        .map(|i| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                let name = format!("t{i}");
                let secret = format!("{}{i}", large_secret());
                store.put(&name, &secret).unwrap();
                assert_eq!(*store.get(&name).unwrap().unwrap(), secret);
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    assert_eq!(overflow_files(&store).len(), 4);
}
