//! The two database engines behind one [`Store`](super::Store): SQLite, embedded and
//! the default, and PostgreSQL, for several instances sharing one database.
//!
//! Every statement is written once, in portable SQL (numbered `$n` parameters, `ON
//! CONFLICT` upserts, `RETURNING`, BIGINT unix timestamps), and run through the macros
//! below, which expand it once per engine: the compiler checks it against both, and
//! the engine is chosen at run time by `DATABASE_URL`. (`sqlx::Any` cannot carry what
//! the store binds and reads, and would hide which engine a statement meets.)
//!
//! What differs between the engines lives here, each with why:
//! - how a write transaction begins ([`Pool::begin_write`]): SQLite takes its single
//!   writer lock up front; PostgreSQL runs it `SERIALIZABLE`, so a read-then-write
//!   is safe with many writers, and a transaction that lost a race is run again
//!   ([`write_transaction!`]);
//! - connecting and the migrations (`migrations/sqlite/`, `migrations/postgres/`);
//! - how the webhook inbox commits ([`InboxWriter`]).

use anyhow::Context;
use sqlx::{
    postgres::{PgConnectOptions, PgPoolOptions},
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
    ConnectOptions, PgPool, SqlitePool,
};
use std::{str::FromStr, time::Duration};

/// The engine a `DATABASE_URL` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    /// `postgres://` and `postgresql://` URLs are PostgreSQL; anything else is SQLite.
    pub fn of(database_url: &str) -> Self {
        if database_url.starts_with("postgres://") || database_url.starts_with("postgresql://") {
            Engine::Postgres
        } else {
            Engine::Sqlite
        }
    }
}

/// A connection pool on either engine.
#[derive(Clone, Debug)]
pub enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A transaction on either engine, begun by [`Pool::begin_write`] or [`Pool::begin_read`].
#[derive(Debug)]
pub enum Tx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// What a statement runs on, per engine: the [`on!`] macro matches on it.
pub enum Executor<S, P> {
    Sqlite(S),
    Postgres(P),
}

impl<S, P> Executor<S, P> {
    /// Itself: an executor handed to a function goes through [`on!`] like a pool.
    pub fn executor(self) -> Self {
        self
    }
}

impl Pool {
    /// Opens (creating a SQLite file if needed) the database and migrates it.
    pub async fn open(database_url: &str) -> anyhow::Result<Self> {
        let context = || format!("opening database {}", redacted(database_url));
        match Engine::of(database_url) {
            Engine::Sqlite => {
                let options = SqliteConnectOptions::from_str(database_url)
                    .with_context(|| format!("parsing DATABASE_URL {database_url:?}"))?
                    .create_if_missing(true)
                    // WAL lets readers proceed while one writer commits.
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    // Writers queue instead of failing with SQLITE_BUSY.
                    .busy_timeout(Duration::from_secs(5))
                    .foreign_keys(true);
                let pool = SqlitePoolOptions::new()
                    .max_connections(8)
                    .connect_with(options)
                    .await
                    .with_context(context)?;
                sqlx::migrate!("./migrations/sqlite")
                    .run(&pool)
                    .await
                    .context("running database migrations")?;
                Ok(Pool::Sqlite(pool))
            }
            Engine::Postgres => {
                let options =
                    PgConnectOptions::from_str(database_url).context("parsing DATABASE_URL")?;
                let pool = PgPoolOptions::new()
                    // Twice the turns an instance holds at once (each keeps one), and
                    // one for the inbox's LISTEN, which keeps its connection.
                    .max_connections(17)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await
                    .with_context(context)?;
                // Several instances may start at once: sqlx's migrator takes an
                // advisory lock, so one migrates and the others wait for it.
                sqlx::migrate!("./migrations/postgres")
                    .run(&pool)
                    .await
                    .context("running database migrations")?;
                Ok(Pool::Postgres(pool))
            }
        }
    }

    /// Which engine this is.
    pub fn engine(&self) -> Engine {
        match self {
            Pool::Sqlite(_) => Engine::Sqlite,
            Pool::Postgres(_) => Engine::Postgres,
        }
    }

    /// What a statement on the pool runs on (see [`on!`]).
    pub fn executor(&self) -> Executor<&SqlitePool, &PgPool> {
        match self {
            Pool::Sqlite(pool) => Executor::Sqlite(pool),
            Pool::Postgres(pool) => Executor::Postgres(pool),
        }
    }

