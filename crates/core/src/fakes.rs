//! An in-memory Azure behind every port, for the services' tests (feature `test-support`).
//!
//! It holds records as the adapters would return them and answers from them; writes change
//! them. Calls are counted per port method, and any method can be made to fail, so a test can
//! say what was asked and what happens when Azure refuses.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::inventory::{
    AccessPolicy, DirectoryName, DiskRecord, FailedJob, KeyVaultRecord, ProtectedVmRecord,
    RecoveryVault, RoleAssignmentRecord, RoleDefinitionRecord, Subscription, Tenant, VmRecord,
};
use crate::ports::{
    AuthorizationApi, ComputeApi, DirectoryApi, KeyVaultApi, RecoveryServicesApi,
    ResourceManagerApi, RoleAssignmentFilter,
};
use crate::{Error, ResourceId, Result, SubscriptionId};

/// What the fake tenant holds.
#[derive(Clone, Debug, Default)]
pub struct FakeTenant {
    /// Directories.
    pub tenants: Vec<Tenant>,
    /// Subscriptions.
    pub subscriptions: Vec<Subscription>,
    /// VMs (models and instance views joined), classic ones included.
    pub vms: Vec<VmRecord>,
    /// Managed disks.
    pub disks: Vec<DiskRecord>,
    /// Key vaults with their access policies.
    pub key_vaults: Vec<KeyVaultRecord>,
    /// Recovery Services vaults.
    pub recovery_vaults: Vec<RecoveryVault>,
    /// Protected VMs, by the id of the vault that protects them.
    pub protected: Vec<(String, ProtectedVmRecord)>,
    /// Failed jobs, by the id of their vault.
    pub failed_jobs: Vec<(String, FailedJob)>,
    /// Role definitions by GUID (lower case).
    pub role_definitions: HashMap<String, RoleDefinitionRecord>,
    /// Role assignments.
    pub role_assignments: Vec<RoleAssignmentRecord>,
    /// Directory objects: id → name, and Backup's principal by application id.
    pub names: Vec<DirectoryName>,
    /// Service principals by application id.
    pub service_principals: HashMap<String, String>,
}

/// Which methods fail, and with what.
type Failures = HashMap<&'static str, fn() -> Error>;

/// The fake Azure.
#[derive(Default)]
pub struct FakeAzure {
    tenant: Mutex<FakeTenant>,
    calls: Mutex<HashMap<&'static str, u32>>,
    failures: Mutex<Failures>,
}

impl FakeAzure {
    /// A fake holding `tenant`.
    pub fn new(tenant: FakeTenant) -> Self {
        Self {
            tenant: Mutex::new(tenant),
            ..Self::default()
        }
    }

    /// Makes every call of `method` fail with the error `error` makes.
    pub fn fail(&self, method: &'static str, error: fn() -> Error) {
        self.lock_failures().insert(method, error);
    }

    /// How often `method` was called.
    pub fn calls(&self, method: &str) -> u32 {
        self.calls
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(method)
            .copied()
            .unwrap_or(0)
    }

