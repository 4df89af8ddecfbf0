//! Lapsed stock holds: a submitted order that was not paid within
//! `STOCK_HOLD_MINUTES` has its PaymentIntent cancelled (queued in the same
//! transaction), and gives its units back once Stripe confirms the cancel, so no
//! payment can arrive later for goods the shop no longer holds, and a payment that
//! beat the cancel keeps its goods.

use crate::server::{shopper::now, AppState};
use std::time::Duration;

/// How often lapsed holds are looked for: a hold lasts at most this much longer than
/// configured, and the query is one indexed range scan.
const EVERY: Duration = Duration::from_secs(5);

/// Runs forever.
pub async fn run(state: AppState) {
    loop {
        pass(&state).await;
        tokio::time::sleep(EVERY).await;
    }
}

/// Releases every hold lapsed by now.
pub async fn pass(state: &AppState) {
    loop {
        match state.store.release_lapsed_holds(now(), 100).await {
            Ok(released) if released.len() == 100 => continue,
            Ok(_) => return,
            Err(error) => {
                tracing::error!(%error, "could not release lapsed stock holds");
                return;
            }
        }
    }
}
