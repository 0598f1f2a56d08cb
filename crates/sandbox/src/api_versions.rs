//! The api-versions each API accepts. Like the real service, the sandbox accepts an API's
//! whole published set (old and new) and rejects anything else.
//!
//! The newest entries are the ones real clients send, and each says which client sends it. They
//! were read from the clients' own sources (`api_version` defaults of the Python SDKs, the
//! `api-version` query of the Azure CLI's generated `aaz` commands, its API profile in
//! `azure/cli/core/profiles/_shared.py`, and versions hard-coded in its command modules):
//!
//! - the Azure CLI 2.91.0 from PyPI, with the SDKs it pins (azure-mgmt-recoveryservicesbackup
//!   11.1.0, azure-mgmt-recoveryservices 4.2.0, azure-mgmt-keyvault 14.0.1,
//!   azure-mgmt-resource 24.0.0, azure-mgmt-resource-deployments 1.0.0b1,
//!   azure-mgmt-authorization 5.0.0b2, azure-keyvault-keys 4.12.0b2, azure-keyvault-secrets 4.7.0);
//! - the newest Python SDKs on PyPI, as pinned by `tests/conformance/requirements.txt`.
//!
//! `tests/cli` and `tests/conformance` run those clients, so a release that sends a version
//! missing here fails there.

/// Where a version set belongs, which decides the error ARM gives for an unknown version.
#[derive(Debug)]
pub enum Kind {
    /// ARM's own APIs (subscriptions, tenants): `InvalidApiVersionParameter`.
    Platform,
    /// A resource provider's type: `NoRegisteredProviderFound`.
    ResourceProvider {
        /// The resource type named in the error.
        resource_type: &'static str,
    },
}

/// The accepted versions of one API.
#[derive(Debug)]
pub struct Set {
    /// Which error an unknown version gets.
    pub kind: Kind,
    /// Accepted versions.
    pub versions: &'static [&'static str],
}

impl Set {
    /// Whether `version` is accepted (case-insensitively, as `-Preview` is sometimes capitalised).
    pub fn contains(&self, version: &str) -> bool {
        self.versions
            .iter()
            .any(|v| v.eq_ignore_ascii_case(version))
    }
}

/// `Microsoft.Resources` subscriptions.
pub static SUBSCRIPTIONS: Set = Set {
    kind: Kind::Platform,
    versions: &[
        "2014-04-01",
        "2014-04-01-preview",
        "2015-01-01",
        "2015-11-01",
        "2016-02-01",
        "2016-06-01",
        "2016-09-01",
        "2017-05-10",
        "2017-06-01",
        "2017-08-01",
        "2018-02-01",
        "2018-05-01",
        "2018-06-01",
        "2018-08-01",
        "2018-09-01",
        "2019-03-01",
        "2019-05-01",
        "2019-06-01",
        "2019-07-01",
        "2019-08-01",
        "2019-10-01",
        "2019-11-01",
        "2020-01-01",
        "2020-06-01",
        "2020-08-01",
        "2020-10-01",
        "2021-01-01",
        "2021-04-01",
        "2022-01-01",
        "2022-09-01",
        // Subscriptions and tenants: azure-cli 2.91.0's API profile (`az login`) and
        // azure-mgmt-resource-subscriptions 1.0.0.
        "2022-12-01",
        "2023-07-01",
        "2024-03-01",
        "2024-07-01",
        // azure-cli 2.91.0's API profile for resources and resource groups (`az group list`).
        "2024-11-01",
        "2025-01-01",
        "2025-03-01",
        // azure-mgmt-resource 26.0.0 (resource groups, generic resources); also
        // azure-mgmt-resource-deployments 1.0.0b1, which azure-cli 2.91.0 deploys with.
        "2025-04-01",
        // azure-mgmt-resource-deployments 2.0.0.
        "2026-06-01",
    ],
};

/// `Microsoft.RecoveryServices/vaults`.
pub static RECOVERY_SERVICES_VAULTS: Set = Set {
    kind: Kind::ResourceProvider {
        resource_type: "vaults",
    },
    versions: &[
        "2016-06-01",
        "2020-02-02",
        "2020-10-01",
        "2021-01-01",
        "2021-02-10",
        "2021-03-01",
        "2021-04-01",
        "2021-06-01",
        "2021-07-01",
        "2021-08-01",
        "2021-11-01-preview",
        "2022-01-01-preview",
        "2022-01-31-preview",
        "2022-02-01",
        "2022-03-01",
        "2022-04-01",
        "2022-05-01",
        "2022-08-01",
        "2022-09-10",
        "2022-10-01",
        "2023-01-01",
        "2023-02-01",
        "2023-04-01",
        "2023-06-01",
        "2023-08-01",
        "2024-01-01",
        "2024-02-01",
        "2024-04-01",
        "2024-09-30-preview",
        "2024-10-01",
        "2025-01-01",
        "2025-02-01",
        "2025-08-01",
        "2026-01-01",
        "2026-02-01",
        // azure-cli 2.91.0 backup module (`az backup vault list/show/create`):
        // azure-mgmt-recoveryservices 4.2.0.
        "2026-07-01",
        "2026-08-01",
        // azure-mgmt-recoveryservices 4.3.0.
        "2026-11-01",
    ],
};