    /// Begins a transaction that reads, then writes.
    ///
    /// SQLite: `BEGIN IMMEDIATE` takes the write lock up front (one that upgrades
    /// later can fail with `SQLITE_BUSY` under concurrency), so nothing slips in
    /// between a read and the write that depends on it.
    ///
    /// PostgreSQL: `SERIALIZABLE`. Writers run side by side (in other instances too),
    /// and PostgreSQL aborts any whose reads another committed write invalidated, with
    /// a serialization failure that [`write_transaction!`] answers by running the
    /// transaction again. Every read-then-write (stock, cart lines, an order's lock,
    /// a PaymentIntent's generation) is thereby as safe as under SQLite's one writer,
    /// without a lock clause to forget in any of them.
    pub async fn begin_write(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Pool::Sqlite(pool) => Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Pool::Postgres(pool) => Tx::Postgres(
                pool.begin_with("BEGIN ISOLATION LEVEL SERIALIZABLE")
                    .await?,
            ),
        })
    }

    /// Begins a transaction that only reads: one consistent snapshot.
    pub async fn begin_read(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Pool::Sqlite(pool) => Tx::Sqlite(pool.begin().await?),
            // A snapshot for the whole transaction; never aborted, since it writes nothing.
            Pool::Postgres(pool) => Tx::Postgres(
                pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await?,
            ),
        })
    }
}

impl Tx {
    /// What a statement in the transaction runs on (see [`on!`]).
    pub fn executor(&mut self) -> Executor<&mut sqlx::SqliteConnection, &mut sqlx::PgConnection> {
        match self {
            Tx::Sqlite(tx) => Executor::Sqlite(&mut **tx),
            Tx::Postgres(tx) => Executor::Postgres(&mut **tx),
        }
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await,
            Tx::Postgres(tx) => tx.commit().await,
        }
    }
}

/// Runs `$body` with `$e` bound to `$target`'s executor (a [`Pool`] or a [`Tx`]), once
/// per engine: the statement in it is written once and type-checked on both.
macro_rules! on {
    ($target:expr, |$e:ident| $body:expr) => {
        match $target.executor() {
            $crate::server::store::engine::Executor::Sqlite($e) => $body,
            $crate::server::store::engine::Executor::Postgres($e) => $body,
        }
    };
}

/// Runs a statement on `$target`, returning the rows it changed.
macro_rules! execute {
    ($target:expr, $query:expr) => {
        $crate::server::store::engine::on!($target, |e| $query
            .execute(e)
            .await
            .map(|done| done.rows_affected()))
    };
}

/// Runs a query on `$target`, returning exactly one row.
macro_rules! fetch_one {
    ($target:expr, $query:expr) => {
        $crate::server::store::engine::on!($target, |e| $query.fetch_one(e).await)
    };
}

/// Runs a query on `$target`, returning at most one row.
macro_rules! fetch_optional {
    ($target:expr, $query:expr) => {
        $crate::server::store::engine::on!($target, |e| $query.fetch_optional(e).await)
    };
}

/// Runs a query on `$target`, returning every row.
macro_rules! fetch_all {
    ($target:expr, $query:expr) => {
        $crate::server::store::engine::on!($target, |e| $query.fetch_all(e).await)
    };
}

/// Runs `$body` (a block returning `Result<T, StoreError>`) in a write transaction
/// bound to `$tx`, committing when it returns `Ok`, rolling back when it returns
/// `Err`. A serialization failure (PostgreSQL: another transaction won a race for
/// the same rows) runs the whole block again, up to [`MAX_ATTEMPTS`] times, after a
/// short random pause; so the block must do nothing but database work. Evaluates to
/// `Result<T, ShopError>`.
macro_rules! write_transaction {
    ($store:expr, $doing:expr, |$tx:ident| $body:block) => {{
        let doing: &'static str = $doing;
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let mut $tx = $store
                .pool
                .begin_write()
                .await
                .map_err($crate::server::store::database_error(doing))?;
            let outcome: Result<_, $crate::server::store::StoreError> = async { $body }.await;
            let outcome = match outcome {
                Ok(value) => $tx
                    .commit()
                    .await
                    .map(|()| value)
                    .map_err($crate::server::store::database_error(doing)),
                Err(error) => Err(error),
            };
            match outcome {
                Err(error)
                    if error.is_serialization_failure()
                        && attempt < $crate::server::store::engine::MAX_ATTEMPTS =>
                {
                    tracing::debug!(attempt, "{doing}: lost a race; running it again");
                    $crate::server::store::engine::pause_before_retry(attempt).await;
                }
                outcome => break outcome.map_err($crate::domain::ShopError::from),
            }
        }
    }};
}

