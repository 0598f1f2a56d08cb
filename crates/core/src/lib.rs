//! Safehold's domain: the nouns the product talks about, the error classification every layer
//! shares, and the ports (traits) that services call.
//!
//! This crate does no I/O and depends on no HTTP, keyring or Tauri crate. The Azure adapter
//! (`safehold-azure`) implements the ports; the desktop shell wires them together.
#![deny(missing_docs)]

pub mod activity;
pub mod ade;
pub mod clock;
pub mod cloud;
pub mod error;
#[cfg(feature = "test-support")]
pub mod fakes;
pub mod grant;
pub mod id;
pub mod inventory;
pub mod ports;
pub mod problem;
pub mod readiness;

pub use error::{AppError, Error, ErrorCode, Result, ServiceError, ServiceWords};
pub use id::{ResourceId, SubscriptionId, TenantId};
pub use problem::{Advice, Problem, Service};
