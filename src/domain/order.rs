//! An order's payment state, as DESIGN.md's "Orders: one state machine" names it.

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
        [
            OrderStatus::Draft,
            OrderStatus::AwaitingPayment,
            OrderStatus::Processing,
            OrderStatus::Paid,
            OrderStatus::PaymentFailed,
            OrderStatus::Canceled,
            OrderStatus::NeedsReview,
        ]
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
        for status in [
            OrderStatus::Draft,
            OrderStatus::AwaitingPayment,
            OrderStatus::Processing,
            OrderStatus::Paid,
            OrderStatus::PaymentFailed,
            OrderStatus::Canceled,
            OrderStatus::NeedsReview,
        ] {
            assert_eq!(OrderStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(OrderStatus::parse("PAID"), None);
    }
}
