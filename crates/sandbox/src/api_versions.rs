//! The api-versions each API accepts. Like the real service, the sandbox accepts an API's
//! whole published set (old and new) and rejects anything else.

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
        "2022-12-01",
        "2023-07-01",
        "2024-03-01",
        "2024-07-01",
        "2024-11-01",
        "2025-01-01",
        "2025-03-01",
        "2025-04-01",
        // What azure-mgmt-resource-deployments 2.0.0 sends.
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
        // What the Azure CLI (2.8x) sends for `az backup vault list`.
        "2026-07-01",
        "2026-08-01",
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
        "2022-11-01",
        "2023-03-01",
        "2023-07-01",
        "2023-09-01",
        "2024-03-01",
        "2024-07-01",
        "2024-11-01",
        "2025-04-01",
        "2025-11-01",
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
        "2023-04-02",
        "2023-10-02",
        "2024-03-02",
        "2025-01-02",
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
        "2026-02-01",
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
        "2022-04-01",
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
        "2025-08-01",
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
        // What azure-mgmt-network 33.1.0 sends.
        "2026-03-01",
    ],
};
