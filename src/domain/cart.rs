//! The shopper's cart as every page shows it.

use super::{Money, ProductId, Quantity};
use serde::{Deserialize, Serialize};

/// One line of the cart, priced from the database at the moment it was read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartLine {
    pub product_id: ProductId,
    pub name: String,
    pub image: String,
    pub unit_price: Money,
    pub quantity: Quantity,
    pub line_total: Money,
    /// Units on hand, so the stepper knows when "+" would be refused.
    pub stock: u32,
}

impl CartLine {
    /// The most this line may hold: the stock on hand, capped at [`Quantity::MAX`].
    pub fn max_quantity(&self) -> u32 {
        self.stock.min(Quantity::MAX)
    }
}

/// Something the shopper should be told about their cart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CartNotice {
    /// The cart cookie named no live cart (expired, or not one we issued): a new,
    /// empty cart starts with the next item added.
    Expired,
}

/// The cart with its totals. An empty cart has no subtotal.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartView {
    pub lines: Vec<CartLine>,
    pub subtotal: Option<Money>,
    pub notice: Option<CartNotice>,
}

impl CartView {
    /// Number of items (not lines), as the header's cart badge shows it.
    pub fn item_count(&self) -> u32 {
        self.lines.iter().map(|line| line.quantity.get()).sum()
    }

    /// Whether the cart has nothing in it.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The quantity of a product already in the cart, if any.
    pub fn quantity_of(&self, product: &ProductId) -> Option<Quantity> {
        self.lines
            .iter()
            .find(|line| &line.product_id == product)
            .map(|line| line.quantity)
    }
}
