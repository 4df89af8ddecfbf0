//! The durable queue of Stripe commands (DESIGN.md, "Webhooks and fulfilment"): a
//! write the shop decides on is stored in the transaction that decides it, then sent
//! by the command worker until Stripe answers.

use super::{
    database_error,
    engine::{execute, Tx},
    leases::Claim,
    Store, StoreError, UnixTime,
};
use crate::domain::ShopError;
use sqlx::FromRow;

/// A command due to be sent.
#[derive(Clone, Debug, FromRow)]
pub struct DueCommand {
    pub id: String,
    pub kind: String,
    pub payment_intent: String,
    pub order_id: Option<String>,
    pub reason: String,
    pub attempts: i64,
    pub created_at: UnixTime,
    /// The refund a `refund` command sends.
    pub refund_id: Option<String>,
}

/// The queue's commands due to be sent.
const DUE_COMMANDS: Claim = Claim {
    table: "stripe_commands",
    due: "status = 'pending' AND next_attempt_at <= $3",
    order: "created_at, id",
    columns: "id, kind, payment_intent, order_id, reason, attempts, created_at, refund_id",
    doing: "claiming due Stripe commands",
};

/// How a command's attempt ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommandResult {
    /// Stripe answered: nothing more to send. `outcome` says what it answered.
    Done { outcome: String },
    /// Try again at `next_attempt_at`; parked (kept for a person) when `park`.
    Retry {
        error: String,
        next_attempt_at: UnixTime,
        park: bool,
    },
}

/// The command id for cancelling `payment_intent`: one row however often the shop
/// decides it (a cancel is the same cancel whoever asks), and the basis of its
/// idempotency key.
pub fn cancel_command_id(payment_intent: &str) -> String {
    format!(
        "cmd_{}",
        &crate::server::sha256_hex(format!("cancel_payment_intent|{payment_intent}").as_bytes())
            [..32]
    )
}

/// Queues the cancel of `payment_intent` inside `tx`, the transaction that decided it.
/// A cancel already queued stays as it is; one parked earlier is sent again, since the
/// shop has decided anew that this PaymentIntent must not be paid.
pub(super) async fn queue_cancel(
    tx: &mut Tx,
    payment_intent: &str,
    order_id: &str,
    reason: &str,
    now: UnixTime,
) -> Result<(), StoreError> {
    execute!(
tx,
sqlx::query(
        "INSERT INTO stripe_commands
             (id, kind, payment_intent, order_id, reason, status, next_attempt_at, created_at)
         VALUES ($1, 'cancel_payment_intent', $2, $3, $4, 'pending', $5, $5)
         ON CONFLICT (id) DO UPDATE SET status = 'pending', next_attempt_at = excluded.next_attempt_at,
             reason = excluded.reason
         WHERE stripe_commands.status = 'parked'",
    )
    .bind(cancel_command_id(payment_intent))
    .bind(payment_intent)
    .bind(order_id)
    .bind(reason)
    .bind(now)
)
    .map_err(database_error("queueing a Stripe command"))?;
    tracing::info!(%payment_intent, order = %order_id, reason, "queued the cancel of a PaymentIntent");
    Ok(())
}

/// The command id for sending refund `refund_id`: one command per refund.
pub fn refund_command_id(refund_id: &str) -> String {
    format!(
        "cmd_{}",
        &crate::server::sha256_hex(format!("refund|{refund_id}").as_bytes())[..32]
    )
}

/// Queues the sending of refund `refund_id` inside `tx`, the transaction that stored it.
pub(super) async fn queue_refund(
    tx: &mut Tx,
    refund_id: &str,
    payment_intent: &str,
    order_id: &str,
    now: UnixTime,
) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query(
            "INSERT INTO stripe_commands (id, kind, payment_intent, order_id, reason, status,
                 next_attempt_at, created_at, refund_id)
             VALUES ($1, 'refund', $2, $3, 'an operator refunded', 'pending', $4, $4, $5)
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(refund_command_id(refund_id))
        .bind(payment_intent)
        .bind(order_id)
        .bind(now)
        .bind(refund_id)
    )
    .map_err(database_error("queueing a refund"))?;
    Ok(())
}

impl Store {
    /// Claims commands due now, oldest first.
    pub async fn due_commands(
        &self,
        now: UnixTime,
        limit: i64,
    ) -> Result<Vec<DueCommand>, ShopError> {
        let mut due: Vec<DueCommand> = self.claim(&DUE_COMMANDS, now, limit).await?;
        due.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(due)
    }

    /// Records how an attempt at command `id` ended.
    pub async fn command_result(
        &self,
        id: &str,
        result: &CommandResult,
        now: UnixTime,
    ) -> Result<(), ShopError> {
        match result {
            CommandResult::Done { outcome } => execute!(
                self.pool,
                sqlx::query(
                    "UPDATE stripe_commands SET status = 'done', attempts = attempts + 1,
                         outcome = $2, done_at = $3, lease_until = 0
                     WHERE id = $1 AND claimed_by = $4",
                )
                .bind(id)
                .bind(outcome)
                .bind(now)
                .bind(&*self.instance)
            ),
            CommandResult::Retry {
                error,
                next_attempt_at,
                park,
            } => execute!(
                self.pool,
                sqlx::query(
                    "UPDATE stripe_commands SET attempts = attempts + 1, last_error = $2,
                         next_attempt_at = $3, status = CASE WHEN $4 THEN 'parked' ELSE status END,
                         lease_until = 0
                     WHERE id = $1 AND claimed_by = $5",
                )
                .bind(id)
                .bind(error)
                .bind(*next_attempt_at)
                .bind(*park)
                .bind(&*self.instance)
            ),
        }
        .map_err(database_error("recording a Stripe command attempt"))?;
        Ok(())
    }
}
