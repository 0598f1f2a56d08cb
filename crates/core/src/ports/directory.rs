use crate::Result;
use crate::inventory::DirectoryName;

/// Microsoft Graph, as far as Safehold reads the directory.
#[async_trait::async_trait]
pub trait DirectoryApi: Send + Sync {
    /// The object id, in the signed-in tenant, of the service principal of application
    /// `app_id`; none when the tenant has no such principal.
    async fn service_principal_by_app_id(&self, app_id: &str) -> Result<Option<String>>;

    /// The names of these users, groups and principals, asked in batches; ids the directory
    /// does not know are left out.
    async fn names(&self, ids: &[String]) -> Result<Vec<DirectoryName>>;
}
