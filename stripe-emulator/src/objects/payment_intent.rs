//! PaymentIntents: what we keep, and how Stripe renders them for each kind of key.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// `payment_intent.status` (contract b.6).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    RequiresPaymentMethod,
    RequiresConfirmation,
    RequiresAction,
    Processing,
    RequiresCapture,
    Canceled,
    Succeeded,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::RequiresPaymentMethod => "requires_payment_method",
            Status::RequiresConfirmation => "requires_confirmation",
            Status::RequiresAction => "requires_action",
            Status::Processing => "processing",
            Status::RequiresCapture => "requires_capture",
            Status::Canceled => "canceled",
            Status::Succeeded => "succeeded",
        }
    }

    /// The states in which amount, currency and the rest may still change.
    pub fn is_updatable(self) -> bool {
        matches!(
            self,
            Status::RequiresPaymentMethod | Status::RequiresConfirmation | Status::RequiresAction
        )
    }
}

/// A PaymentIntent. Fields Stripe echoes from the request are kept as given.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PaymentIntent {
    pub id: String,
    pub client_secret: String,
    pub amount: i64,
    pub amount_capturable: i64,
    pub amount_received: i64,
    pub currency: String,
    pub status: Status,
    pub capture_method: String,
    pub created: i64,
    pub canceled_at: Option<i64>,
    pub cancellation_reason: Option<String>,
    pub automatic_payment_methods: bool,
    pub payment_method_types: Vec<String>,
    pub payment_method: Option<String>,
    pub latest_charge: Option<String>,
    pub last_payment_error: Option<Value>,
    pub next_action: Option<Value>,
    pub metadata: Map<String, Value>,
    pub description: Option<String>,
    pub receipt_email: Option<String>,
    pub customer: Option<String>,
    pub shipping: Option<Value>,
    pub setup_future_usage: Option<String>,
    pub statement_descriptor: Option<String>,
    pub statement_descriptor_suffix: Option<String>,
    pub transfer_group: Option<String>,
    #[serde(default)]
    pub on_behalf_of: Option<String>,
    #[serde(default)]
    pub application_fee_amount: Option<i64>,
    #[serde(default)]
    pub transfer_data: Option<Value>,
    #[serde(default = "automatic")]
    pub confirmation_method: String,
    /// Where a hosted 3-D Secure page sends the shopper back to (not rendered by Stripe).
    pub return_url: Option<String>,
    /// The PaymentMethod that started 3-D Secure, kept while `requires_action`.
    pub authenticating_payment_method: Option<String>,
    /// Created by the control API's test page (`/_emulator/test-page`), the only
    /// PaymentIntents that page may change or hand the client secret of. Set by the
    /// emulator alone, never through `/v1` (unlike `metadata`), and kept with the state.
    #[serde(default)]
    pub test_page: bool,
}

fn automatic() -> String {
    "automatic".into()
}

/// Which key asked: a publishable key sees only a subset of fields (contract b.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Secret,
    Publishable,
}

/// Fields a publishable key may read, from Stripe.js's own type definitions.
const PUBLISHABLE_FIELDS: &[&str] = &[
    "id",
    "object",
    "amount",
    "automatic_payment_methods",
    "canceled_at",
    "cancellation_reason",
    "capture_method",
    "client_secret",
    "confirmation_method",
    "created",
    "currency",
    "description",
    "last_payment_error",
    "livemode",
    "next_action",
    "payment_method",
    "payment_method_types",
    "processing",
    "receipt_email",
    "setup_future_usage",
    "shipping",
    "source",
    "status",
];

impl PaymentIntent {
    /// Whether `given` is this PaymentIntent's client secret (compared in constant time).
    pub fn client_secret_matches(&self, given: &str) -> bool {
        crate::wire::auth::constant_time_eq(given, &self.client_secret)
    }

    /// The object as the API renders it, fields in the fixture's order.
    ///
    /// `payment_method` and `latest_charge` are whatever the caller resolved: an id
    /// string, or an object when expanded.
    pub fn render(&self, payment_method: Value, latest_charge: Value, audience: Audience) -> Value {
        let full = json!({
            "amount": self.amount,
            "amount_capturable": self.amount_capturable,
            "amount_details": { "tip": {} },
            "amount_received": self.amount_received,
            "application": null,
            "application_fee_amount": self.application_fee_amount,
            "automatic_payment_methods": if self.automatic_payment_methods { json!({ "allow_redirects": "always", "enabled": true }) } else { Value::Null },
            "canceled_at": self.canceled_at,
            "cancellation_reason": self.cancellation_reason,
            "capture_method": self.capture_method,
            "client_secret": self.client_secret,
            "confirmation_method": self.confirmation_method,
            "created": self.created,
            "currency": self.currency,
            "customer": self.customer,
            "description": self.description,
            "id": self.id,
            "last_payment_error": self.last_payment_error,
            "latest_charge": latest_charge,
            "livemode": false,
            "metadata": self.metadata,
            "next_action": self.next_action,
            "object": "payment_intent",
            "on_behalf_of": self.on_behalf_of,
            "payment_method": payment_method,
            "payment_method_configuration_details": null,
            "payment_method_options": {
                "card": { "installments": null, "mandate_options": null, "network": null, "request_three_d_secure": "automatic" }
            },
            "payment_method_types": self.payment_method_types,
            "processing": if self.status == Status::Processing { json!({ "type": "card" }) } else { Value::Null },
            "receipt_email": self.receipt_email,
            "review": null,
            "setup_future_usage": self.setup_future_usage,
            "shipping": render_shipping(self.shipping.as_ref()),
            "statement_descriptor": self.statement_descriptor,
            "statement_descriptor_suffix": self.statement_descriptor_suffix,
            "status": self.status.as_str(),
            "transfer_data": self.transfer_data,
            "transfer_group": self.transfer_group,
            "source": null,
            "excluded_payment_method_types": null,
            "customer_account": null,
            "managed_payments": null,
        });
        match audience {
            Audience::Secret => full,
            Audience::Publishable => publishable_subset(full),
        }
    }
}

/// Keeps only what Stripe shows a publishable key; `payment_method` stays an id.
fn publishable_subset(full: Value) -> Value {
    let Value::Object(fields) = full else {
        return full;
    };
    let mut subset: Map<String, Value> = fields
        .into_iter()
        .filter(|(k, _)| PUBLISHABLE_FIELDS.contains(&k.as_str()))
        .collect();
    if let Some(pm) = subset.get_mut("payment_method") {
        if let Some(id) = pm.get("id").cloned() {
            *pm = id;
        }
    }
    Value::Object(subset)
}

/// `shipping` as Stripe renders it: every field of the object present, `null` when it
/// was not given, in Stripe's order; `null` when there is none.
pub fn render_shipping(shipping: Option<&Value>) -> Value {
    let Some(shipping) = shipping.filter(|s| s.is_object()) else {
        return Value::Null;
    };
    let address = &shipping["address"];
    json!({
        "address": {
            "city": address["city"],
            "country": address["country"],
            "line1": address["line1"],
            "line2": address["line2"],
            "postal_code": address["postal_code"],
            "state": address["state"],
        },
        "carrier": shipping["carrier"],
        "name": shipping["name"],
        "phone": shipping["phone"],
        "tracking_number": shipping["tracking_number"],
    })
}