/// `Microsoft.Resources` resource groups (the platform's own API).
pub static RESOURCE_GROUPS: Set = Set {
    kind: Kind::Platform,
    versions: SUBSCRIPTIONS.versions,
};

/// `Microsoft.Compute/virtualMachines` (and their extensions and instance views).
pub static VIRTUAL_MACHINES: Set = Set {
    kind: Kind::ResourceProvider {
        resource_type: "virtualMachines",
    },
    versions: &[
        "2015-05-01-preview",
        "2015-06-15",
        "2016-03-30",
        "2016-04-30-preview",
        "2017-03-30",
        "2017-12-01",
        "2018-04-01",
        "2018-06-01",
        "2018-10-01",
        "2019-03-01",
        "2019-07-01",
        "2019-12-01",
        "2020-06-01",
        "2020-12-01",
        "2021-03-01",
        "2021-04-01",
        "2021-07-01",
        "2021-11-01",
        "2022-03-01",
        "2022-08-01",
        // azure-cli 2.91.0 vm module (`aaz` operations of older command versions).
        "2022-11-01",
        // azure-cli 2.91.0 backup module: reads the VM through the generic resource API at this
        // version before enabling protection.
        "2023-03-01",
        "2023-07-01",
        "2023-09-01",
        // azure-cli 2.91.0 vm module (`aaz`).
        "2024-03-01",
        "2024-07-01",
        // azure-cli 2.91.0's API profile for Compute, and its `aaz` operations.
        "2024-11-01",
        "2025-04-01",
        // azure-cli 2.91.0 vm module (`aaz`).
        "2025-11-01",
        // azure-cli 2.91.0 `az vm list/show` (`aaz`) and azure-mgmt-compute 39.0.0.
        "2026-04-01",
    ],
};

/// `Microsoft.Compute/disks`.
pub static DISKS: Set = Set {
    kind: Kind::ResourceProvider {
        resource_type: "disks",
    },
    versions: &[
        "2016-04-30-preview",
        "2017-03-30",
        "2018-04-01",
        "2018-06-01",
        "2018-09-30",
        "2019-03-01",
        "2019-07-01",
        "2019-11-01",
        "2020-05-01",
        "2020-06-30",
        "2020-09-30",
        "2020-12-01",
        "2021-04-01",
        "2021-08-01",
        "2021-12-01",
        "2022-03-02",
        "2022-07-02",
        "2023-01-02",
        // azure-cli 2.91.0's API profile for disks.
        "2023-04-02",
        "2023-10-02",
        "2024-03-02",
        // azure-cli 2.91.0 `az disk list/show` (`aaz`).
        "2025-01-02",
        // azure-mgmt-compute 39.0.0.
        "2026-03-02",
    ],
};

/// `Microsoft.KeyVault/vaults` and `deletedVaults`.
pub static KEY_VAULTS: Set = Set {
    kind: Kind::ResourceProvider {
        resource_type: "vaults",
    },
    versions: &[
        "2015-06-01",
        "2016-10-01",
        "2018-02-14",
        "2019-09-01",
        "2021-04-01-preview",
        "2021-06-01-preview",
        "2021-10-01",
        "2021-11-01-preview",
        "2022-02-01-preview",
        "2022-07-01",
        "2022-11-01",
        "2023-02-01",
        "2023-07-01",
        "2023-08-01-preview",
        "2024-04-01-preview",
        "2024-11-01",
        "2024-12-01-preview",
        "2025-05-01",
        // azure-cli 2.91.0 keyvault module: azure-mgmt-keyvault 14.0.1 (vaults, managed HSMs,
        // access policies).
        "2026-02-01",
        // azure-mgmt-keyvault 14.1.0.
        "2026-05-15",
    ],
};

