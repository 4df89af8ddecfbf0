//! The cart: its state shared by every page, its server functions, the cart page and
//! the badge in the header.

mod api;
mod badge;
mod page;
mod state;

pub use api::*;
pub use badge::{CartBadge, LostCartNotice};
pub use page::CartPage;
pub use state::{provide_cart_state, use_cart_state, CartState};
