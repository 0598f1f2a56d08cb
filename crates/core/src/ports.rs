//! The ports services call. `safehold-azure` implements them over HTTPS; tests may fake them.

use crate::Result;
use crate::inventory::{
    DirectoryName, DiskRecord, FailedJob, KeyVaultRecord, ProtectedVmRecord, RecoveryVault,
    RoleAssignmentRecord, RoleDefinitionRecord, Subscription, Tenant, VmRecord,
};

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

/// The list calls the inventory is built from: a few per subscription and per vault, never one
/// per VM. Items the service describes oddly are kept, with what could not be read.
#[async_trait::async_trait]
pub trait InventoryApi: Send + Sync {
    /// Every VM of a subscription: models and instance views (`statusOnly=true`), joined.
    async fn list_vms(&self, subscription_id: &str) -> Result<Vec<VmRecord>>;

    /// Every classic (Service Manager) VM of a subscription, marked classic.
    async fn list_classic_vms(&self, subscription_id: &str) -> Result<Vec<VmRecord>>;

    /// Every managed disk of a subscription.
    async fn list_disks(&self, subscription_id: &str) -> Result<Vec<DiskRecord>>;

    /// Every key vault of a subscription, with its access policies.
    async fn list_key_vaults(&self, subscription_id: &str) -> Result<Vec<KeyVaultRecord>>;

    /// The VMs a Recovery Services vault protects.
    async fn list_protected_vms(&self, vault_id: &str) -> Result<Vec<ProtectedVmRecord>>;

    /// The VM jobs of a Recovery Services vault that failed since `since` (Unix seconds),
    /// newest first.
    async fn list_failed_jobs(&self, vault_id: &str, since: i64) -> Result<Vec<FailedJob>>;

    /// A role definition by its GUID, as seen from `scope` (custom roles live in the
    /// subscription).
    async fn get_role_definition(
        &self,
        scope: &str,
        role_guid: &str,
    ) -> Result<RoleDefinitionRecord>;

    /// The role assignments of `principal_id` that apply at `scope` (a key vault's id).
    async fn list_role_assignments(
        &self,
        scope: &str,
        principal_id: &str,
    ) -> Result<Vec<RoleAssignmentRecord>>;
}

/// Microsoft Graph, as far as Safehold reads it.
#[async_trait::async_trait]
pub trait DirectoryApi: Send + Sync {
    /// The object id, in the signed-in tenant, of the service principal of application
    /// `app_id`; none when the tenant has no such principal.
    async fn service_principal_by_app_id(&self, app_id: &str) -> Result<Option<String>>;

    /// The names of these users, groups and principals, asked in batches; ids the directory
    /// does not know are left out.
    async fn names(&self, ids: &[String]) -> Result<Vec<DirectoryName>>;
}

/// Changing who may read a key vault: only ever by adding, never by rewriting the vault.
#[async_trait::async_trait]
pub trait KeyVaultAccessApi: Send + Sync {
    /// The key vault as it is now.
    async fn get_key_vault(&self, vault_id: &str) -> Result<KeyVaultRecord>;

    /// `PUT {vault}/accessPolicies/add`: merges `entry` into the vault's policies; other
    /// principals' entries are untouched by the service. A write overlapping another answers
    /// `ErrorCode::Conflict`.
    async fn add_access_policy(
        &self,
        vault_id: &str,
        entry: &crate::inventory::AccessPolicy,
    ) -> Result<()>;

    /// Every role assignment that applies at `scope` (a key vault's id): made there or above
    /// it, whoever holds it.
    async fn role_assignments(&self, scope: &str) -> Result<Vec<RoleAssignmentRecord>>;

    /// Assigns `role_definition_guid` to a service principal at `scope`. An identical existing
    /// assignment counts as done.
    async fn assign_role(
        &self,
        scope: &str,
        role_definition_guid: &str,
        principal_id: &str,
    ) -> Result<()>;
}
