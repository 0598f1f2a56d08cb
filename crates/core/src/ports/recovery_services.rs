use crate::Result;
use crate::inventory::{FailedJob, ProtectedVmRecord, RecoveryVault};

/// Azure Backup, through its Recovery Services vaults.
#[async_trait::async_trait]
pub trait RecoveryServicesApi: Send + Sync {
    /// The Recovery Services vaults of one subscription, all pages followed.
    async fn list_recovery_vaults(&self, subscription_id: &str) -> Result<Vec<RecoveryVault>>;

    /// The VMs a Recovery Services vault protects.
    async fn list_protected_vms(&self, vault_id: &str) -> Result<Vec<ProtectedVmRecord>>;

    /// The VM jobs of a Recovery Services vault that failed since `since` (Unix seconds),
    /// newest first.
    async fn list_failed_jobs(&self, vault_id: &str, since: i64) -> Result<Vec<FailedJob>>;
}
