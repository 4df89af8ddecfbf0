//! An order's payment state, as DESIGN.md's "Orders: one state machine" names it.

use crate::i18n::{td_string, Locale};
use serde::{Deserialize, Serialize};

/// Where an order stands. Only the transition function moves an order past
/// `AwaitingPayment`; checkout only creates drafts and locks them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Draft,
    AwaitingPayment,
    Processing,
    Paid,
    PaymentFailed,
    Canceled,
    NeedsReview,
}

impl OrderStatus {
    /// Every status, in the order an order can pass them.
    pub const ALL: [OrderStatus; 7] = [
        OrderStatus::Draft,
        OrderStatus::AwaitingPayment,
        OrderStatus::Processing,
        OrderStatus::Paid,
        OrderStatus::PaymentFailed,
        OrderStatus::Canceled,
        OrderStatus::NeedsReview,
    ];

    /// The database spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Draft => "draft",
            OrderStatus::AwaitingPayment => "awaiting_payment",
            OrderStatus::Processing => "processing",
            OrderStatus::Paid => "paid",
            OrderStatus::PaymentFailed => "payment_failed",
            OrderStatus::Canceled => "canceled",
            OrderStatus::NeedsReview => "needs_review",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == value)
    }

    /// Submitted: lines, prices and delivery are copied and may no longer change.
    pub fn is_locked(self) -> bool {
        matches!(
            self,
            OrderStatus::AwaitingPayment | OrderStatus::PaymentFailed
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_through_their_database_spelling() {
        for status in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(OrderStatus::parse("PAID"), None);
    }
}

/// One line of an order as bought.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLineView {
    pub name: String,
    pub quantity: u32,
    pub unit_price: super::Money,
    pub line_total: super::Money,
}

/// Where the order goes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryView {
    pub name: String,
    pub line1: String,
    pub line2: String,
    pub city: String,
    pub region: String,
    pub postal_code: String,
    pub country: String,
}

impl DeliveryView {
    /// The address as it is written on a parcel, a line each, empty parts left out.
    pub fn lines(&self) -> Vec<String> {
        let town = [&self.city, &self.region, &self.postal_code]
            .into_iter()
            .filter(|part| !part.is_empty())
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(" ");
        [&self.name, &self.line1, &self.line2, &town, &self.country]
            .into_iter()
            .filter(|line| !line.is_empty())
            .cloned()
            .collect()
    }
}

/// An order as its owner sees it on the confirmation page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderView {
    /// The opaque reference in the page's address (`?order=`).
    pub reference: String,
    pub status: OrderStatus,
    pub lines: Vec<OrderLineView>,
    pub subtotal: super::Money,
    pub shipping: super::Money,
    /// The tax line the order locked at submit.
    pub tax: super::Tax,
    pub total: super::Money,
    pub email: Option<String>,
    pub delivery: Option<DeliveryView>,
    /// What Stripe reported received for the order, over its payments.
    pub received: super::Money,
    /// What was refunded so far (succeeded refunds); zero when nothing was.
    pub refunded: super::Money,
}

impl OrderView {
    /// "Refunded" or "Partially refunded", beside the status, once money went back.
    pub fn refund_state(&self, locale: Locale) -> Option<&'static str> {
        match self.refunded.minor() {
            0 => None,
            refunded if refunded >= self.received.minor() => {
                Some(td_string!(locale, order.refunded))
            }
            _ => Some(td_string!(locale, order.partially_refunded)),
        }
    }
}

impl OrderStatus {
    /// Whether the webhook (or the reconciler) has had its say: nothing more to wait for.
    pub fn is_settled(self) -> bool {
        !matches!(
            self,
            OrderStatus::Draft | OrderStatus::AwaitingPayment | OrderStatus::Processing
        )
    }

    /// The order's state in a sentence, as the confirmation page shows it.
    pub fn describe(self, locale: Locale) -> &'static str {
        match self {
            OrderStatus::Paid => td_string!(locale, order.status.paid),
            OrderStatus::Draft | OrderStatus::AwaitingPayment => {
                td_string!(locale, order.status.waiting)
            }
            OrderStatus::Processing => td_string!(locale, order.status.processing),
            OrderStatus::PaymentFailed => td_string!(locale, order.status.failed),
            OrderStatus::Canceled => td_string!(locale, order.status.canceled),
            OrderStatus::NeedsReview => td_string!(locale, order.status.needs_review),
        }
    }
}
