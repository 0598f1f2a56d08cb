//! Azure Disk Encryption: how a VM is encrypted, read from what the inventory's list calls
//! return, and what Azure Backup needs from its key vaults.
//!
//! Pure rules, no I/O. Two generations of ADE exist: single-pass (the current one; key
//! references on the disks) and legacy dual-pass with an Entra application (references on the
//! VM model, extension major version 1 on Windows and 0 on Linux).

use std::collections::BTreeSet;

/// The operating system, which decides the ADE flavour: BitLocker or DM-Crypt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub enum OsType {
    /// BitLocker.
    Windows,
    /// DM-Crypt.
    Linux,
}

/// Where a VM's disks live.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub enum DiskKind {
    /// Managed disks (`managedDisk.id`).
    Managed,
    /// VHDs in a storage account (`vhd.uri`).
    Unmanaged,
}

/// Which ADE generation encrypted the VM.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub enum AdePass {
    /// Current ADE, no Entra application.
    SinglePass,
    /// Legacy ADE with an Entra application.
    DualPass,
}

/// Whether the disk-encryption key (BEK, a secret) is wrapped by a key-encryption key (KEK).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub enum KeyProtection {
    /// A BEK secret only.
    BekOnly,
    /// A BEK secret wrapped with a KEK key.
    BekKek,
}

/// A key-vault object an encrypted disk refers to.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct VaultObject {
    /// The versioned URL of the secret or key.
    pub url: String,
    /// The key vault's resource id, when the reference names it.
    pub vault_id: Option<String>,
    /// The key vault's name, from the id or else from the URL's host.
    pub vault_name: String,
}

impl VaultObject {
    /// A reference from a URL and, when known, the vault's resource id.
    pub fn new(url: &str, vault_id: Option<&str>) -> Self {
        let vault_name = vault_id
            .and_then(|id| crate::inventory::resource_id_segment(id, "vaults"))
            .map(str::to_owned)
            .or_else(|| vault_name_from_url(url))
            .unwrap_or_default();
        Self {
            url: url.to_owned(),
            vault_id: vault_id.filter(|id| !id.is_empty()).map(str::to_owned),
            vault_name,
        }
    }
}

/// `https://{vault}.vault.azure.net/secrets/…` → `vault`.
fn vault_name_from_url(url: &str) -> Option<String> {
    let host = url.strip_prefix("https://")?.split(['/', ':']).next()?;
    let name = host.split('.').next()?;
    (!name.is_empty()).then(|| name.to_ascii_lowercase())
}

/// The key-vault references of one disk (or of the VM model, for dual-pass).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DiskKeys {
    /// The BEK secret.
    pub secret: Option<VaultObject>,
    /// The KEK key.
    pub key: Option<VaultObject>,
}

/// An extension as the VM's model or instance view names it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExtensionFacts {
    /// `AzureDiskEncryption`, `Microsoft.Azure.Security.AzureDiskEncryptionForLinux`, …
    pub kind: String,
    /// `typeHandlerVersion`, e.g. `2.2`.
    pub version: String,
    /// Its status code, e.g. `ProvisioningState/succeeded`.
    pub status: Option<String>,
    /// Its status message.
    pub message: Option<String>,
}

impl ExtensionFacts {
    fn is_ade(&self) -> bool {
        let kind = self.kind.rsplit('.').next().unwrap_or_default();
        kind.eq_ignore_ascii_case("AzureDiskEncryption")
            || kind.eq_ignore_ascii_case("AzureDiskEncryptionForLinux")
    }

    fn is_linux_flavour(&self) -> bool {
        self.kind
            .rsplit('.')
            .next()
            .is_some_and(|k| k.eq_ignore_ascii_case("AzureDiskEncryptionForLinux"))
    }

    fn major(&self) -> Option<u32> {
        self.version.split('.').next()?.trim().parse().ok()
    }

    fn failed(&self) -> bool {
        self.status
            .as_deref()
            .is_some_and(|s| s.to_ascii_lowercase().contains("failed"))
    }
}

/// The VM agent as the instance view reports it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub enum AgentState {
    /// Reporting and ready.
    Ready,
    /// Reporting trouble, or not reporting.
    NotReady,
    /// No instance view was read.
    #[default]
    Unknown,
}

