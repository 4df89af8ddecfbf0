//! Turns: one holder at a time per key (a cart, a PaymentIntent), across every
//! instance that shares the database. The worker and the reconciler read a
//! PaymentIntent from Stripe and apply what they read in its turn, so an older read
//! never lands after a newer one; two tabs preparing one cart take its turn, so their
//! amount updates at Stripe never interleave.
//!
//! Within an instance the turn is an in-memory lock ([`TurnLocks`]). On PostgreSQL it
//! is also a transaction-scoped advisory lock, held on a connection of its own for the
//! turn's length: PostgreSQL releases it when the turn ends or its instance dies (the
//! connection drops), so a killed instance never keeps a turn. SQLite serves one
//! instance, whose in-memory lock is the whole turn.

use super::{database_error, Pool, Store};
use crate::{domain::ShopError, server::rate_limit::TurnLocks};
use tokio::sync::{OwnedMutexGuard, OwnedSemaphorePermit};

/// A turn held until dropped.
#[derive(Debug)]
pub struct Turn {
    // Dropped in this order: the shared lock (its transaction rolls back, releasing
    // it), then the connection's permit, then the local lock.
    _shared: Option<sqlx::Transaction<'static, sqlx::Postgres>>,
    _permit: Option<OwnedSemaphorePermit>,
    _local: OwnedMutexGuard<()>,
}

/// How many turns of each kind (checkout, payment) an instance holds at once on
/// PostgreSQL: each keeps a connection, and half the pool stays free for the work done
/// in them.
pub(super) const SHARED_TURNS: usize = 4;

impl Store {
    /// Waits for `key`'s turn among `kind`'s (`"cart"`, `"payment_intent"`), in this
    /// instance (`locks`) and, on PostgreSQL, in every instance.
    pub async fn turn(
        &self,
        kind: &'static str,
        key: &str,
        locks: &TurnLocks,
    ) -> Result<Turn, ShopError> {
        let local = locks.lock(key).await;
        let Pool::Postgres(pool) = &self.pool else {
            return Ok(Turn {
                _shared: None,
                _permit: None,
                _local: local,
            });
        };
        // Checkout turns and the worker's have permits of their own: a burst of
        // checkouts never holds up applying payments, nor the other way round.
        let permits = match kind {
            "cart" => &self.turn_permits.0,
            _ => &self.turn_permits.1,
        };
        let permit = permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| ShopError::Unavailable)?;
        let shared = async {
            let mut tx = pool.begin().await?;
            // The transaction idles while the turn's holder calls Stripe: a server
            // that ends idle transactions would end the turn under it. And a turn held
            // elsewhere for longer than any turn lasts (Stripe's retries at the longest
            // STRIPE_TIMEOUT_SECS are under 7 minutes) means its holder is gone or
            // stuck: waiting on is refused (and retried by the caller).
            sqlx::query("SET LOCAL idle_in_transaction_session_timeout = 0")
                .execute(&mut *tx)
                .await?;
            sqlx::query("SET LOCAL lock_timeout = '10min'")
                .execute(&mut *tx)
                .await?;
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(advisory_key(kind, key))
                .execute(&mut *tx)
                .await?;
            Ok::<_, sqlx::Error>(tx)
        }
        .await
        .map_err(database_error("taking a turn"))
        .map_err(ShopError::from)?;
        Ok(Turn {
            _shared: Some(shared),
            _permit: Some(permit),
            _local: local,
        })
    }
}

/// The advisory lock's 64-bit key for `key` among `kind`'s: the first eight bytes of
/// a SHA-256, so keys of different kinds (and different shops' ids) do not collide in
/// practice.
fn advisory_key(kind: &str, key: &str) -> i64 {
    let digest = crate::server::sha256_hex(format!("{kind}|{key}").as_bytes());
    // 16 hex digits are 8 bytes: always parses.
    u64::from_str_radix(&digest[..16], 16).map_or(0, |bits| bits as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advisory_keys_differ_by_kind_and_key() {
        assert_ne!(
            advisory_key("cart", "a"),
            advisory_key("payment_intent", "a")
        );
        assert_ne!(advisory_key("cart", "a"), advisory_key("cart", "b"));
        assert_eq!(advisory_key("cart", "a"), advisory_key("cart", "a"));
    }
}
