//! The shop's domain, without a user interface. Built like `s360`: the view types the pages
//! show are always compiled (the browser's wasm uses them); the services behind them, over the
//! S-360 client, come with the feature `server`.
//!
//! One module per concept, each readable top to bottom:
//! - [`lang`]: the buyer's languages; [`model`]: what the pages show (serialisable views);
//! - [`tenant`]: one institution's shop and the state it owns (caches, locks, link key);
//!   [`context`]: the request context (tenant, typed session, language);
//!   [`session`]: every session key; [`error`]: every refusal, with its status and words;
//! - [`describe`]: catalog things in the buyer's words; [`calendar`]: month calendars;
//! - [`programme`], [`browse`] (events and performances), [`products`] (passes, services,
//!   season tickets), [`seatmap`]: what is for sale;
//! - [`cart`], [`checkout`], [`payment`] (start, status, finalise, registry), [`order`]
//!   (orders and tickets), [`account`]: what the buyer does.

pub mod lang;
pub mod model;

#[cfg(feature = "server")]
rust_i18n::i18n!("../locales", fallback = "en");

#[cfg(feature = "server")]
pub mod account;
#[cfg(feature = "server")]
pub mod browse;
#[cfg(feature = "server")]
pub mod calendar;
#[cfg(feature = "server")]
pub mod cart;
#[cfg(feature = "server")]
pub mod checkout;
#[cfg(feature = "server")]
pub mod context;
#[cfg(feature = "server")]
pub mod describe;
#[cfg(feature = "server")]
pub mod error;
#[cfg(feature = "server")]
pub mod mail;
#[cfg(feature = "server")]
pub mod order;
#[cfg(feature = "server")]
pub mod payment;
#[cfg(feature = "server")]
pub mod products;
#[cfg(feature = "server")]
pub mod programme;
#[cfg(feature = "server")]
pub mod seatmap;
#[cfg(feature = "server")]
pub mod session;
#[cfg(feature = "server")]
pub mod tenant;

#[cfg(feature = "server")]
pub use context::Ctx;
#[cfg(feature = "server")]
pub use error::Error;
#[cfg(feature = "server")]
pub use tenant::Tenant;
