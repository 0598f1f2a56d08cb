//! The simulated tenant: who may sign in and which resources exist.
//!
//! State lives in `tenant.json` in the data directory and is created from the demo seed on first
//! run. These are the sandbox's own records; the wire shapes are built from them in `arm`.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::store;

const TENANT_FILE: &str = "tenant.json";
const CREDENTIALS_FILE: &str = "credentials.json";

/// The tenant and everything in it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Tenant {
    /// Directory (tenant) id.
    pub tenant_id: String,
    /// Display name shown in sign-in pages.
    pub display_name: String,
    /// Subscriptions, in creation order.
    pub subscriptions: Vec<SubscriptionRecord>,
}

/// A subscription and the resources in it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SubscriptionRecord {
    /// Subscription GUID.
    pub subscription_id: String,
    /// Display name.
    pub display_name: String,
    /// `Enabled`, `Disabled`, …
    pub state: String,
    /// Recovery Services vaults.
    pub recovery_vaults: Vec<RecoveryVaultRecord>,
}

/// A Recovery Services vault.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RecoveryVaultRecord {
    /// Resource group name.
    pub resource_group: String,
    /// Vault name.
    pub name: String,
    /// Region.
    pub location: String,
    /// `LocallyRedundant`, `ZoneRedundant` or `GeoRedundant`.
    pub storage_redundancy: String,
    /// When the vault was created (RFC 3339), used for its etag.
    pub created: String,
    /// Resource tags.
    pub tags: std::collections::BTreeMap<String, String>,
}

/// The service principal the sandbox lets sign in with client credentials.
#[derive(Clone, Serialize, Deserialize)]
pub struct ServicePrincipal {
    /// Tenant it lives in.
    pub tenant_id: String,
    /// Application (client) id.
    pub client_id: String,
    /// Client secret, generated on first run.
    pub client_secret: String,
    /// Its object id in the tenant.
    pub object_id: String,
    /// Display name.
    pub display_name: String,
}

impl std::fmt::Debug for ServicePrincipal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServicePrincipal")
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl Tenant {
    /// Loads the tenant from `dir`, seeding the demo tenant on first run.
    pub fn load_or_seed(dir: &Path) -> anyhow::Result<Self> {
        store::load_or_create_json(&dir.join(TENANT_FILE), "tenant", crate::seed::contoso)
    }

    /// The subscription with this id, compared case-insensitively.
    pub fn subscription(&self, id: &str) -> Option<&SubscriptionRecord> {
        self.subscriptions
            .iter()
            .find(|s| s.subscription_id.eq_ignore_ascii_case(id))
    }
}

impl ServicePrincipal {
    /// Loads the principal from `dir`, creating it (with a fresh secret) on first run.
    pub fn load_or_create(dir: &Path, tenant_id: &str) -> anyhow::Result<Self> {
        store::load_or_create_json(&Self::file_path(dir), "credentials", || Self {
            tenant_id: tenant_id.to_owned(),
            client_id: uuid::Uuid::new_v4().to_string(),
            client_secret: crate::token::random_secret(),
            object_id: uuid::Uuid::new_v4().to_string(),
            display_name: "Safehold sandbox operator".to_owned(),
        })
    }

    /// Where the credentials file lives in `dir`.
    pub fn file_path(dir: &Path) -> std::path::PathBuf {
        dir.join(CREDENTIALS_FILE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_principal_debug_output_hides_the_secret() {
        let dir = tempfile::tempdir().unwrap();
        let principal = ServicePrincipal::load_or_create(dir.path(), "t").unwrap();
        let shown = format!("{principal:?}");
        assert!(!shown.contains(&principal.client_secret));
        assert!(shown.contains("<redacted>"));
    }

    #[test]
    fn state_persists_across_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let tenant = Tenant::load_or_seed(dir.path()).unwrap();
        let principal = ServicePrincipal::load_or_create(dir.path(), &tenant.tenant_id).unwrap();
        let again = Tenant::load_or_seed(dir.path()).unwrap();
        let principal_again =
            ServicePrincipal::load_or_create(dir.path(), &tenant.tenant_id).unwrap();
        assert_eq!(tenant.tenant_id, again.tenant_id);
        assert_eq!(principal.client_secret, principal_again.client_secret);
    }

    #[test]
    fn a_corrupt_tenant_file_is_reported_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(TENANT_FILE), b"{ not json").unwrap();
        let error = Tenant::load_or_seed(dir.path()).unwrap_err();
        assert!(format!("{error:#}").contains("is not a sandbox tenant file"));
        assert_eq!(
            std::fs::read(dir.path().join(TENANT_FILE)).unwrap(),
            b"{ not json"
        );
    }
}
