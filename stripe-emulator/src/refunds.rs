//! The life cycle of a refund: taken from a charge's refundable balance, then
//! `pending` → `succeeded`, or `failed` / `canceled`, which give the amount back.
//!
//! ```text
//! create ──► succeeded (Stripe's test mode for cards: at once) ──► failed (4000000000005126, later)
//!   └──────► pending (settlement delay, 4000000000007726) ──► succeeded | failed
//!                 └──► requires_action (control API only) ──► succeeded | failed | canceled
//! ```
//!
//! Events [docs: Stripe's event types]: creating emits `charge.refunded` ("whenever a
//! charge is refunded, including partial refunds") then `refund.created`; every later
//! change emits `refund.updated` and `charge.refund.updated` (the older event, "on
//! selected payment methods", which Stripe sends for card refunds), and a failure
//! also `refund.failed`. Asynchronous outcomes run on the emulator clock: they are
//! automatic, so their events carry `request: {id: null}`.

use serde_json::{Map, Value};

use crate::cards::Afterwards;
use crate::currency;
use crate::error::ApiError;
use crate::events::previous_attributes;
use crate::objects::{Charge, ChargeStatus, Refund, RefundStatus, ScheduledOutcome};
use crate::store::Store;

/// When the test cards' asynchronous outcomes come, in emulator-clock seconds after
/// the refund, unless a settlement delay is set [docs*: Stripe says "some time later"].
pub const ASYNC_OUTCOME_SECONDS: i64 = 60;

/// Stripe's `refund.failure_reason` values [stripe-go's and stripe-dotnet's enums].
pub const FAILURE_REASONS: &[&str] = &[
    "charge_for_pending_refund_disputed",
    "declined",
    "expired_or_canceled_card",
    "insufficient_funds",
    "lost_or_stolen_card",
    "merchant_request",
    "unknown",
];

/// The charge a refund is asked for: `charge`, or the PaymentIntent's successful one.
pub fn charge_to_refund(
    store: &Store,
    charge: Option<String>,
    payment_intent: Option<String>,
) -> Result<String, ApiError> {
    match (charge, payment_intent) {
        (None, None) => Err(ApiError::invalid_request(
            "charge",
            "One of the following params should be provided for this request: payment_intent or charge.",
        )),
        (Some(charge), by_intent) => {
            let found = store
                .charges
                .get(&charge)
                .ok_or_else(|| ApiError::no_such("charge", &charge, "charge"))?;
            if by_intent.is_some_and(|pi| pi != found.payment_intent) {
                return Err(ApiError::invalid_request(
                    "payment_intent",
                    format!("The charge {charge} does not belong to the PaymentIntent you gave."),
                ));
            }
            Ok(charge)
        }
        (None, Some(pi_id)) => {
            let pi = store
                .payment_intents
                .get(&pi_id)
                .ok_or_else(|| ApiError::no_such("payment_intent", &pi_id, "payment_intent"))?;
            pi.latest_charge
                .clone()
                .filter(|id| {
                    store
                        .charges
                        .get(id)
                        .is_some_and(|c| c.status == ChargeStatus::Succeeded)
                })
                .ok_or_else(|| {
                    ApiError::invalid_request(
                        "payment_intent",
                        format!(
                            "This PaymentIntent ({pi_id}) does not have a successful charge to refund."
                        ),
                    )
                })
        }
    }
}

/// What is left to refund: the captured amount less refunds that still hold theirs.
pub fn refundable(charge: &Charge) -> i64 {
    // What was released at capture is in `amount_refunded` but was never captured.
    charge.amount_captured - (charge.amount_refunded - charge.amount_released)
}

