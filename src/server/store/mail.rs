//! Queueing email in the transaction that decides it goes. Each email's outbox id is
//! derived from its dedupe key (what it is about), so queueing it again, after a crash
//! or a replayed event, is a no-op and a resend keeps its Message-ID.

use super::{
    database_error,
    engine::{execute, Tx},
    StoreError, UnixTime,
};
use crate::server::fulfilment::emails::Email;

/// Where an email goes and what makes it the same email.
pub(super) struct QueuedEmail<'a> {
    pub order_id: &'a str,
    /// Such as `order_confirmation:ord_…` or `refund:rf_…`.
    pub dedupe_key: &'a str,
    pub recipient: &'a str,
}

/// Queues `email` unless an email with the same dedupe key was queued before.
pub(super) async fn queue_email(
    tx: &mut Tx,
    to: QueuedEmail<'_>,
    email: &Email,
    now: UnixTime,
) -> Result<(), StoreError> {
    let id = format!(
        "msg_{}",
        &crate::server::sha256_hex(to.dedupe_key.as_bytes())[..32]
    );
    execute!(
        tx,
        sqlx::query(
            "INSERT INTO outbox (id, order_id, kind, dedupe_key, recipient, subject, body,
                 html_body, created_at, next_attempt_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
             ON CONFLICT (dedupe_key) DO NOTHING",
        )
        .bind(&id)
        .bind(to.order_id)
        .bind(email.kind)
        .bind(to.dedupe_key)
        .bind(to.recipient)
        .bind(&email.subject)
        .bind(&email.body)
        .bind(&email.html)
        .bind(now)
    )
    .map_err(database_error("queueing an email"))?;
    Ok(())
}
