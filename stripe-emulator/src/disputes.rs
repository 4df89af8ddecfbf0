//! The life cycle of a dispute (a chargeback): opened on a succeeded charge, answered
//! with evidence or accepted by the merchant, then won or lost.
//!
//! ```text
//! needs_response ──submit evidence──► under_review ──► won | lost (control API)
//!       └──────────accept (POST /v1/disputes/{id}/close)──────────► lost
//!       └──────────────────────────────────────────────────────────► won | lost (control API)
//! ```
//!
//! Events [docs: Stripe's event types]: `charge.dispute.created` and then
//! `charge.dispute.funds_withdrawn` ("when funds are removed from your account due
//! to a dispute"); `charge.dispute.updated` for evidence ("usually with evidence");
//! `charge.dispute.closed` for `won` and `lost`; then `charge.dispute.funds_reinstated`
//! when won ("when funds are reinstated to your account after a dispute is closed").
//! Submitting Stripe's test evidence (`winning_evidence` or `losing_evidence` as
//! `uncategorized_text`) decides the dispute a minute later on the emulator clock.

use serde_json::{Map, Value};

use crate::cards::Afterwards;
use crate::error::ApiError;
use crate::events::previous_attributes;
use crate::objects::{ChargeStatus, Dispute, DisputeFunds, DisputeStatus, RefundStatus};
use crate::refunds;
use crate::store::Store;

/// Days the merchant has to answer; evidence is due at the end of that day (UTC)
/// [docs*: Stripe's due dates vary by network; its fixtures end a day at 23:59:59].
pub const RESPONSE_DAYS: i64 = 7;

/// Stripe's dispute fee in US dollars, in cents [docs*: $15]; other currencies get none.
const USD_DISPUTE_FEE: i64 = 1500;

/// `evidence[uncategorized_text]` that makes a submitted test dispute won, or lost.
pub const TEST_EVIDENCE_WINS: &str = "winning_evidence";
pub const TEST_EVIDENCE_LOSES: &str = "losing_evidence";

/// When a dispute submitted with test evidence is decided, in emulator-clock seconds
/// after the submission [docs*: Stripe does not say].
pub const DECISION_SECONDS: i64 = 60;

/// Stripe's dispute reasons [spec: `dispute.reason` descriptions].
pub const REASONS: &[&str] = &[
    "bank_cannot_process",
    "check_returned",
    "credit_not_processed",
    "customer_initiated",
    "debit_not_authorized",
    "duplicate",
    "fraudulent",
    "general",
    "incorrect_account_details",
    "insufficient_funds",
    "product_not_received",
    "product_unacceptable",
    "subscription_canceled",
    "unrecognized",
];

/// After a charge succeeds: a dispute test card (4000000000000259) is disputed. Stripe
/// does this by itself, so the events name no request.
pub fn after_success(store: &mut Store, charge_id: &str) {
    let Some(charge) = store.charges.get(charge_id) else {
        return;
    };
    let afterwards = store
        .payment_methods
        .get(&charge.payment_method)
        .map(|pm| pm.card.behaviour().afterwards);
    if let Some(Afterwards::Dispute(reason)) = afterwards {
        let _ = as_stripe(store, |store| open(store, charge_id, reason));
    }
}

