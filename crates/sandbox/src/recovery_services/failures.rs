//! Every failure Recovery Services produces in the sandbox, one entry each: the symbolic code, the
//! integer a job reports with it, the HTTP status of a request that fails this way, the message
//! and what to do about it.
//!
//! Failures come in two kinds. A job failure (a backup that cannot read the key vault, a restore
//! whose keys are gone) is stored with its job and shown in `errorDetails[]` and the protected
//! item's `healthDetails[]`: code as `errorTitle`, integer as `errorCode`. A request failure is
//! answered at once with ARM's error envelope. A few are both: a refused "enable protection" is a
//! failed ConfigureBackup job and the 400 of its operation result.
//!
//! Where the service's troubleshooting guide documents a code, the code and its facts are the
//! service's and the wording is ours. The guide publishes few integers; where it has none the
//! number is the sandbox's own ([`Number::Ours`]), since the schema wants an integer.
//!
//! Messages may hold `{name}` placeholders, filled by [`Failure::error_with`] and
//! [`Failure::message_with`]. Validation failures whose text says what exactly was wrong with a
//! request take that text from the caller ([`Failure::error_because`]); their entry's message
//! is the general meaning.

use axum::http::StatusCode;

use crate::arm::ArmError;
use crate::tenant::JobFailure;

/// The integer a job reports in `errorDetails[].errorCode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Number {
    /// The number the service's troubleshooting guide gives for the code.
    Documented(i64),
    /// A number of the sandbox's own, for a code whose number the service does not publish.
    Ours(i64),
}

impl Number {
    fn value(self) -> i64 {
        match self {
            Self::Documented(n) | Self::Ours(n) => n,
        }
    }
}

/// One failure: what the sandbox says when it happens.
#[derive(Debug)]
pub(crate) struct Failure {
    /// The symbolic code, e.g. `UserErrorKeyvaultPermissionsNotConfigured`.
    pub(crate) code: &'static str,
    /// The integer a job reports with it; `None` for failures only requests answer with.
    pub(crate) number: Option<Number>,
    /// The status of a request that fails this way (400 for the operation result of a refused
    /// "enable protection").
    pub(crate) status: StatusCode,
    /// The message, possibly with `{name}` placeholders.
    pub(crate) message: &'static str,
    /// What the user can do about it; `None` where the message says it already.
    pub(crate) recommendation: Option<&'static str>,
}

impl Failure {
    /// The message with each `{name}` replaced by its value.
    /// One pass over the message, so a value holding `{…}` is never read as a placeholder.
    pub(crate) fn message_with(&self, values: &[(&str, &str)]) -> String {
        let mut out = String::with_capacity(self.message.len());
        let mut rest = self.message;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let filled = after.find('}').and_then(|close| {
                let name = &after[..close];
                values
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, value)| (*value, close))
            });
            match filled {
                Some((value, close)) => {
                    out.push_str(value);
                    rest = &after[close + 1..];
                }
                None => {
                    out.push('{');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }

    /// The ARM error for a request that fails this way.
    pub(crate) fn error(&self) -> ArmError {
        ArmError::new(self.status, self.code, self.message)
    }

    /// The ARM error, its message's placeholders filled.
    pub(crate) fn error_with(&self, values: &[(&str, &str)]) -> ArmError {
        ArmError::new(self.status, self.code, self.message_with(values))
    }

    /// The ARM error with a message saying what exactly was wrong with the request.
    pub(crate) fn error_because(&self, detail: impl Into<String>) -> ArmError {
        ArmError::new(self.status, self.code, detail)
    }

    /// The failure as a job records it.
    pub(crate) fn job_failure(&self) -> JobFailure {
        JobFailure {
            code: self.code.to_owned(),
            numeric: self.number.map_or(0, Number::value),
            message: self.message.to_owned(),
            recommendation: self.recommendation.unwrap_or_default().to_owned(),
        }
    }
}

