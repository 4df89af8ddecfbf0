//! Charges: one per authorisation attempt that reached the card network.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::payment_method::{render_billing_details, PaymentMethod};

/// `charge.status`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ChargeStatus {
    Succeeded,
    Pending,
    Failed,
}

/// A charge and what happened to it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Charge {
    pub id: String,
    pub amount: i64,
    pub amount_captured: i64,
    pub amount_refunded: i64,
    /// The uncaptured rest of a partial capture, released (and counted as refunded).
    #[serde(default)]
    pub amount_released: i64,
    pub captured: bool,
    pub created: i64,
    pub currency: String,
    pub status: ChargeStatus,
    pub payment_intent: String,
    /// PaymentMethods never change, so the card and billing details are read from it.
    pub payment_method: String,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
    /// `outcome.type` and `outcome.reason` of a declined charge; `None` when authorised.
    pub decline: Option<(String, String)>,
    pub balance_transaction: Option<String>,
    pub description: Option<String>,
    pub receipt_email: Option<String>,
    pub shipping: Option<Value>,
    pub metadata: Map<String, Value>,
    pub refunds: Vec<String>,
    /// `authenticated` when 3-D Secure was completed before this charge.
    pub three_d_secure: Option<String>,
    /// A dispute was opened on it.
    #[serde(default)]
    pub disputed: bool,
}

impl Charge {
    pub fn status_str(&self) -> &'static str {
        match self.status {
            ChargeStatus::Succeeded => "succeeded",
            ChargeStatus::Pending => "pending",
            ChargeStatus::Failed => "failed",
        }
    }

    /// The object as the API renders it (refunds already rendered by the caller).
    pub fn render(
        &self,
        payment_intent: Value,
        refunds: Vec<Value>,
        payment_method: Option<&PaymentMethod>,
    ) -> Value {
        let outcome = match &self.decline {
            None => approved_outcome(),
            Some((kind, reason)) => declined_outcome(kind, Some(reason)),
        };
        json!({
            "amount": self.amount,
            "amount_captured": self.amount_captured,
            "amount_refunded": self.amount_refunded,
            "application": null,
            "application_fee": null,
            "application_fee_amount": null,
            "balance_transaction": self.balance_transaction,
            "billing_details": render_billing_details(payment_method.and_then(|pm| pm.billing_details.as_deref())),
            "calculated_statement_descriptor": "STRIPE EMULATOR",
            "captured": self.captured,
            "created": self.created,
            "currency": self.currency,
            "customer": null,
            "description": self.description,
            "disputed": self.disputed,
            "failure_balance_transaction": null,
            "failure_code": self.failure_code,
            "failure_message": self.failure_message,
            "fraud_details": {},
            "id": self.id,
            "livemode": false,
            "metadata": self.metadata,
            "object": "charge",
            "on_behalf_of": null,
            "outcome": outcome,
            "paid": self.status == ChargeStatus::Succeeded,
            "payment_intent": payment_intent,
            "payment_method": self.payment_method,
            "payment_method_details": {
                "card": payment_method.map(|pm| pm.card.render_for_charge(self.amount, self.three_d_secure.as_deref())),
                "type": "card",
            },
            "receipt_email": self.receipt_email,
            "receipt_number": null,
            "receipt_url": null,
            "refunded": self.amount_refunded == self.amount && self.amount > 0,
            "refunds": {
                "data": refunds,
                "has_more": false,
                "object": "list",
                "url": format!("/v1/charges/{}/refunds", self.id),
            },
            "review": null,
            "shipping": super::payment_intent::render_shipping(self.shipping.as_ref()),
            "source_transfer": null,
            "statement_descriptor": null,
            "statement_descriptor_suffix": null,
            "status": self.status_str(),
            "transfer_data": null,
            "transfer_group": null,
            "source": null,
        })
    }
}

/// `charge.outcome` for an authorised charge.
fn approved_outcome() -> Value {
    json!({
        "advice_code": null,
        "network_advice_code": null,
        "network_decline_code": null,
        "network_status": "approved_by_network",
        "reason": null,
        "risk_level": "normal",
        "risk_score": 32,
        "seller_message": "Payment complete.",
        "type": "authorized",
    })
}

/// `charge.outcome` for a declined charge.
fn declined_outcome(outcome_type: &str, reason: Option<&str>) -> Value {
    let blocked = outcome_type == "blocked";
    json!({
        "advice_code": null,
        "network_advice_code": null,
        "network_decline_code": null,
        "network_status": if blocked { "not_sent_to_network" } else { "declined_by_network" },
        "reason": reason,
        "risk_level": if blocked { "highest" } else { "normal" },
        "risk_score": if blocked { 95 } else { 40 },
        "seller_message": if blocked { "Stripe blocked this payment as too risky." } else { "The bank did not return any further details with this decline." },
        "type": outcome_type,
    })
}
