//! Refunds and disputes: a dimension beside the order's status (DESIGN.md, "Webhooks
//! and fulfilment"). `paid` stays final; what was refunded is derived from these rows.
//!
//! A refund the shop asks for is stored first, its amount checked in the same
//! transaction against what its PaymentIntent received minus what is refunded or on
//! its way back, and queued as a Stripe command. What Stripe then lists for the
//! PaymentIntent is upserted by `re_` id: the shop's own refund is matched by the id
//! it sent in `metadata[shop_refund]` (never counted twice), and one made in Stripe's
//! dashboard appears as a row of its own.

use super::{
    commands::queue_refund,
    database_error,
    engine::{execute, fetch_all, fetch_optional, write_transaction, Tx},
    mail::{queue_email, QueuedEmail},
    orders::timeline_by,
    Store, StoreError, UnixTime,
};
use crate::{
    domain::{describe_minor, Currency, Money, ShopError},
    i18n::Locale,
    server::fulfilment::emails,
    server::stripe::{Dispute, Refund, REFUND_STATUSES},
};
use sqlx::FromRow;

/// Stripe's reasons for a refund (`reason`), as its API takes them.
pub const REFUND_REASONS: [&str; 3] = ["requested_by_customer", "duplicate", "fraudulent"];

/// Statuses whose money is gone or on its way back: counted against what may still be
/// refunded.
const COUNTED: &str = "('requested', 'pending', 'requires_action', 'succeeded')";

/// An operator's refund, as the admin form gives it (already parsed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefundRequest {
    /// The refund's id, drawn when the form was rendered: the same form sent twice
    /// (a double click, a resubmitted page) is one refund.
    pub id: String,
    pub order_id: String,
    pub payment_intent: String,
    pub amount_minor: i64,
    /// One of [`REFUND_REASONS`], or none.
    pub reason: Option<String>,
    /// Units to put back on the shelf once the refund succeeds: (product id, quantity).
    pub restock: Vec<(String, i64)>,
    pub note: Option<String>,
    pub operator: String,
}

/// A refund of an order, for the operator's payment panel.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct RefundRow {
    pub id: String,
    pub payment_intent: String,
    pub stripe_id: Option<String>,
    pub amount_minor: i64,
    pub currency: String,
    pub reason: Option<String>,
    pub status: String,
    pub failure_reason: Option<String>,
    pub requested_by: Option<String>,
    pub note: Option<String>,
    pub created_at: UnixTime,
}

/// A dispute of an order, as Stripe last reported it.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct DisputeRow {
    pub id: String,
    pub payment_intent: String,
    pub amount_minor: i64,
    pub currency: String,
    pub reason: String,
    pub status: String,
    pub evidence_due_by: Option<UnixTime>,
    pub created_at: UnixTime,
}

impl DisputeRow {
    /// Closed disputes: won, lost, or a warning that ended.
    pub fn is_open(&self) -> bool {
        !matches!(
            self.status.as_str(),
            "won" | "lost" | "warning_closed" | "prevented"
        )
    }
}

/// What a refund command needs to send.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct RefundToSend {
    pub id: String,
    pub order_id: String,
    pub payment_intent: String,
    pub amount_minor: i64,
    pub reason: Option<String>,
    pub status: String,
    /// Part of its idempotency key (see the `refunds` table).
    pub key_generation: i64,
}

/// What a sync changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Synced {
    /// The order the PaymentIntent belongs to; `None` when it is not one of ours.
    pub order_id: Option<String>,
    /// Rows added or whose status moved.
    pub changed: usize,
}

