//! What the shop reads from Stripe's answers: only the fields it relies on, so a new
//! field in Stripe's objects never breaks it, and a missing one always does.

use serde::Deserialize;
use std::collections::BTreeMap;

/// `payment_intent.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentIntentStatus {
    RequiresPaymentMethod,
    RequiresConfirmation,
    RequiresAction,
    Processing,
    RequiresCapture,
    Canceled,
    Succeeded,
}

/// A PaymentIntent as the shop's server reads it (secret key: every field).
#[derive(Clone, PartialEq, Eq, Deserialize)]
pub struct PaymentIntent {
    pub id: String,
    pub amount: i64,
    pub amount_received: i64,
    pub currency: String,
    pub status: PaymentIntentStatus,
    /// Handed to the shopper's browser only; never logged, never stored in clear.
    pub client_secret: String,
    pub metadata: BTreeMap<String, String>,
    pub latest_charge: Option<String>,
    pub last_payment_error: Option<ApiError>,
    pub livemode: bool,
    pub created: i64,
    /// Where the goods go, when the confirming client gave it (Stripe.js's
    /// `confirmPayment` may send `shipping`; ours does not, the shop has it already).
    #[serde(default)]
    pub shipping: Option<Shipping>,
    /// Where Stripe sends its receipt; a client that skipped our submit step may have
    /// set it.
    #[serde(default)]
    pub receipt_email: Option<String>,
}

/// `payment_intent.shipping`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Shipping {
    pub name: Option<String>,
    pub address: Option<Address>,
}

/// Stripe's address object; every field may be null.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Address {
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
}

// The client secret stays out of logs.
impl std::fmt::Debug for PaymentIntent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaymentIntent")
            .field("id", &self.id)
            .field("amount", &self.amount)
            .field("currency", &self.currency)
            .field("status", &self.status)
            .field("metadata", &self.metadata)
            .finish_non_exhaustive()
    }
}

/// Stripe's error object (`{"error": {...}}`, and `last_payment_error`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ApiError {
    #[serde(rename = "type")]
    pub kind: String,
    pub code: Option<String>,
    pub decline_code: Option<String>,
    pub message: Option<String>,
    pub param: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct ErrorEnvelope {
    pub error: ApiError,
}

/// What the shop asks for when it creates a PaymentIntent. The amount always comes
/// from the shop's own prices, never from the browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatePaymentIntent {
    pub amount: i64,
    pub currency: String,
    pub order_id: String,
}

impl CreatePaymentIntent {
    /// The form-encoded parameters, exactly as sent.
    pub fn form(&self) -> Vec<(&'static str, String)> {
        vec![
            ("amount", self.amount.to_string()),
            ("currency", self.currency.clone()),
            ("automatic_payment_methods[enabled]", "true".into()),
            ("metadata[order_id]", self.order_id.clone()),
        ]
    }
}

/// One page of a Stripe list (`{object: "list", data, has_more}`).
#[derive(Debug, Clone, Deserialize)]
pub struct List<T> {
    pub data: Vec<T>,
    pub has_more: bool,
}

/// A refund as the shop reads it (`GET /v1/refunds`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Refund {
    pub id: String,
    pub amount: i64,
    pub currency: String,
    /// `pending`, `requires_action`, `succeeded`, `failed` or `canceled`.
    pub status: String,
    pub reason: Option<String>,
    #[serde(default)]
    pub failure_reason: Option<String>,
    pub payment_intent: Option<String>,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    pub created: i64,
}

/// The statuses a refund may have at Stripe; anything else is not read as a refund.
pub const REFUND_STATUSES: [&str; 5] = [
    "pending",
    "requires_action",
    "succeeded",
    "failed",
    "canceled",
];

/// A dispute (chargeback) as the shop reads it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Dispute {
    pub id: String,
    pub amount: i64,
    pub currency: String,
    pub reason: String,
    pub status: String,
    pub payment_intent: Option<String>,
    pub evidence_details: Option<EvidenceDetails>,
    pub created: i64,
}

/// `dispute.evidence_details`: when the evidence is due.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct EvidenceDetails {
    pub due_by: Option<i64>,
}

/// What the shop asks for when it refunds: the amount was checked by the store
/// against what was received and refunded, never taken from a browser as is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateRefund {
    pub payment_intent: String,
    pub amount: i64,
    pub reason: Option<String>,
    /// The shop's own id of the refund, so a refund Stripe made but whose answer was
    /// lost is recognised when the PaymentIntent's refunds are listed.
    pub shop_refund: String,
}

impl CreateRefund {
    /// The form-encoded parameters, exactly as sent.
    pub fn form(&self) -> Vec<(&'static str, String)> {
        let mut form = vec![
            ("payment_intent", self.payment_intent.clone()),
            ("amount", self.amount.to_string()),
            ("metadata[shop_refund]", self.shop_refund.clone()),
        ];
        if let Some(reason) = &self.reason {
            form.push(("reason", reason.clone()));
        }
        form
    }
}
