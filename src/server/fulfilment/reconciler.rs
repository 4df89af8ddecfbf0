//! The reconciler: orders still waiting on Stripe after a while are re-read and fed to
//! the same transition, so a lost webhook heals. It runs at start-up (in the
//! background: start-up never waits on Stripe) and then periodically.

use super::transition::PaymentFacts;
use crate::server::{shopper::now, AppState};

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
        .orders_to_reconcile(now().saturating_sub(age), 100)
        .await
    {
        Ok(waiting) => waiting,
        Err(error) => {
            tracing::error!(%error, "the reconciler could not read orders");
            return;
        }
    };
    for (order, payment_intent) in waiting {
        match state
            .payments
            .client
            .retrieve_payment_intent(&payment_intent)
            .await
        {
            Ok(intent) => {
                let facts = PaymentFacts::from(&intent);
                if let Err(error) = state.store.apply_payment(&facts, None, now()).await {
                    tracing::warn!(%order, %error, "reconciling an order failed; next pass retries");
                }
            }
            Err(failure) => {
                // Stripe unreachable: keep the work for the next pass.
                tracing::warn!(%order, %failure, "could not re-read a PaymentIntent; next pass retries");
                return;
            }
        }
    }
}
