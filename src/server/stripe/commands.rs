//! The command worker: sends the queued Stripe commands (cancelling PaymentIntents
//! the shop no longer wants paid, and operators' refunds) until Stripe answers.
//!
//! Each command was stored in the transaction that decided it, so a crash or an
//! outage never loses one; each carries an idempotency key derived from its id, so a
//! resend after a crash is the same request to Stripe.

use super::{CreateRefund, IdempotencyKey, PaymentIntentStatus, StripeFailure};
use crate::server::{
    fulfilment::backoff_secs,
    shopper::now,
    store::{CommandResult, DueCommand},
    AppState,
};
use std::time::Duration;

/// Attempts before a command Stripe keeps refusing (not an outage) is parked.
const MAX_ATTEMPTS: i64 = 8;

/// Runs forever: sends what is due, then looks again a second later.
pub async fn run(state: AppState) {
    loop {
        // Small batches, so a claim's lease outlasts them (see the worker).
        let due = match state.store.due_commands(now(), 10).await {
            Ok(due) => due,
            Err(error) => {
                tracing::error!(%error, "the command worker could not read its queue");
                Vec::new()
            }
        };
        for command in due {
            send(&state, &command).await;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// One attempt at `command`, its result recorded.
async fn send(state: &AppState, command: &DueCommand) {
    let result = match command.kind.as_str() {
        "cancel_payment_intent" => cancel(state, command).await,
        "refund" => refund(state, command).await,
        other => CommandResult::Retry {
            error: format!("unknown command kind {other:?}"),
            next_attempt_at: now(),
            park: true,
        },
    };
    match &result {
        CommandResult::Done { outcome } => {
            tracing::info!(command = %command.id, payment_intent = %command.payment_intent, reason = %command.reason, %outcome, "Stripe command done")
        }
        CommandResult::Retry {
            error, park: true, ..
        } => {
            tracing::error!(command = %command.id, payment_intent = %command.payment_intent, order = ?command.order_id, %error, "STRIPE COMMAND PARKED: a person must look (the PaymentIntent may still be payable)")
        }
        CommandResult::Retry { error, .. } => {
            tracing::warn!(command = %command.id, payment_intent = %command.payment_intent, %error, "a Stripe command failed; retrying later")
        }
    }
    if let Err(error) = state
        .store
        .command_result(&command.id, &result, now())
        .await
    {
        tracing::error!(%error, command = %command.id, "could not record a Stripe command's result");
    }
}

/// `POST /v1/payment_intents/{id}/cancel`, and what its answer means for the queue.
async fn cancel(state: &AppState, command: &DueCommand) -> CommandResult {
    // A new key for each attempt of the queue (the client's own retries of one attempt
    // share it): Stripe keeps a 500 under its key and replays it for a day, and a
    // cancel sent twice is harmless (the second is refused as already cancelled).
    let key = IdempotencyKey::derive(&[&command.id, &command.attempts.to_string()]);
    match state
        .payments
        .client
        .cancel_payment_intent(&command.payment_intent, &key)
        .await
    {
        Ok(intent) => CommandResult::Done {
            outcome: format!("{:?}", intent.status).to_lowercase(),
        },
        // Already past cancelling (succeeded, processing, or cancelled before): Stripe
        // has answered, and the PaymentIntent's own events and the reconciler say what
        // became of it (a success on a superseded one goes to review).
        Err(StripeFailure::Refused { error, .. })
            if error.code.as_deref() == Some("payment_intent_unexpected_state") =>
        {
            CommandResult::Done {
                outcome: cancel_refusal(state, &command.payment_intent).await,
            }
        }
        Err(StripeFailure::Refused { error, .. })
            if error.code.as_deref() == Some("resource_missing") =>
        {
            CommandResult::Done {
                outcome: "resource_missing".into(),
            }
        }
        Err(failure) => CommandResult::Retry {
            // Stripe down or overloaded: retried (at most hourly) for as long as that
            // lasts; anything else is retried a few times, then parked loudly.
            // (Every MAX_ATTEMPTS-th, so a command re-armed after parking gets a full
            // round again while its attempt count, part of its key, keeps growing.)
            park: !failure.is_outage() && (command.attempts + 1) % MAX_ATTEMPTS == 0,
            next_attempt_at: now() + backoff_secs(command.attempts),
            error: failure.to_string(),
        },
    }
}

/// `POST /v1/refunds` for an operator's refund, and what its answer means.
///
/// Unlike a cancel, a refund sent twice gives money back twice: every attempt carries
/// the same idempotency key (derived from the refund), and an attempt after the first
/// looks first at what Stripe lists for the PaymentIntent, where a refund whose answer
/// was lost carries the shop's id in `metadata[shop_refund]`.
async fn refund(state: &AppState, command: &DueCommand) -> CommandResult {
    let Some(refund_id) = command.refund_id.as_deref() else {
        return CommandResult::Retry {
            error: "a refund command without its refund".into(),
            next_attempt_at: now(),
            park: true,
        };
    };
    let retry = |failure: StripeFailure| CommandResult::Retry {
        park: !failure.is_outage() && (command.attempts + 1) % MAX_ATTEMPTS == 0,
        next_attempt_at: now() + backoff_secs(command.attempts),
        error: failure.to_string(),
    };
    let database = |error: crate::domain::ShopError| CommandResult::Retry {
        park: false,
        next_attempt_at: now() + backoff_secs(command.attempts),
        error: format!("database: {error}"),
    };
    // The PaymentIntent's turn: the event worker syncs its refunds under the same one,
    // so an older answer never overwrites a newer one.
    let _turn = match state
        .store
        .turn(
            "payment_intent",
            &command.payment_intent,
            &state.payment_locks,
        )
        .await
    {
        Ok(turn) => turn,
        Err(error) => return database(error),
    };
    let refund = match state.store.refund_to_send(refund_id).await {
        Ok(Some(refund)) => refund,
        Ok(None) => {
            return CommandResult::Done {
                outcome: "no such refund".into(),
            }
        }
        Err(error) => return database(error),
    };
    if refund.status != "requested" {
        return CommandResult::Done {
            outcome: format!("already {}", refund.status),
        };
    }
    let client = &state.payments.client;
    // Any attempt after the first, and any under a key that has moved on, looks at
    // Stripe's list first: whatever an earlier attempt made (its answer lost, or a
    // failure Stripe reported after doing the work) is found there by its shop id.
    // (The key moves on only after Stripe answered the attempt under the old one, so
    // no request under it is still running when the list is read.)
    if command.attempts > 0 || refund.key_generation > 0 {
        match client.list_refunds(&refund.payment_intent).await {
            Ok(listed) => {
                let mine = |r: &&super::Refund| {
                    r.metadata.get("shop_refund").map(String::as_str) == Some(refund_id)
                };
                if let Some(found) = listed.iter().find(mine) {
                    let status = found.status.clone();
                    return match state
                        .store
                        .sync_refunds(&refund.payment_intent, &listed, now())
                        .await
                    {
                        Ok(_) => CommandResult::Done {
                            outcome: format!("found at Stripe: {status}"),
                        },
                        Err(error) => database(error),
                    };
                }
            }
            Err(failure) => return retry(failure),
        }
    }
    let params = CreateRefund {
        payment_intent: refund.payment_intent.clone(),
        amount: refund.amount_minor,
        reason: refund.reason.clone(),
        shop_refund: refund.id.clone(),
    };
    let generation = refund.key_generation.to_string();
    let key = IdempotencyKey::derive(&["refund", &refund.id, &generation]);
    match client.create_refund(&params, &key).await {
        Ok(created) => {
            let status = created.status.clone();
            match state
                .store
                .sync_refunds(&refund.payment_intent, &[created], now())
                .await
            {
                Ok(_) => CommandResult::Done { outcome: status },
                Err(error) => database(error),
            }
        }
        // Stripe said no to the refund itself (more than is left, a disputed charge, a
        // PaymentIntent it does not know): it failed, and the operator sees why.
        Err(StripeFailure::Refused { status, error }) if matches!(status, 400 | 402 | 404) => {
            let why = error
                .message
                .clone()
                .or(error.code.clone())
                .unwrap_or_else(|| format!("status {status}"));
            match state.store.refund_refused(refund_id, &why, now()).await {
                Ok(()) => CommandResult::Done {
                    outcome: format!("refused: {}", error.code.as_deref().unwrap_or("no code")),
                },
                Err(error) => database(error),
            }
        }
        // Stripe answered that this attempt failed while it ran: it keeps that answer
        // under the key for a day, so the next attempt (which lists first, and finds
        // the refund if it was made after all) goes with a new one.
        Err(failure @ StripeFailure::Refused { status, .. }) if status >= 500 => {
            if let Err(error) = state.store.next_refund_key(refund_id).await {
                return database(error);
            }
            retry(failure)
        }
        // No answer (the refund may have been made), a request still in flight under
        // the key (409), rate limiting, or a key Stripe refuses (401, 403): the same
        // key again later; what is not an outage parks for a person in the end.
        Err(failure) => retry(failure),
    }
}

/// What a refused cancel found: the PaymentIntent's status, for the record.
async fn cancel_refusal(state: &AppState, payment_intent: &str) -> String {
    match state
        .payments
        .client
        .retrieve_payment_intent(payment_intent)
        .await
    {
        Ok(intent) if intent.status == PaymentIntentStatus::Succeeded => {
            tracing::error!(%payment_intent, "a PaymentIntent the shop cancelled had already succeeded: its order goes to review");
            "refused: already succeeded".into()
        }
        Ok(intent) => format!("refused: {:?}", intent.status).to_lowercase(),
        Err(failure) => format!("refused; status unknown ({failure})"),
    }
}
