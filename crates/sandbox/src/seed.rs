//! The demo tenant: Contoso, with the scenarios Safehold must show and diagnose.
//!
//! Ids and secrets are generated per installation, like a real tenant's; names, regions and
//! dates are fixed so screenshots and documentation read the same everywhere.
//!
//! Scenarios, by VM (subscription "Contoso Production" unless noted):
//! - `vm-sql-01`: healthy BEK+KEK, single-pass, managed disks, Windows; vault `kv-prod-jpe-ade`
//!   grants Backup what it needs.
//! - `vm-legacy-web01`: BEK-only on unmanaged disks, dual-pass (Entra app), Windows.
//! - `vm-app-lnx01`: Linux (DM-Crypt), BEK+KEK, single-pass.
//! - `vm-web01`, `vm-web02`: share `kv-shared-jpe`, which holds three other principals' entries
//!   and none for Backup (the grant must keep the others intact).
//! - `vm-fin-db01`: its vault `kv-finance-ade` lacks access for Backup (the seed's first row).
//! - `vm-hr-rbac01`: its vault `kv-hr-rbac` uses Azure RBAC.
//! - `vm-batch02`: the VM agent is not ready.
//! - `vm-reports01`: protected before it was encrypted (older points unencrypted); its vault is
//!   `kv-shared-jpe`, so backups fail until Backup is granted access ("continue backups").
//! - `vm-new-app01`: encrypted, its vault ready for Backup, not yet protected.
//! - Job history: a failed job for each troubleshooting row of the seed article (key vault
//!   access, BEK-only validation, key vault gone, key and secret gone, not authorised).
//! - `classic-web01`: a classic VM.
//! - "Contoso Development" follows the 2017 support matrix: `vm-dev-bekonly` (BEK-only on
//!   managed disks) fails validation there.
//! - Staging storage accounts (rg-backup-prod unless noted): `stcontosorestorejpe` (StorageV2,
//!   LRS, japaneast) is the one a japaneast restore can use; `stcontosorestorejpw` is in
//!   japanwest, the wrong region for `rsv-prod-japaneast` (and right for `rsv-prod-japanwest`);
//!   `stcontosoarchivejpe` is Blob storage and `stcontosozrsjpe` zone-redundant, both refused as
//!   staging accounts; `stcontosorestoreeus2` (rg-backup-finance) serves `rsv-finance-eastus2`.
//!   Development and Fabrikam have one usable account each, in their vault's region.
//! - Networks: a virtual network per region with a `default` subnet (`vnet-prod-japaneast` and
//!   `vnet-prod-eastus2` in rg-network-prod, `vnet-dev-japaneast` in rg-dev,
//!   `vnet-fabrikam-japanwest` in Fabrikam's rg-backup), and a NIC `{vm}-nic` in each VM's group
//!   on its region's network, which the VM's `networkProfile` names.

use std::collections::BTreeMap;

use crate::recovery_services::failures::{
    AGENT_NOT_READY, BEK_ONLY_VALIDATION, Failure, KEY_VAULT_ACCESS, RESTORE_KEYS_GONE,
    RESTORE_NOT_AUTHORISED, RESTORE_VAULT_GONE,
};

use crate::tenant::{
    AccessPolicyRecord, AdePass, AdeRecord, BackupPolicyRecord, ClassicVmRecord, CustomRoleRecord,
    DirectoryRecord, DiskRecord, GroupRecord, JobRecord, KeyRecord, KeyVaultRecord, OsKind,
    ProtectedItemRecord, PublicClientRecord, RecoveryVaultRecord, ResourceGroupRecord,
    SecretRecord, ServicePrincipalRecord, StorageAccountRecord, SubscriptionRecord, Tenant,
    UserRecord, VaultObjectRef, VirtualMachineRecord,
};

/// The Backup Management Service's application id in the public cloud.
pub const BACKUP_MANAGEMENT_SERVICE_APP_ID: &str = "262044b1-e2ce-469f-a196-69ab7ada62d3";

/// The seed's least-privilege custom role for Backup on RBAC key vaults.
pub const BACKUP_KEY_READER_ROLE: &str = "6c5b4a39-2d18-4e07-9f36-5a4b3c2d1e0f";

/// The built-in "Key Vault Secrets User" role.
const KEY_VAULT_SECRETS_USER: &str = "4633458b-17de-408a-b874-0445c86b69e6";

fn id() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn version() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// A new, empty Recovery Services vault with its `DefaultPolicy`.
pub(crate) fn new_recovery_vault(
    rg: &str,
    name: &str,
    location: &str,
    redundancy: &str,
) -> RecoveryVaultRecord {
    let mut v = vault(rg, name, location, redundancy, "");
    v.tags.clear();
    v
}

