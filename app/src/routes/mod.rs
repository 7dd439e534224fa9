//! One module per page.

pub mod account;
pub mod cart;
pub mod checkout;
pub mod event;
pub mod history;
pub mod home;
pub mod layout;
pub mod not_found;
pub mod order;
pub mod performance;
pub mod product;
pub mod seatmap;