impl Store {
    /// Stores an operator's refund and queues it for Stripe, in one transaction: the
    /// amount must fit in what the PaymentIntent received minus every refund that is
    /// requested, pending or done, so two operators refunding at once cannot give
    /// back more than was paid. Returns the refund's id.
    pub async fn request_refund(
        &self,
        request: &RefundRequest,
        now: UnixTime,
    ) -> Result<String, ShopError> {
        if request.amount_minor < 1 {
            return Err(ShopError::BadRequest(
                "A refund must be of at least one cent.".into(),
            ));
        }
        if let Some(reason) = &request.reason {
            if !REFUND_REASONS.contains(&reason.as_str()) {
                return Err(ShopError::BadRequest(format!(
                    "{reason:?} is not a refund reason Stripe knows."
                )));
            }
        }
        write_transaction!(self, "requesting a refund", |tx| {
            let known: Option<String> = fetch_optional!(
                tx,
                sqlx::query_scalar("SELECT order_id FROM refunds WHERE id = $1").bind(&request.id)
            )
            .map_err(database_error("reading a refund"))?;
            match known {
                // The same form again: the same refund, nothing new.
                Some(order) if order == request.order_id => return Ok(request.id.clone()),
                Some(_) => {
                    return Err(
                        ShopError::BadRequest("That form belongs to another order.".into()).into(),
                    )
                }
                None => {}
            }
            let currency = refundable_currency(&mut tx, request).await?;
            let left = refundable_left(&mut tx, &request.payment_intent).await?;
            if request.amount_minor > left {
                return Err(ShopError::BadRequest(format!(
                    "Only {} of this payment can still be refunded.",
                    describe_minor(left, &currency)
                ))
                .into());
            }
            check_restock(&mut tx, &request.order_id, &request.restock).await?;
            let id = request.id.clone();
            execute!(
                tx,
                sqlx::query(
                    "INSERT INTO refunds (id, order_id, payment_intent, amount_minor, currency,
                         reason, status, requested_by, note, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, 'requested', $7, $8, $9, $9)",
                )
                .bind(&id)
                .bind(&request.order_id)
                .bind(&request.payment_intent)
                .bind(request.amount_minor)
                .bind(&currency)
                .bind(&request.reason)
                .bind(&request.operator)
                .bind(&request.note)
                .bind(now)
            )
            .map_err(database_error("storing a refund"))?;
            for (product, quantity) in &request.restock {
                execute!(
                    tx,
                    sqlx::query(
                        "INSERT INTO refund_restocks (refund_id, product_id, quantity)
                         VALUES ($1, $2, $3)",
                    )
                    .bind(&id)
                    .bind(product)
                    .bind(*quantity)
                )
                .map_err(database_error("storing a refund's restock"))?;
            }
            queue_refund(
                &mut tx,
                &id,
                &request.payment_intent,
                &request.order_id,
                now,
            )
            .await?;
            let reason = request.reason.as_deref().unwrap_or("no reason given");
            let mut entry = format!(
                "refund of {} requested ({reason})",
                describe_minor(request.amount_minor, &currency)
            );
            if let Some(note) = &request.note {
                entry.push_str(&format!(": {note}"));
            }
            timeline_by(
                &mut tx,
                &request.order_id,
                now,
                &entry,
                Some(&request.operator),
            )
            .await?;
            Ok(id)
        })
    }

    /// The refund a command sends.
    pub async fn refund_to_send(&self, id: &str) -> Result<Option<RefundToSend>, ShopError> {
        Ok(fetch_optional!(
            self.pool,
            sqlx::query_as(
                "SELECT id, order_id, payment_intent, amount_minor, reason, status,
                     key_generation
                 FROM refunds WHERE id = $1",
            )
            .bind(id)
        )
        .map_err(database_error("reading a refund"))?)
    }

    /// Stripe answered that an attempt at refund `id` failed (a 5xx it keeps under the
    /// attempt's key) and lists no such refund: the next attempt uses a new key, or
    /// Stripe would replay that failure for a day.
    pub async fn next_refund_key(&self, id: &str) -> Result<(), ShopError> {
        execute!(
            self.pool,
            sqlx::query(
                "UPDATE refunds SET key_generation = key_generation + 1
                 WHERE id = $1 AND status = 'requested'",
            )
            .bind(id)
        )
        .map_err(database_error("moving a refund's key on"))?;
        Ok(())
    }

    /// Stripe refused the shop's refund outright (more than is left, a charge in
    /// dispute): it failed, and the order's timeline says why.
    pub async fn refund_refused(
        &self,
        id: &str,
        why: &str,
        now: UnixTime,
    ) -> Result<(), ShopError> {
        write_transaction!(self, "recording a refused refund", |tx| {
            let order: Option<String> = fetch_optional!(
                tx,
                sqlx::query_scalar(
                    "UPDATE refunds SET status = 'failed', failure_reason = $2, updated_at = $3
                     WHERE id = $1 AND status = 'requested' RETURNING order_id",
                )
                .bind(id)
                .bind(why)
                .bind(now)
            )
            .map_err(database_error("failing a refund"))?;
            if let Some(order) = order {
                let entry = format!("Stripe refused the refund: {why}");
                timeline_by(&mut tx, &order, now, &entry, None).await?;
            }
            Ok(())
        })
    }

    /// Upserts what Stripe lists as the refunds of `payment_intent`: new ones (made in
    /// Stripe's dashboard) are added, the shop's own are matched by the id they carry,
    /// statuses move. A refund that succeeds puts its chosen units back on the shelf
    /// and emails the shopper, once.
    pub async fn sync_refunds(
        &self,
        payment_intent: &str,
        refunds: &[Refund],
        now: UnixTime,
    ) -> Result<Synced, ShopError> {
        let (synced, restocked) = write_transaction!(self, "syncing refunds", |tx| {
            let Some(order) = order_of(&mut tx, payment_intent).await? else {
                return Ok((Synced::default(), false));
            };
            let mut synced = Synced {
                order_id: Some(order.id.clone()),
                changed: 0,
            };
            let mut restocked = false;
            for refund in refunds {
                if !REFUND_STATUSES.contains(&refund.status.as_str()) {
                    tracing::warn!(refund = %refund.id, status = %refund.status, "a refund status the shop does not know; skipped");
                    continue;
                }
                let Some(row) = matching_row(&mut tx, &order, refund, now).await? else {
                    continue;
                };
                if row.changed {
                    synced.changed += 1;
                    let entry = refund_entry(refund, row.by_dashboard);
                    timeline_by(&mut tx, &order.id, now, &entry, None).await?;
                }
                if refund.status == "succeeded" && row.changed {
                    restocked |= restock(&mut tx, &row.id, now).await?;
                    self.refund_email(&mut tx, &order, &row.id, refund, now)
                        .await?;
                }
            }
            Ok((synced, restocked))
        })?;
        if restocked {
            self.catalog.changed();
        }
        Ok(synced)
    }

    /// Upserts what Stripe lists as the disputes of `payment_intent`; a new dispute or
    /// a change of status goes on the timeline and to every operator with an address.
    pub async fn sync_disputes(
        &self,
        payment_intent: &str,
        disputes: &[Dispute],
        now: UnixTime,
    ) -> Result<Synced, ShopError> {
        let operators = self.operator_emails().await?;
        write_transaction!(self, "syncing disputes", |tx| {
            let Some(order) = order_of(&mut tx, payment_intent).await? else {
                return Ok(Synced::default());
            };
            let mut synced = Synced {
                order_id: Some(order.id.clone()),
                changed: 0,
            };
            for dispute in disputes {
                let due_by = dispute.evidence_details.as_ref().and_then(|e| e.due_by);
                let stored: Option<(String, i64, Option<i64>)> = fetch_optional!(
                    tx,
                    sqlx::query_as(
                        "SELECT status, amount_minor, evidence_due_by FROM disputes WHERE id = $1"
                    )
                    .bind(&dispute.id)
                )
                .map_err(database_error("reading a dispute"))?;
                if stored.as_ref() == Some(&(dispute.status.clone(), dispute.amount, due_by)) {
                    continue;
                }
                let before = stored.map(|(status, ..)| status);
                execute!(
                    tx,
                    sqlx::query(
                        "INSERT INTO disputes (id, order_id, payment_intent, amount_minor,
                             currency, reason, status, evidence_due_by, created_at, updated_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                         ON CONFLICT (id) DO UPDATE SET status = excluded.status,
                             amount_minor = excluded.amount_minor,
                             evidence_due_by = excluded.evidence_due_by,
                             updated_at = excluded.updated_at",
                    )
                    .bind(&dispute.id)
                    .bind(&order.id)
                    .bind(payment_intent)
                    .bind(dispute.amount)
                    .bind(&dispute.currency)
                    .bind(&dispute.reason)
                    .bind(&dispute.status)
                    .bind(due_by)
                    .bind(dispute.created)
                    .bind(now)
                )
                .map_err(database_error("storing a dispute"))?;
                synced.changed += 1;
                let amount = describe_minor(dispute.amount, &dispute.currency);
                let entry = match before {
                    None => format!(
                        "dispute {} opened: {amount}, reason {}, status {}",
                        dispute.id, dispute.reason, dispute.status
                    ),
                    Some(before) if before == dispute.status => {
                        // Its amount or due date changed: stored, nobody alerted.
                        continue;
                    }
                    Some(before) => format!(
                        "dispute {} moved from {before} to {}",
                        dispute.id, dispute.status
                    ),
                };
                timeline_by(&mut tx, &order.id, now, &entry, None).await?;
                let email =
                    emails::dispute_alert(&self.shop_url, &order.reference, dispute, &amount);
                for (operator, address) in &operators {
                    let key = format!("dispute_alert:{}:{}:{operator}", dispute.id, dispute.status);
                    queue_email(
                        &mut tx,
                        QueuedEmail {
                            order_id: &order.id,
                            dedupe_key: &key,
                            recipient: address,
                        },
                        &email,
                        now,
                    )
                    .await?;
                }
            }
            Ok(synced)
        })
    }

    /// Queues the shopper's email for a refund that succeeded (once per refund).
    async fn refund_email(
        &self,
        tx: &mut Tx,
        order: &RefundedOrder,
        refund_id: &str,
        refund: &Refund,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        let Some(recipient) = order.email.as_deref() else {
            return Ok(());
        };
        let locale: Locale = order.locale.parse().unwrap_or_default();
        let amount = Currency::parse(&refund.currency)
            .and_then(|currency| Money::new(refund.amount, currency))
            .map(|amount| amount.format(locale))
            .unwrap_or_else(|_| describe_minor(refund.amount, &refund.currency));
        let email = emails::refund(&self.shop_url, &order.reference, &amount, locale);
        let key = format!("refund:{refund_id}");
        queue_email(
            tx,
            QueuedEmail {
                order_id: &order.id,
                dedupe_key: &key,
                recipient,
            },
            &email,
            now,
        )
        .await
    }
}

