use crate::Result;
use crate::inventory::{Subscription, Tenant};

/// Azure Resource Manager's own lists: the directories and subscriptions a principal sees.
#[async_trait::async_trait]
pub trait ResourceManagerApi: Send + Sync {
    /// The directories the principal can use (home and guest), all pages followed.
    async fn list_tenants(&self) -> Result<Vec<Tenant>>;

    /// Every subscription the principal can see, all pages followed.
    async fn list_subscriptions(&self) -> Result<Vec<Subscription>>;
}