/// `Microsoft.ClassicCompute/virtualMachines`.
pub static CLASSIC_VIRTUAL_MACHINES: Set = Set {
    kind: Kind::ResourceProvider {
        resource_type: "virtualMachines",
    },
    versions: &[
        "2014-06-01",
        "2015-06-01",
        "2015-10-01",
        "2016-04-01",
        "2016-11-01",
        "2017-04-01",
    ],
};

/// The cloud metadata endpoint.
pub static METADATA: Set = Set {
    kind: Kind::Platform,
    versions: &[
        "2015-01-01",
        "2018-01-01",
        "2019-05-01",
        "2020-06-01",
        "2022-09-01",
    ],
};

/// Azure Backup (`bms`): vault-scoped backup operations. Status and result URLs come back with
/// older versions than the caller sent (2016-12-01, 2019-05-13), so the whole range is accepted.
pub static RECOVERY_SERVICES_BACKUP: Set = Set {
    kind: Kind::ResourceProvider {
        resource_type: "vaults",
    },
    versions: &[
        "2016-06-01",
        "2016-08-10",
        "2016-12-01",
        "2017-07-01",
        "2019-05-13",
        "2019-06-15",
        "2020-10-01",
        "2020-12-01",
        "2021-01-01",
        "2021-02-01",
        "2021-02-10",
        "2021-03-01",
        "2021-04-01",
        "2021-06-01",
        "2021-07-01",
        "2021-08-01",
        "2021-10-01",
        "2021-12-01",
        "2022-01-01",
        "2022-02-01",
        "2022-03-01",
        "2022-04-01",
        "2022-06-01-preview",
        "2022-09-01-preview",
        "2022-09-30-preview",
        "2022-10-01",
        "2023-01-01",
        "2023-02-01",
        "2023-04-01",
        "2023-06-01",
        "2023-08-01",
        "2024-01-01",
        "2024-02-01",
        "2024-04-01",
        "2024-07-30-preview",
        "2024-10-01",
        "2025-01-01",
        "2025-02-01",
        "2025-08-01",
        "2026-01-01",
        "2026-02-01",
        // azure-cli 2.91.0 backup module (policies, items, protection, jobs, recovery points,
        // restores): azure-mgmt-recoveryservicesbackup 11.1.0.
        "2026-08-01",
        // azure-mgmt-recoveryservicesbackup 11.2.0.
        "2026-10-01",
    ],
};

/// `Microsoft.Authorization` role assignments and definitions.
pub static AUTHORIZATION: Set = Set {
    kind: Kind::ResourceProvider {
        resource_type: "roleAssignments",
    },
    versions: &[
        "2015-06-01",
        "2015-07-01",
        "2017-10-01-preview",
        "2018-01-01-preview",
        "2018-07-01",
        "2018-09-01-preview",
        "2020-03-01-preview",
        "2020-04-01-preview",
        "2020-08-01-preview",
        "2020-10-01",
        "2020-10-01-preview",
        "2021-04-01-preview",
        "2022-01-01-preview",
        // azure-cli 2.91.0 role module (`az role assignment list` and its `aaz` operations),
        // azure-mgmt-authorization 4.0.0.
        "2022-04-01",
        // azure-cli 2.91.0 role module: role definitions, to name each assignment's role.
        "2022-05-01-preview",
    ],
};

/// `Microsoft.Resources/deployments`.
pub static DEPLOYMENTS: Set = Set {
    kind: Kind::Platform,
    versions: SUBSCRIPTIONS.versions,
};

/// The generic resources view (`{sub}/resources`, `{sub}/resourceGroups/{rg}/resources`), part of
/// `Microsoft.Resources`. Key Vault's own `Vaults_List` goes through it at 2015-11-01.
pub static RESOURCES: Set = Set {
    kind: Kind::Platform,
    versions: SUBSCRIPTIONS.versions,
};

/// `Microsoft.Storage/storageAccounts` (and `checkNameAvailability`, and create operations).
pub static STORAGE: Set = Set {
    kind: Kind::ResourceProvider {
        resource_type: "storageAccounts",
    },
    versions: &[
        "2015-05-01-preview",
        "2015-06-15",
        "2016-01-01",
        "2016-05-01",
        "2016-12-01",
        "2017-06-01",
        "2017-10-01",
        "2018-02-01",
        "2018-03-01-preview",
        "2018-07-01",
        "2018-11-01",
        "2019-04-01",
        "2019-06-01",
        "2020-08-01-preview",
        "2021-01-01",
        "2021-02-01",
        "2021-04-01",
        "2021-06-01",
        "2021-08-01",
        "2021-09-01",
        "2022-05-01",
        "2022-09-01",
        "2023-01-01",
        "2023-04-01",
        "2023-05-01",
        "2024-01-01",
        "2025-01-01",
        "2025-06-01",
        // azure-cli 2.91.0 storage module: azure-mgmt-storage 25.0.0 (`az storage account list`).
        "2025-08-01",
        // azure-cli 2.91.0 storage module (`aaz` operations).
        "2026-04-01",
        // What azure-mgmt-storage 25.3.0 sends.
        "2026-09-01",
    ],
};

