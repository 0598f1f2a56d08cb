//! The sandbox over real HTTPS, one fresh sandbox per test.

mod support;

mod auth;
mod backup;
mod blob;
mod client_compat;
mod compute;
mod deployments;
mod entra;
mod faults;
mod generic_resources;
mod graph;
mod interactive;
mod keyvault;
mod keyvault_data;
mod network;
mod resources;
mod restore;
mod storage;
