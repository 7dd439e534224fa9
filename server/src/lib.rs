//! The shop server as a library: configuration and start-up, so integration tests can start
//! the real application on a free port.

pub mod auth;
pub mod config;
pub mod csrf;
pub mod headers;
pub mod hosts;
pub mod mail;
pub mod payment;
pub mod reconcile;
pub mod reseller_web;
pub mod seo;
pub mod serve;
pub mod sessions;
pub mod startup;
pub mod store;
pub mod tickets;
