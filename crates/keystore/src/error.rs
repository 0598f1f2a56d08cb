//! What can go wrong, in words a user can act on. No message ever contains a secret value: only
//! entry names, file paths and the keyring's own description of a failure.

/// A failure of the [`SecretStore`](crate::SecretStore). `Display` is the user-facing message;
/// [`StoreError::suggestion`] says what to do about it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// There is no usable OS keyring. Nothing is saved anywhere else.
    #[error("{}", unavailable_message(.detail))]
    Unavailable {
        /// What the keyring answered when Safehold tried it.
        detail: String,
    },
    /// A secret could not be saved. What the failed write left behind was removed; whether
    /// that removal could be confirmed is in `cleanup_verified`.
    #[error(
        "Could not save the secret '{name}' in the keyring: {detail}. {}",
        if *.cleanup_verified {
            "Nothing of it was kept."
        } else {
            "Safehold could not confirm that the incomplete entry was removed."
        }
    )]
    WriteFailed {
        /// The entry's name.
        name: String,
        /// What failed.
        detail: String,
        /// Whether Safehold checked afterwards that neither a keyring entry nor a file of
        /// this name is left.
        cleanup_verified: bool,
    },
    /// A secret could not be replaced. What the failed write changed was put back; whether the
    /// previous secret could be confirmed to be there is in `previous_kept`.
    #[error(
        "Could not save the new secret '{name}' in the keyring: {detail}. {}",
        if *.previous_kept {
            "The previous one is kept."
        } else {
            "Safehold could not confirm that the previous one is still there."
        }
    )]
    ReplaceFailed {
        /// The entry's name.
        name: String,
        /// What failed.
        detail: String,
        /// Whether Safehold checked afterwards that the previous entry (and its file, if it
        /// had one) is there as before.
        previous_kept: bool,
    },
    /// A secret could not be read (the keyring failed, or its file could not be read).
    #[error("Could not read the secret '{name}': {detail}")]
    ReadFailed {
        /// The entry's name.
        name: String,
        /// What failed.
        detail: String,
    },
    /// A stored secret is damaged (its encrypted file is missing or was changed, or the key
    /// that encrypts it is gone). Safehold never returns a damaged value.
    #[error("The stored secret '{name}' is damaged and cannot be used: {detail}")]
    Corrupt {
        /// The entry's name.
        name: String,
        /// What is wrong.
        detail: String,
    },
    /// A secret could not be removed, or is still there after removal.
    #[error("Could not remove the secret '{name}': {detail}")]
    DeleteFailed {
        /// The entry's name.
        name: String,
        /// What failed.
        detail: String,
    },
    /// Removing several secrets (sign-out) left some behind. Every name was tried.
    #[error(
        "Some secrets could not be removed: {}",
        .failures.iter().map(ToString::to_string).collect::<Vec<_>>().join(" ")
    )]
    Incomplete {
        /// One error per secret that could not be removed.
        failures: Vec<StoreError>,
    },
    /// The name cannot be used for a secret.
    #[error("'{name}' cannot be used as the name of a secret: {reason}")]
    InvalidName {
        /// The rejected name.
        name: String,
        /// Why.
        reason: &'static str,
    },
}

impl StoreError {
    /// What the user can do about this error.
    pub fn suggestion(&self) -> String {
        match self {
            StoreError::Unavailable { .. } => UNAVAILABLE_SUGGESTION.to_owned(),
            StoreError::WriteFailed {
                cleanup_verified: true,
                ..
            } => "Make sure the keyring is unlocked and try again.".to_owned(),
            StoreError::WriteFailed {
                name,
                cleanup_verified: false,
                ..
            } => format!(
                "Open your keyring manager ({KEYRING_MANAGER}), delete Safehold's entry '{name}' \
                 if it is there, then try again."
            ),
            StoreError::ReplaceFailed {
                previous_kept: true,
                ..
            } => "Make sure the keyring is unlocked and try again.".to_owned(),
            StoreError::ReplaceFailed {
                name,
                previous_kept: false,
                ..
            } => format!(
                "Make sure the keyring is unlocked, then sign in again if Safehold asks: the \
                 entry '{name}' in your keyring manager ({KEYRING_MANAGER}) may be incomplete."
            ),
            StoreError::ReadFailed { .. } => {
                "Make sure the keyring is unlocked and try again.".to_owned()
            }
            StoreError::Corrupt { .. } => {
                "Sign in again or enter the secret again: Safehold replaces the damaged copy."
                    .to_owned()
            }
            StoreError::DeleteFailed { name, .. } => format!(
                "Make sure the keyring is unlocked and try again, or delete Safehold's entry \
                 '{name}' in your keyring manager ({KEYRING_MANAGER})."
            ),
            StoreError::Incomplete { .. } => format!(
                "Make sure the keyring is unlocked and sign out again, or delete the entries \
                 named above in your keyring manager ({KEYRING_MANAGER})."
            ),
            StoreError::InvalidName { .. } => {
                "This is a bug in Safehold: please report it.".to_owned()
            }
        }
    }
}