    /// The tenant as it is now.
    pub fn tenant(&self) -> FakeTenant {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FakeTenant> {
        self.tenant
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn lock_failures(&self) -> std::sync::MutexGuard<'_, Failures> {
        self.failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Counts the call, and fails it when told to.
    fn enter(&self, method: &'static str) -> Result<()> {
        *self
            .calls
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(method)
            .or_default() += 1;
        match self.lock_failures().get(method) {
            Some(error) => Err(error()),
            None => Ok(()),
        }
    }
}

fn in_subscription(id: &str, subscription_id: &str) -> bool {
    ResourceId::new(id).subscription() == Some(SubscriptionId::new(subscription_id))
}

fn not_found(what: &str) -> Error {
    Error::new(
        crate::ErrorCode::NotFound,
        crate::Problem::ServiceRefused {
            service: crate::Service::ResourceManager,
        },
    )
    .with_service(
        crate::Service::ResourceManager,
        crate::ServiceError {
            status: Some(404),
            code: Some("ResourceNotFound".to_owned()),
            message: Some(format!("{what} is not in the fake tenant")),
            ..crate::ServiceError::default()
        },
    )
}

#[async_trait::async_trait]
impl ResourceManagerApi for FakeAzure {
    async fn list_tenants(&self) -> Result<Vec<Tenant>> {
        self.enter("list_tenants")?;
        Ok(self.lock().tenants.clone())
    }

    async fn list_subscriptions(&self) -> Result<Vec<Subscription>> {
        self.enter("list_subscriptions")?;
        Ok(self.lock().subscriptions.clone())
    }
}

#[async_trait::async_trait]
impl ComputeApi for FakeAzure {
    async fn list_vms(&self, subscription_id: &str) -> Result<Vec<VmRecord>> {
        self.enter("list_vms")?;
        Ok(self
            .lock()
            .vms
            .iter()
            .filter(|v| !v.facts.classic && in_subscription(&v.id, subscription_id))
            .cloned()
            .collect())
    }

    async fn list_classic_vms(&self, subscription_id: &str) -> Result<Vec<VmRecord>> {
        self.enter("list_classic_vms")?;
        Ok(self
            .lock()
            .vms
            .iter()
            .filter(|v| v.facts.classic && in_subscription(&v.id, subscription_id))
            .cloned()
            .collect())
    }

    async fn list_disks(&self, subscription_id: &str) -> Result<Vec<DiskRecord>> {
        self.enter("list_disks")?;
        Ok(self
            .lock()
            .disks
            .iter()
            .filter(|d| in_subscription(&d.id, subscription_id))
            .cloned()
            .collect())
    }
}

#[async_trait::async_trait]
impl KeyVaultApi for FakeAzure {
    async fn list_key_vaults(&self, subscription_id: &str) -> Result<Vec<KeyVaultRecord>> {
        self.enter("list_key_vaults")?;
        Ok(self
            .lock()
            .key_vaults
            .iter()
            .filter(|k| in_subscription(&k.id, subscription_id))
            .cloned()
            .collect())
    }

    async fn get_key_vault(&self, vault_id: &str) -> Result<KeyVaultRecord> {
        self.enter("get_key_vault")?;
        let id = ResourceId::new(vault_id);
        self.lock()
            .key_vaults
            .iter()
            .find(|k| ResourceId::new(k.id.as_str()) == id)
            .cloned()
            .ok_or_else(|| not_found(vault_id))
    }

    async fn add_access_policy(&self, vault_id: &str, entry: &AccessPolicy) -> Result<()> {
        self.enter("add_access_policy")?;
        let id = ResourceId::new(vault_id);
        let mut tenant = self.lock();
        let vault = tenant
            .key_vaults
            .iter_mut()
            .find(|k| ResourceId::new(k.id.as_str()) == id)
            .ok_or_else(|| not_found(vault_id))?;
        // As the service merges: the principal's permissions grow; nobody else's change.
        match vault.access_policies.iter_mut().find(|p| {
            p.object_id.eq_ignore_ascii_case(&entry.object_id)
                && p.application_id == entry.application_id
        }) {
            Some(existing) => {
                existing
                    .permissions
                    .keys
                    .extend(entry.permissions.keys.iter().cloned());
                existing
                    .permissions
                    .secrets
                    .extend(entry.permissions.secrets.iter().cloned());
            }
            None => vault.access_policies.push(entry.clone()),
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl AuthorizationApi for FakeAzure {
    async fn role_assignments(
        &self,
        scope: &str,
        whom: RoleAssignmentFilter<'_>,
    ) -> Result<Vec<RoleAssignmentRecord>> {
        self.enter("role_assignments")?;
        let scope = scope.trim_end_matches('/').to_ascii_lowercase();
        Ok(self
            .lock()
            .role_assignments
            .iter()
            // At the scope or above it, as `atScope()` lists them.
            .filter(|a| {
                let at = a.scope.trim_end_matches('/').to_ascii_lowercase();
                scope == at || scope.starts_with(&format!("{at}/"))
            })
            .filter(|a| match whom {
                RoleAssignmentFilter::Everyone => true,
                RoleAssignmentFilter::Principal(p) => a.principal_id.eq_ignore_ascii_case(p),
            })
            .cloned()
            .collect())
    }

    async fn get_role_definition(
        &self,
        _scope: &str,
        role_guid: &str,
    ) -> Result<RoleDefinitionRecord> {
        self.enter("get_role_definition")?;
        self.lock()
            .role_definitions
            .get(&role_guid.to_ascii_lowercase())
            .cloned()
            .ok_or_else(|| not_found(role_guid))
    }

    async fn assign_role(
        &self,
        scope: &str,
        role_definition_guid: &str,
        principal_id: &str,
    ) -> Result<()> {
        self.enter("assign_role")?;
        let subscription = ResourceId::new(scope)
            .subscription()
            .map(|s| s.to_string())
            .unwrap_or_default();
        let record = RoleAssignmentRecord {
            role_definition_id: format!(
                "/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions/{role_definition_guid}"
            ),
            principal_id: principal_id.to_owned(),
            scope: scope.to_owned(),
        };
        let mut tenant = self.lock();
        if !tenant.role_assignments.contains(&record) {
            tenant.role_assignments.push(record);
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl RecoveryServicesApi for FakeAzure {
    async fn list_recovery_vaults(&self, subscription_id: &str) -> Result<Vec<RecoveryVault>> {
        self.enter("list_recovery_vaults")?;
        Ok(self
            .lock()
            .recovery_vaults
            .iter()
            .filter(|v| in_subscription(&v.id, subscription_id))
            .cloned()
            .collect())
    }

    async fn list_protected_vms(&self, vault_id: &str) -> Result<Vec<ProtectedVmRecord>> {
        self.enter("list_protected_vms")?;
        let id = ResourceId::new(vault_id);
        Ok(self
            .lock()
            .protected
            .iter()
            .filter(|(vault, _)| ResourceId::new(vault.as_str()) == id)
            .map(|(_, item)| item.clone())
            .collect())
    }

    async fn list_failed_jobs(&self, vault_id: &str, since: i64) -> Result<Vec<FailedJob>> {
        self.enter("list_failed_jobs")?;
        let id = ResourceId::new(vault_id);
        let _ = since;
        Ok(self
            .lock()
            .failed_jobs
            .iter()
            .filter(|(vault, _)| ResourceId::new(vault.as_str()) == id)
            .map(|(_, job)| job.clone())
            .collect())
    }
}

#[async_trait::async_trait]
impl DirectoryApi for FakeAzure {
    async fn service_principal_by_app_id(&self, app_id: &str) -> Result<Option<String>> {
        self.enter("service_principal_by_app_id")?;
        Ok(self.lock().service_principals.get(app_id).cloned())
    }

    async fn names(&self, ids: &[String]) -> Result<Vec<DirectoryName>> {
        self.enter("names")?;
        Ok(self
            .lock()
            .names
            .iter()
            .filter(|n| ids.iter().any(|id| id.eq_ignore_ascii_case(&n.id)))
            .cloned()
            .collect())
    }
}
