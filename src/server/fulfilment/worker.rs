//! The inbox worker: applies stored events in the background, retrying with backoff
//! and parking (never dropping) an event that keeps failing.

use super::{backoff_secs, transition::PaymentFacts};
use crate::server::{
    crash_point,
    shopper::now,
    store::{Applied, DueEvent},
    stripe::StripeFailure,
    webhooks::Applies,
    AppState,
};
use std::{sync::Arc, time::Duration};
use tokio::sync::Notify;

/// Attempts before an event is parked for a person.
const MAX_ATTEMPTS: i64 = 12;

/// Runs forever: drains due events, then sleeps until the inbox stores more (or a
/// second passes, for retries coming due).
pub async fn run(state: AppState, stored: Arc<Notify>) {
    loop {
        // A claim's lease covers its whole batch: small batches keep a slow Stripe
        // from outlasting it (a takeover would only redo idempotent work).
        let due = match state.store.due_events(now(), 10).await {
            Ok(due) => due,
            Err(error) => {
                tracing::error!(%error, "the event worker could not read the inbox");
                Vec::new()
            }
        };
        let idle = due.is_empty();
        for event in due {
            handle(&state, event).await;
        }
        if idle {
            tokio::select! {
                () = stored.notified() => {}
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    }
}

async fn handle(state: &AppState, event: DueEvent) {
    let Some(payment_intent) = event.payment_intent.as_deref() else {
        finish(state, &event, "skipped").await;
        return;
    };
    // One reader-and-applier per PaymentIntent at a time (the reconciler takes the
    // same turn), so an older read never lands after a newer one.
    let _turn = match state
        .store
        .turn("payment_intent", payment_intent, &state.payment_locks)
        .await
    {
        Ok(turn) => turn,
        Err(error) => {
            // The database is failing: try again shortly (here or elsewhere).
            tracing::error!(%error, event = %event.id, "could not take a PaymentIntent's turn");
            let next = now() + backoff_secs(0);
            let why = "could not take the PaymentIntent's turn";
            if let Err(error) = state.store.retry_event(&event.id, why, next, false).await {
                tracing::error!(%error, "could not reschedule an event");
            }
            return;
        }
    };
    match Applies::to(&event.kind) {
        Some(Applies::Refunds) => {
            return sync(state, &event, payment_intent, Applies::Refunds).await
        }
        Some(Applies::Disputes) => {
            return sync(state, &event, payment_intent, Applies::Disputes).await
        }
        _ => {}
    }
    let mut outage = false;
    let result = match state
        .payments
        .client
        .retrieve_payment_intent(payment_intent)
        .await
    {
        Ok(intent) => {
            crash_point::reached("worker.read_payment");
            let facts = PaymentFacts::from(&intent);
            state
                .store
                .apply_payment(&facts, Some(&event), now())
                .await
                .map_err(|error| error.to_string())
        }
        // Not a PaymentIntent of this account (or gone): nothing of ours to move.
        Err(StripeFailure::Refused { error, .. })
            if error.code.as_deref() == Some("resource_missing") =>
        {
            Ok(Applied::NotOurs)
        }
        Err(failure) => {
            outage = failure.is_outage();
            Err(failure.to_string())
        }
    };
    if result.is_ok() {
        let lag = now().saturating_sub(event.received_at).max(0);
        state.metrics.apply_lag.observe(lag as f64);
    }
    match result {
        Ok(Applied::Done { from, to, .. }) => {
            if from != to {
                state.metrics.moved(from.as_str(), to.as_str());
            }
        }
        Ok(Applied::NotOurs) => {
            tracing::info!(event = %event.id, %payment_intent, "not one of our orders' payments; skipped");
            finish(state, &event, "skipped").await;
        }
        Err(error) => {
            // Stripe being unreachable is not the event's fault: it is retried (at most
            // hourly) for as long as the outage lasts. Anything else parks it in the end.
            let park = !outage && event.attempts + 1 >= MAX_ATTEMPTS;
            let next = now() + backoff_secs(event.attempts);
            if park {
                tracing::error!(event = %event.id, %error, "EVENT PARKED after {MAX_ATTEMPTS} attempts");
            } else {
                tracing::warn!(event = %event.id, %error, "applying an event failed; retrying later");
            }
            if let Err(store_error) = state.store.retry_event(&event.id, &error, next, park).await {
                tracing::error!(%store_error, "could not reschedule an event");
                // Do not spin on a database that refuses writes.
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// A refund or dispute event: what Stripe lists now for the PaymentIntent is upserted
/// (the event's own snapshot may be older than what Stripe has), then the event is
/// done. A crash in between only syncs again.
async fn sync(state: &AppState, event: &DueEvent, payment_intent: &str, what: Applies) {
    let client = &state.payments.client;
    let synced = match what {
        Applies::Disputes => match client.list_disputes(payment_intent).await {
            Ok(disputes) => state
                .store
                .sync_disputes(payment_intent, &disputes, now())
                .await
                .map_err(|error| (error.to_string(), false)),
            Err(failure) => Err((failure.to_string(), failure.is_outage())),
        },
        _ => match client.list_refunds(payment_intent).await {
            Ok(refunds) => state
                .store
                .sync_refunds(payment_intent, &refunds, now())
                .await
                .map_err(|error| (error.to_string(), false)),
            Err(failure) => Err((failure.to_string(), failure.is_outage())),
        },
    };
    match synced {
        Ok(synced) if synced.order_id.is_none() => {
            tracing::info!(event = %event.id, %payment_intent, "not one of our orders' payments; skipped");
            finish(state, event, "skipped").await;
        }
        Ok(synced) => {
            tracing::info!(event = %event.id, order = ?synced.order_id, changed = synced.changed, "synced with Stripe");
            finish(state, event, "processed").await;
        }
        Err((error, outage)) => {
            let park = !outage && event.attempts + 1 >= MAX_ATTEMPTS;
            let next = now() + backoff_secs(event.attempts);
            tracing::warn!(event = %event.id, %error, park, "syncing with Stripe failed; retrying later");
            if let Err(store_error) = state.store.retry_event(&event.id, &error, next, park).await {
                tracing::error!(%store_error, "could not reschedule an event");
            }
        }
    }
}

async fn finish(state: &AppState, event: &DueEvent, status: &str) {
    if let Err(error) = state.store.finish_event(&event.id, status, now()).await {
        tracing::error!(%error, event = %event.id, "could not finish an event");
    }
}