fn unavailable_message(detail: &str) -> String {
    format!(
        "No OS keyring is available{UNAVAILABLE_WHERE}, so Safehold cannot keep secrets: nothing \
         will be saved (no sign-in, client secret or certificate is written anywhere else). \
         The keyring said: {detail}"
    )
}

#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
const UNAVAILABLE_WHERE: &str = " (no usable Secret Service on the D-Bus session bus)";
#[cfg(target_os = "macos")]
const UNAVAILABLE_WHERE: &str = " (the login keychain could not be used)";
#[cfg(target_os = "windows")]
const UNAVAILABLE_WHERE: &str = " (Windows Credential Manager could not be used)";
#[cfg(not(any(
    target_os = "linux",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "macos",
    target_os = "windows"
)))]
const UNAVAILABLE_WHERE: &str = " (Safehold knows no keyring on this system)";

#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
const UNAVAILABLE_SUGGESTION: &str = "Install a Secret Service and run Safehold in a D-Bus \
    session. On Debian or Ubuntu: `sudo apt install gnome-keyring` (or install KeePassXC and \
    turn on Settings → Secret Service Integration). A desktop session starts the D-Bus session \
    bus and unlocks the keyring at login; in an SSH or bare terminal session start one with \
    `dbus-run-session -- safehold`. Unlock the keyring if it asks, then restart Safehold.";
#[cfg(target_os = "macos")]
const UNAVAILABLE_SUGGESTION: &str = "Safehold keeps secrets in your login keychain. Open \
    Keychain Access, check that the login keychain exists and is unlocked (File → Unlock \
    Keychain \"login\"), then restart Safehold.";
#[cfg(target_os = "windows")]
const UNAVAILABLE_SUGGESTION: &str = "Safehold keeps secrets in Windows Credential Manager. Sign \
    in with a regular user profile (not a temporary or mandatory one), check that the \
    Credential Manager service is running (services.msc → Credential Manager), then restart \
    Safehold.";
#[cfg(not(any(
    target_os = "linux",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "macos",
    target_os = "windows"
)))]
const UNAVAILABLE_SUGGESTION: &str = "Run Safehold on Linux, macOS or Windows.";

#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
const KEYRING_MANAGER: &str = "for example Seahorse, \"Passwords and Keys\", or KeePassXC";
#[cfg(target_os = "macos")]
const KEYRING_MANAGER: &str = "Keychain Access";
#[cfg(target_os = "windows")]
const KEYRING_MANAGER: &str = "Credential Manager";
#[cfg(not(any(
    target_os = "linux",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "macos",
    target_os = "windows"
)))]
const KEYRING_MANAGER: &str = "your system's keyring manager";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unavailable_says_nothing_is_saved_and_what_to_install() {
        let error = StoreError::Unavailable {
            detail: "D-Bus error: connection refused".to_owned(),
        };
        let message = error.to_string();
        assert!(
            message.starts_with("No OS keyring is available"),
            "{message}"
        );
        assert!(message.contains("nothing will be saved"), "{message}");
        assert!(message.contains("connection refused"), "{message}");
        let suggestion = error.suggestion();
        if cfg!(target_os = "linux") {
            assert!(message.contains("Secret Service"), "{message}");
            for needed in ["gnome-keyring", "KeePassXC", "D-Bus", "Debian or Ubuntu"] {
                assert!(
                    suggestion.contains(needed),
                    "{needed} missing: {suggestion}"
                );
            }
        }
    }

    #[test]
    fn every_error_has_a_suggestion() {
        let name = || "refresh-token".to_owned();
        let detail = || "it failed".to_owned();
        let errors = [
            StoreError::Unavailable { detail: detail() },
            StoreError::WriteFailed {
                name: name(),
                detail: detail(),
                cleanup_verified: true,
            },
            StoreError::WriteFailed {
                name: name(),
                detail: detail(),
                cleanup_verified: false,
            },
            StoreError::ReplaceFailed {
                name: name(),
                detail: detail(),
                previous_kept: true,
            },
            StoreError::ReplaceFailed {
                name: name(),
                detail: detail(),
                previous_kept: false,
            },
            StoreError::ReadFailed {
                name: name(),
                detail: detail(),
            },
            StoreError::Corrupt {
                name: name(),
                detail: detail(),
            },
            StoreError::DeleteFailed {
                name: name(),
                detail: detail(),
            },
            StoreError::Incomplete {
                failures: vec![StoreError::DeleteFailed {
                    name: name(),
                    detail: detail(),
                }],
            },
            StoreError::InvalidName {
                name: name(),
                reason: "reserved",
            },
        ];
        for error in errors {
            assert!(!error.to_string().is_empty());
            assert!(error.suggestion().len() > 20, "{error:?}");
        }
    }

    #[test]
    fn incomplete_names_every_failure() {
        let error = StoreError::Incomplete {
            failures: vec![
                StoreError::DeleteFailed {
                    name: "a".to_owned(),
                    detail: "x".to_owned(),
                },
                StoreError::DeleteFailed {
                    name: "b".to_owned(),
                    detail: "y".to_owned(),
                },
            ],
        };
        let message = error.to_string();
        assert!(
            message.contains("'a'") && message.contains("'b'"),
            "{message}"
        );
    }
}
