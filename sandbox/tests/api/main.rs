//! The sandbox's integration tests, in one test binary (one link instead of one per file):
//! a sandbox on a free loopback port, driven over real HTTP, mostly through the typed client.
//! Each module is one area of the S-360 APIs; `common` starts sandboxes and clients and holds
//! the helpers several modules use.

mod common;

mod access_control;
mod contacts;
mod history;
mod http;
mod oidc;
mod orders;
mod reseller;
mod shipment;
mod tickets;