/// Refunds `amount` of a charge (all that is left when `None`), as `POST /v1/refunds`
/// does and a refund made in the Dashboard does: Stripe's checks, the refund, and
/// `charge.refunded` then `refund.created`.
pub fn create(
    store: &mut Store,
    charge_id: &str,
    amount: Option<i64>,
    reason: Option<String>,
    metadata: Map<String, Value>,
) -> Result<String, ApiError> {
    let charge = &store.charges[charge_id];
    if charge.status != ChargeStatus::Succeeded {
        return Err(ApiError::invalid_request(
            "charge",
            format!("Charge {charge_id} has not succeeded, so there is nothing to refund."),
        ));
    }
    if !charge.captured {
        return Err(ApiError::invalid_request("charge", format!("Charge {charge_id} has not been captured; cancel its PaymentIntent to release the authorization.")));
    }
    if charge.disputed {
        return Err(ApiError::charge_disputed(charge_id));
    }
    let left = refundable(charge);
    if left <= 0 {
        return Err(ApiError::charge_already_refunded(charge_id));
    }
    let amount = amount.unwrap_or(left);
    if amount < 1 {
        return Err(ApiError::invalid_request(
            "amount",
            "Refund amount must be a positive integer.",
        ));
    }
    if amount > left {
        return Err(ApiError::refund_too_large(
            &currency::display(amount, &charge.currency),
            &currency::display(left, &charge.currency),
        ));
    }
    let now = store.clock.now();
    let delay = store.settings.refund_pending_seconds;
    let later = now + delay.unwrap_or(ASYNC_OUTCOME_SECONDS);
    let afterwards = store
        .payment_methods
        .get(&charge.payment_method)
        .map(|pm| pm.card.behaviour().afterwards);
    let (status, scheduled) = match afterwards {
        Some(Afterwards::RefundsFailLater) => (
            RefundStatus::Succeeded,
            Some(ScheduledOutcome {
                at: later,
                status: RefundStatus::Failed,
                failure_reason: Some("expired_or_canceled_card".into()),
            }),
        ),
        Some(Afterwards::RefundsSucceedLater) => (RefundStatus::Pending, Some(succeed_at(later))),
        _ if delay.is_some() => (RefundStatus::Pending, Some(succeed_at(later))),
        _ => (RefundStatus::Succeeded, None),
    };
    let before = store.render_charge_bare(charge_id);
    let refund_id = record(
        store, charge_id, amount, reason, metadata, status, scheduled,
    );
    let after = store.render_charge_bare(charge_id);
    store.emit_charge(
        "charge.refunded",
        charge_id,
        Some(charge_previous_attributes(&before, &after)),
    );
    store.emit_refund("refund.created", &refund_id, None);
    Ok(refund_id)
}

fn succeed_at(at: i64) -> ScheduledOutcome {
    ScheduledOutcome {
        at,
        status: RefundStatus::Succeeded,
        failure_reason: None,
    }
}

/// Releases the rest of a held authorisation (a cancel, or a partial capture's
/// remainder): a refund that has succeeded at once.
pub fn release_hold(store: &mut Store, charge_id: &str, amount: i64) -> String {
    record(
        store,
        charge_id,
        amount,
        None,
        Map::new(),
        RefundStatus::Succeeded,
        None,
    )
}

/// Stores a new refund and counts it on its charge.
fn record(
    store: &mut Store,
    charge_id: &str,
    amount: i64,
    reason: Option<String>,
    metadata: Map<String, Value>,
    status: RefundStatus,
    scheduled: Option<ScheduledOutcome>,
) -> String {
    let now = store.clock.now();
    let refund_id = store.new_id("re");
    let mut charge = store.charges[charge_id].clone();
    charge.amount_refunded += amount;
    charge.refunds.push(refund_id.clone());
    let refund = Refund {
        id: refund_id.clone(),
        amount,
        charge: charge.id.clone(),
        created: now,
        currency: charge.currency.clone(),
        payment_intent: charge.payment_intent.clone(),
        reason,
        metadata,
        balance_transaction: store.new_id("txn"),
        status,
        failure_reason: None,
        failure_balance_transaction: None,
        scheduled,
    };
    store.put_charge(charge);
    store.put_refund(refund);
    refund_id
}

/// `previous_attributes` of `charge.refunded`: the amounts, not the refund list.
fn charge_previous_attributes(before: &Value, after: &Value) -> Value {
    let mut previous = previous_attributes(before, after);
    if let Value::Object(fields) = &mut previous {
        fields.remove("refunds");
    }
    previous
}

