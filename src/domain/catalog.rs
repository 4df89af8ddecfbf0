//! What the shop sells.

use super::Money;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A product's stable identifier: a short slug such as `linen-apron`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ProductId(String);

impl TryFrom<String> for ProductId {
    type Error = &'static str;
    fn try_from(id: String) -> Result<Self, Self::Error> {
        Self::parse(&id).ok_or("not a product id")
    }
}

impl From<ProductId> for String {
    fn from(id: ProductId) -> String {
        id.0
    }
}

impl ProductId {
    const MAX_LEN: usize = 64;

    /// Parses an id from a request. Anything that is not a plausible slug is refused
    /// before it gets near the database, and is reported as an unknown product.
    pub fn parse(input: &str) -> Option<Self> {
        let valid = !input.is_empty()
            && input.len() <= Self::MAX_LEN
            && input
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        valid.then(|| Self(input.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProductId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A product as the catalog shows it. Prices and stock always come from the database.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    pub id: ProductId,
    pub name: String,
    pub description: String,
    pub price: Money,
    /// Path of the product's picture under `public/`, such as `/images/linen-apron.svg`.
    pub image: String,
    /// Units on hand; zero means sold out.
    pub stock: u32,
}

impl Product {
    /// Whether the shopper can still add it to a cart.
    pub fn in_stock(&self) -> bool {
        self.stock > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_only_slugs() {
        assert!(ProductId::parse("linen-apron").is_some());
        assert!(ProductId::parse("mug-2").is_some());
        for bad in ["", "Linen", "a b", "x;drop table", "é", &"a".repeat(65)] {
            assert!(ProductId::parse(bad).is_none(), "{bad:?} should be refused");
        }
    }
}