pub(crate) use {execute, fetch_all, fetch_one, fetch_optional, on, write_transaction};

/// How often a write transaction is tried before its serialization failure is
/// reported (as "unavailable, try again"). Shoppers buying the same product at once
/// all read and write its holds: under a storm most tries of each lose to another's
/// commit, and each round lets at least one through.
pub const MAX_ATTEMPTS: u32 = 30;

/// A random pause growing with each attempt (up to about 1, 2, 4 … ms, at most 128),
/// so transactions that collided do not collide again in step.
pub async fn pause_before_retry(attempt: u32) {
    use rand::Rng;
    let ceiling = 1u64 << attempt.min(7);
    let micros = rand::rng().random_range(200..=ceiling * 1000);
    tokio::time::sleep(Duration::from_micros(micros)).await;
}

/// Whether PostgreSQL aborted a transaction to keep it serializable (40001) or to break
/// a deadlock (40P01): running it again is the documented answer to both.
pub fn is_serialization_failure(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(error) => {
            matches!(error.code().as_deref(), Some("40001") | Some("40P01"))
        }
        _ => false,
    }
}

/// How the webhook inbox commits its batches.
#[derive(Debug)]
pub enum InboxWriter {
    /// A connection of its own with `synchronous=FULL`: the pool's `NORMAL` is not
    /// durable across power loss, and Stripe has our 2xx once the commit returns.
    Sqlite(sqlx::SqliteConnection),
    /// The ordinary pool: PostgreSQL's commits are durable (`synchronous_commit` on).
    Postgres(PgPool),
}

impl InboxWriter {
    /// The writer for `pool`'s database, at `database_url`.
    pub async fn open(pool: &Pool, database_url: &str) -> anyhow::Result<Self> {
        match pool {
            Pool::Sqlite(_) => {
                let connection = SqliteConnectOptions::from_str(database_url)
                    .with_context(|| format!("parsing DATABASE_URL {database_url:?}"))?
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .busy_timeout(Duration::from_secs(5))
                    .connect()
                    .await
                    .context("opening the webhook inbox")?;
                Ok(InboxWriter::Sqlite(connection))
            }
            Pool::Postgres(pool) => Ok(InboxWriter::Postgres(pool.clone())),
        }
    }

    pub fn executor(&mut self) -> Executor<&mut sqlx::SqliteConnection, &PgPool> {
        match self {
            InboxWriter::Sqlite(connection) => Executor::Sqlite(connection),
            InboxWriter::Postgres(pool) => Executor::Postgres(pool),
        }
    }
}

/// A database URL fit for a log line: any password replaced.
pub fn redacted(database_url: &str) -> String {
    match url_password_span(database_url) {
        Some((start, end)) => format!("{}***{}", &database_url[..start], &database_url[end..]),
        None => database_url.to_owned(),
    }
}

/// Where the password of `scheme://user:password@host` is, if there is one.
fn url_password_span(url: &str) -> Option<(usize, usize)> {
    let authority_start = url.find("://")? + 3;
    let rest = &url[authority_start..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let at = rest[..authority_end].rfind('@')?;
    let colon = rest[..at].find(':')?;
    Some((authority_start + colon + 1, authority_start + at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_names_the_engine() {
        assert_eq!(Engine::of("postgres://shop@db/shop"), Engine::Postgres);
        assert_eq!(Engine::of("postgresql:///shop?host=/tmp"), Engine::Postgres);
        assert_eq!(Engine::of("sqlite:///data/shop.db"), Engine::Sqlite);
        assert_eq!(Engine::of("sqlite::memory:"), Engine::Sqlite);
    }

    #[test]
    fn passwords_never_reach_a_log_line() {
        assert_eq!(
            redacted("postgres://shop:s3cret@db:5432/shop"),
            "postgres://shop:***@db:5432/shop"
        );
        assert_eq!(
            redacted("postgres://shop@db/shop"),
            "postgres://shop@db/shop"
        );
        assert_eq!(redacted("sqlite:///data/shop.db"), "sqlite:///data/shop.db");
    }
}
