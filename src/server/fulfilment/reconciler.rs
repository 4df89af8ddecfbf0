//! The reconciler: orders still waiting on Stripe after a while are re-read and fed to
//! the same transition, so a lost webhook heals. Those submitted (`awaiting_payment`,
//! `processing`) come first; drafts and failed payments are re-read too while their
//! PaymentIntent is under a day old, since a payment confirmed without the submit
//! step pays them. It runs at start-up (in the background: start-up never waits on
//! Stripe) and then periodically.

use super::transition::PaymentFacts;
use crate::domain::ShopError;
use crate::server::{
    shopper::now,
    store::{Applied, ToReconcile},
    AppState,
};
use std::collections::HashMap;

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

/// An operator's "re-check with Stripe now": every PaymentIntent of the order is read
/// again and fed to the transition, and its refunds and disputes are synced, each under
/// its PaymentIntent's turn. Returns what was found, for the timeline.
pub async fn recheck(state: &AppState, order_id: &str) -> Result<String, ShopError> {
    let payments = state.store.order_payment_intents(order_id).await?;
    if payments.is_empty() {
        return Ok("no PaymentIntent yet".into());
    }
    let client = &state.payments.client;
    let mut found = Vec::new();
    for payment_intent in payments {
        let _turn = state
            .store
            .turn("payment_intent", &payment_intent, &state.payment_locks)
            .await?;
        let unreachable = |failure: crate::server::stripe::StripeFailure| {
            tracing::warn!(%payment_intent, %failure, "a re-check could not read Stripe");
            ShopError::PaymentUnavailable
        };
        let intent = client
            .retrieve_payment_intent(&payment_intent)
            .await
            .map_err(unreachable)?;
        let facts = PaymentFacts::from(&intent);
        state.store.apply_payment(&facts, None, now()).await?;
        let refunds = client
            .list_refunds(&payment_intent)
            .await
            .map_err(unreachable)?;
        state
            .store
            .sync_refunds(&payment_intent, &refunds, now())
            .await?;
        let disputes = client
            .list_disputes(&payment_intent)
            .await
            .map_err(unreachable)?;
        state
            .store
            .sync_disputes(&payment_intent, &disputes, now())
            .await?;
        found.push(format!(
            "{payment_intent} {}, {} refund(s), {} dispute(s)",
            format!("{:?}", intent.status).to_lowercase(),
            refunds.len(),
            disputes.len()
        ));
    }
    Ok(found.join("; "))
}

/// Refunds still pending at Stripe after `reconcile_after`: their PaymentIntents'
/// refunds are listed again, in case their events were lost (or never subscribed to).
async fn pending_refunds(state: &AppState, age: i64) {
    let waiting = match state
        .store
        .pending_refund_payments(now().saturating_sub(age), 100)
        .await
    {
        Ok(waiting) => waiting,
        Err(error) => {
            tracing::error!(%error, "the reconciler could not read pending refunds");
            return;
        }
    };
    for payment_intent in waiting {
        let Ok(_turn) = state
            .store
            .turn("payment_intent", &payment_intent, &state.payment_locks)
            .await
        else {
            return;
        };
        match state.payments.client.list_refunds(&payment_intent).await {
            Ok(refunds) => {
                if let Err(error) = state
                    .store
                    .sync_refunds(&payment_intent, &refunds, now())
                    .await
                {
                    tracing::warn!(%payment_intent, %error, "syncing refunds failed; next pass retries");
                }
            }
            Err(failure) => {
                tracing::warn!(%payment_intent, %failure, "could not list refunds; next pass retries");
                return;
            }
        }
    }
}

/// One pass over the orders waiting longer than `reconcile_after`, and the refunds.
pub async fn pass(state: &AppState) {
    let age = i64::try_from(state.config.reconcile_after.as_secs()).unwrap_or(i64::MAX);
    pending_refunds(state, age).await;
    orders(state).await;
}

/// The orders waiting longer than `reconcile_after`.
async fn orders(state: &AppState) {
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
    let every = i64::try_from(state.config.reconcile_every.as_secs()).unwrap_or(i64::MAX);
    // Whether this pass claimed each order met so far: an order may be listed once
    // per PaymentIntent (current and superseded), and is claimed once.
    let mut claimed: HashMap<String, bool> = HashMap::new();
    for ToReconcile {
        order_id: order,
        payment_intent,
        reconciled_at,
    } in waiting
    {
        if !claimed.contains_key(&order) {
            // N instances never re-read the same order in one round: the first to
            // claim it does, the others move on.
            let mine = match state
                .store
                .claim_reconciliation(&order, reconciled_at, now(), every)
                .await
            {
                Ok(mine) => mine,
                Err(error) => {
                    tracing::error!(%order, %error, "could not claim an order to reconcile");
                    return;
                }
            };
            claimed.insert(order.clone(), mine);
        }
        if claimed.get(&order) != Some(&true) {
            continue;
        }
        // One reader-and-applier per PaymentIntent at a time (the worker takes the
        // same turn), so an older read never lands after a newer one.
        let _turn = match state
            .store
            .turn("payment_intent", &payment_intent, &state.payment_locks)
            .await
        {
            Ok(turn) => turn,
            Err(error) => {
                tracing::error!(%order, %error, "could not take a PaymentIntent's turn");
                return;
            }
        };
        match state
            .payments
            .client
            .retrieve_payment_intent(&payment_intent)
            .await
        {
            Ok(intent) => {
                crate::server::crash_point::reached("reconciler.read_payment");
                let facts = PaymentFacts::from(&intent);
                match state.store.apply_payment(&facts, None, now()).await {
                    Ok(Applied::Done { from, to, .. }) if from != to => {
                        // A move no webhook made (yet): healed.
                        state.metrics.reconciler_heals.inc();
                        state.metrics.moved(from.as_str(), to.as_str());
                    }
                    Ok(_) => {}
                    Err(error) => {
                        tracing::warn!(%order, %error, "reconciling an order failed; next pass retries");
                    }
                }
            }
            Err(failure) if failure.is_outage() => {
                // Stripe down: keep the work for the next pass.
                tracing::warn!(%order, %failure, "could not re-read a PaymentIntent; next pass retries");
                return;
            }
            Err(failure) => {
                // This one is refused (gone, say): the others still get their turn.
                tracing::warn!(%order, %failure, "Stripe refused to re-read a PaymentIntent");
            }
        }
    }
}