/// The order a PaymentIntent belongs to, as refunds need it.
#[derive(Clone, Debug, FromRow)]
struct RefundedOrder {
    id: String,
    email: Option<String>,
    reference: Option<String>,
    /// The shopper's language at submit, for their refund email.
    locale: String,
}

async fn order_of(tx: &mut Tx, payment_intent: &str) -> Result<Option<RefundedOrder>, StoreError> {
    fetch_optional!(
        tx,
        sqlx::query_as(
            "SELECT o.id, o.email, o.reference, o.locale FROM orders o
             JOIN order_payment_intents p ON p.order_id = o.id WHERE p.id = $1",
        )
        .bind(payment_intent)
    )
    .map_err(database_error("finding a payment's order"))
}

/// The currency of the payment being refunded, which must be the order's and have
/// received money.
async fn refundable_currency(tx: &mut Tx, request: &RefundRequest) -> Result<String, StoreError> {
    let found: Option<(String, i64)> = fetch_optional!(
        tx,
        sqlx::query_as(
            "SELECT currency, amount_received_minor FROM order_payment_intents
             WHERE id = $1 AND order_id = $2",
        )
        .bind(&request.payment_intent)
        .bind(&request.order_id)
    )
    .map_err(database_error("reading the payment to refund"))?;
    match found {
        Some((currency, received)) if received > 0 => Ok(currency),
        Some(_) => Err(ShopError::BadRequest(
            "Stripe has not reported any money received for this payment.".into(),
        )
        .into()),
        None => {
            Err(ShopError::BadRequest("That payment is not one of this order's.".into()).into())
        }
    }
}

