//! The S-360 backend API, typed.
//!
//! - [`model`]: the wire types (shared with the `sandbox` crate, so both ends agree by construction).
//! - [`ids`], [`money`], [`text`]: the value types every model uses.
//! - [`envelope`]: the `{statusCode, statusDetail, requestId}` result envelope and service paths.
//! - [`bucket`]: the one token bucket (client limiter, sandbox limits, notification throttle).
//! - `client` (feature `client`): the HTTP client with tokens, rate limits, retries, a circuit
//!   breaker and the catalog cache.

pub mod bucket;
pub mod envelope;
pub mod ids;
pub mod model;
pub mod money;
pub mod text;

#[cfg(feature = "client")]
pub mod client;

pub use envelope::{Envelope, Service};
pub use ids::*;
pub use money::{Amount, Currency};
pub use text::Translations;

/// Compares secrets (tokens, order secrets, PKCE state) without leaking where they differ
/// through timing.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
