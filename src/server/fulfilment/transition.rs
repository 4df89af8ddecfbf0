//! The order state machine of DESIGN.md as one pure function: the order as stored and
//! the PaymentIntent as Stripe reports it now, in; the move to make, out.
//!
//! It is the only way an order's payment state changes. Webhook events and the
//! reconciler both feed it the PaymentIntent re-read from Stripe, so the order of
//! events does not matter, and it is monotonic: `paid` never regresses, and applying
//! the same facts twice changes nothing the second time.

use crate::domain::{DeliveryDetails, Destination, OrderStatus};
use crate::server::stripe::PaymentIntentStatus;

/// What the order looks like in the database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderFacts {
    pub id: String,
    pub status: OrderStatus,
    pub total_minor: i64,
    pub currency: String,
    /// The PaymentIntent that currently moves this order.
    pub current_payment_intent: Option<String>,
    /// For a draft: the cart still holds what the PaymentIntent priced, so its lines
    /// can be locked now (a payment confirmed without the submit step).
    pub draft_matches_cart: bool,
    /// For a draft: where its tax was worked out for (`None` while it was not: no
    /// address yet). A payment made without the submit step ships where Stripe was
    /// told, and that must be where the tax it paid was for.
    pub draft_taxed_for: Option<Destination>,
}

impl OrderFacts {
    /// Whether the draft's total, tax included, is the one for `delivery`.
    fn taxed_for(&self, delivery: &DeliveryDetails) -> bool {
        Destination::parse(&delivery.country, &delivery.region)
            .is_ok_and(|to| self.draft_taxed_for.as_ref() == Some(&to))
    }
}

/// What Stripe says about one PaymentIntent, now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentFacts {
    pub id: String,
    pub status: PaymentIntentStatus,
    pub amount_received: i64,
    pub currency: String,
    /// `metadata.order_id`.
    pub order_id: Option<String>,
    /// `last_payment_error` is set: the last attempt failed.
    pub failed_attempt: bool,
    /// `receipt_email` and `shipping`, when complete and valid: what a payment
    /// confirmed without the submit step needs to be shipped.
    pub delivery: Option<DeliveryDetails>,
}

/// The move to make. `to: None` leaves the status alone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Transition {
    pub to: Option<OrderStatus>,
    /// Copy the cart's lines, and the PaymentIntent's contact and delivery, into the
    /// order first (a draft paid without submit).
    pub lock_lines: bool,
    /// Decrement stock, remove the lines from the cart, queue the confirmation.
    pub fulfil: bool,
    /// Queue the "payment failed, try again" email.
    pub notify_failure: bool,
    /// A line for the order's timeline.
    pub note: Option<String>,
    /// Something a person must look at (money that does not add up): log loudly.
    pub alarm: bool,
}

impl Transition {
    fn to(status: OrderStatus, note: impl Into<String>) -> Self {
        Self {
            to: Some(status),
            note: Some(note.into()),
            ..Self::default()
        }
    }

    fn review(reason: impl Into<String>) -> Self {
        Self {
            alarm: true,
            ..Self::to(OrderStatus::NeedsReview, reason)
        }
    }

    fn note(note: impl Into<String>, alarm: bool) -> Self {
        Self {
            note: Some(note.into()),
            alarm,
            ..Self::default()
        }
    }
}