/// What the inventory read about one VM.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VmFacts {
    /// `storageProfile.osDisk.osType`.
    pub os: Option<OsType>,
    /// Managed or VHD OS disk, when the model says.
    pub disks: Option<DiskKind>,
    /// A classic (Service Manager) VM.
    pub classic: bool,
    /// `storageProfile.osDisk.encryptionSettings` with `enabled` (dual-pass).
    pub model_keys: Option<DiskKeys>,
    /// Per-disk references: managed disks' `encryptionSettingsCollection`, and the instance
    /// view's `disks[].encryptionSettings`.
    pub disk_keys: Vec<DiskKeys>,
    /// `EncryptionState/…` codes of the instance view's disks, one per disk.
    pub disk_states: Vec<String>,
    /// Extensions, from the model's `resources` or the instance view.
    pub extensions: Vec<ExtensionFacts>,
    /// The VM agent.
    pub agent: AgentState,
}

/// How a VM is encrypted with ADE.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct AdeEncryption {
    /// Single- or dual-pass.
    pub pass: AdePass,
    /// BEK only, or BEK and KEK.
    pub keys: KeyProtection,
    /// The BEK secret of the OS disk, when a reference was read.
    pub secret: Option<VaultObject>,
    /// The KEK key, for BEK+KEK.
    pub key: Option<VaultObject>,
}

/// A VM's classification: what Backup cares about.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Classification {
    /// ADE details, or none when the VM is not encrypted with ADE.
    pub ade: Option<AdeEncryption>,
    /// Windows or Linux.
    pub os: Option<OsType>,
    /// Managed or unmanaged disks.
    pub disks: Option<DiskKind>,
    /// A classic VM.
    pub classic: bool,
}

/// Classifies a VM from its facts.
pub fn classify(facts: &VmFacts) -> Classification {
    let extension = facts.extensions.iter().find(|e| e.is_ade());
    let os = facts.os.or_else(|| {
        extension.map(|e| {
            if e.is_linux_flavour() {
                OsType::Linux
            } else {
                OsType::Windows
            }
        })
    });
    // The legacy extension's major version: 1 on Windows, 0 on Linux.
    let legacy_extension = extension.is_some_and(|e| match (e.major(), e.is_linux_flavour()) {
        (Some(major), true) => major == 0,
        (Some(major), false) => major == 1,
        (None, _) => false,
    });
    let model_keys = facts
        .model_keys
        .as_ref()
        .filter(|k| k.secret.is_some() || k.key.is_some());
    let references: Vec<&DiskKeys> = model_keys
        .into_iter()
        .chain(facts.disk_keys.iter())
        .filter(|k| k.secret.is_some() || k.key.is_some())
        .collect();
    let encrypted_state = facts
        .disk_states
        .iter()
        .any(|s| s.eq_ignore_ascii_case("EncryptionState/encrypted"));
    let encrypted = extension.is_some() || !references.is_empty() || encrypted_state;
    let ade = encrypted.then(|| {
        let pass = if model_keys.is_some() || legacy_extension {
            AdePass::DualPass
        } else {
            AdePass::SinglePass
        };
        let secret = references.iter().find_map(|k| k.secret.clone());
        let key = references.iter().find_map(|k| k.key.clone());
        AdeEncryption {
            pass,
            keys: if key.is_some() {
                KeyProtection::BekKek
            } else {
                KeyProtection::BekOnly
            },
            secret,
            key,
        }
    });
    Classification {
        ade,
        os,
        disks: facts.disks,
        classic: facts.classic,
    }
}

/// Key Vault permissions in an access policy, lower-cased.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Permissions {
    /// Key permissions.
    pub keys: BTreeSet<String>,
    /// Secret permissions.
    pub secrets: BTreeSet<String>,
}

impl Permissions {
    /// Permissions from the lists of an access-policy entry (any casing; `all` means all).
    pub fn from_lists<'a>(
        keys: impl IntoIterator<Item = &'a str>,
        secrets: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        Self {
            keys: keys.into_iter().map(str::to_ascii_lowercase).collect(),
            secrets: secrets.into_iter().map(str::to_ascii_lowercase).collect(),
        }
    }

    /// True when nothing is listed.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty() && self.secrets.is_empty()
    }
}