/// `Microsoft.Network`: virtual networks, subnets, NICs, public IPs, NSGs and their operations.
pub static NETWORK: Set = Set {
    kind: Kind::ResourceProvider {
        resource_type: "virtualNetworks",
    },
    versions: &[
        "2015-06-15",
        "2016-03-30",
        "2016-06-01",
        "2016-09-01",
        "2016-12-01",
        "2017-03-01",
        "2017-06-01",
        "2017-08-01",
        "2017-09-01",
        "2017-10-01",
        "2017-11-01",
        "2018-01-01",
        "2018-02-01",
        "2018-04-01",
        "2018-06-01",
        "2018-07-01",
        "2018-08-01",
        "2018-10-01",
        "2018-11-01",
        "2018-12-01",
        "2019-02-01",
        "2019-04-01",
        "2019-06-01",
        "2019-07-01",
        "2019-08-01",
        "2019-09-01",
        "2019-11-01",
        "2019-12-01",
        "2020-03-01",
        "2020-04-01",
        "2020-05-01",
        "2020-06-01",
        "2020-07-01",
        "2020-08-01",
        "2020-11-01",
        "2021-02-01",
        "2021-03-01",
        "2021-05-01",
        "2021-08-01",
        // azure-cli 2.91.0's API profile for Network (`az vm list -d` reads NICs and public IPs).
        "2022-01-01",
        "2022-05-01",
        "2022-07-01",
        "2022-09-01",
        "2022-11-01",
        "2023-02-01",
        "2023-04-01",
        "2023-05-01",
        "2023-06-01",
        "2023-09-01",
        "2023-11-01",
        "2024-01-01",
        "2024-03-01",
        "2024-05-01",
        "2024-07-01",
        "2024-10-01",
        "2025-01-01",
        "2025-03-01",
        "2025-05-01",
        // azure-cli 2.91.0 network module (`az network vnet list`, `aaz`).
        "2025-07-01",
        // azure-cli 2.91.0 network module (`aaz`: NICs, public IPs).
        "2025-09-01",
        // What azure-mgmt-network 33.1.0 sends.
        "2026-03-01",
    ],
};

/// The Key Vault data plane (keys and secrets), matched exactly.
pub static KEY_VAULT_DATA: &[&str] = &[
    "2016-10-01",
    "7.0",
    "7.1",
    "7.2",
    "7.3",
    // azure-cli 2.91.0 `az keyvault secret ...` (it pins this version for its secret client).
    "7.4",
    "7.5",
    "7.6",
    // azure-cli 2.91.0 `az keyvault key ...` (it pins this preview for its key client).
    "7.6-preview.2",
    // azure-keyvault-secrets 4.12.0.
    "2025-07-01",
    // azure-keyvault-keys 4.12.0b2 (the CLI's copy) when a caller keeps its default.
    "2026-01-01-preview",
    // azure-keyvault-keys 4.11.3.
    "2026-04-01",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_the_azure_cli_2_91_sends_is_accepted() {
        for (set, version) in [
            (&RECOVERY_SERVICES_BACKUP, "2026-08-01"),
            (&RECOVERY_SERVICES_VAULTS, "2026-07-01"),
            (&KEY_VAULTS, "2026-02-01"),
            (&VIRTUAL_MACHINES, "2026-04-01"),
            (&VIRTUAL_MACHINES, "2023-03-01"),
            (&DISKS, "2025-01-02"),
            (&RESOURCE_GROUPS, "2024-11-01"),
            (&SUBSCRIPTIONS, "2022-12-01"),
            (&DEPLOYMENTS, "2025-04-01"),
            (&AUTHORIZATION, "2022-04-01"),
        ] {
            assert!(set.contains(version), "{version} for {:?}", set.kind);
        }
        for version in ["7.4", "7.6-preview.2"] {
            assert!(KEY_VAULT_DATA.contains(&version));
        }
    }

    #[test]
    fn an_unpublished_version_is_refused() {
        assert!(!RECOVERY_SERVICES_BACKUP.contains("2026-08-02"));
        assert!(!KEY_VAULT_DATA.contains(&"7.7"));
    }
}
