//! How much shared work is waiting, for `/metrics`: read from the database, so every
//! instance reports the same.

use super::{database_error, engine::fetch_one, Store, UnixTime};
use crate::domain::ShopError;

/// The queues every instance shares.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Queues {
    pub inbox_pending: i64,
    /// Seconds since the oldest pending event was stored (0 with none).
    pub inbox_oldest_pending_secs: i64,
    pub inbox_parked: i64,
    pub outbox_pending: i64,
}

impl Store {
    /// The shared queues as they stand at `now`.
    pub async fn queues(&self, now: UnixTime) -> Result<Queues, ShopError> {
        let (inbox_pending, oldest, inbox_parked, outbox_pending): (i64, i64, i64, i64) =
            fetch_one!(
                self.pool,
                sqlx::query_as(
                    "SELECT
                         (SELECT COUNT(*) FROM webhook_events WHERE status = 'pending'),
                         (SELECT COALESCE(MIN(received_at), $1) FROM webhook_events
                          WHERE status = 'pending'),
                         (SELECT COUNT(*) FROM webhook_events WHERE status = 'parked'),
                         (SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL)",
                )
                .bind(now)
            )
            .map_err(database_error("reading the queues"))?;
        Ok(Queues {
            inbox_pending,
            inbox_oldest_pending_secs: now.saturating_sub(oldest).max(0),
            inbox_parked,
            outbox_pending,
        })
    }
}
