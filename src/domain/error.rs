//! The one error type of the server-function boundary: what a shopper's request can be
//! refused for, each with the sentence the page shows.

use super::{FieldErrors, Money, QuantityError};
use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

/// Why a shop request failed. Serialised across the wire, so a hydrated page gets the
/// same typed value as the server rendered, and a no-JS form post gets it back in the
/// redirect to the page it came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum ShopError {
    #[error("{0}")]
    InvalidQuantity(QuantityError),
    #[error("We couldn't find that product. It may have been removed from the shop.")]
    UnknownProduct,
    #[error("Sorry, {product} is sold out.")]
    SoldOut { product: String },
    #[error(
        "Only {available} of {product} left in stock, and your cart can't hold more than that."
    )]
    NotEnoughStock { product: String, available: u32 },
    #[error("That item is no longer in your cart.")]
    NotInCart,
    #[error("Your cart had expired, so we started a new one. Please add your items again.")]
    CartExpired,
    #[error("Your cart is empty, so there is nothing to pay for.")]
    EmptyCart,
    #[error("Please check the highlighted fields: {0}")]
    InvalidDetails(FieldErrors),
    /// The cart (or a price) changed since the payment was priced: the page shows the
    /// new total and the shopper confirms it with a second click.
    #[error("Your order changed since this page priced it. The total is now {total}. Please check it and press Pay again.")]
    CartChanged { total: Money },
    /// Money is moving for the cart's order (confirmed in another tab, or a bank
    /// still deciding): another attempt could charge twice.
    #[error("A payment is under way for this order. If you paid in another tab, or your bank is still confirming it, we will email you as soon as it completes.")]
    AlreadyPaying,
    #[error("Too many attempts in a short time. Please wait a minute and try again.")]
    TooManyRequests,
    #[error("We couldn't reach our payment provider. Nothing was charged. Please try again in a moment.")]
    PaymentUnavailable,
    /// Deliberately the same for "no such order" and "not yours": nothing is revealed.
    #[error("We couldn't find that order. If you have just paid, your confirmation email is on its way.")]
    OrderNotFound,
    #[error("That request was not understood: {0}")]
    BadRequest(String),
    #[error("Something went wrong on our side. Please try again in a moment.")]
    Unavailable,
}

impl ShopError {
    /// The HTTP status a hydrated caller receives with this error.
    pub fn status(&self) -> u16 {
        match self {
            ShopError::InvalidQuantity(_)
            | ShopError::BadRequest(_)
            | ShopError::InvalidDetails(_)
            | ShopError::EmptyCart => 400,
            ShopError::UnknownProduct | ShopError::NotInCart | ShopError::OrderNotFound => 404,
            ShopError::SoldOut { .. }
            | ShopError::NotEnoughStock { .. }
            | ShopError::CartChanged { .. }
            | ShopError::AlreadyPaying => 409,
            ShopError::TooManyRequests => 429,
            ShopError::CartExpired => 410,
            ShopError::Unavailable | ShopError::PaymentUnavailable => 503,
        }
    }
}

impl From<QuantityError> for ShopError {
    fn from(error: QuantityError) -> Self {
        ShopError::InvalidQuantity(error)
    }
}

impl FromServerFnError for ShopError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(error: ServerFnErrorErr) -> Self {
        match error {
            // The request itself was malformed: a missing or mistyped form field.
            ServerFnErrorErr::Args(detail) | ServerFnErrorErr::MissingArg(detail) => {
                ShopError::BadRequest(detail)
            }
            // Network trouble or a server fault: the shopper can only retry.
            _ => ShopError::Unavailable,
        }
    }
}
