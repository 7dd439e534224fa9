//! Wire types, shared by the client and the sandbox. Field names are S-360's (lowerCamel).

pub mod auth;
pub mod availability;
pub mod catalog;
pub mod contact;
pub mod history;
pub mod order;
pub mod shipment;
pub mod ticket;
