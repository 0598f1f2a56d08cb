//! Safehold's secrets (refresh tokens, service-principal client secrets, certificate PEMs) in
//! the OS keyring: the login keychain on macOS, Credential Manager on Windows, and the Secret
//! Service (GNOME Keyring, KeePassXC) on Linux.
//!
//! Each secret is one keyring entry of the app's service, named by the caller. A secret larger
//! than [`ENTRY_LIMIT_BYTES`] (a certificate with its key, a long token) does not fit every
//! keyring, so on every platform it is encrypted with XChaCha20-Poly1305 into a file under the
//! overflow directory, and its entry holds only a marker naming that file. The data key is a
//! keyring entry too and is never written to disk.
//!
//! There is no fallback: without a keyring [`SecretStore::open_os`] fails with
//! [`StoreError::Unavailable`] and nothing is saved anywhere. A [`SecretStore::put`] that fails
//! part-way removes what it wrote and checks that nothing of that name is left; a
//! [`SecretStore::replace`] that fails puts the previous secret back instead (a rotated refresh
//! token). Values never appear in errors, `Debug` output or logs.
//!
//! ```no_run
//! # fn main() -> Result<(), safehold_keystore::StoreError> {
//! use safehold_keystore::SecretStore;
//! let overflow_dir = "/home/me/.local/share/dev.safehold.desktop/secrets".into();
//! let store = SecretStore::open_os("dev.safehold.desktop", overflow_dir)?;
//! store.put("refresh-token", "0.AVYA…")?;
//! let token = store.get("refresh-token")?; // Some(Zeroizing<String>)
//! store.delete_all(&["refresh-token"])?;
//! # Ok(()) }
//! ```

mod backend;
mod error;
mod overflow;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use zeroize::Zeroizing;

pub use backend::{Backend, BackendError, KeyringBackend, MemoryBackend};
pub use error::StoreError;

/// The largest secret kept directly in a keyring entry, in bytes. Windows Credential Manager
/// takes at most 2,560 bytes per entry and stores text as UTF-16, so a secret's size is the larger
/// of its UTF-8 and UTF-16 sizes: up to 1,024 ASCII characters stay in the entry. Applied on every
/// platform, so a secret is stored the same way everywhere.
pub const ENTRY_LIMIT_BYTES: usize = 2048;

/// The entry that holds the data key of the overflow files. Reserved.
pub const OVERFLOW_KEY_NAME: &str = "overflow-key";

/// The entry [`SecretStore::open`] writes and removes to check the keyring works. Reserved.
pub const PROBE_NAME: &str = "probe";

/// What an entry holds when its secret is in an overflow file: this, then the file's name.
const MARKER_PREFIX: &str = "overflow:v1:";

/// Secrets in a keyring, large ones encrypted in files beside it.
///
/// Operations of one store are serialized; two stores on the same service and directory (for
/// example two running copies of the app) are not coordinated.
pub struct SecretStore {
    backend: Box<dyn Backend>,
    overflow_dir: PathBuf,
    service: Option<String>,
    lock: Mutex<()>,
}

impl fmt::Debug for SecretStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretStore")
            .field("service", &self.service)
            .field("overflow_dir", &self.overflow_dir)
            .finish_non_exhaustive()
    }
}

impl SecretStore {
    /// A store on `backend`, with overflow files in `overflow_dir` (created when first needed,
    /// private to the user). Checks that the backend works by writing, reading back and removing
    /// a probe entry; if any step fails the result is [`StoreError::Unavailable`].
    pub fn open(backend: Box<dyn Backend>, overflow_dir: PathBuf) -> Result<Self, StoreError> {
        Self::open_inner(backend, overflow_dir, None)
    }

    /// A store on the OS keyring, with entries under `service` (Safehold's application id).
    pub fn open_os(service: &str, overflow_dir: PathBuf) -> Result<Self, StoreError> {
        Self::open_inner(
            Box::new(KeyringBackend::new(service)),
            overflow_dir,
            Some(service.to_owned()),
        )
    }

