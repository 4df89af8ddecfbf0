//! Events: what happened, with a snapshot of the object at that moment.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{Charge, Dispute, PaymentIntent, Refund};

/// The object as it was when the event happened: a copy of the stored object (much
/// smaller than its rendered JSON), rendered only when the event is read or sent.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Snapshot {
    PaymentIntent {
        payment_intent: Box<PaymentIntent>,
    },
    /// A charge renders its refunds, so they are copied too.
    Charge {
        charge: Box<Charge>,
        refunds: Vec<Refund>,
    },
    Refund {
        refund: Box<Refund>,
    },
    Dispute {
        dispute: Box<Dispute>,
    },
}

/// An event. `object` is a copy taken when the event was created: later changes to the
/// object never leak into it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Event {
    pub id: String,
    pub kind: String,
    pub created: i64,
    pub object: Snapshot,
    pub previous_attributes: Option<Value>,
    pub request_id: Option<String>,
    pub idempotency_key: Option<String>,
    /// Endpoints that have not had a 2xx for this event yet.
    pub pending_webhooks: i64,
}

impl Event {
    /// The event as `GET /v1/events/{id}` renders it, fields in the fixture's order;
    /// `object` is the snapshot, already rendered.
    pub fn render(&self, object: Value, api_version: &str) -> Value {
        let mut data = json!({ "object": object });
        if let Some(previous) = &self.previous_attributes {
            data["previous_attributes"] = previous.clone();
        }
        json!({
            "api_version": api_version,
            "created": self.created,
            "data": data,
            "id": self.id,
            "livemode": false,
            "object": "event",
            "pending_webhooks": self.pending_webhooks,
            "request": { "id": self.request_id, "idempotency_key": self.idempotency_key },
            "type": self.kind,
        })
    }

    /// `delivery_success`: every endpoint got it (or none had to).
    pub fn delivered(&self) -> bool {
        self.pending_webhooks == 0
    }
}