fn vault(
    rg: &str,
    name: &str,
    location: &str,
    redundancy: &str,
    created: &str,
) -> RecoveryVaultRecord {
    RecoveryVaultRecord {
        resource_group: rg.to_owned(),
        name: name.to_owned(),
        location: location.to_owned(),
        storage_redundancy: redundancy.to_owned(),
        created: created.to_owned(),
        tags: tags(&[("owner", "it-operations")]),
        policies: vec![BackupPolicyRecord {
            name: "DefaultPolicy".to_owned(),
            schedule_time: "17:30".to_owned(),
            retention_days: 30,
            instant_rp_days: 2,
            time_zone: if location.starts_with("japan") {
                "Tokyo Standard Time"
            } else {
                "Eastern Standard Time"
            }
            .to_owned(),
        }],
        protected_items: vec![],
        jobs: vec![],
    }
}

fn storage_account(
    rg: &str,
    name: &str,
    location: &str,
    kind: &str,
    sku: &str,
) -> StorageAccountRecord {
    let tiered = matches!(kind, "StorageV2" | "BlobStorage");
    StorageAccountRecord {
        resource_group: rg.to_owned(),
        name: name.to_owned(),
        location: location.to_owned(),
        sku: sku.to_owned(),
        kind: kind.to_owned(),
        access_tier: tiered.then(|| "Hot".to_owned()),
        network_rules_deny: false,
        created: "2024-02-01T00:00:00Z".to_owned(),
        tags: tags(&[("owner", "it-operations"), ("purpose", "restore-staging")]),
        ready_at: 0,
        operation: None,
        blobs: vec![],
    }
}

fn group(name: &str, location: &str) -> ResourceGroupRecord {
    ResourceGroupRecord {
        name: name.to_owned(),
        location: location.to_owned(),
        role_assignments: vec![],
    }
}

/// Permissions the portal's "Azure Backup" template grants.
fn backup_policy(tenant_id: &str, object_id: &str) -> AccessPolicyRecord {
    AccessPolicyRecord {
        tenant_id: tenant_id.to_owned(),
        object_id: object_id.to_owned(),
        application_id: None,
        keys: vec!["get".into(), "list".into(), "backup".into()],
        secrets: vec!["get".into(), "list".into(), "backup".into()],
        certificates: vec![],
        storage: vec![],
    }
}

fn policy(tenant_id: &str, object_id: &str, keys: &[&str], secrets: &[&str]) -> AccessPolicyRecord {
    AccessPolicyRecord {
        tenant_id: tenant_id.to_owned(),
        object_id: object_id.to_owned(),
        application_id: None,
        keys: keys.iter().map(|s| (*s).to_owned()).collect(),
        secrets: secrets.iter().map(|s| (*s).to_owned()).collect(),
        certificates: vec![],
        storage: vec![],
    }
}

fn key_vault(
    rg: &str,
    name: &str,
    location: &str,
    policies: Vec<AccessPolicyRecord>,
) -> KeyVaultRecord {
    KeyVaultRecord {
        resource_group: rg.to_owned(),
        name: name.to_owned(),
        location: location.to_owned(),
        sku: "standard".to_owned(),
        rbac_authorization: false,
        enabled_for_disk_encryption: true,
        enabled_for_template_deployment: false,
        soft_delete_retention_days: 90,
        purge_protection: true,
        access_policies: policies,
        secrets: vec![],
        keys: vec![],
        deleted: false,
        role_assignments: vec![],
        created: "2023-05-08T01:12:40Z".to_owned(),
    }
}

/// Adds the BEK secret (and KEK key) ADE would have written for `vm`, and returns its ADE record.
fn encrypt(
    kv: &mut KeyVaultRecord,
    vm: &str,
    os: OsKind,
    pass: AdePass,
    with_kek: bool,
) -> AdeRecord {
    let kek = with_kek.then(|| {
        let key = KeyRecord {
            name: format!("kek-{vm}"),
            version: version(),
            kty: "RSA".into(),
            deleted: false,
        };
        kv.keys.push(key.clone());
        VaultObjectRef {
            vault: kv.name.clone(),
            name: key.name,
            version: key.version,
        }
    });
    let secret_name = id().to_uppercase();
    let mut secret_tags = tags(&[("MachineName", vm)]);
    match os {
        OsKind::Windows => {
            secret_tags.insert(
                "DiskEncryptionKeyFileName".into(),
                format!("{secret_name}.BEK"),
            );
            secret_tags.insert("VolumeLetter".into(), "C:\\".into());
        }
        OsKind::Linux => {
            secret_tags.insert(
                "DiskEncryptionKeyFileName".into(),
                "LinuxPassPhraseFileName".into(),
            );
        }
    }
    if let Some(kek) = &kek {
        secret_tags.insert(
            "DiskEncryptionKeyEncryptionAlgorithm".into(),
            "RSA-OAEP".into(),
        );
        secret_tags.insert(
            "DiskEncryptionKeyEncryptionKeyURL".into(),
            format!(
                "https://{}.vault.azure.net/keys/{}/{}",
                kek.vault, kek.name, kek.version
            ),
        );
    }
    let secret = SecretRecord {
        name: secret_name,
        version: version(),
        content_type: Some(if kek.is_some() { "Wrapped BEK" } else { "BEK" }.to_owned()),
        tags: secret_tags,
        value: crate::token::random_secret(),
        deleted: false,
    };
    let bek = VaultObjectRef {
        vault: kv.name.clone(),
        name: secret.name.clone(),
        version: secret.version.clone(),
    };
    kv.secrets.push(secret);
    AdeRecord {
        pass,
        volume_type: "All".to_owned(),
        bek,
        kek,
        aad_client_id: (pass == AdePass::DualPass).then(id),
    }
}

