//! The grant service: gives the Backup Management Service what it needs on a key vault.
//!
//! The plan is shown first (`safehold_core::grant::plan`, with who else holds which role and
//! everyone named from the directory); the change is then applied by [`apply`], one writer per
//! vault at a time, and read back.

mod apply;
mod service;

pub use apply::{CONFLICT_RETRIES, GrantApi, VaultLocks, add_role_holders, apply};
pub use service::GrantService;

#[cfg(test)]
mod tests;