    fn open_inner(
        backend: Box<dyn Backend>,
        overflow_dir: PathBuf,
        service: Option<String>,
    ) -> Result<Self, StoreError> {
        let store = Self {
            backend,
            overflow_dir,
            service,
            lock: Mutex::new(()),
        };
        match store.probe() {
            Ok(()) => {
                tracing::debug!(service = ?store.service, "keyring available");
                Ok(store)
            }
            Err(detail) => {
                tracing::warn!(service = ?store.service, %detail, "no usable keyring");
                Err(StoreError::Unavailable { detail })
            }
        }
    }

    fn probe(&self) -> Result<(), String> {
        let mut nonce = [0u8; 8];
        overflow::random(&mut nonce)?;
        let value = format!("probe-{}", overflow::hex(&nonce));
        self.backend
            .set(PROBE_NAME, &value)
            .map_err(|error| format!("writing a test entry failed: {error}"))?;
        let read = self.backend.get(PROBE_NAME);
        let removed = self.backend.delete(PROBE_NAME);
        match read {
            Ok(Some(read)) if read == value => {}
            Ok(_) => return Err("a test entry did not read back as written".to_owned()),
            Err(error) => return Err(format!("reading a test entry failed: {error}")),
        }
        removed.map_err(|error| format!("removing a test entry failed: {error}"))?;
        match self.backend.get(PROBE_NAME) {
            Ok(None) => Ok(()),
            Ok(Some(_)) => Err("a test entry was still there after removal".to_owned()),
            Err(error) => Err(format!("reading a test entry failed: {error}")),
        }
    }

    /// The directory of the overflow files.
    pub fn overflow_dir(&self) -> &Path {
        &self.overflow_dir
    }

    /// Saves `secret` under `name`, replacing what was there.
    ///
    /// If any step fails, the entry and its file are removed, so that nothing of `name` is left
    /// (not the previous secret either), and the result is [`StoreError::WriteFailed`]. To keep
    /// the previous secret when the new one cannot be saved, use [`SecretStore::replace`].
    pub fn put(&self, name: &str, secret: &str) -> Result<(), StoreError> {
        check_name(name)?;
        let _guard = self.lock();
        let mut created_key = false;
        let written = if fits_entry(secret) {
            self.put_inline(name, secret)
        } else {
            self.put_overflow(name, secret, &mut created_key)
        };
        match written {
            Ok(how) => {
                tracing::debug!(name, how, "secret saved");
                Ok(())
            }
            Err(detail) => {
                let cleanup_verified = self.clean_up_failed_write(name, created_key);
                tracing::warn!(name, %detail, cleanup_verified, "saving a secret failed");
                Err(StoreError::WriteFailed {
                    name: name.to_owned(),
                    detail,
                    cleanup_verified,
                })
            }
        }
    }

