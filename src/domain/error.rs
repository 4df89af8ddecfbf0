//! The one error type of the server-function boundary: what a shopper's request can be
//! refused for, each with the sentence the page shows.

use super::{FieldErrors, Money, QuantityError};
use crate::i18n::{td_string, Locale};
use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

/// Why a shop request failed. Serialised across the wire, so a hydrated page gets the
/// same typed value as the server rendered, and a no-JS form post gets it back in the
/// redirect to the page it came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ShopError {
    InvalidQuantity(QuantityError),
    UnknownProduct,
    SoldOut {
        product: String,
    },
    NotEnoughStock {
        product: String,
        available: u32,
    },
    NotInCart,
    CartExpired,
    EmptyCart,
    InvalidDetails(FieldErrors),
    /// The cart (or a price) changed since the payment was priced: the page shows the
    /// new total and the shopper confirms it with a second click.
    CartChanged {
        total: Money,
    },
    /// Money is moving for the cart's order (confirmed in another tab, or a bank
    /// still deciding): another attempt could charge twice.
    AlreadyPaying,
    TooManyRequests,
    PaymentUnavailable,
    /// Deliberately the same for "no such order" and "not yours": nothing is revealed.
    OrderNotFound,
    BadRequest(String),
    Unavailable,
}

/// In English: what logs and `?` chains show.
impl std::fmt::Display for ShopError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message(Locale::en))
    }
}

impl std::error::Error for ShopError {}

impl ShopError {
    /// A stock refusal names its product as the shopper reads it (`name`, in their
    /// language); any other error is left as it is.
    pub fn naming(self, name: String) -> Self {
        match self {
            ShopError::SoldOut { .. } => ShopError::SoldOut { product: name },
            ShopError::NotEnoughStock { available, .. } => ShopError::NotEnoughStock {
                product: name,
                available,
            },
            other => other,
        }
    }

    /// The sentence the shopper reads, in their language. (The English one is also
    /// the error's `Display`, for logs.)
    pub fn message(&self, locale: Locale) -> String {
        match self {
            ShopError::InvalidQuantity(error) => error.message(locale),
            ShopError::UnknownProduct => td_string!(locale, errors.unknown_product).to_owned(),
            ShopError::SoldOut { product } => {
                td_string!(locale, errors.sold_out, product).to_string()
            }
            ShopError::NotEnoughStock { product, available } => {
                td_string!(locale, errors.not_enough_stock, product, available).to_string()
            }
            ShopError::NotInCart => td_string!(locale, errors.not_in_cart).to_owned(),
            ShopError::CartExpired => td_string!(locale, errors.cart_expired).to_owned(),
            ShopError::EmptyCart => td_string!(locale, errors.empty_cart).to_owned(),
            ShopError::InvalidDetails(errors) => {
                let problems = errors.messages(locale);
                td_string!(locale, errors.invalid_details, problems).to_string()
            }
            ShopError::CartChanged { total } => {
                let total = total.format(locale);
                td_string!(locale, errors.cart_changed, total).to_string()
            }
            ShopError::AlreadyPaying => td_string!(locale, errors.already_paying).to_owned(),
            ShopError::TooManyRequests => td_string!(locale, errors.too_many_requests).to_owned(),
            ShopError::PaymentUnavailable => {
                td_string!(locale, errors.payment_unavailable).to_owned()
            }
            ShopError::OrderNotFound => td_string!(locale, errors.order_not_found).to_owned(),
            ShopError::BadRequest(detail) => {
                td_string!(locale, errors.bad_request, detail).to_string()
            }
            ShopError::Unavailable => td_string!(locale, errors.unavailable).to_owned(),
        }
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stock_refusal_takes_the_name_the_shopper_reads_and_other_errors_keep_theirs() {
        let short = ShopError::NotEnoughStock {
            product: "Stoneware Mug".into(),
            available: 3,
        };
        assert_eq!(
            short.naming("粗陶马克杯".into()),
            ShopError::NotEnoughStock {
                product: "粗陶马克杯".into(),
                available: 3
            }
        );
        let gone = ShopError::SoldOut {
            product: "Stoneware Mug".into(),
        };
        assert_eq!(
            gone.naming("粗陶马克杯".into()).message(Locale::zh_CN),
            "抱歉，粗陶马克杯已售罄。"
        );
        assert_eq!(
            ShopError::EmptyCart.naming("粗陶马克杯".into()),
            ShopError::EmptyCart
        );
    }
}
