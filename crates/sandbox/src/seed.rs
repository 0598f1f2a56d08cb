//! The demo tenant: Contoso, with two subscriptions and a few Recovery Services vaults.
//!
//! Ids are generated per installation, like a real tenant's; names, regions and dates are fixed
//! so screenshots and documentation read the same everywhere.

use std::collections::BTreeMap;

use crate::tenant::{RecoveryVaultRecord, SubscriptionRecord, Tenant};

fn vault(
    rg: &str,
    name: &str,
    location: &str,
    redundancy: &str,
    created: &str,
) -> RecoveryVaultRecord {
    let mut tags = BTreeMap::new();
    tags.insert("owner".to_owned(), "it-operations".to_owned());
    RecoveryVaultRecord {
        resource_group: rg.to_owned(),
        name: name.to_owned(),
        location: location.to_owned(),
        storage_redundancy: redundancy.to_owned(),
        created: created.to_owned(),
        tags,
    }
}

/// A fresh Contoso tenant.
pub fn contoso() -> Tenant {
    Tenant {
        tenant_id: uuid::Uuid::new_v4().to_string(),
        display_name: "Contoso".to_owned(),
        subscriptions: vec![
            SubscriptionRecord {
                subscription_id: uuid::Uuid::new_v4().to_string(),
                display_name: "Contoso Production".to_owned(),
                state: "Enabled".to_owned(),
                recovery_vaults: vec![
                    vault(
                        "rg-backup-prod",
                        "rsv-prod-japaneast",
                        "japaneast",
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
                ],
            },
            SubscriptionRecord {
                subscription_id: uuid::Uuid::new_v4().to_string(),
                display_name: "Contoso Development".to_owned(),
                state: "Enabled".to_owned(),
                recovery_vaults: vec![vault(
                    "rg-backup-dev",
                    "rsv-dev-japaneast",
                    "japaneast",
                    "LocallyRedundant",
                    "2025-01-20T07:45:00Z",
                )],
            },
        ],
    }
}
