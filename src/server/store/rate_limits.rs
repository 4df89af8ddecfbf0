//! Rate-limit counts every instance shares (PostgreSQL): hits per limit, key and fixed
//! window, blended into a sliding window exactly as the in-memory limiter blends its
//! two windows (see [`crate::server::rate_limit`]).

use super::{
    database_error,
    engine::{execute, fetch_optional},
    Store,
};
use crate::domain::ShopError;

/// One limit's shape: at most `limit` hits per `window_ms`.
#[derive(Clone, Copy, Debug)]
pub struct SharedLimit {
    pub name: &'static str,
    pub limit: u32,
    pub window_ms: i64,
}

/// A hit the limit refused: the counts it saw, for the caller's `Retry-After`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SharedRefusal {
    pub previous: u32,
    pub current: u32,
    /// Milliseconds left in the current window.
    pub left_ms: i64,
}

impl Store {
    /// Counts one hit for `key` under `limit` at `now_ms` (unix milliseconds), unless
    /// the sliding window is full: then nothing is counted, and the refusal says why.
    ///
    /// The previous window is complete, so it is read first without a race; the
    /// current one is bumped by one conditional upsert, so concurrent hits from every
    /// instance are counted exactly and none slips past the limit.
    pub async fn count_hit(
        &self,
        limit: SharedLimit,
        key: &str,
        now_ms: i64,
    ) -> Result<Result<(), SharedRefusal>, ShopError> {
        let window = limit.window_ms.max(1);
        let start = now_ms - now_ms.rem_euclid(window);
        let left_ms = start + window - now_ms;
        let previous = self.hits(limit.name, key, start - window).await?;
        // The share of the previous window still inside the sliding window.
        let weight = left_ms as f64 / window as f64;
        let room = f64::from(limit.limit) - f64::from(previous) * weight;
        // The most the current window may hold after this hit.
        let allowed = room.floor() as i64;
        let counted = if allowed < 1 {
            None
        } else {
            fetch_optional!(
                self.pool,
                sqlx::query_scalar::<_, i64>(
                    "INSERT INTO rate_limit_hits (limiter, key, window_start, hits)
                     VALUES ($1, $2, $3, 1)
                     ON CONFLICT (limiter, key, window_start)
                     DO UPDATE SET hits = rate_limit_hits.hits + 1
                     WHERE rate_limit_hits.hits + 1 <= $4
                     RETURNING hits",
                )
                .bind(limit.name)
                .bind(key)
                .bind(start)
                .bind(allowed)
            )
            .map_err(database_error("counting a rate-limited hit"))?
        };
        if counted.is_some() {
            return Ok(Ok(()));
        }
        let current = self.hits(limit.name, key, start).await?;
        Ok(Err(SharedRefusal {
            previous,
            current,
            left_ms,
        }))
    }

    async fn hits(&self, limiter: &str, key: &str, window_start: i64) -> Result<u32, ShopError> {
        let hits: Option<i64> = fetch_optional!(
            self.pool,
            sqlx::query_scalar(
                "SELECT hits FROM rate_limit_hits
                 WHERE limiter = $1 AND key = $2 AND window_start = $3",
            )
            .bind(limiter)
            .bind(key)
            .bind(window_start)
        )
        .map_err(database_error("reading rate-limited hits"))?;
        Ok(u32::try_from(hits.unwrap_or(0)).unwrap_or(u32::MAX))
    }

    /// Forgets windows that started before `before_ms`: no sliding window reaches them.
    pub async fn forget_hits(&self, before_ms: i64) -> Result<u64, ShopError> {
        Ok(execute!(
            self.pool,
            sqlx::query("DELETE FROM rate_limit_hits WHERE window_start < $1").bind(before_ms)
        )
        .map_err(database_error("forgetting old rate-limited hits"))?)
    }
}
