//! Operators and their sessions. Passwords arrive here already hashed (Argon2id, in
//! `admin::passwords`), and sessions by the SHA-256 of their token: the database never
//! holds anything that signs someone in.

use super::{
    database_error,
    engine::{execute, fetch_optional},
    new_id, Store, UnixTime,
};
use crate::domain::ShopError;
use sqlx::FromRow;

/// An operator as a login sees them.
#[derive(Clone, Debug, FromRow)]
pub struct OperatorLogin {
    pub id: String,
    pub name: String,
    /// Argon2id, PHC string format.
    pub password_hash: String,
}

/// The operator a live session belongs to.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct SessionOperator {
    pub operator_id: String,
    pub name: String,
}

/// How long sessions last: idle and absolute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionTimeouts {
    pub idle_secs: i64,
    pub absolute_secs: i64,
}

impl Store {
    /// Adds an operator (or, with `replace`, sets an existing one's password and email).
    /// `Ok(false)` when the name is taken and `replace` is false.
    pub async fn add_operator(
        &self,
        name: &str,
        password_hash: &str,
        email: Option<&str>,
        replace: bool,
        now: UnixTime,
    ) -> Result<bool, ShopError> {
        let sql = if replace {
            "INSERT INTO operators (id, name, password_hash, email, created_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash,
                 email = excluded.email"
        } else {
            "INSERT INTO operators (id, name, password_hash, email, created_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (name) DO NOTHING"
        };
        let added = execute!(
            self.pool,
            sqlx::query(sql)
                .bind(new_id("op"))
                .bind(name)
                .bind(password_hash)
                .bind(email)
                .bind(now)
        )
        .map_err(database_error("adding an operator"))?;
        if replace {
            // A new password ends every session of the old one.
            execute!(
                self.pool,
                sqlx::query(
                    "DELETE FROM operator_sessions WHERE operator_id IN
                         (SELECT id FROM operators WHERE name = $1)",
                )
                .bind(name)
            )
            .map_err(database_error("ending an operator's sessions"))?;
        }
        Ok(added == 1)
    }

    /// Whether any operator exists: the admin is off until one does.
    pub async fn has_operators(&self) -> Result<bool, ShopError> {
        let found: Option<(String,)> = fetch_optional!(
            self.pool,
            sqlx::query_as("SELECT id FROM operators LIMIT 1")
        )
        .map_err(database_error("looking for operators"))?;
        Ok(found.is_some())
    }

    /// The operator named `name`, for a login to verify.
    pub async fn operator_login(&self, name: &str) -> Result<Option<OperatorLogin>, ShopError> {
        Ok(fetch_optional!(
            self.pool,
            sqlx::query_as("SELECT id, name, password_hash FROM operators WHERE name = $1")
                .bind(name)
        )
        .map_err(database_error("reading an operator"))?)
    }

    /// The email addresses of every operator who gave one (dispute alerts go there).
    pub async fn operator_emails(&self) -> Result<Vec<(String, String)>, ShopError> {
        Ok(super::engine::fetch_all!(
            self.pool,
            sqlx::query_as("SELECT id, email FROM operators WHERE email IS NOT NULL ORDER BY name")
        )
        .map_err(database_error("reading operators' addresses"))?)
    }

    /// Starts a session for `operator_id` under the token hashed as `token_hash`,
    /// ending the one the browser had before (rotation at login), if any.
    pub async fn start_session(
        &self,
        operator_id: &str,
        token_hash: &str,
        previous: Option<&str>,
        timeouts: SessionTimeouts,
        now: UnixTime,
    ) -> Result<(), ShopError> {
        if let Some(previous) = previous {
            self.end_session(previous).await?;
        }
        // Sessions that ended are deleted as new ones start: the table stays small.
        execute!(
            self.pool,
            sqlx::query(
                "DELETE FROM operator_sessions WHERE expires_at <= $1 OR last_seen_at <= $2"
            )
            .bind(now)
            .bind(now - timeouts.idle_secs)
        )
        .map_err(database_error("deleting ended sessions"))?;
        execute!(
            self.pool,
            sqlx::query(
                "INSERT INTO operator_sessions (token_hash, operator_id, created_at,
                     last_seen_at, expires_at)
                 VALUES ($1, $2, $3, $3, $4)",
            )
            .bind(token_hash)
            .bind(operator_id)
            .bind(now)
            .bind(now + timeouts.absolute_secs)
        )
        .map_err(database_error("starting a session"))?;
        Ok(())
    }

    /// The operator of a live session, which counts as activity. A session idle too
    /// long, or past its absolute end, is no session.
    pub async fn session(
        &self,
        token_hash: &str,
        timeouts: SessionTimeouts,
        now: UnixTime,
    ) -> Result<Option<SessionOperator>, ShopError> {
        let found: Option<SessionOperator> = fetch_optional!(
            self.pool,
            sqlx::query_as(
                "SELECT s.operator_id, o.name FROM operator_sessions s
                 JOIN operators o ON o.id = s.operator_id
                 WHERE s.token_hash = $1 AND s.expires_at > $2 AND s.last_seen_at > $3",
            )
            .bind(token_hash)
            .bind(now)
            .bind(now - timeouts.idle_secs)
        )
        .map_err(database_error("reading a session"))?;
        if found.is_some() {
            // Written at most once a minute (sooner for short idle timeouts): reading
            // a page is not a write each time.
            let every = (timeouts.idle_secs / 4).clamp(1, 60);
            execute!(
                self.pool,
                sqlx::query(
                    "UPDATE operator_sessions SET last_seen_at = $2
                     WHERE token_hash = $1 AND last_seen_at < $2 - $3",
                )
                .bind(token_hash)
                .bind(now)
                .bind(every)
            )
            .map_err(database_error("touching a session"))?;
        }
        Ok(found)
    }

    /// Ends a session (logout, or rotation).
    pub async fn end_session(&self, token_hash: &str) -> Result<(), ShopError> {
        execute!(
            self.pool,
            sqlx::query("DELETE FROM operator_sessions WHERE token_hash = $1").bind(token_hash)
        )
        .map_err(database_error("ending a session"))?;
        Ok(())
    }
}