/// What Azure Backup's service principal needs on a key vault that uses access policies:
/// keys get, list, backup and secrets get, list, backup for BEK+KEK; secrets alone for BEK-only.
/// (The portal's "Azure Backup" template also grants secrets `backup`; Safehold asks for it too.)
pub fn required_permissions(keys: KeyProtection) -> Permissions {
    let three = ["get", "list", "backup"];
    match keys {
        KeyProtection::BekOnly => Permissions::from_lists([], three),
        KeyProtection::BekKek => Permissions::from_lists(three, three),
    }
}

/// What `required` lists that `present` lacks. `all` in `present` covers a whole kind.
pub fn missing_permissions(present: &Permissions, required: &Permissions) -> Permissions {
    let lacking = |have: &BTreeSet<String>, need: &BTreeSet<String>| -> BTreeSet<String> {
        if have.contains("all") {
            return BTreeSet::new();
        }
        need.difference(have).cloned().collect()
    };
    Permissions {
        keys: lacking(&present.keys, &required.keys),
        secrets: lacking(&present.secrets, &required.secrets),
    }
}

/// Key Vault Administrator, the role the Backup documentation prescribes for RBAC vaults.
pub const KEY_VAULT_ADMINISTRATOR_ROLE: &str = "00482a5a-887f-4fb3-b363-3b7fe8e74483";

/// The data actions Backup needs on an RBAC key vault: back up keys and secrets, read the
/// secret, and see the key and the secret's properties. Key Vault Administrator has them all;
/// a least-privilege custom role lists exactly these.
pub const BACKUP_DATA_ACTIONS: [&str; 5] = [
    "Microsoft.KeyVault/vaults/keys/backup/action",
    "Microsoft.KeyVault/vaults/secrets/backup/action",
    "Microsoft.KeyVault/vaults/secrets/getSecret/action",
    "Microsoft.KeyVault/vaults/keys/read",
    "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
];

