//! One module per route: the page component and its server functions.

pub mod cart;
pub mod catalog;
pub mod checkout;
pub mod not_found;
pub mod order_confirmation;
