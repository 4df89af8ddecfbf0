//! Expired carts are deleted with their lines, so carts nobody will come back to (a
//! bot's, by the thousand) do not pile up in the database. A cart an order refers to
//! keeps its row and loses only its lines. Runs in the background: once at start-up
//! (never delaying it) and then every `expired_carts_every`.

use super::{
    shopper::now,
    store::{CartKey, Store, UnixTime},
    AppState,
};

/// Carts per page: each page is one short write transaction, so SQLite's writer is
/// free again after a few milliseconds for the shoppers' own writes.
const PAGE: u32 = 500;

/// How long after its expiry a cart is deleted: a request that found the cart live an
/// instant before it expired never writes to a cart that is gone.
const GRACE_SECS: i64 = 3600;

/// Runs forever: one pass, then one every `expired_carts_every`. Each pass resumes
/// where the last one stopped: a cart already passed is either gone or kept for its
/// order without lines, and a cart only gains lines while live, which moves its expiry
/// past every pass so far.
pub async fn run(state: AppState) {
    let mut resume = CartKey::first();
    loop {
        resume = pass(&state.store, now(), resume).await;
        forget_old_rate_limit_hits(&state).await;
        tokio::time::sleep(state.config.expired_carts_every).await;
    }
}

/// Shared rate-limit counts (PostgreSQL) older than two windows no sliding window
/// reaches any more.
async fn forget_old_rate_limit_hits(state: &AppState) {
    let window_ms = i64::try_from(state.config.limits.window.as_millis()).unwrap_or(i64::MAX);
    let before = now()
        .saturating_mul(1000)
        .saturating_sub(window_ms.saturating_mul(2));
    if let Err(error) = state.store.forget_hits(before).await {
        tracing::warn!(%error, "forgetting old rate-limit counts failed; the next pass retries");
    }
}

/// Deletes, page by page, the carts that expired a while before `now` and follow
/// `after` in expiry order, with their lines. Returns where it got to: the next pass
/// starts there (a failed page is tried again then).
pub async fn pass(store: &Store, now: UnixTime, after: CartKey) -> CartKey {
    let cutoff = now.saturating_sub(GRACE_SECS);
    let (mut after, mut lines, mut carts) = (after, 0, 0);
    loop {
        match store.delete_expired_carts(cutoff, &after, PAGE).await {
            Ok(Some(page)) => {
                lines += page.lines;
                carts += page.carts;
                after = page.through;
            }
            Ok(None) => break,
            Err(error) => {
                tracing::warn!(%error, "deleting expired carts failed; the next pass retries");
                break;
            }
        }
        // Between pages, the shoppers' requests go first.
        tokio::task::yield_now().await;
    }
    if lines > 0 || carts > 0 {
        tracing::info!(carts, lines, "deleted expired carts");
    }
    after
}