struct VmSpec<'a> {
    rg: &'a str,
    name: &'a str,
    location: &'a str,
    os: OsKind,
    managed: bool,
    data_disks: u32,
    agent_ready: bool,
    created: &'a str,
}

fn vm(spec: &VmSpec<'_>, encryption: Option<AdeRecord>) -> VirtualMachineRecord {
    let disk = |suffix: &str, lun: Option<u32>, size_gb: u32| DiskRecord {
        name: format!("{}_{suffix}", spec.name),
        size_gb,
        vhd_uri: (!spec.managed).then(|| {
            format!(
                "https://stcontosovhds.blob.core.windows.net/vhds/{}_{suffix}.vhd",
                spec.name
            )
        }),
        lun,
    };
    let (os_name, size) = match spec.os {
        OsKind::Windows => ("Windows Server 2022 Datacenter", "Standard_D4s_v5"),
        OsKind::Linux => ("Ubuntu 22.04 LTS", "Standard_D2s_v5"),
    };
    VirtualMachineRecord {
        resource_group: spec.rg.to_owned(),
        name: spec.name.to_owned(),
        location: spec.location.to_owned(),
        vm_id: id(),
        size: size.to_owned(),
        os: spec.os,
        os_name: os_name.to_owned(),
        os_disk: disk("OsDisk_1", None, 128),
        data_disks: (0..spec.data_disks)
            .map(|lun| disk(&format!("DataDisk_{lun}"), Some(lun), 256))
            .collect(),
        agent_ready: spec.agent_ready,
        power_state: "running".to_owned(),
        encryption,
        created: spec.created.to_owned(),
        tags: tags(&[("environment", "production")]),
        network_interfaces: vec![],
    }
}

