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

pub mod arm;
pub mod cloud;
mod compute_wire;
pub mod credential;
mod errors;
mod graph;
mod http;
mod inventory;
#[cfg(feature = "test-support")]
pub mod sandboxed;
pub mod user;

pub use http::Proxy;

pub use arm::ArmClient;
pub use cloud::Cloud;
pub use graph::GraphClient;
