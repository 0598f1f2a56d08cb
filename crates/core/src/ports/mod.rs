//! The ports services call, one per Azure service and named as Azure names it. `safehold-azure`
//! implements each over HTTPS, in the module of the same name; tests fake them
//! (`crate::fakes`, feature `test-support`). No two ports offer the same call.

mod authorization;
mod compute;
mod directory;
mod key_vault;
mod recovery_services;
mod resource_manager;

pub use authorization::{AuthorizationApi, RoleAssignmentFilter};
pub use compute::ComputeApi;
pub use directory::DirectoryApi;
pub use key_vault::KeyVaultApi;
pub use recovery_services::RecoveryServicesApi;
pub use resource_manager::ResourceManagerApi;