/// What `payment_intent` received minus every refund requested, pending or done.
async fn refundable_left(tx: &mut Tx, payment_intent: &str) -> Result<i64, StoreError> {
    let (received, counted): (i64, i64) = super::engine::fetch_one!(
        tx,
        sqlx::query_as(&format!(
            "SELECT p.amount_received_minor,
                 CAST(COALESCE((SELECT SUM(r.amount_minor) FROM refunds r
                     WHERE r.payment_intent = p.id AND r.status IN {COUNTED}), 0) AS BIGINT)
             FROM order_payment_intents p WHERE p.id = $1"
        ))
        .bind(payment_intent)
    )
    .map_err(database_error("adding up a payment's refunds"))?;
    Ok(received - counted)
}

/// Restocked units must have left the shelf (the order was fulfilled), be lines of
/// the order, and be no more than were bought minus what other refunds put back or
/// will (a refund that failed before restocking puts nothing back; one that failed
/// after it already did).
async fn check_restock(
    tx: &mut Tx,
    order_id: &str,
    restock: &[(String, i64)],
) -> Result<(), StoreError> {
    if restock.is_empty() {
        return Ok(());
    }
    let fulfilled: Option<i64> = fetch_optional!(
        tx,
        sqlx::query_scalar("SELECT fulfilled_at FROM orders WHERE id = $1").bind(order_id)
    )
    .map_err(database_error("reading an order"))?
    .flatten();
    if fulfilled.is_none() {
        return Err(ShopError::BadRequest(
            "This order's units never left the shelf: there is nothing to put back.".into(),
        )
        .into());
    }
    for (product, quantity) in restock {
        let found: Option<(String, i64, i64)> = fetch_optional!(
            tx,
            sqlx::query_as(
                "SELECT l.name, CAST(l.quantity AS BIGINT),
                     CAST(COALESCE((SELECT SUM(s.quantity) FROM refund_restocks s
                         JOIN refunds r ON r.id = s.refund_id
                         WHERE r.order_id = l.order_id AND s.product_id = l.product_id
                           AND (r.restocked_at IS NOT NULL
                                OR r.status NOT IN ('failed', 'canceled'))), 0) AS BIGINT)
                 FROM order_lines l WHERE l.order_id = $1 AND l.product_id = $2",
            )
            .bind(order_id)
            .bind(product)
        )
        .map_err(database_error("reading an order's line"))?;
        let Some((name, bought, put_back)) = found else {
            return Err(
                ShopError::BadRequest(format!("{product} is not a line of this order.")).into(),
            );
        };
        if *quantity < 1 || *quantity > bought - put_back {
            return Err(ShopError::BadRequest(format!(
                "At most {} of {name} can go back on the shelf.",
                (bought - put_back).max(0)
            ))
            .into());
        }
    }
    Ok(())
}

