//! Emitting events (contract b.9): a snapshot per transition, and a delivery per
//! endpoint that wants it.

use serde_json::Value;

use crate::objects::{Audience, Event, Snapshot};
use crate::store::{Delivery, Store};
use crate::wire::versions::PINNED;

/// Events are listed for 30 days, as Stripe keeps them.
pub const RETENTION_SECONDS: i64 = 30 * 24 * 60 * 60;

impl Store {
    /// Records an event with `object` as it is now, and queues its deliveries.
    pub fn emit(&mut self, kind: &str, object: Snapshot, previous_attributes: Option<Value>) {
        // Now and then, forget what is past the retention period.
        if self.events.len() % 1024 == 1023 {
            self.prune_events();
        }
        let id = self.new_id("evt");
        let now = self.clock.now();
        let endpoints: Vec<String> = self
            .webhook_endpoints
            .values()
            .filter(|w| w.wants(kind))
            .map(|w| w.id.clone())
            .collect();
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
        });
    }

    /// Drops events older than the retention period, with their deliveries: the API no
    /// longer shows them, and Stripe gives up retrying long before.
    pub fn prune_events(&mut self) {
        let cutoff = self.clock.now() - RETENTION_SECONDS;
        self.events.retain(|_, e| e.created >= cutoff);
        let events = &self.events;
        self.deliveries.retain(|_, d| {
            events.contains_key(&d.event_id) && (d.next_attempt_at.is_some() || !d.succeeded)
        });
    }

    /// `payment_intent.*` with the PaymentIntent as it is now.
    pub fn emit_intent(&mut self, kind: &str, pi_id: &str) {
        if let Some(pi) = self.payment_intents.get(pi_id) {
            let snapshot = Snapshot::PaymentIntent {
                payment_intent: Box::new(pi.clone()),
            };
            self.emit(kind, snapshot, None);
        }
    }

    /// `charge.*` with the charge (and its refunds) as they are now.
    pub fn emit_charge(&mut self, kind: &str, charge_id: &str, previous_attributes: Option<Value>) {
        if let Some(charge) = self.charges.get(charge_id) {
            let refunds = charge
                .refunds
                .iter()
                .filter_map(|id| self.refunds.get(id))
                .cloned()
                .collect();
            let snapshot = Snapshot::Charge {
                charge: Box::new(charge.clone()),
                refunds,
            };
            self.emit(kind, snapshot, previous_attributes);
        }
    }

    /// `refund.*` (and `charge.refund.updated`) with the refund as it is now.
    pub fn emit_refund(&mut self, kind: &str, refund_id: &str, previous_attributes: Option<Value>) {
        if let Some(refund) = self.refunds.get(refund_id) {
            let snapshot = Snapshot::Refund {
                refund: Box::new(refund.clone()),
            };
            self.emit(kind, snapshot, previous_attributes);
        }
    }

    /// `charge.dispute.*` with the dispute as it is now.
    pub fn emit_dispute(
        &mut self,
        kind: &str,
        dispute_id: &str,
        previous_attributes: Option<Value>,
    ) {
        if let Some(dispute) = self.disputes.get(dispute_id) {
            let snapshot = Snapshot::Dispute {
                dispute: Box::new(dispute.clone()),
            };
            self.emit(kind, snapshot, previous_attributes);
        }
    }

    /// An event as the API and deliveries render it.
    pub fn render_event(&self, event: &Event) -> Value {
        let object = match &event.object {
            // Unexpanded, as events are: references stay ids.
            Snapshot::PaymentIntent { payment_intent: pi } => pi.render(
                pi.payment_method.clone().map_or(Value::Null, Value::from),
                pi.latest_charge.clone().map_or(Value::Null, Value::from),
                Audience::Secret,
            ),
            Snapshot::Charge { charge, refunds } => {
                let rendered = refunds
                    .iter()
                    .rev()
                    .map(|re| re.render(re.charge.clone().into(), re.payment_intent.clone().into()))
                    .collect();
                charge.render(
                    charge.payment_intent.clone().into(),
                    rendered,
                    self.payment_methods.get(&charge.payment_method),
                )
            }
            Snapshot::Refund { refund } => refund.render(
                refund.charge.clone().into(),
                refund.payment_intent.clone().into(),
            ),
            // `past_due` as it was when the event happened.
            Snapshot::Dispute { dispute } => dispute.render(
                dispute.charge.clone().into(),
                dispute.payment_intent.clone().into(),
                event.created,
            ),
        };
        event.render(object, PINNED)
    }
}

/// `previous_attributes` of an update: every field of `before` whose value `after`
/// changed (a field `after` gained was `null` before); inside hashes, only the keys
/// that changed.
pub fn previous_attributes(before: &Value, after: &Value) -> Value {
    let (Value::Object(old), Value::Object(new)) = (before, after) else {
        return before.clone();
    };
    let mut changed = serde_json::Map::new();
    for (key, now) in new {
        match old.get(key) {
            None => {
                changed.insert(key.clone(), Value::Null);
            }
            Some(was) if was != now => {
                let previous = if was.is_object() && now.is_object() {
                    previous_attributes(was, now)
                } else {
                    was.clone()
                };
                changed.insert(key.clone(), previous);
            }
            Some(_) => {}
        }
    }
    for (key, was) in old {
        if !new.contains_key(key) {
            changed.insert(key.clone(), was.clone());
        }
    }
    Value::Object(changed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::Keys;
    use crate::objects::{Refund, Snapshot};

    #[test]
    fn events_past_retention_are_forgotten() {
        let mut store = Store::in_memory(Keys::generate());
        let refund = Refund {
            id: "re_1".into(),
            amount: 100,
            charge: "ch_1".into(),
            created: 0,
            currency: "usd".into(),
            payment_intent: "pi_1".into(),
            reason: None,
            metadata: serde_json::Map::new(),
            balance_transaction: "txn_1".into(),
            status: Default::default(),
            failure_reason: None,
            failure_balance_transaction: None,
            scheduled: None,
        };
        store.emit(
            "refund.created",
            Snapshot::Refund {
                refund: Box::new(refund.clone()),
            },
            None,
        );
        let mut clock = store.clock;
        clock.advance(RETENTION_SECONDS + 60);
        store.put_clock(clock);
        store.emit(
            "refund.created",
            Snapshot::Refund {
                refund: Box::new(refund),
            },
            None,
        );
        assert_eq!(store.events.len(), 2);
        store.prune_events();
        assert_eq!(store.events.len(), 1, "only the recent event stays");
    }

    #[test]
    fn previous_attributes_name_what_changed_as_it_was() {
        let before = serde_json::json!({"status": "pending", "pending_reason": "processing", "amount": 5, "metadata": {"a": "1", "b": "2"}});
        let after = serde_json::json!({"status": "failed", "failure_reason": "declined", "amount": 5, "metadata": {"a": "1", "b": "3"}});
        assert_eq!(
            previous_attributes(&before, &after),
            serde_json::json!({"status": "pending", "failure_reason": null, "metadata": {"b": "2"}, "pending_reason": "processing"})
        );
    }
}
