//! How many of one product a cart line holds.

use crate::i18n::{td_string, Locale};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A cart line's quantity: at least 1 and at most [`Quantity::MAX`].
///
/// Removing a line is its own action, so zero is not a quantity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct Quantity(u8);

/// Why a quantity was refused; [`QuantityError::message`] words it for the shopper.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum QuantityError {
    NotANumber,
    TooSmall,
    TooLarge,
}

/// In English: what logs and `?` chains show.
impl std::fmt::Display for QuantityError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message(Locale::en))
    }
}

impl std::error::Error for QuantityError {}

impl QuantityError {
    /// The sentence the shopper reads, in their language.
    pub fn message(&self, locale: Locale) -> String {
        match self {
            QuantityError::NotANumber => {
                td_string!(locale, errors.quantity_not_a_number).to_owned()
            }
            QuantityError::TooSmall => td_string!(locale, errors.quantity_too_small).to_owned(),
            QuantityError::TooLarge => {
                td_string!(locale, errors.quantity_too_large, max = Quantity::MAX).to_string()
            }
        }
    }
}

impl Quantity {
    /// The most of one product a single cart line may hold.
    pub const MAX: u32 = 99;
    /// One item.
    pub const ONE: Quantity = Quantity(1);

    /// Makes a quantity from a count.
    pub fn new(count: u32) -> Result<Self, QuantityError> {
        match count {
            0 => Err(QuantityError::TooSmall),
            // The bound fits in a u8, so the cast below cannot truncate.
            1..=Self::MAX => Ok(Self(count as u8)),
            _ => Err(QuantityError::TooLarge),
        }
    }

    /// Parses what a shopper typed (or what a form posted), trimming blanks.
    pub fn parse(input: &str) -> Result<Self, QuantityError> {
        let input = input.trim();
        match input.parse::<i64>() {
            Ok(n) if n < 1 => Err(QuantityError::TooSmall),
            Ok(n) => u32::try_from(n)
                .map_err(|_| QuantityError::TooLarge)
                .and_then(Self::new),
            // Digits that overflow i64 are still a number, just a very large one.
            Err(_) if !input.is_empty() && input.bytes().all(|b| b.is_ascii_digit()) => {
                Err(QuantityError::TooLarge)
            }
            Err(_) => Err(QuantityError::NotANumber),
        }
    }

    /// The count as a plain integer.
    pub fn get(self) -> u32 {
        u32::from(self.0)
    }
}

impl TryFrom<u32> for Quantity {
    type Error = QuantityError;
    fn try_from(count: u32) -> Result<Self, Self::Error> {
        Self::new(count)
    }
}

impl From<Quantity> for u32 {
    fn from(quantity: Quantity) -> u32 {
        quantity.get()
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_what_shoppers_type() {
        assert_eq!(Quantity::parse(" 3 ").map(Quantity::get), Ok(3));
        assert_eq!(Quantity::parse("99").map(Quantity::get), Ok(99));
        assert_eq!(Quantity::parse("0"), Err(QuantityError::TooSmall));
        assert_eq!(Quantity::parse("-4"), Err(QuantityError::TooSmall));
        assert_eq!(Quantity::parse("100"), Err(QuantityError::TooLarge));
        assert_eq!(
            Quantity::parse("99999999999999999999999"),
            Err(QuantityError::TooLarge)
        );
        assert_eq!(Quantity::parse("two"), Err(QuantityError::NotANumber));
        assert_eq!(Quantity::parse("1.5"), Err(QuantityError::NotANumber));
        assert_eq!(Quantity::parse(""), Err(QuantityError::NotANumber));
    }

    #[test]
    fn deserialising_applies_the_same_bounds() {
        assert!(serde_json::from_str::<Quantity>("0").is_err());
        assert!(serde_json::from_str::<Quantity>("100").is_err());
        assert_eq!(serde_json::from_str::<Quantity>("7").unwrap().get(), 7);
    }

    proptest! {
        #[test]
        fn every_integer_is_accepted_exactly_when_in_range(n in -1000i64..1000) {
            let parsed = Quantity::parse(&n.to_string());
            prop_assert_eq!(parsed.is_ok(), (1..=99).contains(&n));
        }
    }
}
