//! The PaymentIntent state machine of contract b.6, with the test cards of b.7.
//!
//! ```text
//! requires_payment_method ──(PM)──► requires_confirmation ──confirm──► [authorise]
//!        ▲      ▲                                                        │
//!        │      └───────── 3DS failed ─── requires_action ◄── 3DS card ──┤
//!        └──── decline ◄─────────────────────────────────────────────────┤
//!                              succeeded ◄── automatic capture ──────────┤
//!                              requires_capture ◄── manual capture ──────┘
//! ```
//!
//! Every function here runs inside the store's lock, so a transition is atomic.

use serde_json::Value;

use crate::cards::{Authentication, Outcome};
use crate::error::ApiError;
use crate::objects::{Card, Charge, ChargeStatus, PaymentIntent, PaymentMethod, Status};
use crate::store::{NextActionMode, Store};

/// Where the confirm came from, which decides how 3-D Secure is asked for.
#[derive(Debug, Clone, Default)]
pub struct Confirmation {
    pub return_url: Option<String>,
    pub use_stripe_sdk: bool,
    /// `error_on_requires_action` or `off_session`: fail instead of asking the shopper.
    pub no_customer_action: bool,
    /// `off_session`: the shopper is not there to authenticate.
    pub off_session: bool,
    /// Confirmed with a publishable key, that is by Stripe.js.
    pub by_stripe_js: bool,
}

/// How a 3-D Secure challenge ended (`/_emulator/3ds/{pi}/result`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeResult {
    Complete,
    Fail,
}

/// `You cannot confirm this PaymentIntent because ...` for each state that refuses it.
pub fn refuse_confirm(pi: &PaymentIntent) -> ApiError {
    let message = match pi.status {
        Status::Succeeded => "You cannot confirm this PaymentIntent because it has already succeeded after being previously confirmed.".to_string(),
        status => format!(
            "You cannot confirm this PaymentIntent because it has a status of {}. Only a PaymentIntent with one of the following statuses may be confirmed: requires_confirmation, requires_action, requires_payment_method.",
            status.as_str()
        ),
    };
    ApiError::unexpected_state(message)
}

/// Confirms `pi` with the PaymentMethod `pm_id` (already resolved and attached).
pub fn confirm(
    store: &mut Store,
    pi_id: &str,
    pm_id: &str,
    how: &Confirmation,
    emulator_url: &str,
) -> Result<(), ApiError> {
    let mut pi = store.payment_intents[pi_id].clone();
    let card = store.payment_methods[pm_id].card.clone();
    pi.last_payment_error = None;
    pi.next_action = None;
    pi.payment_method = Some(pm_id.to_string());
    if how.return_url.is_some() {
        pi.return_url = how.return_url.clone();
    }
    let behaviour = card.behaviour();
    if behaviour.authentication == Authentication::Required {
        if how.no_customer_action {
            let error = if how.off_session {
                ApiError::card(
                    "authentication_required",
                    Some("authentication_required"),
                    "Your card was declined. This transaction requires authentication.",
                    None,
                )
            } else {
                ApiError::card(
                    "authentication_required",
                    Some("authentication_not_handled"),
                    "This payment required an authentication action to complete, but `error_on_requires_action` was set. When you're ready, you can upgrade your integration to handle actions at https://stripe.com/docs/payments/payment-intents/upgrade-to-handle-actions.",
                    None,
                )
            };
            return Err(fail_attempt(store, pi, pm_id, error, None));
        }
        pi.status = Status::RequiresAction;
        pi.authenticating_payment_method = Some(pm_id.to_string());
        pi.next_action = Some(next_action(
            &pi,
            how,
            store.settings.next_action_mode,
            emulator_url,
        ));
        store.put_payment_intent(pi);
        store.emit_intent("payment_intent.requires_action", pi_id);
        return Ok(());
    }
    let outcome = behaviour.outcome;
    authorize(store, pi, pm_id, None, outcome, false)
}

