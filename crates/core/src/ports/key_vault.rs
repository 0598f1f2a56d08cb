use crate::Result;
use crate::inventory::{AccessPolicy, KeyVaultRecord};

/// Azure Key Vault's management plane: the vaults and who may read them. Access is only ever
/// added, never rewritten.
#[async_trait::async_trait]
pub trait KeyVaultApi: Send + Sync {
    /// Every key vault of a subscription, with its access policies.
    async fn list_key_vaults(&self, subscription_id: &str) -> Result<Vec<KeyVaultRecord>>;

    /// The key vault as it is now.
    async fn get_key_vault(&self, vault_id: &str) -> Result<KeyVaultRecord>;

    /// `PUT {vault}/accessPolicies/add`: merges `entry` into the vault's policies; other
    /// principals' entries are untouched by the service. A write overlapping another answers
    /// `ErrorCode::Conflict`.
    async fn add_access_policy(&self, vault_id: &str, entry: &AccessPolicy) -> Result<()>;
}
