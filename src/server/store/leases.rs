//! Claims on shared work: inbox events, emails and Stripe commands are each done by
//! one instance at a time. A claim stamps the row with the instance's name
//! (`claimed_by`) and a lease (`lease_until`); other instances skip the row while the
//! lease lasts, only the claimant may finish it, and a lease that expires (its
//! instance died mid-work) lets the next instance take the row over. The work itself
//! is safe to redo (a payment is re-read and applied idempotently, a command carries
//! its idempotency key, an email its Message-ID), so a takeover never does anything
//! twice that shows.

use super::{engine::execute, Engine, Pool, Store, UnixTime};
use anyhow::Context;

/// The lock clause of a claim's inner `SELECT`. PostgreSQL: rows another instance is
/// claiming at this moment are skipped rather than waited for, so instances polling
/// together split the work instead of queueing on each other. SQLite has one writer:
/// nothing is ever locked by someone else while a statement runs, and the clause does
/// not exist.
fn skip_locked(engine: Engine) -> &'static str {
    match engine {
        Engine::Sqlite => "",
        Engine::Postgres => " FOR UPDATE SKIP LOCKED",
    }
}

/// A claim on at most `$4` rows of `table` that are `due` (a condition in which `$3`
/// is now), in `order`: `UPDATE … RETURNING columns`. Binds `$1` the claimant, `$2`
/// the lease's end, `$3` now and `$4` the limit (see [`Store::claim_binds`]). A row
/// whose lease has not expired is someone else's.
pub(super) fn claim_sql(
    engine: Engine,
    table: &str,
    due: &str,
    order: &str,
    columns: &str,
) -> String {
    format!(
        "UPDATE {table} SET claimed_by = $1, lease_until = $2
         WHERE id IN (
             SELECT id FROM {table}
             WHERE {due} AND lease_until <= $3
             ORDER BY {order} LIMIT $4{skip})
         RETURNING {columns}",
        skip = skip_locked(engine)
    )
}

/// On SQLite, releases every claim: one instance serves a SQLite database, so a claim
/// found at start-up was made by this instance's previous run, which is gone, and its
/// work is resumed now rather than when the lease ends. (On PostgreSQL other instances
/// may be at work: their claims stand, and a dead one's expire.)
pub(super) async fn release_after_restart(pool: &Pool) -> anyhow::Result<()> {
    if pool.engine() == Engine::Sqlite {
        for table in ["webhook_events", "outbox", "stripe_commands"] {
            execute!(
                pool,
                sqlx::query(&format!(
                    "UPDATE {table} SET lease_until = 0 WHERE lease_until > 0"
                ))
            )
            .with_context(|| format!("releasing the claims on {table}"))?;
        }
    }
    Ok(())
}

impl Store {
    /// `$1` to `$3` of a claim made `now`: the claimant and the lease's end, then now.
    pub(super) fn claim_binds(&self, now: UnixTime) -> (&str, UnixTime, UnixTime) {
        (&self.instance, now.saturating_add(self.lease_secs), now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_postgresql_skips_rows_being_claimed() {
        let claim = |engine| claim_sql(engine, "outbox", "sent_at IS NULL", "created_at", "id");
        assert!(claim(Engine::Postgres).contains("LIMIT $4 FOR UPDATE SKIP LOCKED)"));
        assert!(!claim(Engine::Sqlite).contains("FOR UPDATE"));
        assert!(claim(Engine::Sqlite).contains("WHERE sent_at IS NULL AND lease_until <= $3"));
    }
}