/// The `next_action` a 3-D Secure card gets (contract b.6).
fn next_action(
    pi: &PaymentIntent,
    how: &Confirmation,
    mode: NextActionMode,
    emulator_url: &str,
) -> Value {
    let query = format!(
        "payment_intent={}&client_secret={}",
        pi.id, pi.client_secret
    );
    let redirect = if how.by_stripe_js && how.use_stripe_sdk {
        mode == NextActionMode::RedirectToUrl
    } else {
        how.return_url.is_some() && !how.use_stripe_sdk
    };
    if redirect {
        serde_json::json!({
            "redirect_to_url": {
                "return_url": pi.return_url,
                "url": format!("{emulator_url}/_emulator/3ds/hosted?payment_intent={}&payment_intent_client_secret={}", pi.id, pi.client_secret),
            },
            "type": "redirect_to_url",
        })
    } else {
        serde_json::json!({
            "type": "use_stripe_sdk",
            "use_stripe_sdk": {
                "stripe_js": format!("{emulator_url}/_emulator/3ds/challenge?{query}"),
                "type": "three_d_secure_redirect",
            },
        })
    }
}

/// Ends a 3-D Secure challenge: authorise as usual, or fail the attempt.
pub fn finish_challenge(
    store: &mut Store,
    pi_id: &str,
    result: ChallengeResult,
) -> Result<(), ApiError> {
    let pi = store.payment_intents[pi_id].clone();
    if pi.status != Status::RequiresAction {
        return Err(ApiError::unexpected_state(format!(
            "This PaymentIntent has a status of {} and has no 3-D Secure challenge to complete or fail.",
            pi.status.as_str()
        )));
    }
    let pm_id = pi
        .authenticating_payment_method
        .clone()
        .or(pi.payment_method.clone())
        .unwrap_or_default();
    let Some(pm) = store.payment_methods.get(&pm_id).cloned() else {
        return Err(ApiError::unexpected_state(
            "This PaymentIntent has no PaymentMethod to authenticate.",
        ));
    };
    match result {
        ChallengeResult::Complete => {
            let mut pi = pi;
            pi.next_action = None;
            pi.authenticating_payment_method = None;
            let outcome = pm.card.behaviour().outcome;
            authorize(store, pi, &pm_id, Some("authenticated"), outcome, false)
        }
        ChallengeResult::Fail => {
            // No charge: the card network never saw this attempt.
            let mut error = ApiError::authentication_failure();
            error.payment_method = Some(pm.render());
            let mut pi = pi;
            pi.status = Status::RequiresPaymentMethod;
            pi.payment_method = None;
            pi.next_action = None;
            pi.authenticating_payment_method = None;
            pi.last_payment_error = Some(error.as_last_payment_error());
            store.put_payment_intent(pi);
            store.emit_intent("payment_intent.payment_failed", pi_id);
            Ok(())
        }
    }
}