/// Whether a role's `dataActions` pattern grants `action`: compared without case, `*` standing
/// for any run of characters, as Azure RBAC reads them.
pub fn action_matches(pattern: &str, action: &str) -> bool {
    let (pattern, action) = (pattern.to_ascii_lowercase(), action.to_ascii_lowercase());
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = action.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    if parts.is_empty() {
        return rest.is_empty();
    }
    for (i, part) in parts.iter().enumerate() {
        if i == parts.len() - 1 {
            return rest.ends_with(part);
        }
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

/// Which of Backup's [`BACKUP_DATA_ACTIONS`] a set of roles, taken together, does not grant.
/// Each role is its `dataActions` and `notDataActions`.
pub fn missing_data_actions(roles: &[(&[String], &[String])]) -> Vec<String> {
    BACKUP_DATA_ACTIONS
        .iter()
        .filter(|needed| {
            !roles.iter().any(|(allowed, denied)| {
                allowed.iter().any(|a| action_matches(a, needed))
                    && !denied.iter().any(|d| action_matches(d, needed))
            })
        })
        .map(|a| (*a).to_owned())
        .collect()
}

/// The data actions a least-privilege custom role needs on an RBAC vault instead.
pub const REQUIRED_DATA_ACTIONS: [&str; 5] = [
    "Microsoft.KeyVault/vaults/keys/backup/action",
    "Microsoft.KeyVault/vaults/secrets/backup/action",
    "Microsoft.KeyVault/vaults/secrets/getSecret/action",
    "Microsoft.KeyVault/vaults/keys/read",
    "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
];

/// Whether a role's data actions cover what Backup needs: every required action is matched by
/// one of `data_actions`, where `*` matches any run of characters, as in role definitions.
pub fn role_covers_backup(data_actions: &[&str]) -> bool {
    REQUIRED_DATA_ACTIONS.iter().all(|needed| {
        data_actions
            .iter()
            .any(|granted| wildcard_match(granted, needed))
    })
}

fn wildcard_match(pattern: &str, text: &str) -> bool {
    let (pattern, text) = (pattern.to_ascii_lowercase(), text.to_ascii_lowercase());
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let mut rest = text.as_str();
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(after) = rest.strip_prefix(part) else {
                return false;
            };
            rest = after;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else if let Some(at) = rest.find(part) {
            rest = &rest[at + part.len()..];
        } else {
            return false;
        }
    }
    true
}

/// The ADE extension reported failure, or a disk the extension should have encrypted is not.
pub fn ade_unhealthy(facts: &VmFacts) -> Option<String> {
    if let Some(failed) = facts.extensions.iter().find(|e| e.is_ade() && e.failed()) {
        return Some(
            failed
                .message
                .clone()
                .unwrap_or_else(|| "The disk-encryption extension reported a failure.".to_owned()),
        );
    }
    facts
        .disk_states
        .first()
        .filter(|s| s.eq_ignore_ascii_case("EncryptionState/notEncrypted"))
        .map(|_| "The OS disk reports that it is not encrypted.".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(vault: &str) -> VaultObject {
        VaultObject::new(
            &format!("https://{vault}.vault.azure.net/secrets/3d1f/abc"),
            Some(&format!(
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/{vault}"
            )),
        )
    }

    fn key(vault: &str) -> VaultObject {
        VaultObject::new(&format!("https://{vault}.vault.azure.net/keys/kek/1"), None)
    }

    fn extension(kind: &str, version: &str) -> ExtensionFacts {
        ExtensionFacts {
            kind: kind.to_owned(),
            version: version.to_owned(),
            ..ExtensionFacts::default()
        }
    }

    #[test]
    fn single_pass_bek_kek_on_managed_disks() {
        let facts = VmFacts {
            os: Some(OsType::Windows),
            disks: Some(DiskKind::Managed),
            disk_keys: vec![DiskKeys {
                secret: Some(secret("kv-a")),
                key: Some(key("kv-b")),
            }],
            extensions: vec![extension(
                "Microsoft.Azure.Security.AzureDiskEncryption",
                "2.2",
            )],
            ..VmFacts::default()
        };
        let c = classify(&facts);
        let ade = c.ade.unwrap();
        assert_eq!(ade.pass, AdePass::SinglePass);
        assert_eq!(ade.keys, KeyProtection::BekKek);
        assert_eq!(ade.secret.unwrap().vault_name, "kv-a");
        assert_eq!(ade.key.unwrap().vault_name, "kv-b", "from the URL's host");
        assert_eq!(c.disks, Some(DiskKind::Managed));
    }

    #[test]
    fn dual_pass_is_read_from_the_model_or_the_legacy_extension_version() {
        let from_model = VmFacts {
            disks: Some(DiskKind::Unmanaged),
            model_keys: Some(DiskKeys {
                secret: Some(secret("kv-legacy")),
                key: None,
            }),
            ..VmFacts::default()
        };
        let ade = classify(&from_model).ade.unwrap();
        assert_eq!(
            (ade.pass, ade.keys),
            (AdePass::DualPass, KeyProtection::BekOnly)
        );

        let linux_legacy = VmFacts {
            extensions: vec![extension("AzureDiskEncryptionForLinux", "0.1")],
            ..VmFacts::default()
        };
        let c = classify(&linux_legacy);
        assert_eq!(c.ade.unwrap().pass, AdePass::DualPass);
        assert_eq!(c.os, Some(OsType::Linux), "the extension tells the OS");

        let linux_current = VmFacts {
            extensions: vec![extension("AzureDiskEncryptionForLinux", "1.1")],
            ..VmFacts::default()
        };
        assert_eq!(
            classify(&linux_current).ade.unwrap().pass,
            AdePass::SinglePass
        );
    }

    #[test]
    fn a_vm_without_ade_or_with_disabled_settings_is_not_encrypted() {
        let plain = VmFacts {
            os: Some(OsType::Linux),
            disks: Some(DiskKind::Managed),
            disk_states: vec!["EncryptionState/notEncrypted".to_owned()],
            extensions: vec![extension(
                "Microsoft.Azure.Monitor.AzureMonitorLinuxAgent",
                "1.0",
            )],
            ..VmFacts::default()
        };
        assert_eq!(classify(&plain).ade, None);
        let empty_model = VmFacts {
            model_keys: Some(DiskKeys::default()),
            ..VmFacts::default()
        };
        assert_eq!(classify(&empty_model).ade, None);
    }

    #[test]
    fn permissions_missing_are_what_backup_needs_less_what_is_there() {
        let present = Permissions::from_lists(["Get", "List"], ["get"]);
        let missing = missing_permissions(&present, &required_permissions(KeyProtection::BekKek));
        assert_eq!(
            missing,
            Permissions::from_lists(["backup"], ["list", "backup"])
        );
        let all = Permissions::from_lists(["all"], ["all"]);
        assert!(missing_permissions(&all, &required_permissions(KeyProtection::BekKek)).is_empty());
        let secrets_only = Permissions::from_lists([], ["get", "list", "backup"]);
        assert!(
            missing_permissions(&secrets_only, &required_permissions(KeyProtection::BekOnly))
                .is_empty()
        );
        assert!(
            !missing_permissions(&secrets_only, &required_permissions(KeyProtection::BekKek))
                .is_empty()
        );
    }

    #[test]
    fn a_role_covers_backup_only_with_every_data_action() {
        assert!(role_covers_backup(&["Microsoft.KeyVault/vaults/*"]));
        assert!(role_covers_backup(&REQUIRED_DATA_ACTIONS));
        // Key Vault Secrets User: secrets only, and no backup.
        assert!(!role_covers_backup(&[
            "Microsoft.KeyVault/vaults/secrets/getSecret/action",
            "Microsoft.KeyVault/vaults/secrets/readMetadata/action"
        ]));
        assert!(wildcard_match(
            "microsoft.keyvault/*/read",
            "Microsoft.KeyVault/vaults/keys/read"
        ));
        assert!(!wildcard_match(
            "microsoft.keyvault/*/write",
            "Microsoft.KeyVault/vaults/keys/read"
        ));
    }

    #[test]
    fn an_unhealthy_extension_or_unencrypted_os_disk_is_reported() {
        let mut failed = extension("AzureDiskEncryption", "2.2");
        failed.status = Some("ProvisioningState/failed".to_owned());
        failed.message = Some("Failed to enable BitLocker".to_owned());
        let facts = VmFacts {
            extensions: vec![failed],
            ..VmFacts::default()
        };
        assert_eq!(
            ade_unhealthy(&facts).as_deref(),
            Some("Failed to enable BitLocker")
        );
        let healthy = VmFacts {
            disk_states: vec!["EncryptionState/encrypted".to_owned()],
            extensions: vec![extension("AzureDiskEncryption", "2.2")],
            ..VmFacts::default()
        };
        assert_eq!(ade_unhealthy(&healthy), None);
    }

    #[test]
    fn data_actions_match_with_wildcards_and_deny_with_not_data_actions() {
        assert!(action_matches(
            "Microsoft.KeyVault/vaults/*",
            "Microsoft.KeyVault/vaults/keys/backup/action"
        ));
        assert!(action_matches(
            "microsoft.keyvault/vaults/keys/read",
            "Microsoft.KeyVault/vaults/keys/read"
        ));
        assert!(action_matches(
            "Microsoft.KeyVault/vaults/*/backup/action",
            "Microsoft.KeyVault/vaults/secrets/backup/action"
        ));
        assert!(!action_matches(
            "Microsoft.KeyVault/vaults/secrets/*",
            "Microsoft.KeyVault/vaults/keys/read"
        ));
        let all = vec!["Microsoft.KeyVault/vaults/*".to_owned()];
        assert!(missing_data_actions(&[(&all, &[])]).is_empty());
        let least: Vec<String> = BACKUP_DATA_ACTIONS
            .iter()
            .map(|a| (*a).to_owned())
            .collect();
        assert!(missing_data_actions(&[(&least, &[])]).is_empty());
        let secrets_user = vec![
            "Microsoft.KeyVault/vaults/secrets/getSecret/action".to_owned(),
            "Microsoft.KeyVault/vaults/secrets/readMetadata/action".to_owned(),
        ];
        assert_eq!(missing_data_actions(&[(&secrets_user, &[])]).len(), 3);
        let no_backup = vec!["Microsoft.KeyVault/vaults/keys/backup/action".to_owned()];
        assert_eq!(
            missing_data_actions(&[(&all, &no_backup)]),
            ["Microsoft.KeyVault/vaults/keys/backup/action"]
        );
        // Two roles together can cover what neither covers alone.
        let keys = vec!["Microsoft.KeyVault/vaults/keys/*".to_owned()];
        let secrets = vec!["Microsoft.KeyVault/vaults/secrets/*".to_owned()];
        assert!(missing_data_actions(&[(&keys, &[]), (&secrets, &[])]).is_empty());
    }
}