/// The transition for `order` given `payment` as Stripe reports it now.
pub fn transition(order: &OrderFacts, payment: &PaymentFacts) -> Transition {
    use OrderStatus as O;
    use PaymentIntentStatus as P;

    let money_taken = matches!(payment.status, P::Succeeded);
    if matches!(order.status, O::Paid | O::NeedsReview) {
        // Paid is final, and review is a person's. A success on another PaymentIntent
        // would be a second charge: a person must refund it.
        return if money_taken && order.current_payment_intent.as_deref() != Some(&payment.id) {
            Transition::note(
                format!(
                    "{} succeeded after the order was {}: refund it",
                    payment.id,
                    if order.status == O::Paid {
                        "paid"
                    } else {
                        "sent to review"
                    }
                ),
                true,
            )
        } else if money_taken && order.status == O::NeedsReview {
            // The money arrived for an order a person must look at: tell them.
            Transition::note(
                format!(
                    "{} succeeded while the order awaits review: fulfil by hand or refund",
                    payment.id
                ),
                true,
            )
        } else {
            Transition::default()
        };
    }
    if payment.order_id.as_deref() != Some(order.id.as_str()) {
        return Transition::review(format!(
            "{} names order {:?}, not this one",
            payment.id, payment.order_id
        ));
    }
    let current = order.current_payment_intent.as_deref() == Some(payment.id.as_str());
    if !current {
        return match payment.status {
            // Money moved on a PaymentIntent this order no longer uses.
            P::Succeeded | P::RequiresCapture => Transition::review(format!(
                "{} is superseded but took a payment: refund it",
                payment.id
            )),
            P::Canceled => Transition::note(format!("superseded {} cancelled", payment.id), false),
            _ => Transition::default(),
        };
    }
    match payment.status {
        P::Succeeded => {
            if payment.amount_received != order.total_minor || payment.currency != order.currency {
                return Transition::review(format!(
                    "{} received {} {}, the order totals {} {}",
                    payment.id,
                    payment.amount_received,
                    payment.currency,
                    order.total_minor,
                    order.currency
                ));
            }
            match order.status {
                O::AwaitingPayment | O::Processing | O::PaymentFailed => Transition {
                    fulfil: true,
                    ..Transition::to(O::Paid, format!("paid: {} succeeded", payment.id))
                },
                // Without our submit step the order has no address and no email; a
                // client that bypassed it must have given Stripe both, or nothing
                // can be shipped and nobody told.
                O::Draft
                    if order.draft_matches_cart
                        && payment
                            .delivery
                            .as_ref()
                            .is_some_and(|d| order.taxed_for(d)) =>
                {
                    Transition {
                        fulfil: true,
                        lock_lines: true,
                        ..Transition::to(
                            O::Paid,
                            format!("paid without submit: {} succeeded", payment.id),
                        )
                    }
                }
                // The tax it paid was worked out for another address, or for none yet:
                // shipping it would under- or over-charge tax. A person decides.
                O::Draft if order.draft_matches_cart && payment.delivery.is_some() => {
                    Transition::review(format!(
                        "{} succeeded without submit, for an address its tax was not worked \
                         out for: charge the difference or refund",
                        payment.id
                    ))
                }
                O::Draft if order.draft_matches_cart => Transition::review(format!(
                    "{} succeeded without submit and without a usable shipping address and \
                     receipt email: contact the buyer or refund",
                    payment.id
                )),
                O::Draft => Transition::review(format!(
                    "{} succeeded for a draft whose cart has changed since",
                    payment.id
                )),
                O::Canceled => Transition::review(format!(
                    "{} succeeded for a cancelled order: refund it",
                    payment.id
                )),
                O::Paid | O::NeedsReview => Transition::default(),
            }
        }
        P::Processing => match order.status {
            O::AwaitingPayment | O::PaymentFailed => {
                Transition::to(O::Processing, format!("{} is processing", payment.id))
            }
            _ => Transition::default(),
        },
        P::RequiresPaymentMethod if payment.failed_attempt => match order.status {
            O::AwaitingPayment | O::Processing => Transition {
                notify_failure: true,
                ..Transition::to(O::PaymentFailed, format!("{} failed", payment.id))
            },
            _ => Transition::default(),
        },
        // Also from `processing`: the failure in between may never have been read (a
        // lost webhook), and a cancelled PaymentIntent will never pay this order.
        P::Canceled => match order.status {
            O::Draft | O::AwaitingPayment | O::PaymentFailed | O::Processing => {
                Transition::to(O::Canceled, format!("{} was cancelled", payment.id))
            }
            _ => Transition::default(),
        },
        _ => Transition::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use OrderStatus as O;
    use PaymentIntentStatus as P;

    fn order(status: OrderStatus) -> OrderFacts {
        OrderFacts {
            id: "ord_1".into(),
            status,
            total_minor: 4100,
            currency: "usd".into(),
            current_payment_intent: Some("pi_1".into()),
            draft_matches_cart: true,
            draft_taxed_for: Destination::parse("US", "IL").ok(),
        }
    }

    fn payment(status: PaymentIntentStatus) -> PaymentFacts {
        PaymentFacts {
            id: "pi_1".into(),
            status,
            amount_received: if status == P::Succeeded { 4100 } else { 0 },
            currency: "usd".into(),
            order_id: Some("ord_1".into()),
            failed_attempt: false,
            delivery: Some(delivery()),
        }
    }

    fn delivery() -> DeliveryDetails {
        crate::domain::DeliveryForm {
            email: "ada@example.com".into(),
            name: "Ada Lovelace".into(),
            line1: "1 Main Street".into(),
            line2: String::new(),
            city: "Springfield".into(),
            region: "IL".into(),
            postal_code: "62701".into(),
            country: "US".into(),
        }
        .validate()
        .unwrap()
    }

    #[test]
    fn success_pays_and_fulfils_once() {
        let paid = transition(&order(O::AwaitingPayment), &payment(P::Succeeded));
        assert_eq!((paid.to, paid.fulfil), (Some(O::Paid), true));
        let again = transition(&order(O::Paid), &payment(P::Succeeded));
        assert_eq!(
            again,
            Transition::default(),
            "paid is final and replays are no-ops"
        );
    }

    #[test]
    fn a_mismatch_is_flagged_never_fulfilled() {
        let mut short = payment(P::Succeeded);
        short.amount_received = 100;
        let t = transition(&order(O::AwaitingPayment), &short);
        assert_eq!(
            (t.to, t.fulfil, t.alarm),
            (Some(O::NeedsReview), false, true)
        );
        let mut euros = payment(P::Succeeded);
        euros.currency = "eur".into();
        assert_eq!(
            transition(&order(O::Processing), &euros).to,
            Some(O::NeedsReview)
        );
        let mut foreign = payment(P::Succeeded);
        foreign.order_id = Some("ord_2".into());
        assert_eq!(
            transition(&order(O::AwaitingPayment), &foreign).to,
            Some(O::NeedsReview)
        );
    }

    #[test]
    fn only_the_current_payment_intent_moves_the_order() {
        let mut old = payment(P::Succeeded);
        old.id = "pi_0".into();
        let t = transition(&order(O::AwaitingPayment), &old);
        assert_eq!((t.to, t.fulfil), (Some(O::NeedsReview), false));
        let mut old_cancel = payment(P::Canceled);
        old_cancel.id = "pi_0".into();
        let t = transition(&order(O::AwaitingPayment), &old_cancel);
        assert_eq!(t.to, None);
        assert!(t.note.is_some(), "a timeline entry");
        let t = transition(&order(O::Paid), &old);
        assert_eq!(
            (t.to, t.alarm),
            (None, true),
            "a second charge after paid is flagged"
        );
        let t = transition(&order(O::NeedsReview), &old);
        assert_eq!((t.to, t.alarm), (None, true), "and after review too");
        let t = transition(&order(O::NeedsReview), &payment(P::Succeeded));
        assert_eq!(
            (t.to, t.fulfil, t.alarm),
            (None, false, true),
            "money for an order in review is announced, never fulfilled"
        );
    }

    #[test]
    fn failures_processing_and_cancels() {
        let mut failed = payment(P::RequiresPaymentMethod);
        failed.failed_attempt = true;
        let t = transition(&order(O::AwaitingPayment), &failed);
        assert_eq!((t.to, t.notify_failure), (Some(O::PaymentFailed), true));
        assert_eq!(transition(&order(O::Draft), &failed).to, None);
        assert_eq!(
            transition(&order(O::AwaitingPayment), &payment(P::Processing)).to,
            Some(O::Processing)
        );
        assert_eq!(
            transition(&order(O::Processing), &failed).to,
            Some(O::PaymentFailed)
        );
        assert_eq!(
            transition(&order(O::PaymentFailed), &payment(P::Canceled)).to,
            Some(O::Canceled)
        );
        assert_eq!(transition(&order(O::Paid), &payment(P::Canceled)).to, None);
    }

    #[test]
    fn a_draft_paid_without_submit() {
        let t = transition(&order(O::Draft), &payment(P::Succeeded));
        assert_eq!((t.to, t.lock_lines, t.fulfil), (Some(O::Paid), true, true));
        let mut changed = order(O::Draft);
        changed.draft_matches_cart = false;
        assert_eq!(
            transition(&changed, &payment(P::Succeeded)).to,
            Some(O::NeedsReview)
        );
        // Taxed for nowhere yet, or for somewhere else than Stripe was told to ship.
        for taxed_for in [None, Destination::parse("US", "CA").ok()] {
            let mut elsewhere = order(O::Draft);
            elsewhere.draft_taxed_for = taxed_for;
            let t = transition(&elsewhere, &payment(P::Succeeded));
            assert_eq!(
                (t.to, t.fulfil, t.alarm),
                (Some(O::NeedsReview), false, true)
            );
        }
    }

    #[test]
    fn a_draft_paid_without_submit_and_without_an_address_needs_review() {
        let mut anonymous = payment(P::Succeeded);
        anonymous.delivery = None;
        let t = transition(&order(O::Draft), &anonymous);
        assert_eq!(
            (t.to, t.fulfil, t.lock_lines, t.alarm),
            (Some(O::NeedsReview), false, false, true)
        );
    }

    fn failed() -> PaymentFacts {
        let mut failed = payment(P::RequiresPaymentMethod);
        failed.failed_attempt = true;
        failed
    }

    /// One payment's life at Stripe, as Stripe allows it to move, ending settled
    /// (succeeded, failed, processing or cancelled): each step is what a re-read
    /// would see at that moment.
    fn history() -> impl Strategy<Value = Vec<PaymentFacts>> {
        prop::collection::vec(0usize..5, 1..7).prop_map(|choices| {
            let mut snapshots = vec![payment(P::RequiresPaymentMethod)];
            for choice in choices {
                let last = snapshots.last().unwrap().status;
                let next: Vec<PaymentFacts> = match last {
                    P::RequiresPaymentMethod => vec![
                        failed(),
                        payment(P::Processing),
                        payment(P::RequiresAction),
                        payment(P::Succeeded),
                        payment(P::Canceled),
                    ],
                    P::RequiresAction => {
                        vec![failed(), payment(P::Succeeded), payment(P::Canceled)]
                    }
                    P::Processing => vec![payment(P::Succeeded), failed()],
                    _ => break,
                };
                snapshots.push(next[choice % next.len()].clone());
            }
            let last = snapshots.last().unwrap().clone();
            let settled = last.failed_attempt
                || matches!(last.status, P::Succeeded | P::Canceled | P::Processing);
            if !settled {
                snapshots.push(failed());
            }
            snapshots
        })
    }

    fn apply(mut order: OrderFacts, facts: &[&PaymentFacts]) -> (OrderStatus, usize) {
        let mut fulfilments = 0;
        for payment in facts {
            let t = transition(&order, payment);
            if let Some(to) = t.to {
                order.status = to;
            }
            fulfilments += usize::from(t.fulfil);
        }
        (order.status, fulfilments)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        /// Events arrive duplicated and in any order; each is handled by re-reading the
        /// PaymentIntent, which is at least as new as the event. Once the last delivery
        /// (or the reconciler) has read the final state, the order is where in-order
        /// delivery would have put it: fulfilled exactly once if paid, never otherwise.
        #[test]
        fn any_order_of_duplicated_events_converges(
            history in history(),
            deliveries in prop::collection::vec((0usize..8, 0usize..8), 0..16),
            // Paid from the checkout page without the submit step, or after it.
            draft in any::<bool>(),
            // Events of a superseded PaymentIntent that took no money, anywhere.
            superseded in prop::collection::vec((0usize..32, 0usize..3), 0..4),
        ) {
            let start = if draft { O::Draft } else { O::AwaitingPayment };
            let last = history.len() - 1;
            let in_order: Vec<&PaymentFacts> = history.iter().collect();
            let expected = apply(order(start), &in_order);

            // A delivery of the event emitted at step `emitted`, read `lag` steps later.
            let mut reads: Vec<&PaymentFacts> = deliveries
                .iter()
                .map(|&(emitted, lag)| &history[((emitted % history.len()) + lag).min(last)])
                .collect();
            let old: Vec<PaymentFacts> = [P::Canceled, P::RequiresPaymentMethod, P::Processing]
                .into_iter()
                .map(|status| PaymentFacts { id: "pi_0".into(), ..payment(status) })
                .collect();
            for &(position, which) in &superseded {
                reads.insert(position % (reads.len() + 1), &old[which]);
            }
            reads.push(&history[last]);
            let (status, fulfilments) = apply(order(start), &reads);
            prop_assert_eq!(status, expected.0);
            prop_assert_eq!(fulfilments, usize::from(expected.0 == O::Paid));
            prop_assert!(expected.1 <= 1);
        }
    }
}
