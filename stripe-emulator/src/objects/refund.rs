//! Refunds of a succeeded charge, and where each is in its life cycle.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// `refund.status`. Card refunds are `pending` or `succeeded` at first; `failed` and
/// `canceled` give the amount back to the charge.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    Pending,
    RequiresAction,
    #[default]
    Succeeded,
    Failed,
    Canceled,
}

impl RefundStatus {
    /// The status as the API writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            RefundStatus::Pending => "pending",
            RefundStatus::RequiresAction => "requires_action",
            RefundStatus::Succeeded => "succeeded",
            RefundStatus::Failed => "failed",
            RefundStatus::Canceled => "canceled",
        }
    }

    /// Whether the amount still counts as refunded on the charge.
    pub fn holds_amount(self) -> bool {
        !matches!(self, RefundStatus::Failed | RefundStatus::Canceled)
    }
}

/// What becomes of a refund later, on the emulator clock (an asynchronous outcome).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ScheduledOutcome {
    /// Emulator-clock time at which it happens.
    pub at: i64,
    pub status: RefundStatus,
    /// For `failed`: Stripe's `failure_reason`.
    pub failure_reason: Option<String>,
}

/// A refund. Fields added since the first version default, so older state loads.
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
    #[serde(default)]
    pub status: RefundStatus,
    /// Set when the refund failed or was canceled.
    #[serde(default)]
    pub failure_reason: Option<String>,
    /// The balance transaction that gave the amount back, when it failed or was canceled.
    #[serde(default)]
    pub failure_balance_transaction: Option<String>,
    #[serde(default)]
    pub scheduled: Option<ScheduledOutcome>,
}

impl Refund {
    /// The object as the API renders it, fields in the fixture's order.
    ///
    /// Stripe includes some fields only in some states [spec: not required, not
    /// nullable]: `failure_reason` and `failure_balance_transaction` once failed or
    /// canceled, `next_action` while `requires_action`, and `pending_reason` (added in
    /// 2025-04-30.basil) while `pending`.
    pub fn render(&self, charge: Value, payment_intent: Value) -> Value {
        let mut refund = Map::new();
        let mut put = |key: &str, value: Value| {
            refund.insert(key.to_string(), value);
        };
        put("amount", self.amount.into());
        put(
            "balance_transaction",
            self.balance_transaction.clone().into(),
        );
        put("charge", charge);
        put("created", self.created.into());
        put("currency", self.currency.clone().into());
        put(
            "destination_details",
            json!({ "card": { "reference_status": "pending", "reference_type": "acquirer_reference_number", "type": "refund" }, "type": "card" }),
        );
        if let Some(txn) = &self.failure_balance_transaction {
            put("failure_balance_transaction", txn.clone().into());
        }
        if let Some(reason) = &self.failure_reason {
            put("failure_reason", reason.clone().into());
        }
        put("id", self.id.clone().into());
        put("metadata", Value::Object(self.metadata.clone()));
        if self.status == RefundStatus::RequiresAction {
            put("next_action", self.next_action());
        }
        put("object", "refund".into());
        put("payment_intent", payment_intent);
        put("reason", self.reason.clone().into());
        put("receipt_number", Value::Null);
        put("source_transfer_reversal", Value::Null);
        put("status", self.status.as_str().into());
        put("transfer_reversal", Value::Null);
        put("customer", Value::Null);
        put("customer_account", Value::Null);
        put("payment_method", Value::Null);
        if self.status == RefundStatus::Pending {
            put("pending_reason", "processing".into());
        }
        Value::Object(refund)
    }

    /// `next_action` of a refund waiting for the customer: Stripe emails them refund
    /// instructions [spec `refund_next_action`]. Cards never need it; only the control
    /// API's `force` puts a refund here.
    fn next_action(&self) -> Value {
        json!({
            "display_details": {
                "email_sent": { "email_sent_at": self.created, "email_sent_to": "customer@example.com" },
                "expires_at": self.created + 30 * 24 * 60 * 60,
            },
            "type": "display_details",
        })
    }
}