    fn put_inline(&self, name: &str, secret: &str) -> Result<&'static str, String> {
        self.set_verified(name, secret)?;
        // A secret that used to be large leaves its file behind: remove it.
        let file = self.overflow_path(name);
        overflow::remove(&file)
            .map_err(|error| format!("could not remove {}: {error}", file.display()))?;
        Ok("in the keyring entry")
    }

    fn put_overflow(
        &self,
        name: &str,
        secret: &str,
        created_key: &mut bool,
    ) -> Result<&'static str, String> {
        let path = self.seal_to_file(name, secret, created_key)?;
        self.set_verified(name, &marker(name))?;
        tracing::debug!(name, file = %path.display(), "large secret encrypted to a file");
        Ok("encrypted in an overflow file")
    }

    /// Saves `secret` under `name` in place of what was there, keeping the previous secret when
    /// the new one cannot be saved (a rotated refresh token must not cost the one that works).
    ///
    /// The new value is written before anything of the old one is removed: a keyring entry is
    /// overwritten in place, and an overflow file is replaced by an atomic rename. If a step
    /// fails, what the write changed is put back and the result is [`StoreError::ReplaceFailed`],
    /// which says whether the previous secret could be confirmed to be there.
    pub fn replace(&self, name: &str, secret: &str) -> Result<(), StoreError> {
        check_name(name)?;
        let _guard = self.lock();
        let previous = self
            .backend
            .get(name)
            .map_err(|error| StoreError::ReadFailed {
                name: name.to_owned(),
                detail: error.to_string(),
            })?
            .map(Zeroizing::new);
        let previous_in_file = previous
            .as_deref()
            .is_some_and(|entry| entry.starts_with(MARKER_PREFIX));
        let mut created_key = false;
        let written = if fits_entry(secret) {
            self.replace_inline(name, secret)
        } else {
            self.replace_overflow(name, secret, previous.as_deref(), &mut created_key)
        };
        match written {
            Ok(how) => {
                tracing::debug!(name, how, "secret replaced");
                Ok(())
            }
            Err(detail) => {
                let previous_kept = self.restore_previous(
                    name,
                    previous.as_deref().map(String::as_str),
                    previous_in_file,
                    created_key,
                );
                tracing::warn!(name, %detail, previous_kept, "replacing a secret failed");
                Err(StoreError::ReplaceFailed {
                    name: name.to_owned(),
                    detail,
                    previous_kept,
                })
            }
        }
    }

    fn replace_inline(&self, name: &str, secret: &str) -> Result<&'static str, String> {
        self.set_verified(name, secret)?;
        // The new secret is in place; a file the previous one used is now only clutter, and
        // failing to remove it does not make the replacement fail.
        let file = self.overflow_path(name);
        if let Err(error) = overflow::remove(&file) {
            tracing::warn!(name, %error, "could not remove the previous secret's file");
        }
        Ok("in the keyring entry")
    }

    fn replace_overflow(
        &self,
        name: &str,
        secret: &str,
        previous: Option<&String>,
        created_key: &mut bool,
    ) -> Result<&'static str, String> {
        let path = self.seal_to_file(name, secret, created_key)?;
        // When the entry already points at this file, the rename above was the whole
        // replacement: the entry is not touched, so it cannot fail half-way.
        let marker = marker(name);
        if previous.map(String::as_str) != Some(marker.as_str()) {
            self.set_verified(name, &marker)?;
        }
        tracing::debug!(name, file = %path.display(), "large secret encrypted to a file");
        Ok("encrypted in an overflow file")
    }

    /// Puts back what a failed [`SecretStore::replace`] changed and reports whether the
    /// previous entry (and its file, if it had one) is confirmed to be there.
    fn restore_previous(
        &self,
        name: &str,
        previous: Option<&str>,
        previous_in_file: bool,
        created_key: bool,
    ) -> bool {
        let current = self.backend.get(name).map(|read| read.map(Zeroizing::new));
        let entry_kept = match (&current, previous) {
            (Ok(current), previous) if current.as_deref().map(String::as_str) == previous => true,
            (_, Some(previous)) => self.set_verified(name, previous).is_ok(),
            (_, None) => {
                let _ = self.backend.delete(name);
                matches!(self.backend.get(name), Ok(None))
            }
        };
        let file = self.overflow_path(name);
        if previous_in_file {
            entry_kept && overflow::exists(&file)
        } else {
            // A file written for the new secret protects nothing the entry points at.
            if let Err(error) = overflow::remove(&file) {
                tracing::warn!(name, %error, "cleanup: could not remove the new file");
            }
            // A data key made for this write protects nothing yet.
            if created_key && let Err(error) = self.backend.delete(OVERFLOW_KEY_NAME) {
                tracing::warn!(%error, "cleanup: could not remove the new data key");
            }
            entry_kept && !overflow::exists(&file)
        }
    }

    /// Encrypts `secret` into `name`'s overflow file (atomically replacing it), creating the
    /// data key first if there is none.
    fn seal_to_file(
        &self,
        name: &str,
        secret: &str,
        created_key: &mut bool,
    ) -> Result<PathBuf, String> {
        let key = match self
            .backend
            .get(OVERFLOW_KEY_NAME)
            .map_err(|error| format!("could not read the data key: {error}"))?
        {
            Some(text) => overflow::decode_key(&Zeroizing::new(text)).ok_or_else(|| {
                format!(
                    "the data key in the keyring entry '{OVERFLOW_KEY_NAME}' is damaged; \
                     remove that entry and the files in {}",
                    self.overflow_dir.display()
                )
            })?,
            None => {
                let text = overflow::new_key()?;
                *created_key = true;
                self.set_verified(OVERFLOW_KEY_NAME, &text)
                    .map_err(|error| format!("could not save the data key: {error}"))?;
                tracing::info!("created the data key for large secrets");
                overflow::decode_key(&text).ok_or("a new data key did not decode")?
            }
        };
        let sealed = overflow::seal(&key, name, secret)?;
        overflow::write_atomically(&self.overflow_dir, &overflow::file_name(name), &sealed).map_err(
            |error| {
                format!(
                    "could not write the encrypted file in {}: {error}",
                    self.overflow_dir.display()
                )
            },
        )
    }

    /// Sets an entry and reads it back.
    fn set_verified(&self, name: &str, value: &str) -> Result<(), String> {
        self.backend.set(name, value).map_err(|e| e.to_string())?;
        match self.backend.get(name).map(|read| read.map(Zeroizing::new)) {
            Ok(Some(read)) if read.as_str() == value => Ok(()),
            Ok(_) => Err("the keyring did not return what was written".to_owned()),
            Err(error) => Err(format!("could not read back what was written: {error}")),
        }
    }

    /// Removes whatever a failed write of `name` may have left and reports whether it could
    /// confirm that neither an entry nor a file of that name remains.
    fn clean_up_failed_write(&self, name: &str, created_key: bool) -> bool {
        if let Err(error) = self.backend.delete(name) {
            tracing::warn!(name, %error, "cleanup: could not remove the entry");
        }
        let file = self.overflow_path(name);
        if let Err(error) = overflow::remove(&file) {
            tracing::warn!(name, %error, "cleanup: could not remove the file");
        }
        // A data key made for this write protects nothing yet.
        if created_key && let Err(error) = self.backend.delete(OVERFLOW_KEY_NAME) {
            tracing::warn!(%error, "cleanup: could not remove the new data key");
        }
        matches!(self.backend.get(name), Ok(None)) && !overflow::exists(&file)
    }

    /// The secret saved under `name`, or `None` if there is none. A large secret whose file is
    /// missing or was changed is [`StoreError::Corrupt`]: a damaged value is never returned.
    pub fn get(&self, name: &str) -> Result<Option<Zeroizing<String>>, StoreError> {
        check_name(name)?;
        let _guard = self.lock();
        let read_failed = |detail: String| StoreError::ReadFailed {
            name: name.to_owned(),
            detail,
        };
        let corrupt = |detail: String| {
            tracing::warn!(name, %detail, "stored secret is damaged");
            StoreError::Corrupt {
                name: name.to_owned(),
                detail,
            }
        };
        let Some(entry) = self
            .backend
            .get(name)
            .map_err(|error| read_failed(error.to_string()))?
            .map(Zeroizing::new)
        else {
            tracing::debug!(name, "no such secret");
            return Ok(None);
        };
        let Some(file) = entry.strip_prefix(MARKER_PREFIX) else {
            tracing::debug!(name, "secret read from the keyring entry");
            return Ok(Some(entry));
        };
        if file != overflow::file_name(name) {
            return Err(corrupt(
                "its keyring entry points at a file of another name".to_owned(),
            ));
        }
        let path = self.overflow_dir.join(file);
        let sealed = match std::fs::read(&path) {
            Ok(sealed) => sealed,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Err(corrupt(format!(
                    "its encrypted file {} is missing",
                    path.display()
                )));
            }
            Err(error) => {
                return Err(read_failed(format!(
                    "could not read {}: {error}",
                    path.display()
                )));
            }
        };
        let key_text = self
            .backend
            .get(OVERFLOW_KEY_NAME)
            .map_err(|error| read_failed(format!("could not read the data key: {error}")))?
            .map(Zeroizing::new)
            .ok_or_else(|| {
                corrupt(format!(
                    "the data key (keyring entry '{OVERFLOW_KEY_NAME}') is missing"
                ))
            })?;
        let key = overflow::decode_key(&key_text).ok_or_else(|| {
            corrupt(format!(
                "the data key (keyring entry '{OVERFLOW_KEY_NAME}') is damaged"
            ))
        })?;
        let secret =
            overflow::open(&key, name, &sealed).map_err(|detail| corrupt(detail.to_owned()))?;
        tracing::debug!(name, "secret decrypted from its overflow file");
        Ok(Some(secret))
    }

    /// Removes the secret `name` (its entry and any file), then checks that both are gone.
    /// Removing a secret that does not exist succeeds.
    pub fn delete(&self, name: &str) -> Result<(), StoreError> {
        check_name(name)?;
        let _guard = self.lock();
        self.delete_locked(name)
    }

    fn delete_locked(&self, name: &str) -> Result<(), StoreError> {
        let mut problems = Vec::new();
        if let Err(error) = self.backend.delete(name) {
            problems.push(format!("the keyring entry could not be removed: {error}"));
        }
        let file = self.overflow_path(name);
        if let Err(error) = overflow::remove(&file) {
            problems.push(format!("{} could not be removed: {error}", file.display()));
        }
        match self.backend.get(name) {
            Ok(None) => {}
            Ok(Some(_)) => problems.push("the keyring entry is still there".to_owned()),
            Err(error) => problems.push(format!("could not check the entry is gone: {error}")),
        }
        if overflow::exists(&file) {
            problems.push(format!("{} is still there", file.display()));
        }
        if problems.is_empty() {
            tracing::debug!(name, "secret removed");
            Ok(())
        } else {
            let detail = problems.join("; ");
            tracing::warn!(name, %detail, "removing a secret failed");
            Err(StoreError::DeleteFailed {
                name: name.to_owned(),
                detail,
            })
        }
    }

    /// Removes every secret in `names` (sign-out), each checked as in [`SecretStore::delete`].
    /// A failure does not stop the others; all failures come back in one
    /// [`StoreError::Incomplete`]. When no overflow file is left afterwards, the data key is
    /// removed too, so a full sign-out leaves nothing in the keyring.
    pub fn delete_all(&self, names: &[&str]) -> Result<(), StoreError> {
        let _guard = self.lock();
        let mut failures = Vec::new();
        for name in names {
            if let Err(error) = check_name(name).and_then(|()| self.delete_locked(name)) {
                failures.push(error);
            }
        }
        match self.overflow_files_left() {
            Ok(false) => {
                if let Err(error) = self.delete_locked(OVERFLOW_KEY_NAME) {
                    failures.push(error);
                }
            }
            Ok(true) => tracing::debug!("overflow files remain: the data key stays"),
            Err(error) => tracing::warn!(%error, "could not list the overflow files"),
        }
        tracing::info!(
            count = names.len(),
            failed = failures.len(),
            "removed secrets"
        );
        if failures.is_empty() {
            Ok(())
        } else {
            Err(StoreError::Incomplete { failures })
        }
    }

    fn overflow_files_left(&self) -> std::io::Result<bool> {
        let entries = match std::fs::read_dir(&self.overflow_dir) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(error) => return Err(error),
        };
        for entry in entries {
            if entry?
                .file_name()
                .to_str()
                .is_some_and(overflow::is_overflow_file)
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn overflow_path(&self, name: &str) -> PathBuf {
        self.overflow_dir.join(overflow::file_name(name))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ()> {
        self.lock.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What the entry of `name` holds when its secret is in an overflow file.
fn marker(name: &str) -> String {
    format!("{MARKER_PREFIX}{}", overflow::file_name(name))
}

/// Whether `secret` goes straight into a keyring entry. A secret that looks like a marker is
/// always encrypted to a file, so that an entry starting with the marker is never a secret.
fn fits_entry(secret: &str) -> bool {
    let stored = secret.len().max(secret.encode_utf16().count() * 2);
    stored <= ENTRY_LIMIT_BYTES && !secret.starts_with(MARKER_PREFIX)
}

fn check_name(name: &str) -> Result<(), StoreError> {
    let reason = if name.is_empty() {
        "it is empty"
    } else if name == OVERFLOW_KEY_NAME || name == PROBE_NAME {
        "the key store reserves it"
    } else {
        return Ok(());
    };
    Err(StoreError::InvalidName {
        name: name.to_owned(),
        reason,
    })
}

#[cfg(test)]
mod tests;