/// Charges the card: success (captured or held) or a decline with a failed charge.
///
/// `settle` captures at once even under manual capture (a forced async success).
fn authorize(
    store: &mut Store,
    mut pi: PaymentIntent,
    pm_id: &str,
    three_d_secure: Option<&str>,
    outcome: Outcome,
    settle: bool,
) -> Result<(), ApiError> {
    let now = store.clock.now();
    let charge_id = store.new_id("ch");
    let mut charge = Charge {
        id: charge_id.clone(),
        amount: pi.amount,
        amount_captured: 0,
        amount_refunded: 0,
        amount_released: 0,
        captured: false,
        created: now,
        currency: pi.currency.clone(),
        status: ChargeStatus::Succeeded,
        payment_intent: pi.id.clone(),
        payment_method: pm_id.to_string(),
        failure_code: None,
        failure_message: None,
        decline: None,
        balance_transaction: None,
        description: pi.description.clone(),
        receipt_email: pi.receipt_email.clone(),
        shipping: pi.shipping.clone(),
        metadata: pi.metadata.clone(),
        refunds: Vec::new(),
        three_d_secure: three_d_secure.map(str::to_string),
        disputed: false,
    };
    pi.latest_charge = Some(charge_id.clone());
    match outcome {
        Outcome::Succeed if pi.capture_method == "manual" && !settle => {
            pi.status = Status::RequiresCapture;
            pi.amount_capturable = pi.amount;
            let pi_id = pi.id.clone();
            store.put_charge(charge);
            store.put_payment_intent(pi);
            store.emit_charge("charge.succeeded", &charge_id, None);
            store.emit_intent("payment_intent.amount_capturable_updated", &pi_id);
            Ok(())
        }
        Outcome::Succeed => {
            pi.status = Status::Succeeded;
            pi.amount_received = pi.amount;
            charge.captured = true;
            charge.amount_captured = pi.amount;
            // With `automatic_async` the balance transaction comes a moment later, in
            // `charge.updated` [obs: API >= 2024-04-10].
            let asynchronous = pi.capture_method == "automatic_async";
            if !asynchronous {
                charge.balance_transaction = Some(store.new_id("txn"));
            }
            let pi_id = pi.id.clone();
            store.put_charge(charge);
            store.put_payment_intent(pi);
            store.emit_charge("charge.succeeded", &charge_id, None);
            store.emit_intent("payment_intent.succeeded", &pi_id);
            if asynchronous {
                let mut charge = store.charges[&charge_id].clone();
                charge.balance_transaction = Some(store.new_id("txn"));
                store.put_charge(charge);
                store.emit_charge(
                    "charge.updated",
                    &charge_id,
                    Some(serde_json::json!({ "balance_transaction": null })),
                );
            }
            crate::disputes::after_success(store, &charge_id);
            Ok(())
        }
        Outcome::Decline(decline) => {
            charge.status = ChargeStatus::Failed;
            charge.failure_code = Some(decline.code.to_string());
            charge.failure_message = Some(decline.message.to_string());
            charge.decline = Some((
                decline.outcome_type.to_string(),
                decline.decline_code.unwrap_or(decline.code).to_string(),
            ));
            store.put_charge(charge);
            store.emit_charge("charge.failed", &charge_id, None);
            Err(fail_attempt(
                store,
                pi,
                pm_id,
                decline.to_error(),
                Some(charge_id),
            ))
        }
    }
}

/// A failed attempt: back to `requires_payment_method`, the PaymentMethod detached and
/// kept inside `last_payment_error`.
fn fail_attempt(
    store: &mut Store,
    mut pi: PaymentIntent,
    pm_id: &str,
    mut error: ApiError,
    charge: Option<String>,
) -> ApiError {
    error.charge = charge;
    error.payment_method = Some(store.payment_methods[pm_id].render());
    pi.status = Status::RequiresPaymentMethod;
    pi.payment_method = None;
    pi.next_action = None;
    pi.authenticating_payment_method = None;
    pi.last_payment_error = Some(error.as_last_payment_error());
    let pi_id = pi.id.clone();
    store.put_payment_intent(pi);
    store.emit_intent("payment_intent.payment_failed", &pi_id);
    error.attach_intent = true;
    error
}

/// Cancels, releasing a held authorisation (its charge is refunded in full).
pub fn cancel(store: &mut Store, pi_id: &str, reason: Option<String>) -> Result<(), ApiError> {
    let mut pi = store.payment_intents[pi_id].clone();
    if !matches!(
        pi.status,
        Status::RequiresPaymentMethod
            | Status::RequiresConfirmation
            | Status::RequiresAction
            | Status::RequiresCapture
            | Status::Processing
    ) {
        return Err(ApiError::unexpected_state(format!(
            "You cannot cancel this PaymentIntent because it has a status of {}. Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action, processing.",
            pi.status.as_str()
        )));
    }
    let held_charge = (pi.status == Status::RequiresCapture)
        .then(|| pi.latest_charge.clone())
        .flatten();
    let held_amount = pi.amount_capturable;
    pi.status = Status::Canceled;
    pi.canceled_at = Some(store.clock.now());
    pi.cancellation_reason = reason;
    pi.next_action = None;
    pi.amount_capturable = 0;
    store.put_payment_intent(pi);
    store.emit_intent("payment_intent.canceled", pi_id);
    // Cancelling a hold releases it: the charge is refunded in full.
    if let Some(charge_id) = held_charge.filter(|id| store.charges.contains_key(id)) {
        crate::refunds::release_hold(store, &charge_id, held_amount);
        store.emit_charge("charge.refunded", &charge_id, None);
    }
    Ok(())
}