/// Opens a dispute on a succeeded, captured charge that is not fully refunded.
pub fn open(store: &mut Store, charge_id: &str, reason: &str) -> Result<String, ApiError> {
    let charge = store
        .charges
        .get(charge_id)
        .ok_or_else(|| ApiError::no_such("charge", charge_id, "charge"))?;
    if charge.status != ChargeStatus::Succeeded || !charge.captured {
        return Err(ApiError::invalid_request(
            "payment_intent",
            format!(
                "Charge {charge_id} has not succeeded and been captured, so it cannot be disputed."
            ),
        ));
    }
    if charge.disputed {
        return Err(ApiError::invalid_request(
            "payment_intent",
            format!("Charge {charge_id} is already disputed."),
        ));
    }
    // Pending refunds fail when the dispute comes: their amount is disputed instead.
    let settled_refunds: i64 = charge
        .refunds
        .iter()
        .filter_map(|id| store.refunds.get(id))
        .filter(|r| r.status == RefundStatus::Succeeded)
        .map(|r| r.amount)
        .sum();
    let amount = charge.amount_captured - settled_refunds;
    if amount <= 0 {
        // [docs: "Disputes and chargebacks aren't possible on credit card charges
        // that are fully refunded."]
        return Err(ApiError::invalid_request(
            "payment_intent",
            format!("Charge {charge_id} is fully refunded, so it cannot be disputed."),
        ));
    }
    let brand = store
        .payment_methods
        .get(&charge.payment_method)
        .map_or_else(|| "visa".to_string(), |pm| pm.card.brand.clone());
    let mut charge = charge.clone();
    let now = store.clock.now();
    let dispute_id = store.new_id("dp");
    let fee = if charge.currency == "usd" {
        USD_DISPUTE_FEE
    } else {
        0
    };
    let withdrawal = DisputeFunds {
        id: store.new_id("txn"),
        amount: -amount,
        fee,
        created: now,
    };
    let day = 24 * 60 * 60;
    let dispute = Dispute {
        id: dispute_id.clone(),
        amount,
        charge: charge_id.to_string(),
        created: now,
        currency: charge.currency.clone(),
        payment_intent: charge.payment_intent.clone(),
        reason: reason.to_string(),
        status: DisputeStatus::NeedsResponse,
        evidence: Map::new(),
        due_by: ((now + RESPONSE_DAYS * day) / day + 1) * day - 1,
        submission_count: 0,
        metadata: Map::new(),
        funds: vec![withdrawal],
        brand,
        decision_due: None,
    };
    charge.disputed = true;
    store.put_charge(charge);
    store.put_dispute(dispute);
    store.emit_dispute("charge.dispute.created", &dispute_id, None);
    store.emit_dispute("charge.dispute.funds_withdrawn", &dispute_id, None);
    refunds::fail_pending_for_dispute(store, charge_id);
    Ok(dispute_id)
}

fn find(store: &Store, dispute_id: &str) -> Result<Dispute, ApiError> {
    store
        .disputes
        .get(dispute_id)
        .cloned()
        .ok_or_else(|| ApiError::no_such("dispute", dispute_id, "dispute"))
}

/// `POST /v1/disputes/{id}`: evidence (merged field by field), `metadata`, and
/// `submit`, which sends the evidence (`under_review`). Evidence can be given only
/// while the dispute awaits a response; `charge.dispute.updated` follows a change.
pub fn update(
    store: &mut Store,
    dispute_id: &str,
    evidence: Option<&Map<String, Value>>,
    metadata: Option<Map<String, Value>>,
    submit: bool,
) -> Result<(), ApiError> {
    let mut dispute = find(store, dispute_id)?;
    if (evidence.is_some() || submit) && !dispute.status.awaits_response() {
        return Err(ApiError::dispute_not_awaiting_response(
            dispute_id,
            dispute.status.as_str(),
        ));
    }
    let now = store.clock.now();
    let before = dispute.render(Value::Null, Value::Null, now);
    for (field, value) in evidence.into_iter().flatten() {
        dispute.evidence.insert(field.clone(), value.clone());
    }
    if let Some(metadata) = metadata {
        dispute.metadata = metadata;
    }
    if submit {
        dispute.submission_count += 1;
        dispute.status = match dispute.status {
            DisputeStatus::WarningNeedsResponse => DisputeStatus::WarningUnderReview,
            _ => DisputeStatus::UnderReview,
        };
        // Stripe's test evidence decides the dispute [docs: "winning_evidence" /
        // "losing_evidence" as `uncategorized_text`], some time later [docs*].
        dispute.decision_due = match dispute.evidence.get("uncategorized_text") {
            Some(text) if text == TEST_EVIDENCE_WINS => Some((now + DECISION_SECONDS, true)),
            Some(text) if text == TEST_EVIDENCE_LOSES => Some((now + DECISION_SECONDS, false)),
            _ => None,
        };
    }
    let after = dispute.render(Value::Null, Value::Null, now);
    if before == after {
        return Ok(());
    }
    store.put_dispute(dispute);
    store.emit_dispute(
        "charge.dispute.updated",
        dispute_id,
        Some(previous_attributes(&before, &after)),
    );
    Ok(())
}