/// Our row for a refund Stripe lists, inserted or moved to Stripe's status.
struct Matched {
    id: String,
    changed: bool,
    by_dashboard: bool,
}

async fn matching_row(
    tx: &mut Tx,
    order: &RefundedOrder,
    refund: &Refund,
    now: UnixTime,
) -> Result<Option<Matched>, StoreError> {
    let by_stripe_id: Option<(String, String, Option<String>)> = fetch_optional!(
        tx,
        sqlx::query_as("SELECT id, status, requested_by FROM refunds WHERE stripe_id = $1")
            .bind(&refund.id)
    )
    .map_err(database_error("reading a refund"))?;
    // The shop's own refund, whose answer from Stripe may never have arrived.
    let ours = match by_stripe_id {
        Some(found) => Some(found),
        None => match refund.metadata.get("shop_refund") {
            Some(shop_id) => fetch_optional!(
                tx,
                sqlx::query_as(
                    "SELECT id, status, requested_by FROM refunds
                     WHERE id = $1 AND order_id = $2 AND stripe_id IS NULL",
                )
                .bind(shop_id)
                .bind(&order.id)
            )
            .map_err(database_error("reading a refund"))?,
            None => None,
        },
    };
    if let Some((id, status, requested_by)) = ours {
        // Stripe's statuses only move forward (a success may still fail later); an
        // older read never takes a settled refund back to pending.
        let settled = ["succeeded", "failed", "canceled"];
        let backwards =
            settled.contains(&status.as_str()) && !settled.contains(&refund.status.as_str());
        if backwards {
            return Ok(Some(Matched {
                id,
                changed: false,
                by_dashboard: requested_by.is_none(),
            }));
        }
        let changed = status != refund.status;
        execute!(
            tx,
            sqlx::query(
                "UPDATE refunds SET stripe_id = $2, status = $3, failure_reason = $4,
                     updated_at = $5
                 WHERE id = $1",
            )
            .bind(&id)
            .bind(&refund.id)
            .bind(&refund.status)
            .bind(&refund.failure_reason)
            .bind(now)
        )
        .map_err(database_error("updating a refund"))?;
        return Ok(Some(Matched {
            id,
            changed,
            by_dashboard: requested_by.is_none(),
        }));
    }
    let Some(payment_intent) = refund.payment_intent.as_deref() else {
        return Ok(None);
    };
    // Made in Stripe's dashboard (or by another integration): a row of its own, with
    // an id derived from Stripe's so two syncs racing insert it once.
    let id = format!(
        "rf_{}",
        &crate::server::sha256_hex(refund.id.as_bytes())[..24]
    );
    let reason = refund
        .reason
        .as_deref()
        .filter(|reason| REFUND_REASONS.contains(reason));
    execute!(
        tx,
        sqlx::query(
            "INSERT INTO refunds (id, order_id, payment_intent, stripe_id, amount_minor,
                 currency, reason, status, failure_reason, note, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'made in Stripe''s dashboard', $10, $11)
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(&id)
        .bind(&order.id)
        .bind(payment_intent)
        .bind(&refund.id)
        .bind(refund.amount)
        .bind(&refund.currency)
        .bind(reason)
        .bind(&refund.status)
        .bind(&refund.failure_reason)
        .bind(refund.created)
        .bind(now)
    )
    .map_err(database_error("adding a refund made in Stripe"))?;
    Ok(Some(Matched {
        id,
        changed: true,
        by_dashboard: true,
    }))
}

