//! The scale generator: tenants of S subscriptions × V VMs with K key vaults and R Recovery
//! Services vaults, for benchmarks. Deterministic (a fixed seed), built in memory in a fraction
//! of a second even for 10,000 VMs.
//!
//! The mix is what an enterprise tenant looks like to Safehold: most VMs encrypted with
//! single-pass ADE (BEK+KEK, some BEK-only), a few legacy dual-pass VMs on unmanaged disks, a
//! fifth not encrypted; about half of the key vaults grant Backup what it needs; every other VM
//! protected. A skewed tenant puts most VMs in one subscription.

use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};

use crate::seed::BACKUP_MANAGEMENT_SERVICE_APP_ID;
use crate::tenant::{
    AccessPolicyRecord, AdePass, AdeRecord, BackupPolicyRecord, DiskRecord, GroupRecord, KeyRecord,
    KeyVaultRecord, OsKind, ProtectedItemRecord, RecoveryVaultRecord, ResourceGroupRecord,
    SecretRecord, ServicePrincipalRecord, StorageAccountRecord, SubscriptionRecord, Tenant,
    VaultObjectRef, VirtualMachineRecord,
};

/// The shape of a generated tenant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScaleSpec {
    /// Number of subscriptions.
    pub subscriptions: usize,
    /// VMs in each subscription (the first gets `skewed_first` instead, when set).
    pub vms_per_subscription: usize,
    /// VMs in the first subscription of a skewed tenant.
    pub skewed_first: Option<usize>,
    /// Key vaults in the whole tenant, spread over the subscriptions.
    pub key_vaults: usize,
    /// Recovery Services vaults in the whole tenant, spread over the subscriptions.
    pub recovery_vaults: usize,
}

impl ScaleSpec {
    /// Parses `SxV` (e.g. `50x200`).
    pub fn parse(grid: &str) -> Result<Self, String> {
        let (s, v) = grid
            .split_once(['x', 'X'])
            .ok_or_else(|| format!("'{grid}' is not SUBSCRIPTIONSxVMS, e.g. 50x200"))?;
        let number = |n: &str| {
            n.trim()
                .parse::<usize>()
                .map_err(|_| format!("'{n}' in '{grid}' is not a number"))
        };
        let (subscriptions, vms_per_subscription) = (number(s)?, number(v)?);
        if subscriptions == 0 {
            return Err("a tenant needs at least one subscription".to_owned());
        }
        Ok(Self {
            subscriptions,
            vms_per_subscription,
            skewed_first: None,
            key_vaults: subscriptions,
            recovery_vaults: subscriptions,
        })
    }

    /// Total VMs.
    pub fn total_vms(&self) -> usize {
        self.skewed_first.unwrap_or(self.vms_per_subscription)
            + self.vms_per_subscription * (self.subscriptions - 1)
    }
}

const REGIONS: &[&str] = &["japaneast", "japanwest", "eastus2", "westeurope"];

/// Short region names, for storage account names (lower-case letters and digits only).
const REGION_CODES: &[&str] = &["jpe", "jpw", "eus2", "weu"];

fn storage_account(rg: &str, name: &str, location: &str, kind: &str) -> StorageAccountRecord {
    StorageAccountRecord {
        resource_group: rg.to_owned(),
        name: name.to_owned(),
        location: location.to_owned(),
        sku: "Standard_LRS".to_owned(),
        kind: kind.to_owned(),
        access_tier: Some("Hot".to_owned()),
        network_rules_deny: false,
        created: "2024-06-01T00:00:00Z".to_owned(),
        tags: Default::default(),
        ready_at: 0,
        operation: None,
        blobs: vec![],
    }
}

fn uuid(rng: &mut StdRng) -> String {
    uuid::Builder::from_random_bytes(rng.random())
        .into_uuid()
        .to_string()
}

fn hex32(rng: &mut StdRng) -> String {
    uuid::Builder::from_random_bytes(rng.random())
        .into_uuid()
        .simple()
        .to_string()
}

