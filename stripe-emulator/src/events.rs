//! Emitting events (contract b.9): a snapshot per transition, and a delivery per
//! endpoint that wants it.

use serde_json::Value;

use crate::api::render::Expand;
use crate::objects::{Audience, Event};
use crate::store::{Delivery, Store};

/// Events are listed for 30 days, as Stripe keeps them.
pub const RETENTION_SECONDS: i64 = 30 * 24 * 60 * 60;

impl Store {
    /// Records an event with `object` as it is now, and queues its deliveries.
    pub fn emit(&mut self, kind: &str, object: Value, previous_attributes: Option<Value>) {
        let id = self.new_id("evt");
        let now = self.clock.now();
        let endpoints: Vec<String> = self.webhook_endpoints.values().filter(|w| w.wants(kind)).map(|w| w.id.clone()).collect();
        for endpoint_id in &endpoints {
            self.put_delivery(Delivery {
                id: format!("{id}:{endpoint_id}"),
                event_id: id.clone(),
                endpoint_id: endpoint_id.clone(),
                attempts: 0,
                next_attempt_at: Some(now),
                succeeded: false,
            });
        }
        self.put_event(Event {
            id,
            kind: kind.to_string(),
            created: now,
            object,
            previous_attributes,
            request_id: self.request.id.clone(),
            idempotency_key: self.request.idempotency_key.clone(),
            pending_webhooks: endpoints.len() as i64,
            failed_webhooks: 0,
        });
    }

    /// `payment_intent.*` with the PaymentIntent as it is now.
    pub fn emit_intent(&mut self, kind: &str, pi_id: &str) {
        if let Some(pi) = self.payment_intents.get(pi_id) {
            let snapshot = self.render_payment_intent(pi, &Expand::default(), Audience::Secret);
            self.emit(kind, snapshot, None);
        }
    }

    /// `charge.*` with the charge as it is now.
    pub fn emit_charge(&mut self, kind: &str, charge_id: &str, previous_attributes: Option<Value>) {
        if let Some(charge) = self.charges.get(charge_id) {
            let snapshot = self.render_charge(charge, &Expand::default());
            self.emit(kind, snapshot, previous_attributes);
        }
    }

    /// `refund.*` with the refund as it is now.
    pub fn emit_refund(&mut self, kind: &str, refund_id: &str) {
        if let Some(refund) = self.refunds.get(refund_id) {
            let snapshot = self.render_refund(refund, &Expand::default());
            self.emit(kind, snapshot, None);
        }
    }
}
