//! Claims on shared work: inbox events, emails and Stripe commands are each done by
//! one instance at a time. A claim stamps the row with the instance's name
//! (`claimed_by`) and a lease (`lease_until`); other instances skip the row while the
//! lease lasts, only the claimant may finish it, and a lease that expires (its
//! instance died mid-work) lets the next instance take the row over. The work itself
//! is safe to redo (a payment is re-read and applied idempotently, a command carries
//! its idempotency key, an email its Message-ID), so a takeover never does anything
//! twice that shows.

use super::{
    database_error,
    engine::{execute, fetch_all},
    Engine, Pool, Store, StoreError, UnixTime,
};
use anyhow::Context;

/// What a claim takes: rows of `table` that are `due` (a condition in which `$3` is
/// now), oldest first by `order`, read back as `columns`.
pub(super) struct Claim {
    pub table: &'static str,
    pub due: &'static str,
    pub order: &'static str,
    pub columns: &'static str,
    /// For the log, should the database fail.
    pub doing: &'static str,
}

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

/// The claim's statement: `UPDATE … RETURNING columns` on at most `$4` due rows.
/// Binds `$1` the claimant, `$2` the lease's end, `$3` now and `$4` the limit. A row
/// whose lease has not expired is someone else's.
fn claim_sql(engine: Engine, claim: &Claim) -> String {
    format!(
        "UPDATE {table} SET claimed_by = $1, lease_until = $2
         WHERE id IN (
             SELECT id FROM {table}
             WHERE {due} AND lease_until <= $3
             ORDER BY {order} LIMIT $4{skip})
         RETURNING {columns}",
        table = claim.table,
        due = claim.due,
        order = claim.order,
        columns = claim.columns,
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
    /// Claims at most `limit` of `claim`'s due rows for this instance, until its lease
    /// ends, in no particular order (`RETURNING` keeps none): callers sort.
    pub(super) async fn claim<T>(
        &self,
        claim: &Claim,
        now: UnixTime,
        limit: i64,
    ) -> Result<Vec<T>, StoreError>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
            + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
            + Send
            + Unpin,
    {
        let sql = claim_sql(self.engine(), claim);
        fetch_all!(
            self.pool,
            sqlx::query_as(&sql)
                .bind(&*self.instance)
                .bind(now.saturating_add(self.lease_secs))
                .bind(now)
                .bind(limit)
        )
        .map_err(database_error(claim.doing))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_postgresql_skips_rows_being_claimed() {
        let outbox = Claim {
            table: "outbox",
            due: "sent_at IS NULL",
            order: "created_at",
            columns: "id",
            doing: "claiming",
        };
        let claim = |engine| claim_sql(engine, &outbox);
        assert!(claim(Engine::Postgres).contains("LIMIT $4 FOR UPDATE SKIP LOCKED)"));
        assert!(!claim(Engine::Sqlite).contains("FOR UPDATE"));
        assert!(claim(Engine::Sqlite).contains("WHERE sent_at IS NULL AND lease_until <= $3"));
    }
}