/// A generated tenant with id `tenant_id`.
pub fn generate(spec: &ScaleSpec, tenant_id: &str) -> Tenant {
    let mut rng = StdRng::seed_from_u64(0x5AFE_401D);
    let backup_sp = uuid(&mut rng);
    let ops_group = uuid(&mut rng);
    let mut subscriptions: Vec<SubscriptionRecord> = (0..spec.subscriptions)
        .map(|i| SubscriptionRecord {
            directory: None,
            subscription_id: uuid(&mut rng),
            display_name: format!("Scale {:03}", i + 1),
            state: "Enabled".to_owned(),
            recovery_vaults: vec![],
            resource_groups: REGIONS
                .iter()
                .map(|r| ResourceGroupRecord {
                    name: format!("rg-{r}"),
                    location: (*r).to_owned(),
                    role_assignments: vec![],
                })
                .collect(),
            virtual_machines: vec![],
            classic_virtual_machines: vec![],
            key_vaults: vec![],
            bek_only_managed_unsupported: false,
            storage_accounts: vec![],
            restored_disks: vec![],
            deployments: vec![],
            network: Default::default(),
            role_assignments: vec![],
        })
        .collect();

    // Key vaults and Recovery Services vaults, round-robin over subscriptions, one region each.
    for k in 0..spec.key_vaults {
        let sub = &mut subscriptions[k % spec.subscriptions];
        let region = REGIONS[k % REGIONS.len()];
        let mut policies = vec![AccessPolicyRecord {
            tenant_id: tenant_id.to_owned(),
            object_id: ops_group.clone(),
            application_id: None,
            keys: vec![
                "get".into(),
                "list".into(),
                "wrapKey".into(),
                "unwrapKey".into(),
            ],
            secrets: vec!["get".into(), "list".into(), "set".into()],
            certificates: vec![],
            storage: vec![],
        }];
        if k % 2 == 0 {
            policies.push(AccessPolicyRecord {
                tenant_id: tenant_id.to_owned(),
                object_id: backup_sp.clone(),
                application_id: None,
                keys: vec!["get".into(), "list".into(), "backup".into()],
                secrets: vec!["get".into(), "list".into(), "backup".into()],
                certificates: vec![],
                storage: vec![],
            });
        }
        sub.key_vaults.push(KeyVaultRecord {
            resource_group: format!("rg-{region}"),
            name: format!("kv-scale-{k:04}"),
            location: region.to_owned(),
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
            created: "2024-01-01T00:00:00Z".to_owned(),
        });
    }
    for r in 0..spec.recovery_vaults {
        let sub = &mut subscriptions[r % spec.subscriptions];
        let region = REGIONS[r % REGIONS.len()];
        sub.recovery_vaults.push(RecoveryVaultRecord {
            resource_group: format!("rg-{region}"),
            name: format!("rsv-scale-{r:04}"),
            location: region.to_owned(),
            storage_redundancy: "GeoRedundant".to_owned(),
            created: "2024-01-01T00:00:00Z".to_owned(),
            tags: Default::default(),
            policies: vec![BackupPolicyRecord {
                name: "DefaultPolicy".to_owned(),
                schedule_time: "17:30".to_owned(),
                retention_days: 30,
                instant_rp_days: 2,
                time_zone: "UTC".to_owned(),
            }],
            protected_items: vec![],
            jobs: vec![],
        });
    }

    for (s, sub) in subscriptions.iter_mut().enumerate() {
        let count = if s == 0 {
            spec.skewed_first.unwrap_or(spec.vms_per_subscription)
        } else {
            spec.vms_per_subscription
        };
        // VMs live where their subscription keeps key vaults (ADE needs one in the VM's region).
        let mut regions: Vec<&'static str> = REGIONS
            .iter()
            .copied()
            .filter(|r| sub.key_vaults.iter().any(|k| k.location == *r))
            .collect();
        if regions.is_empty() {
            regions = REGIONS.to_vec();
        }
        for v in 0..count {
            let region = regions[v % regions.len()];
            let name = format!("vm-{s:03}-{v:05}");
            let os = if v % 3 == 0 {
                OsKind::Linux
            } else {
                OsKind::Windows
            };
            let kind = v % 20;
            let managed = kind != 19;
            // A key vault of this subscription in the VM's region, if it has one.
            let vault = sub.key_vaults.iter_mut().find(|k| k.location == region);
            let encryption = match (kind, vault) {
                (0..=3, _) | (_, None) => None,
                (k, Some(kv)) => {
                    let pass = if k == 19 {
                        AdePass::DualPass
                    } else {
                        AdePass::SinglePass
                    };
                    let kek = (k % 5 != 4).then(|| {
                        let key = KeyRecord {
                            name: format!("kek-{name}"),
                            version: hex32(&mut rng),
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
                    let secret = SecretRecord {
                        name: uuid(&mut rng).to_uppercase(),
                        version: hex32(&mut rng),
                        content_type: Some(
                            if kek.is_some() { "Wrapped BEK" } else { "BEK" }.to_owned(),
                        ),
                        tags: [("MachineName".to_owned(), name.clone())]
                            .into_iter()
                            .collect(),
                        value: hex32(&mut rng),
                        deleted: false,
                    };
                    let bek = VaultObjectRef {
                        vault: kv.name.clone(),
                        name: secret.name.clone(),
                        version: secret.version.clone(),
                    };
                    kv.secrets.push(secret);
                    Some(AdeRecord {
                        pass,
                        volume_type: "All".to_owned(),
                        bek,
                        kek,
                        aad_client_id: (pass == AdePass::DualPass).then(|| uuid(&mut rng)),
                    })
                }
            };
            let disk = |suffix: &str, lun: Option<u32>| DiskRecord {
                name: format!("{name}_{suffix}"),
                size_gb: 128,
                vhd_uri: (!managed).then(|| {
                    format!("https://stscalevhds.blob.core.windows.net/vhds/{name}_{suffix}.vhd")
                }),
                lun,
            };
            let vm = VirtualMachineRecord {
                resource_group: format!("rg-{region}"),
                name: name.clone(),
                location: region.to_owned(),
                vm_id: uuid(&mut rng),
                size: "Standard_D2s_v5".to_owned(),
                os,
                os_name: if os == OsKind::Linux {
                    "Ubuntu 22.04 LTS"
                } else {
                    "Windows Server 2022 Datacenter"
                }
                .to_owned(),
                os_disk: disk("OsDisk_1", None),
                data_disks: vec![disk("DataDisk_0", Some(0))],
                agent_ready: v % 50 != 7,
                power_state: "running".to_owned(),
                encryption,
                created: "2024-06-01T00:00:00Z".to_owned(),
                tags: Default::default(),
                network_interfaces: vec![],
            };
            if v % 2 == 0
                && let Some(rv) = sub
                    .recovery_vaults
                    .iter_mut()
                    .find(|r| r.location == region)
            {
                rv.protected_items.push(ProtectedItemRecord {
                    vm_resource_group: vm.resource_group.clone(),
                    vm_name: vm.name.clone(),
                    policy: "DefaultPolicy".to_owned(),
                    recovery_points: vec![],
                });
            }
            sub.virtual_machines.push(vm);
        }
    }

    // Per subscription and region: a staging account for restores and a virtual network with a
    // NIC for every VM; in the first region also a Blob storage account, which restores refuse.
    for (i, sub) in subscriptions.iter_mut().enumerate() {
        for (r, region) in REGIONS.iter().enumerate() {
            let code = REGION_CODES[r];
            sub.storage_accounts.push(storage_account(
                &format!("rg-{region}"),
                &format!("stscale{i:04}{code}"),
                region,
                "StorageV2",
            ));
            if r == 0 {
                sub.storage_accounts.push(storage_account(
                    &format!("rg-{region}"),
                    &format!("stscale{i:04}{code}blob"),
                    region,
                    "BlobStorage",
                ));
            }
        }
        let names: Vec<(String, String, String)> = REGIONS
            .iter()
            .enumerate()
            .map(|(r, region)| {
                (
                    format!("rg-{region}"),
                    format!("vnet-{region}"),
                    format!("10.{}.0.0/16", 100 + r),
                )
            })
            .collect();
        let networks: Vec<crate::network::SeedNetwork<'_>> = names
            .iter()
            .zip(REGIONS)
            .map(|((rg, name, prefix), region)| crate::network::SeedNetwork {
                resource_group: rg,
                name,
                location: region,
                address_prefix: prefix,
                subnet_prefix: prefix,
            })
            .collect();
        crate::network::provision(sub, &networks);
    }

    Tenant {
        tenant_id: tenant_id.to_owned(),
        display_name: "Contoso (scale)".to_owned(),
        subscriptions,
        users: vec![],
        directories: vec![],
        public_clients: crate::seed::public_clients(),
        groups: vec![GroupRecord {
            object_id: ops_group,
            display_name: "Operations".to_owned(),
        }],
        custom_roles: vec![],
        service_principals: vec![ServicePrincipalRecord {
            object_id: backup_sp,
            app_id: BACKUP_MANAGEMENT_SERVICE_APP_ID.to_owned(),
            display_name: "Backup Management Service".to_owned(),
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grids_parse_and_bad_ones_are_explained() {
        let spec = ScaleSpec::parse("50x200").unwrap();
        assert_eq!(
            (
                spec.subscriptions,
                spec.vms_per_subscription,
                spec.total_vms()
            ),
            (50, 200, 10_000)
        );
        assert!(
            ScaleSpec::parse("50")
                .unwrap_err()
                .contains("SUBSCRIPTIONSxVMS")
        );
        assert!(ScaleSpec::parse("0x10").is_err());
    }

    #[test]
    fn a_skewed_tenant_puts_most_vms_in_its_first_subscription() {
        let spec = ScaleSpec {
            skewed_first: Some(5_000),
            key_vaults: 100,
            recovery_vaults: 50,
            ..ScaleSpec::parse("50x100").unwrap()
        };
        let tenant = generate(&spec, "t");
        assert_eq!(tenant.subscriptions[0].virtual_machines.len(), 5_000);
        assert_eq!(
            tenant
                .subscriptions
                .iter()
                .map(|s| s.virtual_machines.len())
                .sum::<usize>(),
            spec.total_vms()
        );
        assert_eq!(
            tenant
                .subscriptions
                .iter()
                .map(|s| s.key_vaults.len())
                .sum::<usize>(),
            100
        );
        assert_eq!(
            tenant
                .subscriptions
                .iter()
                .map(|s| s.recovery_vaults.len())
                .sum::<usize>(),
            50
        );
    }

    #[test]
    fn the_mix_has_every_kind_of_vm_and_is_the_same_every_time() {
        let spec = ScaleSpec::parse("2x100").unwrap();
        let a = generate(&spec, "t");
        let b = generate(&spec, "t");
        assert_eq!(
            serde_json::to_string(&a.subscriptions).unwrap(),
            serde_json::to_string(&b.subscriptions).unwrap()
        );
        let vms: Vec<_> = a
            .subscriptions
            .iter()
            .flat_map(|s| &s.virtual_machines)
            .collect();
        let encrypted = vms.iter().filter(|v| v.encryption.is_some()).count();
        assert!(encrypted > 100 && encrypted < 200, "{encrypted}");
        assert!(
            vms.iter()
                .any(|v| v.encryption.as_ref().is_some_and(|e| e.kek.is_none()))
        );
        assert!(vms.iter().any(|v| {
            v.encryption
                .as_ref()
                .is_some_and(|e| e.pass == AdePass::DualPass)
        }));
        assert!(vms.iter().any(|v| !v.agent_ready));
    }

    #[test]
    fn every_vm_has_a_nic_in_its_region_and_every_region_a_staging_account() {
        let tenant = generate(&ScaleSpec::parse("2x300").unwrap(), "t");
        for sub in &tenant.subscriptions {
            for vm in &sub.virtual_machines {
                let nic = &vm.network_interfaces[0];
                assert!(
                    crate::network::nic_in_region(sub, nic, &vm.location),
                    "{nic}"
                );
            }
            let addresses: std::collections::BTreeSet<_> = sub
                .network
                .network_interfaces
                .iter()
                .map(|n| &n.ip_configurations[0].private_ip)
                .collect();
            assert_eq!(addresses.len(), sub.virtual_machines.len());
            for region in REGIONS {
                assert!(sub.storage_accounts.iter().any(|a| a.location == *region
                    && a.kind == "StorageV2"
                    && crate::storage::valid_name(&a.name)));
            }
        }
    }
}