/// `POST /v1/disputes/{id}/close`: the merchant accepts the dispute, which is lost
/// [docs: "acknowledging it as lost"]. Only while it awaits a response.
pub fn accept(store: &mut Store, dispute_id: &str) -> Result<(), ApiError> {
    let dispute = find(store, dispute_id)?;
    if !dispute.status.awaits_response() {
        return Err(ApiError::dispute_not_awaiting_response(
            dispute_id,
            dispute.status.as_str(),
        ));
    }
    let outcome = match dispute.status {
        DisputeStatus::WarningNeedsResponse => DisputeStatus::WarningClosed,
        _ => DisputeStatus::Lost,
    };
    finish(store, dispute, outcome);
    Ok(())
}

/// The card network decides (control API): `won` gives the funds back, `lost` keeps
/// them with the customer. Only an open dispute can be decided.
pub fn decide(store: &mut Store, dispute_id: &str, won: bool) -> Result<(), ApiError> {
    let mut dispute = find(store, dispute_id)?;
    if dispute.status.is_closed() {
        if dispute.decision_due.take().is_some() {
            store.put_dispute(dispute.clone());
        }
        return Err(ApiError::dispute_not_awaiting_response(
            dispute_id,
            dispute.status.as_str(),
        ));
    }
    let outcome = match (won, dispute.status) {
        (_, DisputeStatus::WarningNeedsResponse | DisputeStatus::WarningUnderReview) => {
            DisputeStatus::WarningClosed
        }
        (true, _) => DisputeStatus::Won,
        (false, _) => DisputeStatus::Lost,
    };
    finish(store, dispute, outcome);
    Ok(())
}

/// Decides the disputes whose decision is due on the emulator clock (Stripe's test
/// evidence), oldest first; returns how many were.
pub fn settle_due(store: &mut Store) -> usize {
    let now = store.clock.now();
    let mut due: Vec<(i64, String, bool)> = store
        .disputes
        .values()
        .filter_map(|d| {
            d.decision_due
                .filter(|(at, _)| *at <= now)
                .map(|(at, won)| (at, d.id.clone(), won))
        })
        .collect();
    due.sort_by_key(|(at, ..)| *at);
    let count = due.len();
    for (_, dispute_id, won) in due {
        let _ = decide(store, &dispute_id, won);
    }
    count
}

fn finish(store: &mut Store, mut dispute: Dispute, outcome: DisputeStatus) {
    let now = store.clock.now();
    dispute.decision_due = None;
    let before = dispute.render(Value::Null, Value::Null, now);
    dispute.status = outcome;
    let reinstated = outcome == DisputeStatus::Won;
    if reinstated {
        // Only the disputed amount comes back [docs*: since 2025 Stripe keeps the fee].
        dispute.funds.push(DisputeFunds {
            id: store.new_id("txn"),
            amount: dispute.amount,
            fee: 0,
            created: now,
        });
    }
    let after = dispute.render(Value::Null, Value::Null, now);
    let id = dispute.id.clone();
    store.put_dispute(dispute);
    store.emit_dispute(
        "charge.dispute.closed",
        &id,
        Some(previous_attributes(&before, &after)),
    );
    if reinstated {
        store.emit_dispute("charge.dispute.funds_reinstated", &id, None);
    }
}

/// Runs `f` as Stripe acting on its own: the events it causes name no request.
pub fn as_stripe<T>(store: &mut Store, f: impl FnOnce(&mut Store) -> T) -> T {
    let request = std::mem::take(&mut store.request);
    let result = f(store);
    store.request = request;
    result
}
