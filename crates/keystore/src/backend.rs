//! Where entries live: the OS keyring, or memory for tests.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

/// One keyring "entry" per name: a small UTF-8 value under a name, inside one service.
///
/// Implementations must never put a value into an error or a `Debug` output.
pub trait Backend: Send + Sync {
    /// Creates or replaces the entry `name`.
    fn set(&self, name: &str, value: &str) -> Result<(), BackendError>;
    /// The value of `name`, or `None` when there is no such entry.
    fn get(&self, name: &str) -> Result<Option<String>, BackendError>;
    /// Removes `name`. Removing an entry that does not exist is not an error.
    fn delete(&self, name: &str) -> Result<(), BackendError>;
}

/// Why a backend operation failed. The text describes the failure, never a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackendError {
    /// The keyring could not be reached or refused access (no Secret Service, a locked
    /// keyring, a dismissed unlock prompt).
    #[error("the keyring could not be reached: {0}")]
    NoAccess(String),
    /// The keyring answered, but the operation failed.
    #[error("the keyring reported an error: {0}")]
    Failed(String),
}

/// The OS keyring through the `keyring` crate: the login keychain on macOS, Credential Manager
/// on Windows, and the Secret Service (GNOME Keyring, KeePassXC, …) over D-Bus on Linux.
///
/// Every entry is `keyring::Entry::new(service, name)`.
#[derive(Debug, Clone)]
pub struct KeyringBackend {
    service: String,
}

impl KeyringBackend {
    /// A backend for the entries of `service` (for Safehold, its application id).
    pub fn new(service: &str) -> Self {
        Self {
            service: service.to_owned(),
        }
    }

    /// The service the entries belong to.
    pub fn service(&self) -> &str {
        &self.service
    }

    fn entry(&self, name: &str) -> Result<keyring::Entry, BackendError> {
        keyring::Entry::new(&self.service, name).map_err(from_keyring)
    }
}

impl Backend for KeyringBackend {
    fn set(&self, name: &str, value: &str) -> Result<(), BackendError> {
        self.entry(name)?.set_password(value).map_err(from_keyring)
    }

    fn get(&self, name: &str) -> Result<Option<String>, BackendError> {
        match self.entry(name)?.get_password() {
            Ok(value) => Ok(Some(value)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(error) => Err(from_keyring(error)),
        }
    }

    fn delete(&self, name: &str) -> Result<(), BackendError> {
        match self.entry(name)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(error) => Err(from_keyring(error)),
        }
    }
}

/// Translates a keyring error without ever carrying stored bytes along: `BadEncoding` holds the
/// stored value and `Ambiguous` the matching items, so neither is formatted.
fn from_keyring(error: keyring::Error) -> BackendError {
    match error {
        keyring::Error::NoStorageAccess(source) => BackendError::NoAccess(source.to_string()),
        keyring::Error::PlatformFailure(source) => BackendError::Failed(source.to_string()),
        keyring::Error::NoEntry => BackendError::Failed("no such entry".to_owned()),
        keyring::Error::BadEncoding(_) => {
            BackendError::Failed("the stored value is not UTF-8 text".to_owned())
        }
        keyring::Error::TooLong(attribute, limit) => BackendError::Failed(format!(
            "'{attribute}' is longer than the keyring's limit of {limit}"
        )),
        keyring::Error::Invalid(attribute, reason) => {
            BackendError::Failed(format!("'{attribute}' is invalid: {reason}"))
        }
        keyring::Error::Ambiguous(items) => BackendError::Failed(format!(
            "{} keyring items match this entry; remove the duplicates",
            items.len()
        )),
        _ => BackendError::Failed("an unexpected keyring error".to_owned()),
    }
}

/// Entries in memory, for tests: no persistence, values in plain memory. Clones share the same
/// entries and switches, so a test can keep one clone and hand another to a
/// [`SecretStore`](crate::SecretStore).
///
/// Switches simulate a keyring that misbehaves: a size limit per entry, failing writes, failing
/// deletes, and deletes that report success but keep the entry.
#[derive(Clone, Default)]
pub struct MemoryBackend {
    state: Arc<Mutex<MemoryState>>,
}

#[derive(Default)]
struct MemoryState {
    entries: HashMap<String, String>,
    entry_limit: Option<usize>,
    failing_writes: usize,
    failing_deletes: usize,
    ignored_deletes: usize,
}

