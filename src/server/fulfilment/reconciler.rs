//! The reconciler: orders still waiting on Stripe after a while are re-read and fed to
//! the same transition, so a lost webhook heals. Those submitted (`awaiting_payment`,
//! `processing`) come first; drafts and failed payments are re-read too while their
//! PaymentIntent is under a day old, since a payment confirmed without the submit
//! step pays them. It runs at start-up (in the background: start-up never waits on
//! Stripe) and then periodically.

use super::transition::PaymentFacts;
use crate::server::{shopper::now, AppState};

/// How long a draft's (or a failed payment's) PaymentIntent is worth re-reading: a
/// shopper paying without the submit step does so within the visit, not days later.
const RECENT_DRAFTS_SECS: i64 = 24 * 3600;

/// Runs forever: one pass, then one every `reconcile_every`.
pub async fn run(state: AppState) {
    loop {
        pass(&state).await;
        tokio::time::sleep(state.config.reconcile_every).await;
    }
}

/// One pass over the orders waiting longer than `reconcile_after`.
pub async fn pass(state: &AppState) {
    let age = i64::try_from(state.config.reconcile_after.as_secs()).unwrap_or(i64::MAX);
    let waiting = match state
        .store
        .orders_to_reconcile(
            now().saturating_sub(age),
            now().saturating_sub(RECENT_DRAFTS_SECS),
            100,
        )
        .await
    {
        Ok(waiting) => waiting,
        Err(error) => {
            tracing::error!(%error, "the reconciler could not read orders");
            return;
        }
    };
    for (order, payment_intent) in waiting {
        // One reader-and-applier per PaymentIntent at a time (the worker takes the
        // same turn), so an older read never lands after a newer one.
        let _turn = state.payment_locks.lock(&payment_intent).await;
        match state
            .payments
            .client
            .retrieve_payment_intent(&payment_intent)
            .await
        {
            Ok(intent) => {
                crate::server::crash_point::reached("reconciler.read_payment");
                let facts = PaymentFacts::from(&intent);
                if let Err(error) = state.store.apply_payment(&facts, None, now()).await {
                    tracing::warn!(%order, %error, "reconciling an order failed; next pass retries");
                }
            }
            Err(failure) if failure.is_outage() => {
                // Stripe down: keep the work, this order included, for the next pass.
                tracing::warn!(%order, %failure, "could not re-read a PaymentIntent; next pass retries");
                return;
            }
            Err(failure) => {
                // This one is refused (gone, say): the others still get their turn.
                tracing::warn!(%order, %failure, "Stripe refused to re-read a PaymentIntent");
            }
        }
        // Looked at: the next passes go to the others first.
        if let Err(error) = state.store.mark_reconciled(&order, now()).await {
            tracing::error!(%order, %error, "could not mark an order reconciled");
        }
    }
}