/// Captures a held authorisation; an uncaptured remainder is released.
pub fn capture(
    store: &mut Store,
    pi_id: &str,
    amount_to_capture: Option<i64>,
) -> Result<(), ApiError> {
    let mut pi = store.payment_intents[pi_id].clone();
    if pi.status != Status::RequiresCapture {
        return Err(ApiError::unexpected_state(format!(
            "This PaymentIntent could not be captured because it has a status of {}. Only a PaymentIntent with one of the following statuses may be captured: requires_capture.",
            pi.status.as_str()
        )));
    }
    let amount = amount_to_capture.unwrap_or(pi.amount_capturable);
    if amount > pi.amount_capturable {
        return Err(ApiError::capture_too_large(amount, pi.amount_capturable));
    }
    if amount < 1 {
        return Err(ApiError::invalid_request(
            "amount_to_capture",
            "The amount to capture must be a positive integer.",
        )
        .attached());
    }
    let charge_id = pi.latest_charge.clone().unwrap_or_default();
    if let Some(mut charge) = store.charges.get(&charge_id).cloned() {
        charge.captured = true;
        charge.amount_captured = amount;
        charge.amount_refunded = pi.amount - amount;
        charge.amount_released = pi.amount - amount;
        charge.balance_transaction = Some(store.new_id("txn"));
        store.put_charge(charge);
    }
    pi.status = Status::Succeeded;
    pi.amount_received = amount;
    pi.amount_capturable = 0;
    store.put_payment_intent(pi);
    store.emit_charge("charge.captured", &charge_id, None);
    store.emit_intent("payment_intent.succeeded", pi_id);
    crate::disputes::after_success(store, &charge_id);
    Ok(())
}

/// Moves a PaymentIntent as an asynchronous payment method would (control API `force`).
pub fn force(store: &mut Store, pi_id: &str, outcome: &str) -> Result<(), ApiError> {
    if !matches!(outcome, "processing" | "succeeded" | "payment_failed") {
        return Err(ApiError::invalid_request(
            "status",
            format!("Unknown outcome {outcome:?}: use processing, succeeded or payment_failed."),
        ));
    }
    let mut pi = store.payment_intents[pi_id].clone();
    if pi.status == Status::RequiresCapture {
        // A held authorisation already has its charge: settling it is a capture.
        return match outcome {
            "succeeded" => capture(store, pi_id, None),
            _ => Err(ApiError::unexpected_state(
                "This PaymentIntent holds an authorisation: capture or cancel it instead.",
            )),
        };
    }
    if matches!(pi.status, Status::Succeeded | Status::Canceled) {
        return Err(ApiError::unexpected_state(format!(
            "This PaymentIntent has a status of {}, which is final.",
            pi.status.as_str()
        )));
    }
    let pm_id = match pi
        .payment_method
        .clone()
        .or(pi.authenticating_payment_method.clone())
    {
        Some(id) => id,
        None => materialize_test_card(store, "4242424242424242")?,
    };
    pi.payment_method = Some(pm_id.clone());
    pi.next_action = None;
    pi.authenticating_payment_method = None;
    match outcome {
        "processing" => {
            pi.status = Status::Processing;
            store.put_payment_intent(pi);
            store.emit_intent("payment_intent.processing", pi_id);
            Ok(())
        }
        "succeeded" => {
            // An asynchronous method succeeding is settled at once, whatever the capture method.
            authorize(store, pi, &pm_id, None, Outcome::Succeed, true)
        }
        "payment_failed" => {
            let error = crate::cards::Decline {
                code: "card_declined",
                decline_code: Some("generic_decline"),
                message: "Your card was declined.",
                param: None,
                outcome_type: "issuer_declined",
            }
            .to_error();
            let _ = fail_attempt(store, pi, &pm_id, error, None);
            Ok(())
        }
        _ => unreachable!("checked at the top"),
    }
}

/// Creates a PaymentMethod for one of Stripe's test card numbers (for `pm_card_*`).
pub fn materialize_test_card(store: &mut Store, number: &str) -> Result<String, ApiError> {
    let now = store.clock.now();
    let today = crate::clock::year_and_month_of(now);
    let card = Card::from_raw(number, 12, today.0 + 3, None, today)?;
    let id = store.new_id("pm");
    store.put_payment_method(PaymentMethod {
        id: id.clone(),
        created: now,
        billing_details: None,
        card,
        metadata: serde_json::Map::new(),
        allow_redisplay: "unspecified".into(),
    });
    Ok(id)
}