/// A fresh Contoso demo in the tenant `tenant_id` (a reset keeps the tenant and its principal).
pub fn contoso_in(tenant_id: &str) -> Tenant {
    let tenant_id = tenant_id.to_owned();
    let backup_sp = id();
    // Other principals with access to key vaults: an operations group, a deployment pipeline and
    // a security auditor. A grant for Backup must leave their entries exactly as they are.
    let ops_group = id();
    let pipeline = id();
    let auditor = id();
    let t = tenant_id.as_str();

    let jpe = "japaneast";
    // The principal Safehold's sandbox session signs in as: an administrator with data-plane
    // access to every key vault (restoring keys and secrets needs it).
    let operator_app = id();
    let operator = id();
    let operator_policy = || {
        policy(
            t,
            &operator,
            &[
                "get",
                "list",
                "create",
                "update",
                "import",
                "delete",
                "backup",
                "restore",
                "recover",
                "purge",
                "wrapKey",
                "unwrapKey",
            ],
            &[
                "get", "list", "set", "delete", "backup", "restore", "recover", "purge",
            ],
        )
    };
    let mut kv_ade = key_vault(
        "rg-security-prod",
        "kv-prod-jpe-ade",
        jpe,
        vec![
            policy(
                t,
                &ops_group,
                &["get", "list", "create", "update", "wrapKey", "unwrapKey"],
                &["get", "list", "set"],
            ),
            backup_policy(t, &backup_sp),
        ],
    );
    let mut kv_shared = key_vault(
        "rg-security-prod",
        "kv-shared-jpe",
        jpe,
        vec![
            policy(
                t,
                &ops_group,
                &["get", "list", "create", "wrapKey", "unwrapKey"],
                &["get", "list", "set", "delete"],
            ),
            policy(t, &pipeline, &[], &["get", "list"]),
            policy(t, &auditor, &["list"], &["list"]),
        ],
    );
    let mut kv_finance = key_vault(
        "rg-finance",
        "kv-finance-ade",
        "eastus2",
        vec![policy(
            t,
            &ops_group,
            &["get", "list", "wrapKey", "unwrapKey"],
            &["get", "list", "set"],
        )],
    );
    let mut kv_rbac = key_vault("rg-hr", "kv-hr-rbac", jpe, vec![]);
    kv_rbac.rbac_authorization = true;
    kv_rbac
        .role_assignments
        .push(crate::tenant::RoleAssignmentRecord {
            name: id(),
            role_definition: crate::authorization::KEY_VAULT_ADMINISTRATOR.to_owned(),
            principal_id: operator.clone(),
            principal_type: "ServicePrincipal".to_owned(),
        });
    // Someone gave Backup "Key Vault Secrets User" here: it reads secrets, but backs up
    // nothing and cannot see the key.
    kv_rbac
        .role_assignments
        .push(crate::tenant::RoleAssignmentRecord {
            name: id(),
            role_definition: KEY_VAULT_SECRETS_USER.to_owned(),
            principal_id: backup_sp.clone(),
            principal_type: "ServicePrincipal".to_owned(),
        });
    for kv in [&mut kv_ade, &mut kv_shared, &mut kv_finance] {
        kv.access_policies.push(operator_policy());
    }

    let spec = |rg, name, location, os, managed, data_disks, agent_ready, created| VmSpec {
        rg,
        name,
        location,
        os,
        managed,
        data_disks,
        agent_ready,
        created,
    };
    let vms = vec![
        vm(
            &spec(
                "rg-sql-prod",
                "vm-sql-01",
                jpe,
                OsKind::Windows,
                true,
                2,
                true,
                "2024-02-14T03:20:00Z",
            ),
            Some(encrypt(
                &mut kv_ade,
                "vm-sql-01",
                OsKind::Windows,
                AdePass::SinglePass,
                true,
            )),
        ),
        vm(
            &spec(
                "rg-web-legacy",
                "vm-legacy-web01",
                jpe,
                OsKind::Windows,
                false,
                1,
                true,
                "2017-03-02T09:41:00Z",
            ),
            Some(encrypt(
                &mut kv_ade,
                "vm-legacy-web01",
                OsKind::Windows,
                AdePass::DualPass,
                false,
            )),
        ),
        vm(
            &spec(
                "rg-app-prod",
                "vm-app-lnx01",
                jpe,
                OsKind::Linux,
                true,
                1,
                true,
                "2024-06-30T22:05:00Z",
            ),
            Some(encrypt(
                &mut kv_ade,
                "vm-app-lnx01",
                OsKind::Linux,
                AdePass::SinglePass,
                true,
            )),
        ),
        vm(
            &spec(
                "rg-web-prod",
                "vm-web01",
                jpe,
                OsKind::Windows,
                true,
                0,
                true,
                "2025-01-10T05:00:00Z",
            ),
            Some(encrypt(
                &mut kv_shared,
                "vm-web01",
                OsKind::Windows,
                AdePass::SinglePass,
                true,
            )),
        ),
        vm(
            &spec(
                "rg-web-prod",
                "vm-web02",
                jpe,
                OsKind::Windows,
                true,
                0,
                true,
                "2025-01-10T05:04:00Z",
            ),
            Some(encrypt(
                &mut kv_shared,
                "vm-web02",
                OsKind::Windows,
                AdePass::SinglePass,
                true,
            )),
        ),
        vm(
            &spec(
                "rg-finance",
                "vm-fin-db01",
                "eastus2",
                OsKind::Windows,
                true,
                2,
                true,
                "2024-09-03T11:30:00Z",
            ),
            Some(encrypt(
                &mut kv_finance,
                "vm-fin-db01",
                OsKind::Windows,
                AdePass::SinglePass,
                true,
            )),
        ),
        vm(
            &spec(
                "rg-hr",
                "vm-hr-rbac01",
                jpe,
                OsKind::Windows,
                true,
                0,
                true,
                "2025-04-21T00:15:00Z",
            ),
            Some(encrypt(
                &mut kv_rbac,
                "vm-hr-rbac01",
                OsKind::Windows,
                AdePass::SinglePass,
                true,
            )),
        ),
        vm(
            &spec(
                "rg-batch",
                "vm-batch02",
                jpe,
                OsKind::Linux,
                true,
                0,
                false,
                "2025-07-07T07:07:00Z",
            ),
            Some(encrypt(
                &mut kv_ade,
                "vm-batch02",
                OsKind::Linux,
                AdePass::SinglePass,
                true,
            )),
        ),
        // Protected since 2023, encrypted in November 2026: its older points are not encrypted.
        vm(
            &spec(
                "rg-reports",
                "vm-reports01",
                jpe,
                OsKind::Windows,
                true,
                1,
                true,
                "2023-11-12T02:00:00Z",
            ),
            Some(encrypt(
                &mut kv_shared,
                "vm-reports01",
                OsKind::Windows,
                AdePass::SinglePass,
                true,
            )),
        ),
        // Encrypted, its vault grants Backup what it needs, not yet protected: ready to enable.
        vm(
            &spec(
                "rg-app-prod",
                "vm-new-app01",
                jpe,
                OsKind::Windows,
                true,
                1,
                true,
                "2026-11-20T08:00:00Z",
            ),
            Some(encrypt(
                &mut kv_ade,
                "vm-new-app01",
                OsKind::Windows,
                AdePass::SinglePass,
                true,
            )),
        ),
    ];

    let mut kv_dev = key_vault(
        "rg-dev",
        "kv-dev-jpe-ade",
        jpe,
        vec![backup_policy(t, &backup_sp), operator_policy()],
    );
    let dev_vm = vm(
        &spec(
            "rg-dev",
            "vm-dev-bekonly",
            jpe,
            OsKind::Windows,
            true,
            0,
            true,
            "2025-03-03T03:03:00Z",
        ),
        Some(encrypt(
            &mut kv_dev,
            "vm-dev-bekonly",
            OsKind::Windows,
            AdePass::SinglePass,
            false,
        )),
    );

    let production_groups = [
        ("rg-backup-prod", jpe),
        ("rg-backup-finance", "eastus2"),
        ("rg-security-prod", jpe),
        ("rg-sql-prod", jpe),
        ("rg-web-legacy", jpe),
        ("rg-app-prod", jpe),
        ("rg-web-prod", jpe),
        ("rg-finance", "eastus2"),
        ("rg-hr", jpe),
        ("rg-batch", jpe),
        ("rg-reports", jpe),
        ("rg-classic", jpe),
        ("rg-network-prod", jpe),
    ];
    let mut prod_vaults = vec![
        vault(
            "rg-backup-prod",
            "rsv-prod-japaneast",
            jpe,
            "GeoRedundant",
            "2023-04-11T02:14:09Z",
        ),
        vault(
            "rg-backup-prod",
            "rsv-prod-japanwest",
            "japanwest",
            "LocallyRedundant",
            "2023-04-11T02:31:44Z",
        ),
        vault(
            "rg-backup-finance",
            "rsv-finance-eastus2",
            "eastus2",
            "ZoneRedundant",
            "2024-09-02T18:05:51Z",
        ),
    ];
    prod_vaults[0].policies.push(BackupPolicyRecord {
        name: "prod-daily-90d".to_owned(),
        schedule_time: "02:00".to_owned(),
        retention_days: 90,
        instant_rp_days: 5,
        time_zone: "Tokyo Standard Time".to_owned(),
    });
    let find = |name: &str| vms.iter().find(|v| v.name == name).expect("seeded VM");
    let main = &mut prod_vaults[0];
    // Healthy: points from the last three nights.
    for (name, policy) in [
        ("vm-sql-01", "prod-daily-90d"),
        ("vm-app-lnx01", "DefaultPolicy"),
    ] {
        History::protect(
            main,
            find(name),
            policy,
            &[
                ("2026-11-26T17:30:00Z", true),
                ("2026-11-27T17:30:00Z", true),
                ("2026-11-28T17:30:00Z", true),
            ],
        );
    }
    // BEK-only on unmanaged disks since 2017: one point older than 26 April 2017 (no template).
    History::protect(
        main,
        find("vm-legacy-web01"),
        "DefaultPolicy",
        &[
            ("2017-03-20T14:00:00Z", true),
            ("2026-11-28T17:30:00Z", true),
        ],
    );
    // Protected before it was encrypted; since encryption its backups fail on key vault access.
    History::protect(
        main,
        find("vm-reports01"),
        "DefaultPolicy",
        &[
            ("2026-10-01T17:30:00Z", false),
            ("2026-10-02T17:30:00Z", false),
        ],
    );
    History::fail(
        main,
        find("vm-reports01"),
        "Backup",
        "2026-11-28T17:30:00Z",
        &KEY_VAULT_ACCESS,
    );
    // The shared vault grants Backup nothing: the first backups of both web VMs failed.
    for name in ["vm-web01", "vm-web02"] {
        History::protect(main, find(name), "DefaultPolicy", &[]);
        History::fail(
            main,
            find(name),
            "Backup",
            "2026-11-28T17:30:00Z",
            &KEY_VAULT_ACCESS,
        );
    }
    History::protect(main, find("vm-hr-rbac01"), "DefaultPolicy", &[]);
    History::fail(
        main,
        find("vm-hr-rbac01"),
        "Backup",
        "2026-11-28T17:30:00Z",
        &KEY_VAULT_ACCESS,
    );
    History::protect(
        main,
        find("vm-batch02"),
        "DefaultPolicy",
        &[("2026-11-20T17:30:00Z", true)],
    );
    History::fail(
        main,
        find("vm-batch02"),
        "Backup",
        "2026-11-28T17:30:00Z",
        &AGENT_NOT_READY,
    );
    // The seed's restore rows, as they were met by support: key vault gone, key and secret gone,
    // Backup not allowed into the target subscription.
    History::fail(
        main,
        find("vm-sql-01"),
        "Restore",
        "2026-11-12T04:10:00Z",
        &RESTORE_VAULT_GONE,
    );
    History::fail(
        main,
        find("vm-app-lnx01"),
        "Restore",
        "2026-11-18T06:45:00Z",
        &RESTORE_KEYS_GONE,
    );
    History::fail(
        main,
        find("vm-legacy-web01"),
        "Restore",
        "2026-11-21T09:20:00Z",
        &RESTORE_NOT_AUTHORISED,
    );
    // The seed's first row: the finance vault lacks Backup's access.
    History::protect(
        &mut prod_vaults[2],
        find("vm-fin-db01"),
        "DefaultPolicy",
        &[],
    );
    History::fail(
        &mut prod_vaults[2],
        find("vm-fin-db01"),
        "Backup",
        "2026-11-28T22:30:00Z",
        &KEY_VAULT_ACCESS,
    );

    let mut dev_vault = vault(
        "rg-backup-dev",
        "rsv-dev-japaneast",
        jpe,
        "LocallyRedundant",
        "2025-01-20T07:45:00Z",
    );
    // The seed's second row: enabling protection of a BEK-only managed VM failed validation.
    History::fail(
        &mut dev_vault,
        &dev_vm,
        "ConfigureBackup",
        "2026-11-20T01:00:00Z",
        &BEK_ONLY_VALIDATION,
    );

    // Mei also looks after the backups of a partner company, as a guest in its directory.
    let mei = id();
    let partner_directory = id();
    let mut partner_vault = vault(
        "rg-backup",
        "rsv-fabrikam-japanwest",
        "japanwest",
        "GeoRedundant",
        "2024-06-12T02:10:00Z",
    );
    partner_vault.tags = tags(&[("owner", "fabrikam-it")]);

    let mut tenant = Tenant {
        tenant_id: tenant_id.clone(),
        display_name: "Contoso".to_owned(),
        directories: vec![DirectoryRecord {
            tenant_id: partner_directory.clone(),
            display_name: "Fabrikam Trading".to_owned(),
            default_domain: "fabrikamtrading.onmicrosoft.com".to_owned(),
            guests: vec![mei.clone()],
        }],
        users: vec![
            UserRecord {
                object_id: mei,
                user_principal_name: "mei.tanaka@contoso.com".to_owned(),
                display_name: "Mei Tanaka (IT administrator)".to_owned(),
                no_subscription_access: false,
            },
            UserRecord {
                object_id: id(),
                user_principal_name: "kenji.sato@contoso.com".to_owned(),
                display_name: "Kenji Sato (support engineer)".to_owned(),
                no_subscription_access: false,
            },
            // Joined last week; nobody has given her a role yet.
            UserRecord {
                object_id: id(),
                user_principal_name: "aiko.suzuki@contoso.com".to_owned(),
                display_name: "Aiko Suzuki (new starter)".to_owned(),
                no_subscription_access: true,
            },
        ],
        // The least-privilege role the Backup documentation describes, defined but not yet
        // assigned: an administrator may assign it instead of Key Vault Administrator.
        custom_roles: vec![CustomRoleRecord {
            id: BACKUP_KEY_READER_ROLE.to_owned(),
            name: "Backup key reader".to_owned(),
            description:
                "Lets Azure Backup back up the keys and secrets of encrypted VMs, and nothing more."
                    .to_owned(),
            data_actions: [
                "Microsoft.KeyVault/vaults/keys/backup/action",
                "Microsoft.KeyVault/vaults/secrets/backup/action",
                "Microsoft.KeyVault/vaults/secrets/getSecret/action",
                "Microsoft.KeyVault/vaults/keys/read",
                "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
            ]
            .map(str::to_owned)
            .to_vec(),
            not_data_actions: vec![],
        }],
        groups: vec![GroupRecord {
            object_id: ops_group,
            display_name: "Contoso IT Operations".to_owned(),
        }],
        public_clients: public_clients(),
        service_principals: vec![
            ServicePrincipalRecord {
                object_id: operator,
                app_id: operator_app,
                display_name: crate::tenant::OPERATOR_NAME.to_owned(),
            },
            ServicePrincipalRecord {
                object_id: backup_sp,
                app_id: BACKUP_MANAGEMENT_SERVICE_APP_ID.to_owned(),
                display_name: "Backup Management Service".to_owned(),
            },
            ServicePrincipalRecord {
                object_id: pipeline,
                app_id: id(),
                display_name: "contoso-deploy-pipeline".to_owned(),
            },
            ServicePrincipalRecord {
                object_id: auditor,
                app_id: id(),
                display_name: "contoso-security-audit".to_owned(),
            },
        ],
        subscriptions: vec![
            SubscriptionRecord {
                subscription_id: id(),
                directory: None,
                display_name: "Contoso Production".to_owned(),
                state: "Enabled".to_owned(),
                recovery_vaults: prod_vaults,
                resource_groups: production_groups.iter().map(|(n, l)| group(n, l)).collect(),
                virtual_machines: vms,
                classic_virtual_machines: vec![ClassicVmRecord {
                    resource_group: "rg-classic".to_owned(),
                    name: "classic-web01".to_owned(),
                    location: jpe.to_owned(),
                }],
                key_vaults: vec![kv_ade, kv_shared, kv_finance, kv_rbac],
                bek_only_managed_unsupported: false,
                storage_accounts: vec![
                    // Usable for staging restores of rsv-prod-japaneast.
                    storage_account(
                        "rg-backup-prod",
                        "stcontosorestorejpe",
                        jpe,
                        "StorageV2",
                        "Standard_LRS",
                    ),
                    // The same region as rsv-prod-japanwest: the wrong one for japaneast restores.
                    storage_account(
                        "rg-backup-prod",
                        "stcontosorestorejpw",
                        "japanwest",
                        "StorageV2",
                        "Standard_GRS",
                    ),
                    // Blob storage: a restore refuses it as a staging account.
                    storage_account(
                        "rg-backup-prod",
                        "stcontosoarchivejpe",
                        jpe,
                        "BlobStorage",
                        "Standard_LRS",
                    ),
                    // Zone-redundant: refused too.
                    storage_account(
                        "rg-backup-prod",
                        "stcontosozrsjpe",
                        jpe,
                        "StorageV2",
                        "Standard_ZRS",
                    ),
                    // Usable for rsv-finance-eastus2.
                    storage_account(
                        "rg-backup-finance",
                        "stcontosorestoreeus2",
                        "eastus2",
                        "StorageV2",
                        "Standard_LRS",
                    ),
                ],
                restored_disks: vec![],
                deployments: vec![],
                network: Default::default(),
                role_assignments: vec![],
            },
            SubscriptionRecord {
                subscription_id: id(),
                directory: None,
                display_name: "Contoso Development".to_owned(),
                state: "Enabled".to_owned(),
                recovery_vaults: vec![dev_vault],
                resource_groups: vec![group("rg-backup-dev", jpe), group("rg-dev", jpe)],
                virtual_machines: vec![dev_vm],
                classic_virtual_machines: vec![],
                key_vaults: vec![kv_dev],
                bek_only_managed_unsupported: true,
                storage_accounts: vec![storage_account(
                    "rg-backup-dev",
                    "stcontosodevrestorejpe",
                    jpe,
                    "StorageV2",
                    "Standard_LRS",
                )],
                restored_disks: vec![],
                deployments: vec![],
                network: Default::default(),
                role_assignments: vec![],
            },
            SubscriptionRecord {
                subscription_id: id(),
                directory: Some(partner_directory),
                display_name: "Fabrikam Trading Operations".to_owned(),
                state: "Enabled".to_owned(),
                recovery_vaults: vec![partner_vault],
                resource_groups: vec![group("rg-backup", "japanwest")],
                virtual_machines: vec![],
                classic_virtual_machines: vec![],
                key_vaults: vec![],
                bek_only_managed_unsupported: false,
                storage_accounts: vec![storage_account(
                    "rg-backup",
                    "stfabrikamrestorejpw",
                    "japanwest",
                    "StorageV2",
                    "Standard_LRS",
                )],
                restored_disks: vec![],
                deployments: vec![],
                network: Default::default(),
                role_assignments: vec![],
            },
        ],
    };
    // A virtual network per region, and a NIC on it for every VM.
    let networks: [&[crate::network::SeedNetwork<'_>]; 3] = [
        &[
            crate::network::SeedNetwork {
                resource_group: "rg-network-prod",
                name: "vnet-prod-japaneast",
                location: jpe,
                address_prefix: "10.10.0.0/16",
                subnet_prefix: "10.10.0.0/24",
            },
            crate::network::SeedNetwork {
                resource_group: "rg-network-prod",
                name: "vnet-prod-eastus2",
                location: "eastus2",
                address_prefix: "10.11.0.0/16",
                subnet_prefix: "10.11.0.0/24",
            },
        ],
        &[crate::network::SeedNetwork {
            resource_group: "rg-dev",
            name: "vnet-dev-japaneast",
            location: jpe,
            address_prefix: "10.20.0.0/16",
            subnet_prefix: "10.20.0.0/24",
        }],
        &[crate::network::SeedNetwork {
            resource_group: "rg-backup",
            name: "vnet-fabrikam-japanwest",
            location: "japanwest",
            address_prefix: "10.30.0.0/16",
            subnet_prefix: "10.30.0.0/24",
        }],
    ];
    for (sub, networks) in tenant.subscriptions.iter_mut().zip(networks) {
        crate::network::provision(sub, networks);
    }
    tenant
}

/// The public client Safehold signs in with, and the Azure CLI's (so `az login` works too).
pub fn public_clients() -> Vec<PublicClientRecord> {
    vec![
        PublicClientRecord {
            app_id: SAFEHOLD_PUBLIC_CLIENT_ID.to_owned(),
            display_name: "Safehold".to_owned(),
        },
        PublicClientRecord {
            app_id: "04b07795-8ddb-461a-bbee-02f9e1bf7b46".to_owned(),
            display_name: "Microsoft Azure CLI".to_owned(),
        },
    ]
}

/// The application id Safehold's desktop app signs in with in the sandbox.
pub const SAFEHOLD_PUBLIC_CLIENT_ID: &str = "5afe4010-da7a-4c1e-9b3d-5a4d0b0c1e11";

/// Builds protection state and job history for the seed.
struct History;

/// The day the demo's recent history is written as of (2026-11-29T00:00:00Z).
const HISTORY_WRITTEN: i64 = 1_795_910_400;
/// History from this day on (2026-06-01T00:00:00Z) is "recent" and moves with the seeding day.
const RECENT_FROM: i64 = 1_780_272_000;

/// `time` from the demo's history as of `now`: recent history moves forward by the whole days
/// since it was written, so "last night's backup" is last night's on whatever day the tenant
/// is seeded, and the failed jobs stay inside the last 30 days. Older history (the recovery
/// point from before 26 April 2017) keeps its date.
fn as_of(time: &str, now: i64) -> String {
    let at = History::seconds(time);
    let days = (now - HISTORY_WRITTEN).max(0) / 86_400;
    if at < RECENT_FROM || days == 0 {
        time.to_owned()
    } else {
        crate::recovery_services::rfc3339(at + days * 86_400)
    }
}

impl History {
    fn seconds(time: &str) -> i64 {
        time::OffsetDateTime::parse(time, &time::format_description::well_known::Rfc3339)
            .map_or(0, time::OffsetDateTime::unix_timestamp)
    }

    /// Protects `vm` with `policy`, with one completed backup per point.
    fn protect(
        vault: &mut RecoveryVaultRecord,
        vm: &VirtualMachineRecord,
        policy: &str,
        points: &[(&str, bool)],
    ) {
        let mut item = ProtectedItemRecord {
            vm_resource_group: vm.resource_group.clone(),
            vm_name: vm.name.clone(),
            policy: policy.to_owned(),
            recovery_points: vec![],
        };
        for (i, (time, encrypted)) in points.iter().enumerate() {
            let time = &as_of(time, crate::token::now());
            let mut point = crate::recovery_services::point(i, time, vm, *encrypted);
            point.available_at += 1_800;
            item.recovery_points.push(point);
            vault.jobs.push(JobRecord {
                id: id(),
                operation: "Backup".to_owned(),
                vm_resource_group: vm.resource_group.clone(),
                vm_name: vm.name.clone(),
                start: Self::seconds(time),
                duration_secs: 1_800,
                failure: None,
                user_triggered: false,
                property_bag: Default::default(),
            });
        }
        vault.protected_items.push(item);
    }

    /// Records a failed job.
    fn fail(
        vault: &mut RecoveryVaultRecord,
        vm: &VirtualMachineRecord,
        operation: &str,
        time: &str,
        why: &Failure,
    ) {
        vault.jobs.push(JobRecord {
            id: id(),
            operation: operation.to_owned(),
            vm_resource_group: vm.resource_group.clone(),
            vm_name: vm.name.clone(),
            start: Self::seconds(&as_of(time, crate::token::now())),
            duration_secs: 95,
            failure: Some(why.job_failure()),
            user_triggered: operation != "Backup",
            property_bag: Default::default(),
        });
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn recent_history_moves_with_the_seeding_day_and_old_history_stays() {
        let written = super::HISTORY_WRITTEN + 3_600;
        assert_eq!(
            super::as_of("2026-11-28T17:30:00Z", written),
            "2026-11-28T17:30:00Z"
        );
        let later = written + 40 * 86_400;
        assert_eq!(
            super::as_of("2026-11-28T17:30:00Z", later),
            "2027-01-07T17:30:00Z"
        );
        assert_eq!(
            super::as_of("2017-03-20T14:00:00Z", later),
            "2017-03-20T14:00:00Z"
        );
    }
}
