//! Refunds of a succeeded charge.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// A refund; card refunds succeed at once in test mode.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Refund {
    pub id: String,
    pub amount: i64,
    pub charge: String,
    pub created: i64,
    pub currency: String,
    pub payment_intent: String,
    pub reason: Option<String>,
    pub metadata: Map<String, Value>,
    pub balance_transaction: String,
}

impl Refund {
    /// The object as the API renders it, fields in the fixture's order.
    pub fn render(&self, charge: Value, payment_intent: Value) -> Value {
        json!({
            "amount": self.amount,
            "balance_transaction": self.balance_transaction,
            "charge": charge,
            "created": self.created,
            "currency": self.currency,
            "destination_details": { "card": { "reference_status": "pending", "reference_type": "acquirer_reference_number", "type": "refund" }, "type": "card" },
            "id": self.id,
            "metadata": self.metadata,
            "object": "refund",
            "payment_intent": payment_intent,
            "reason": self.reason,
            "receipt_number": null,
            "source_transfer_reversal": null,
            "status": "succeeded",
            "transfer_reversal": null,
            "customer": null,
            "customer_account": null,
            "payment_method": null,
        })
    }
}