impl MemoryBackend {
    /// An empty backend without limits.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty backend that rejects values larger than `limit` bytes, counted the way Windows
    /// Credential Manager counts them (UTF-16). `2560` behaves like Windows.
    pub fn with_entry_limit(limit: usize) -> Self {
        let backend = Self::default();
        backend.state().entry_limit = Some(limit);
        backend
    }

    /// Makes the next `count` calls to [`Backend::set`] fail (and store nothing).
    pub fn fail_next_writes(&self, count: usize) {
        self.state().failing_writes = count;
    }

    /// Makes the next `count` calls to [`Backend::delete`] fail (and remove nothing).
    pub fn fail_next_deletes(&self, count: usize) {
        self.state().failing_deletes = count;
    }

    /// Makes the next `count` calls to [`Backend::delete`] report success but keep the entry,
    /// like a keyring that loses a removal.
    pub fn ignore_next_deletes(&self, count: usize) {
        self.state().ignored_deletes = count;
    }

    /// What the backend holds under `name`, as stored (for tests that inspect the raw entry).
    pub fn raw(&self, name: &str) -> Option<String> {
        self.state().entries.get(name).cloned()
    }

    /// The names of all entries, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.state().entries.keys().cloned().collect();
        names.sort();
        names
    }

    fn state(&self) -> std::sync::MutexGuard<'_, MemoryState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for MemoryBackend {
    // Names only: values never reach a Debug output.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryBackend")
            .field("names", &self.names())
            .field("entry_limit", &self.state().entry_limit)
            .finish_non_exhaustive()
    }
}

impl Backend for MemoryBackend {
    fn set(&self, name: &str, value: &str) -> Result<(), BackendError> {
        let mut state = self.state();
        if state.failing_writes > 0 {
            state.failing_writes -= 1;
            return Err(BackendError::Failed(format!(
                "simulated write failure for '{name}'"
            )));
        }
        if let Some(limit) = state.entry_limit {
            let size = value.encode_utf16().count() * 2;
            if size > limit {
                return Err(BackendError::Failed(format!(
                    "the value for '{name}' is {size} bytes, over the limit of {limit}"
                )));
            }
        }
        state.entries.insert(name.to_owned(), value.to_owned());
        Ok(())
    }

    fn get(&self, name: &str) -> Result<Option<String>, BackendError> {
        Ok(self.state().entries.get(name).cloned())
    }

    fn delete(&self, name: &str) -> Result<(), BackendError> {
        let mut state = self.state();
        if state.failing_deletes > 0 {
            state.failing_deletes -= 1;
            return Err(BackendError::Failed(format!(
                "simulated delete failure for '{name}'"
            )));
        }
        if state.ignored_deletes > 0 {
            state.ignored_deletes -= 1;
            return Ok(());
        }
        state.entries.remove(name);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_backend_switches_count_down() {
        let backend = MemoryBackend::new();
        backend.fail_next_writes(2);
        assert!(backend.set("a", "1").is_err());
        assert!(backend.set("a", "1").is_err());
        backend.set("a", "1").unwrap();
        assert_eq!(backend.get("a").unwrap().as_deref(), Some("1"));

        backend.ignore_next_deletes(1);
        backend.delete("a").unwrap();
        assert_eq!(backend.raw("a").as_deref(), Some("1"));
        backend.fail_next_deletes(1);
        assert!(backend.delete("a").is_err());
        backend.delete("a").unwrap();
        assert_eq!(backend.get("a").unwrap(), None);
        // Deleting what is not there is fine.
        backend.delete("a").unwrap();
    }

    #[test]
    fn memory_backend_limit_counts_utf16_bytes() {
        let backend = MemoryBackend::with_entry_limit(2560);
        backend.set("fits", &"a".repeat(1280)).unwrap();
        assert!(backend.set("too-long", &"a".repeat(1281)).is_err());
        assert_eq!(backend.names(), vec!["fits".to_owned()]);
    }

    #[test]
    fn keyring_errors_never_carry_stored_bytes() {
        let canary = "CANARY-7f3a-stored-value";
        let error = from_keyring(keyring::Error::BadEncoding(canary.as_bytes().to_vec()));
        assert!(!format!("{error} {error:?}").contains(canary));
        let error = from_keyring(keyring::Error::Ambiguous(Vec::new()));
        assert!(error.to_string().contains("0 keyring items"));
    }
}
