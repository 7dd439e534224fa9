//! The server's integration tests, in one test binary (one link instead of one per file): the
//! real application on free loopback ports with its embedded S-360 sandbox, driven over HTTP
//! like a browser. Each module is one area of the shop; `support` starts shops and browsers.

mod support;

mod accounts;
mod auth;
mod checkout;
mod csrf;
mod gate;
mod hardening;
mod mail;
mod payment;
mod products;
mod reseller;
mod seatmap;
mod sessions;
mod startup;
mod tickets;