/// Declares the entries and the list of all of them, so none can be left out of the list.
macro_rules! catalogue {
    ($($(#[$doc:meta])* $name:ident = $entry:expr;)*) => {
        $($(#[$doc])* pub(crate) static $name: Failure = $entry;)*

        /// Every entry of the catalogue.
        #[cfg(test)]
        pub(crate) static ALL: &[&Failure] = &[$(&$name),*];
    };
}

catalogue! {
    // ---- Job failures: backups ----------------------------------------------------------------

    /// An encrypted VM's backup while the Backup Management Service cannot read its key vault(s)
    /// (troubleshooting guide: "UserErrorKeyvaultPermissionsNotConfigured").
    KEY_VAULT_ACCESS = Failure {
        code: "UserErrorKeyvaultPermissionsNotConfigured",
        number: Some(Number::Ours(400_110)),
        status: StatusCode::BAD_REQUEST,
        message: "Backup lacks the permissions on the key vault that it needs to back up this encrypted VM.",
        recommendation: Some("Give the Backup Management Service get, list and backup on the vault's keys and secrets (secrets only for BEK-only VMs), or the Key Vault Administrator role on an RBAC vault, then retry."),
    };
    /// A backup of a VM that no longer exists (the guide documents 400094 for this code).
    VM_GONE = Failure {
        code: "BCMV2VMNotFound",
        number: Some(Number::Documented(400_094)),
        status: StatusCode::BAD_REQUEST,
        message: "The virtual machine no longer exists.",
        recommendation: Some("Stop protection of this item, or restore the VM from a recovery point."),
    };
    /// A backup of a VM whose agent does not report Ready.
    AGENT_NOT_READY = Failure {
        code: "UserErrorGuestAgentStatusUnavailable",
        number: Some(Number::Ours(400_112)),
        status: StatusCode::BAD_REQUEST,
        message: "The VM agent does not answer, so Backup cannot take a snapshot.",
        recommendation: Some("Make sure the VM is running and its agent is installed, up to date and reporting Ready, then retry."),
    };

    // ---- Job failures: enabling protection ----------------------------------------------------

    /// Enabling protection of a BEK-only VM on managed disks where the 2017 support matrix
    /// applies: a failed ConfigureBackup job, and the 400 of its operation result.
    BEK_ONLY_VALIDATION = Failure {
        code: "UserErrorBekOnlyEncryptedVmNotSupported",
        number: Some(Number::Ours(400_115)),
        status: StatusCode::BAD_REQUEST,
        message: "Validation failed because the virtual machine is encrypted with a BEK only. Backup can be enabled only for VMs encrypted with both a BEK and a KEK.",
        recommendation: Some("Decrypt the VM, encrypt it again with a BEK and a KEK, then enable backup."),
    };

    // ---- Job failures: restores ---------------------------------------------------------------

    /// A restore of an encrypted point whose key vault is gone (the guide's restore table).
    RESTORE_VAULT_GONE = Failure {
        code: "UserErrorKeyVaultNotFound",
        number: Some(Number::Ours(400_120)),
        status: StatusCode::BAD_REQUEST,
        message: "This encrypted VM cannot be restored: the key vault that held its keys no longer exists.",
        recommendation: Some("Create a key vault, restore the key and secret into it from the backup, then restore the disks."),
    };
    /// A restore of an encrypted point whose key or secret version is gone.
    RESTORE_KEYS_GONE = Failure {
        code: "UserErrorKeyAndSecretNotFound",
        number: Some(Number::Ours(400_121)),
        status: StatusCode::BAD_REQUEST,
        message: "This encrypted VM cannot be restored: its key and secret no longer exist in the key vault.",
        recommendation: Some("Restore the key and secret from the backup into the key vault, then restore the disks."),
    };
    /// Creating a VM straight from an encrypted point (`AlternateLocation`), which Backup is not
    /// authorised to do: restore the disks instead.
    RESTORE_NOT_AUTHORISED = Failure {
        code: "UserErrorBackupNotAuthorizedInSubscription",
        number: Some(Number::Ours(400_122)),
        status: StatusCode::BAD_REQUEST,
        message: "Backup is not authorised to access resources in the target subscription.",
        recommendation: Some("Restore the disks, then create the VM from them yourself."),
    };

    // ---- Request failures: names and lookups --------------------------------------------------

    /// A classic (Service Manager) VM's container or item name.
    CLASSIC_VM = Failure {
        code: "UserErrorClassicVmNotSupported",
        number: None,
        status: StatusCode::BAD_REQUEST,
        message: "Encrypted classic virtual machines cannot be backed up; only Resource Manager VMs can.",
        recommendation: Some("Migrate the VM to Resource Manager, then protect it."),
    };
    /// A request that is not what the API takes; the caller says what was wrong.
    INVALID_INPUT = Failure {
        code: "BMSUserErrorInvalidInput",
        number: None,
        status: StatusCode::BAD_REQUEST,
        message: "The request is not valid.",
        recommendation: None,
    };
    /// A protected item the vault does not have.
    ITEM_NOT_FOUND = Failure {
        code: "BMSUserErrorObjectNotFound",
        number: None,
        status: StatusCode::NOT_FOUND,
        message: "The protected item '{name}' does not exist in this vault.",
        recommendation: None,
    };
    /// A backup policy the vault does not have.
    POLICY_NOT_FOUND = Failure {
        code: "BMSUserErrorPolicyNotFound",
        number: None,
        status: StatusCode::NOT_FOUND,
        message: "The backup policy '{name}' does not exist in this vault.",
        recommendation: None,
    };
    /// A recovery point the item does not have (yet).
    POINT_NOT_FOUND = Failure {
        code: "BMSUserErrorRecoveryPointNotFound",
        number: None,
        status: StatusCode::NOT_FOUND,
        message: "Recovery point '{id}' does not exist.",
        recommendation: None,
    };
    /// A job the vault does not have.
    JOB_NOT_FOUND = Failure {
        code: "BMSUserErrorJobNotFound",
        number: None,
        status: StatusCode::NOT_FOUND,
        message: "Job '{id}' does not exist.",
        recommendation: None,
    };
    /// A long-running operation the sandbox does not know (they live in memory only).
    OPERATION_NOT_FOUND = Failure {
        code: "BMSUserErrorOperationNotFound",
        number: None,
        status: StatusCode::NOT_FOUND,
        message: "Operation '{id}' does not exist.",
        recommendation: None,
    };
    /// A jobs `$filter` the sandbox cannot apply.
    INVALID_FILTER = Failure {
        code: "BMSUserErrorInvalidFilter",
        number: None,
        status: StatusCode::BAD_REQUEST,
        message: "The job filter is not valid: {why}.",
        recommendation: None,
    };

    // ---- Request failures: policies and vaults ------------------------------------------------

    /// A policy body the sandbox does not take; the caller says what was wrong.
    INVALID_POLICY = Failure {
        code: "BMSUserErrorInvalidPolicyInput",
        number: None,
        status: StatusCode::BAD_REQUEST,
        message: "The policy is not valid.",
        recommendation: None,
    };
    /// A change of storage redundancy on a vault that already protects items.
    REDUNDANCY_LOCKED = Failure {
        code: "BMSUserErrorStorageRedundancyChangeNotAllowed",
        number: None,
        status: StatusCode::BAD_REQUEST,
        message: "The storage redundancy of a vault cannot change once it protects items. Create another vault.",
        recommendation: None,
    };

    // ---- Request failures: protection and backups ---------------------------------------------

    /// Enabling protection of an encrypted VM with some disks excluded (troubleshooting guide:
    /// "UserErrorEncryptedVmNotSupportedWithDiskEx").
    DISK_EXCLUSION = Failure {
        code: "UserErrorEncryptedVmNotSupportedWithDiskEx",
        number: None,
        status: StatusCode::BAD_REQUEST,
        message: "Disk exclusion is not supported for encrypted virtual machines.",
        recommendation: Some("Back up every disk of an encrypted VM: leave out the disk exclusion settings."),
    };
    /// Enabling protection of a VM another vault protects.
    PROTECTED_ELSEWHERE = Failure {
        code: "UserErrorProtectedInAnotherVault",
        number: None,
        status: StatusCode::BAD_REQUEST,
        message: "The VM is already protected by the vault '{vault}'. Stop protection there first.",
        recommendation: None,
    };
    /// Enabling protection by a vault in another region than the VM.
    VM_IN_OTHER_REGION = Failure {
        code: "UserErrorVmNotInVaultRegion",
        number: None,
        status: StatusCode::BAD_REQUEST,
        message: "The VM is in '{vm_region}' and the vault in '{vault_region}'; a VM can only be protected by a vault in its region.",
        recommendation: None,
    };
    /// An on-demand backup while one of the same VM runs.
    BACKUP_IN_PROGRESS = Failure {
        code: "BMSUserErrorBackupOperationInProgress",
        number: None,
        status: StatusCode::BAD_REQUEST,
        message: "A backup of this VM is already in progress. Wait for it to finish.",
        recommendation: None,
    };

    // ---- Request failures: restores -----------------------------------------------------------

    /// Replacing the disks of an encrypted VM (`OriginalLocation`).
    REPLACE_DISKS_OF_ENCRYPTED_VM = Failure {
        code: "UserErrorReplaceDiskNotSupportedForEncryptedVm",
        number: None,
        status: StatusCode::BAD_REQUEST,
        message: "Replacing the disks of an encrypted VM is not supported; restore the disks instead.",
        recommendation: None,
    };
    /// Restoring an encrypted VM into another subscription (a code the service reports).
    CROSS_SUBSCRIPTION_RESTORE = Failure {
        code: "UserErrorCrossSubscriptionRestoreNotSupportedForEncryptedAzureVM",
        number: None,
        status: StatusCode::BAD_REQUEST,
        message: "Encrypted VMs can only be restored into the vault's own subscription.",
        recommendation: Some("Choose a staging storage account in the vault's subscription."),
    };
    /// A staging storage account the subscription does not have.
    STAGING_ACCOUNT_NOT_FOUND = Failure {
        code: "UserErrorStorageAccountNotFound",
        number: None,
        status: StatusCode::BAD_REQUEST,
        message: "The storage account '{name}' does not exist in this subscription.",
        recommendation: None,
    };
    /// A staging storage account in another region than the vault.
    STAGING_ACCOUNT_IN_OTHER_REGION = Failure {
        code: "UserErrorStorageAccountRegionMismatch",
        number: None,
        status: StatusCode::BAD_REQUEST,
        message: "The Recovery Services vault and target storage account are in two different regions: the vault is in '{vault_region}', the account '{name}' in '{account_region}'.",
        recommendation: Some("Choose a staging storage account in the vault's region."),
    };
    /// A staging storage account still being created.
    STAGING_ACCOUNT_NOT_ONLINE = Failure {
        code: "UserErrorStorageAccountNotOnline",
        number: None,
        status: StatusCode::BAD_REQUEST,
        message: "The storage account '{name}' specified for the restore operation isn't online yet.",
        recommendation: Some("Wait until the account's provisioning has finished, then retry."),
    };
    /// A staging storage account of a kind or replication restores cannot use.
    STAGING_ACCOUNT_UNSUPPORTED = Failure {
        code: "UserErrorStorageAccountNotSupported",
        number: None,
        status: StatusCode::BAD_REQUEST,
        message: "The storage account '{name}' ({kind}, {sku}) specified for the restore operation isn't supported: use a general-purpose account with locally or geo-redundant replication{rules}.",
        recommendation: None,
    };
    /// A target resource group that does not exist.
    TARGET_GROUP_NOT_FOUND = Failure {
        code: "UserErrorTargetResourceGroupNotFound",
        number: None,
        status: StatusCode::BAD_REQUEST,
        message: "The target resource group '{name}' does not exist.",
        recommendation: None,
    };
}

/// The catalogue's entry for `code`, if it has one.
#[cfg(test)]
pub(crate) fn find(code: &str) -> Option<&'static Failure> {
    ALL.iter().copied().find(|f| f.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_and_number_appears_once() {
        let mut codes: Vec<String> = ALL.iter().map(|f| f.code.to_ascii_lowercase()).collect();
        codes.sort();
        let before = codes.len();
        codes.dedup();
        assert_eq!(codes.len(), before, "a code is in the catalogue twice");
        let mut numbers: Vec<i64> = ALL
            .iter()
            .filter_map(|f| f.number.map(Number::value))
            .collect();
        numbers.sort_unstable();
        let before = numbers.len();
        numbers.dedup();
        assert_eq!(numbers.len(), before, "a number is in the catalogue twice");
    }

    #[test]
    fn job_failures_say_what_to_do_and_messages_start_with_a_capital() {
        for f in ALL {
            if f.number.is_some() {
                assert!(
                    f.recommendation.is_some(),
                    "{} has no recommendation",
                    f.code
                );
                assert!(
                    !f.message.contains('{'),
                    "{}: a job stores its message as is",
                    f.code
                );
            }
            assert!(
                f.message.starts_with(|c: char| c.is_ascii_uppercase()),
                "{}",
                f.code
            );
        }
    }

    #[test]
    fn placeholders_are_filled() {
        assert_eq!(
            POINT_NOT_FOUND.message_with(&[("id", "42")]),
            "Recovery point '42' does not exist."
        );
        assert_eq!(
            VM_IN_OTHER_REGION.message_with(&[
                ("vm_region", "{vault_region}"),
                ("vault_region", "japaneast")
            ]),
            "The VM is in '{vault_region}' and the vault in 'japaneast'; a VM can only be protected by a vault in its region."
        );
        assert_eq!(
            JOB_NOT_FOUND.message_with(&[]),
            "Job '{id}' does not exist.",
            "an unfilled placeholder stays as written"
        );
    }

    #[test]
    fn the_seeded_job_history_uses_only_catalogue_entries() {
        let tenant = crate::seed::contoso_in("00000000-0000-0000-0000-000000000001");
        let failures: Vec<&JobFailure> = tenant
            .subscriptions
            .iter()
            .flat_map(|s| &s.recovery_vaults)
            .flat_map(|v| &v.jobs)
            .filter_map(|j| j.failure.as_ref())
            .collect();
        assert!(!failures.is_empty(), "the seed has failed jobs");
        for seeded in failures {
            let entry = find(&seeded.code)
                .unwrap_or_else(|| panic!("{} is not in the catalogue", seeded.code));
            let expected = entry.job_failure();
            assert_eq!(
                (&seeded.numeric, &seeded.message, &seeded.recommendation),
                (
                    &expected.numeric,
                    &expected.message,
                    &expected.recommendation
                ),
                "{} differs from its catalogue entry",
                seeded.code
            );
        }
    }
}
