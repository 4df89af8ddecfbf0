//! Turning Stripe's word into orders: the transition function, the worker that applies
//! inbox events, the reconciler that heals lost webhooks, and the mail sender.
//!
//! Every path re-reads the PaymentIntent from the Stripe API and hands it to the same
//! [`Store::apply_payment`](super::store::Store::apply_payment), so what an event
//! claimed never matters, only what Stripe says now.

pub mod emails;
pub mod mail;
pub mod reconciler;
pub mod transition;
pub mod worker;

pub mod stock_holds;

use super::stripe::PaymentIntent;
use crate::domain::{DeliveryDetails, DeliveryForm};
use transition::PaymentFacts;

impl From<&PaymentIntent> for PaymentFacts {
    fn from(intent: &PaymentIntent) -> Self {
        PaymentFacts {
            id: intent.id.clone(),
            status: intent.status,
            amount_received: intent.amount_received,
            currency: intent.currency.clone(),
            order_id: intent.metadata.get("order_id").cloned(),
            failed_attempt: intent.last_payment_error.is_some(),
            delivery: delivery_of(intent),
        }
    }
}

/// The contact and delivery a PaymentIntent carries (`receipt_email` and `shipping`),
/// when they pass the same validation as our checkout form: only then can a payment
/// confirmed without our submit step be shipped and confirmed by email.
fn delivery_of(intent: &PaymentIntent) -> Option<DeliveryDetails> {
    let shipping = intent.shipping.as_ref()?;
    let address = shipping.address.clone().unwrap_or_default();
    let text = |value: Option<String>| value.unwrap_or_default();
    DeliveryForm {
        email: intent.receipt_email.clone()?,
        name: text(shipping.name.clone()),
        line1: text(address.line1),
        line2: text(address.line2),
        city: text(address.city),
        region: text(address.state),
        postal_code: text(address.postal_code),
        country: text(address.country),
    }
    .validate()
    .ok()
}

/// Seconds to wait before attempt `attempts + 1`: 2, 4, 8, ... capped at an hour.
pub fn backoff_secs(attempts: i64) -> i64 {
    2i64.saturating_pow(u32::try_from(attempts.clamp(0, 30)).unwrap_or(30) + 1)
        .min(3600)
}

#[cfg(test)]
mod tests {
    #[test]
    fn backoff_doubles_then_caps() {
        assert_eq!(super::backoff_secs(0), 2);
        assert_eq!(super::backoff_secs(3), 16);
        assert_eq!(super::backoff_secs(40), 3600);
    }
}