/// Moves a refund to `status`, as its payment method would: `pending` or
/// `requires_action` to an outcome, or a `succeeded` card refund to `failed`. A
/// failed or canceled refund gives its amount back to the charge.
pub fn transition(
    store: &mut Store,
    refund_id: &str,
    status: RefundStatus,
    failure_reason: Option<&str>,
) -> Result<(), ApiError> {
    use RefundStatus::*;
    let mut refund = store
        .refunds
        .get(refund_id)
        .cloned()
        .ok_or_else(|| ApiError::no_such("refund", refund_id, "refund"))?;
    let allowed = matches!(
        (refund.status, status),
        (Pending, Succeeded | Failed | RequiresAction)
            | (RequiresAction, Succeeded | Failed | Canceled)
            | (Succeeded, Failed)
    );
    if !allowed {
        return Err(ApiError::invalid_request(
            "status",
            format!(
                "Refund {refund_id} has a status of {} and cannot become {}.",
                refund.status.as_str(),
                status.as_str()
            ),
        ));
    }
    let before = store.render_refund_bare(&refund);
    refund.status = status;
    refund.scheduled = None;
    if !status.holds_amount() {
        refund.failure_reason = Some(failure_reason.unwrap_or("unknown").to_string());
        refund.failure_balance_transaction = Some(store.new_id("txn"));
        if let Some(mut charge) = store.charges.get(&refund.charge).cloned() {
            charge.amount_refunded -= refund.amount;
            store.put_charge(charge);
        }
    }
    let after = store.render_refund_bare(&refund);
    store.put_refund(refund);
    let previous = previous_attributes(&before, &after);
    store.emit_refund("refund.updated", refund_id, Some(previous.clone()));
    store.emit_refund("charge.refund.updated", refund_id, Some(previous.clone()));
    if status == Failed {
        store.emit_refund("refund.failed", refund_id, Some(previous));
    }
    Ok(())
}

/// `POST /v1/refunds/{id}/cancel`: only a refund waiting in `requires_action` can be
/// canceled [docs: "You can't cancel refunds in other states"].
pub fn cancel(store: &mut Store, refund_id: &str) -> Result<(), ApiError> {
    let refund = store
        .refunds
        .get(refund_id)
        .ok_or_else(|| ApiError::no_such("refund", refund_id, "refund"))?;
    if refund.status != RefundStatus::RequiresAction {
        return Err(ApiError::refund_cannot_cancel(refund.status.as_str()));
    }
    transition(
        store,
        refund_id,
        RefundStatus::Canceled,
        Some("merchant_request"),
    )
}

/// `POST /v1/refunds/{id}`: only `metadata` changes; `refund.updated` follows.
pub fn update_metadata(
    store: &mut Store,
    refund_id: &str,
    metadata: Map<String, Value>,
) -> Result<(), ApiError> {
    let mut refund = store
        .refunds
        .get(refund_id)
        .cloned()
        .ok_or_else(|| ApiError::no_such("refund", refund_id, "refund"))?;
    if refund.metadata == metadata {
        return Ok(());
    }
    let before = store.render_refund_bare(&refund);
    refund.metadata = metadata;
    let after = store.render_refund_bare(&refund);
    store.put_refund(refund);
    let previous = previous_attributes(&before, &after);
    store.emit_refund("refund.updated", refund_id, Some(previous.clone()));
    store.emit_refund("charge.refund.updated", refund_id, Some(previous));
    Ok(())
}

/// Fails the charge's pending refunds: a dispute has taken the money back already
/// (`charge_for_pending_refund_disputed`).
pub fn fail_pending_for_dispute(store: &mut Store, charge_id: &str) {
    let pending: Vec<String> = store.charges[charge_id]
        .refunds
        .iter()
        .filter(|id| {
            store.refunds.get(*id).is_some_and(|r| {
                matches!(
                    r.status,
                    RefundStatus::Pending | RefundStatus::RequiresAction
                )
            })
        })
        .cloned()
        .collect();
    for refund_id in pending {
        let _ = transition(
            store,
            &refund_id,
            RefundStatus::Failed,
            Some("charge_for_pending_refund_disputed"),
        );
    }
}

/// Makes the asynchronous outcomes that are due on the emulator clock happen, oldest
/// first; returns how many did.
pub fn settle_due(store: &mut Store) -> usize {
    let now = store.clock.now();
    let mut due: Vec<(i64, String, ScheduledOutcome)> = store
        .refunds
        .values()
        .filter_map(|r| {
            r.scheduled
                .clone()
                .filter(|s| s.at <= now)
                .map(|s| (s.at, r.id.clone(), s))
        })
        .collect();
    due.sort_by_key(|(at, ..)| *at);
    let count = due.len();
    for (_, refund_id, outcome) in due {
        if transition(
            store,
            &refund_id,
            outcome.status,
            outcome.failure_reason.as_deref(),
        )
        .is_err()
        {
            // Moved on by other means meanwhile: nothing is left to happen.
            if let Some(mut refund) = store.refunds.get(&refund_id).cloned() {
                refund.scheduled = None;
                store.put_refund(refund);
            }
        }
    }
    count
}
