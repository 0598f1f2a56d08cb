//! Secrets too large for a keyring entry: encrypted files beside the keyring.
//!
//! A file holds a random 24-byte nonce followed by the XChaCha20-Poly1305 ciphertext of the
//! secret, with the entry's name as associated data, so a file copied over another name's file
//! does not decrypt. The 256-bit data key lives only in the keyring (hex-encoded).

use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead as _, KeyInit as _, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::TryRngCore as _;
use rand::rngs::OsRng;
use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

pub(crate) const KEY_BYTES: usize = 32;
const NONCE_BYTES: usize = 24;
const TAG_BYTES: usize = 16;

/// The name of the file that holds `name`'s secret: the hex SHA-256 of the name, so entry
/// names (which may contain tenant or account ids) do not show in the file system.
pub(crate) fn file_name(name: &str) -> String {
    format!("{}.bin", hex(&Sha256::digest(name.as_bytes())))
}

/// Whether `file` looks like a file [`file_name`] produces.
pub(crate) fn is_overflow_file(file: &str) -> bool {
    file.strip_suffix(".bin")
        .is_some_and(|stem| stem.len() == 64 && stem.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Fills `bytes` from the operating system's random source.
pub(crate) fn random(bytes: &mut [u8]) -> Result<(), String> {
    OsRng
        .try_fill_bytes(bytes)
        .map_err(|error| format!("the system random source failed: {error}"))
}

/// A new random data key, hex-encoded for the keyring.
pub(crate) fn new_key() -> Result<Zeroizing<String>, String> {
    let mut key = Zeroizing::new([0u8; KEY_BYTES]);
    random(key.as_mut())?;
    Ok(Zeroizing::new(hex(key.as_ref())))
}

/// Decodes a data key read from the keyring.
pub(crate) fn decode_key(text: &str) -> Option<Zeroizing<[u8; KEY_BYTES]>> {
    let text = text.as_bytes();
    if text.len() != KEY_BYTES * 2 {
        return None;
    }
    let mut key = Zeroizing::new([0u8; KEY_BYTES]);
    for (byte, pair) in key.iter_mut().zip(text.chunks_exact(2)) {
        *byte = (nibble(pair[0])? << 4) | nibble(pair[1])?;
    }
    Some(key)
}

/// `nonce || ciphertext` of `secret`, bound to `name`.
pub(crate) fn seal(key: &[u8; KEY_BYTES], name: &str, secret: &str) -> Result<Vec<u8>, String> {
    let cipher = XChaCha20Poly1305::new_from_slice(key).map_err(|_| "bad key length")?;
    let mut nonce = [0u8; NONCE_BYTES];
    random(&mut nonce)?;
    let ciphertext = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: secret.as_bytes(),
                aad: name.as_bytes(),
            },
        )
        .map_err(|_| "encryption failed")?;
    let mut sealed = Vec::with_capacity(NONCE_BYTES + ciphertext.len());
    sealed.extend_from_slice(&nonce);
    sealed.extend_from_slice(&ciphertext);
    Ok(sealed)
}

/// The secret in `sealed`, if it was sealed for `name` under `key` and not changed since.
pub(crate) fn open(
    key: &[u8; KEY_BYTES],
    name: &str,
    sealed: &[u8],
) -> Result<Zeroizing<String>, &'static str> {
    if sealed.len() < NONCE_BYTES + TAG_BYTES {
        return Err("its encrypted file is truncated");
    }
    let (nonce, ciphertext) = sealed.split_at(NONCE_BYTES);
    let cipher = XChaCha20Poly1305::new_from_slice(key).map_err(|_| "bad key length")?;
    let plain = Zeroizing::new(
        cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: name.as_bytes(),
                },
            )
            .map_err(|_| {
                "its encrypted file does not decrypt: the file was changed, belongs to another \
                 secret, or was encrypted with a key that is no longer in the keyring"
            })?,
    );
    let text = std::str::from_utf8(&plain).map_err(|_| "the decrypted secret is not text")?;
    Ok(Zeroizing::new(text.to_owned()))
}

/// Creates `dir` (and its parents) if needed, readable only by the user on Unix.
fn private_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt as _, PermissionsExt as _};
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        let mode = fs::metadata(dir)?.permissions().mode() & 0o777;
        if mode != 0o700 {
            fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        fs::create_dir_all(dir)
    }
}

/// A new file, readable only by the user on Unix; fails if it exists.
fn create_private(path: &Path) -> io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options.open(path)
}

/// Writes `bytes` to `dir/file` atomically: a temporary file in the same directory, flushed,
/// then renamed over the target. On failure the temporary file is removed.
pub(crate) fn write_atomically(dir: &Path, file: &str, bytes: &[u8]) -> io::Result<PathBuf> {
    private_dir(dir)?;
    let target = dir.join(file);
    let temporary = dir.join(format!(".{file}.{:016x}.tmp", rand::random::<u64>()));
    let written = (|| {
        let mut out = create_private(&temporary)?;
        out.write_all(bytes)?;
        out.sync_all()?;
        drop(out);
        fs::rename(&temporary, &target)?;
        // Make the rename itself durable. Directories cannot be opened for syncing on Windows.
        #[cfg(unix)]
        fs::File::open(dir)?.sync_all()?;
        Ok(())
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    written.map(|()| target)
}

/// Removes `path`; a file that is not there counts as removed.
pub(crate) fn remove(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
        _ => Ok(()),
    }
}

/// Whether anything exists at `path` (a broken symbolic link counts).
pub(crate) fn exists(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok()
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    text
}

fn nibble(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> Zeroizing<[u8; KEY_BYTES]> {
        decode_key(&new_key().unwrap()).unwrap()
    }

    #[test]
    fn keys_round_trip_through_hex() {
        let text = new_key().unwrap();
        assert_eq!(text.len(), 64);
        let key = decode_key(&text).unwrap();
        assert_eq!(hex(key.as_ref()), *text);
        assert!(decode_key("zz").is_none());
        assert!(decode_key(&"g".repeat(64)).is_none());
        assert_ne!(*new_key().unwrap(), *text, "keys are random");
    }

    #[test]
    fn sealed_secrets_open_only_for_their_name_and_key() {
        let key = key();
        let sealed = seal(&key, "a", "secret text").unwrap();
        assert_eq!(sealed.len(), NONCE_BYTES + "secret text".len() + TAG_BYTES);
        assert_eq!(open(&key, "a", &sealed).unwrap().as_str(), "secret text");
        assert!(open(&key, "b", &sealed).is_err(), "bound to the name");
        assert!(
            open(&self::key(), "a", &sealed).is_err(),
            "bound to the key"
        );
        let mut flipped = sealed.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert!(open(&key, "a", &flipped).is_err());
        assert!(open(&key, "a", &sealed[..20]).is_err());
        assert_ne!(
            seal(&key, "a", "secret text").unwrap(),
            sealed,
            "fresh nonce"
        );
    }

    #[test]
    fn file_names_are_hashes() {
        let name = file_name("refresh-token:tenant");
        assert!(is_overflow_file(&name), "{name}");
        assert!(!name.contains("tenant"));
        assert!(!is_overflow_file(".x.bin.1.tmp"));
        // SHA-256 of the empty string.
        assert_eq!(
            file_name(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855.bin"
        );
    }
}