/// Puts a succeeded refund's chosen units back on the shelf, once.
async fn restock(tx: &mut Tx, refund_id: &str, now: UnixTime) -> Result<bool, StoreError> {
    let first = execute!(
        tx,
        sqlx::query("UPDATE refunds SET restocked_at = $2 WHERE id = $1 AND restocked_at IS NULL")
            .bind(refund_id)
            .bind(now)
    )
    .map_err(database_error("marking a refund restocked"))?;
    if first == 0 {
        return Ok(false);
    }
    let moved = execute!(
        tx,
        sqlx::query(
            "UPDATE products SET stock = stock + (SELECT s.quantity FROM refund_restocks s
                 WHERE s.refund_id = $1 AND s.product_id = products.id)
             WHERE id IN (SELECT product_id FROM refund_restocks WHERE refund_id = $1)",
        )
        .bind(refund_id)
    )
    .map_err(database_error("restocking a refund's units"))?;
    Ok(moved > 0)
}

/// The timeline's words for a refund Stripe reported.
fn refund_entry(refund: &Refund, by_dashboard: bool) -> String {
    let amount = describe_minor(refund.amount, &refund.currency);
    let origin = if by_dashboard {
        " (made in Stripe's dashboard)"
    } else {
        ""
    };
    match (refund.status.as_str(), refund.failure_reason.as_deref()) {
        ("failed", Some(why)) => format!("refund {} of {amount} failed: {why}{origin}", refund.id),
        (status, _) => format!("refund {} of {amount} {status}{origin}", refund.id),
    }
}

/// Every refund of an order, newest first, read in `tx`.
pub(super) async fn refunds_of(tx: &mut Tx, order_id: &str) -> Result<Vec<RefundRow>, ShopError> {
    Ok(fetch_all!(
        tx,
        sqlx::query_as(
            "SELECT id, payment_intent, stripe_id, amount_minor, currency, reason, status,
                 failure_reason, requested_by, note, created_at
             FROM refunds WHERE order_id = $1 ORDER BY created_at DESC, id DESC",
        )
        .bind(order_id)
    )
    .map_err(database_error("reading an order's refunds"))?)
}

/// Every dispute of an order, newest first, read in `tx`.
pub(super) async fn disputes_of(tx: &mut Tx, order_id: &str) -> Result<Vec<DisputeRow>, ShopError> {
    Ok(fetch_all!(
        tx,
        sqlx::query_as(
            "SELECT id, payment_intent, amount_minor, currency, reason, status,
                 evidence_due_by, created_at
             FROM disputes WHERE order_id = $1 ORDER BY created_at DESC, id DESC",
        )
        .bind(order_id)
    )
    .map_err(database_error("reading an order's disputes"))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeline_entries_name_the_refund_its_amount_and_origin() {
        let refund = Refund {
            id: "re_1".into(),
            amount: 1250,
            currency: "usd".into(),
            status: "failed".into(),
            reason: None,
            failure_reason: Some("lost_or_stolen_card".into()),
            payment_intent: Some("pi_1".into()),
            metadata: Default::default(),
            created: 0,
        };
        assert_eq!(
            refund_entry(&refund, false),
            "refund re_1 of $12.50 failed: lost_or_stolen_card"
        );
        let dashboard = Refund {
            status: "succeeded".into(),
            ..refund
        };
        assert_eq!(
            refund_entry(&dashboard, true),
            "refund re_1 of $12.50 succeeded (made in Stripe's dashboard)"
        );
    }
}
