use crate::Result;
use crate::inventory::{DiskRecord, VmRecord};

/// Azure Compute, read with list calls only: a few per subscription, never one per VM. Items
/// the service describes oddly are kept, with what could not be read.
#[async_trait::async_trait]
pub trait ComputeApi: Send + Sync {
    /// Every VM of a subscription: models and instance views (`statusOnly=true`), joined.
    async fn list_vms(&self, subscription_id: &str) -> Result<Vec<VmRecord>>;

    /// Every classic (Service Manager) VM of a subscription, marked classic; none when the
    /// subscription never registered the classic provider.
    async fn list_classic_vms(&self, subscription_id: &str) -> Result<Vec<VmRecord>>;

    /// Every managed disk of a subscription.
    async fn list_disks(&self, subscription_id: &str) -> Result<Vec<DiskRecord>>;
}
