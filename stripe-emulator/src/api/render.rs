//! Rendering stored objects for an answer: expansion and the publishable-key subset.
//!
//! References are id strings unless `expand[]` names them (contract b.1); lists take
//! `data.<field>`.

use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::objects::{Audience, Charge, Dispute, PaymentIntent, Refund};
use crate::store::Store;

/// The fields to expand on one object.
#[derive(Debug, Default, Clone)]
pub struct Expand(Vec<String>);

impl Expand {
    /// Reads `expand[]`, allowing only `allowed` fields (with `data.` first for lists).
    pub fn from_params(
        params: &Map<String, Value>,
        allowed: &[&str],
        list: bool,
    ) -> Result<Expand, ApiError> {
        let mut fields = Vec::new();
        for value in params
            .get("expand")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let requested = value.as_str().unwrap_or_default();
            let field = if list {
                requested.strip_prefix("data.")
            } else {
                Some(requested)
            };
            match field {
                Some(field) if allowed.contains(&field) => fields.push(field.to_string()),
                _ => return Err(ApiError::cannot_expand(requested)),
            }
        }
        Ok(Expand(fields))
    }

    pub fn has(&self, field: &str) -> bool {
        self.0.iter().any(|f| f == field)
    }
}

/// What may be expanded on each object.
pub const PAYMENT_INTENT_EXPANDABLE: &[&str] = &[
    "latest_charge",
    "payment_method",
    "customer",
    "application",
    "on_behalf_of",
    "review",
];
pub const CHARGE_EXPANDABLE: &[&str] = &[
    "payment_intent",
    "customer",
    "application",
    "balance_transaction",
    "review",
];
pub const REFUND_EXPANDABLE: &[&str] = &["charge", "payment_intent", "balance_transaction"];
pub const PAYMENT_METHOD_EXPANDABLE: &[&str] = &["customer"];
pub const DISPUTE_EXPANDABLE: &[&str] = &["charge", "payment_intent"];

impl Store {
    pub fn render_payment_intent(
        &self,
        pi: &PaymentIntent,
        expand: &Expand,
        audience: Audience,
    ) -> Value {
        let payment_method = match &pi.payment_method {
            Some(id) if expand.has("payment_method") && audience == Audience::Secret => self
                .payment_methods
                .get(id)
                .map(|pm| pm.render())
                .unwrap_or_else(|| id.clone().into()),
            Some(id) => id.clone().into(),
            None => Value::Null,
        };
        let latest_charge = match &pi.latest_charge {
            Some(id) if expand.has("latest_charge") => self
                .charges
                .get(id)
                .map(|ch| self.render_charge(ch, &Expand::default()))
                .unwrap_or_else(|| id.clone().into()),
            Some(id) => id.clone().into(),
            None => Value::Null,
        };
        pi.render(payment_method, latest_charge, audience)
    }

    pub fn render_charge(&self, charge: &Charge, expand: &Expand) -> Value {
        let payment_intent = match self.payment_intents.get(&charge.payment_intent) {
            Some(pi) if expand.has("payment_intent") => {
                self.render_payment_intent(pi, &Expand::default(), Audience::Secret)
            }
            _ => charge.payment_intent.clone().into(),
        };
        let refunds = charge
            .refunds
            .iter()
            .rev()
            .filter_map(|id| self.refunds.get(id))
            .map(|re| self.render_refund(re, &Expand::default()))
            .collect();
        charge.render(
            payment_intent,
            refunds,
            self.payment_methods.get(&charge.payment_method),
        )
    }

    /// A charge with nothing expanded, by id (it must exist).
    pub fn render_charge_bare(&self, charge_id: &str) -> Value {
        self.render_charge(&self.charges[charge_id], &Expand::default())
    }

    /// A refund with nothing expanded.
    pub fn render_refund_bare(&self, refund: &Refund) -> Value {
        refund.render(
            refund.charge.clone().into(),
            refund.payment_intent.clone().into(),
        )
    }

    /// A dispute, with `charge` and `payment_intent` expanded when asked.
    pub fn render_dispute(&self, dispute: &Dispute, expand: &Expand) -> Value {
        let charge = match self.charges.get(&dispute.charge) {
            Some(ch) if expand.has("charge") => self.render_charge(ch, &Expand::default()),
            _ => dispute.charge.clone().into(),
        };
        let payment_intent = match self.payment_intents.get(&dispute.payment_intent) {
            Some(pi) if expand.has("payment_intent") => {
                self.render_payment_intent(pi, &Expand::default(), Audience::Secret)
            }
            _ => dispute.payment_intent.clone().into(),
        };
        dispute.render(charge, payment_intent, self.clock.now())
    }

    pub fn render_refund(&self, refund: &Refund, expand: &Expand) -> Value {
        let charge = match self.charges.get(&refund.charge) {
            Some(ch) if expand.has("charge") => {
                // A charge renders its refunds: render it without them to avoid a loop.
                let mut bare = ch.clone();
                bare.refunds.clear();
                bare.render(
                    ch.payment_intent.clone().into(),
                    Vec::new(),
                    self.payment_methods.get(&ch.payment_method),
                )
            }
            _ => refund.charge.clone().into(),
        };
        let payment_intent = match self.payment_intents.get(&refund.payment_intent) {
            Some(pi) if expand.has("payment_intent") => {
                self.render_payment_intent(pi, &Expand::default(), Audience::Secret)
            }
            _ => refund.payment_intent.clone().into(),
        };
        refund.render(charge, payment_intent)
    }
}
