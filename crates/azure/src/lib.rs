//! safehold-azure: Safehold's adapter to Azure.
//!
//! One code path for real Azure and the sandbox: an azure_core [`Pipeline`](azure_core::http::Pipeline)
//! (retries honouring `Retry-After`, bearer-token policy, logging with redaction) over a reqwest
//! transport, and azure_identity credentials pointed at the cloud's Entra authority. Only the
//! endpoints and, for the sandbox, one extra trusted CA differ.
//!
//! It implements the ports of `safehold-core` and classifies every failure into its
//! [`ErrorCode`](safehold_core::ErrorCode) here, where the HTTP status and service code are known.
#![deny(missing_docs)]

//! One module per Azure service, named as Azure names it: `resource_manager` (the client every
//! Resource Manager call goes through, tenants and subscriptions), `compute`, `key_vault`,
//! `authorization`, `recovery_services`, `graph`, and `identity` (sign-in). `cloud` knows the
//! clouds' endpoints; `errors` reads the services' refusals into data.

mod authorization;
pub mod cloud;
mod compute;
mod errors;
mod graph;
mod http;
pub mod identity;
mod json;
mod key_vault;
mod recovery_services;
pub mod resource_manager;
#[cfg(feature = "test-support")]
pub mod sandboxed;

pub use http::Proxy;

pub use cloud::Cloud;
pub use graph::GraphClient;
pub use resource_manager::ArmClient;
