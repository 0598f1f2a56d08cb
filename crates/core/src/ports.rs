//! The ports services call. `safehold-azure` implements them over HTTPS; tests may fake them.

use crate::Result;
use crate::inventory::{RecoveryVault, Subscription, Tenant};

/// Azure Resource Manager, as far as Safehold reads it.
#[async_trait::async_trait]
pub trait ArmApi: Send + Sync {
    /// The directories the principal can use (home and guest), all pages followed.
    async fn list_tenants(&self) -> Result<Vec<Tenant>>;

    /// Every subscription the principal can see, all pages followed.
    async fn list_subscriptions(&self) -> Result<Vec<Subscription>>;

    /// The Recovery Services vaults of one subscription, all pages followed.
    async fn list_recovery_vaults(&self, subscription_id: &str) -> Result<Vec<RecoveryVault>>;
}
