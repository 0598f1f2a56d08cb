//! The sandbox over real HTTPS, one fresh sandbox per test.

mod support;

mod auth;
mod entra;
mod resources;
