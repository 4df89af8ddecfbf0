//! Disputes (chargebacks) of a succeeded charge.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// `dispute.status`. The emulator opens chargebacks (`needs_response`); the `warning_*`
/// statuses belong to inquiries, which it does not open.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DisputeStatus {
    NeedsResponse,
    UnderReview,
    Won,
    Lost,
    WarningNeedsResponse,
    WarningUnderReview,
    WarningClosed,
}

impl DisputeStatus {
    /// The status as the API writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            DisputeStatus::NeedsResponse => "needs_response",
            DisputeStatus::UnderReview => "under_review",
            DisputeStatus::Won => "won",
            DisputeStatus::Lost => "lost",
            DisputeStatus::WarningNeedsResponse => "warning_needs_response",
            DisputeStatus::WarningUnderReview => "warning_under_review",
            DisputeStatus::WarningClosed => "warning_closed",
        }
    }

    /// Whether the merchant may still add evidence, submit it or accept the dispute.
    pub fn awaits_response(self) -> bool {
        matches!(
            self,
            DisputeStatus::NeedsResponse | DisputeStatus::WarningNeedsResponse
        )
    }

    /// Whether the dispute is decided (`won`, `lost`, `warning_closed`).
    pub fn is_closed(self) -> bool {
        matches!(
            self,
            DisputeStatus::Won | DisputeStatus::Lost | DisputeStatus::WarningClosed
        )
    }
}

/// The evidence fields of `dispute.evidence`, in the fixture's order.
pub const EVIDENCE_FIELDS: &[&str] = &[
    "access_activity_log",
    "billing_address",
    "cancellation_policy",
    "cancellation_policy_disclosure",
    "cancellation_rebuttal",
    "customer_communication",
    "customer_email_address",
    "customer_name",
    "customer_purchase_ip",
    "customer_signature",
    "duplicate_charge_documentation",
    "duplicate_charge_explanation",
    "duplicate_charge_id",
    "product_description",
    "receipt",
    "refund_policy",
    "refund_policy_disclosure",
    "refund_refusal_explanation",
    "service_date",
    "service_documentation",
    "shipping_address",
    "shipping_carrier",
    "shipping_date",
    "shipping_documentation",
    "shipping_tracking_number",
    "uncategorized_file",
    "uncategorized_text",
];

/// A balance transaction a dispute caused: funds withdrawn, or reinstated.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DisputeFunds {
    pub id: String,
    /// Negative when withdrawn.
    pub amount: i64,
    /// Stripe's dispute fee, taken with the withdrawal.
    pub fee: i64,
    pub created: i64,
}

/// A dispute and what the merchant did about it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Dispute {
    pub id: String,
    pub amount: i64,
    pub charge: String,
    pub created: i64,
    pub currency: String,
    pub payment_intent: String,
    pub reason: String,
    pub status: DisputeStatus,
    /// Evidence given so far, by field name (`EVIDENCE_FIELDS`).
    pub evidence: Map<String, Value>,
    pub due_by: i64,
    pub submission_count: i64,
    pub metadata: Map<String, Value>,
    pub funds: Vec<DisputeFunds>,
    /// The card brand, for `payment_method_details.card`.
    pub brand: String,
    /// A decision due on the emulator clock: (when, won), after Stripe's test
    /// evidence was submitted.
    #[serde(default)]
    pub decision_due: Option<(i64, bool)>,
}

impl Dispute {
    /// The object as the API renders it, fields in the fixture's order.
    pub fn render(&self, charge: Value, payment_intent: Value, now: i64) -> Value {
        let mut evidence: Map<String, Value> = EVIDENCE_FIELDS
            .iter()
            .map(|field| {
                let value = self.evidence.get(*field).cloned().unwrap_or(Value::Null);
                (field.to_string(), value)
            })
            .collect();
        evidence.insert("enhanced_evidence".into(), json!({}));
        json!({
            "amount": self.amount,
            "balance_transactions": self.funds.iter().map(|f| self.render_funds(f)).collect::<Vec<_>>(),
            "charge": charge,
            "created": self.created,
            "currency": self.currency,
            "evidence": evidence,
            "evidence_details": {
                "due_by": self.due_by,
                "has_evidence": !self.evidence.is_empty(),
                "past_due": self.status.awaits_response() && now > self.due_by,
                "submission_count": self.submission_count,
                "enhanced_eligibility": {},
            },
            "id": self.id,
            // Once a chargeback is opened its funds are withdrawn: refunding as well
            // would pay the customer twice.
            "is_charge_refundable": false,
            "livemode": false,
            "metadata": self.metadata,
            "object": "dispute",
            "payment_intent": payment_intent,
            "payment_method_details": {
                "card": {
                    "brand": self.brand,
                    "case_type": "chargeback",
                    "network_reason_code": network_reason_code(&self.brand, &self.reason),
                    "network": self.brand,
                },
                "type": "card",
            },
            "reason": self.reason,
            "status": self.status.as_str(),
            "enhanced_eligibility_types": [],
        })
    }

    /// One of `balance_transactions`, fields in the fixture's order.
    fn render_funds(&self, funds: &DisputeFunds) -> Value {
        let withdrawal = funds.amount < 0;
        let fee_details: Vec<Value> = (funds.fee != 0)
            .then(|| {
                json!({ "amount": funds.fee, "application": null, "currency": self.currency, "description": "Dispute fee", "type": "stripe_fee" })
            })
            .into_iter()
            .collect();
        json!({
            "amount": funds.amount,
            "available_on": funds.created,
            "created": funds.created,
            "currency": self.currency,
            "description": if withdrawal {
                format!("Chargeback withdrawal for {}", self.charge)
            } else {
                format!("Chargeback reversal for {}", self.charge)
            },
            "exchange_rate": null,
            "fee": funds.fee,
            "fee_details": fee_details,
            "id": funds.id,
            "net": funds.amount - funds.fee,
            "object": "balance_transaction",
            "reporting_category": if withdrawal { "dispute" } else { "dispute_reversal" },
            "source": self.id,
            "status": "available",
            "type": "adjustment",
            "balance_type": "payments",
        })
    }
}

/// The card network's reason code for a dispute reason [docs*: Visa 10.4 and
/// Mastercard 4837 are the card-absent fraud codes; 13.1 / 4855 goods not received].
fn network_reason_code(brand: &str, reason: &str) -> Value {
    let code = match (brand, reason) {
        ("visa", "fraudulent") => "10.4",
        ("visa", "product_not_received") => "13.1",
        ("mastercard", "fraudulent") => "4837",
        ("mastercard", "product_not_received") => "4855",
        _ => return Value::Null,
    };
    code.into()
}
