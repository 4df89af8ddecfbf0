//! What operators read and the few things they change by hand: the orders list (those
//! that need a person first), one order whole, the inbox and the command queue. Every
//! change here writes the order's timeline with the operator's name.

use super::{
    database_error,
    engine::{execute, fetch_all, fetch_one, fetch_optional, write_transaction},
    orders::timeline_by,
    refunds::{DisputeRow, RefundRow},
    Store, UnixTime,
};
use crate::domain::ShopError;
use sqlx::FromRow;

/// Statuses an operator can filter by (drafts are checkouts in progress: shown only
/// when asked for).
pub const ORDER_STATUSES: [&str; 7] = [
    "needs_review",
    "awaiting_payment",
    "processing",
    "paid",
    "payment_failed",
    "canceled",
    "draft",
];

/// Disputes that are still open (not `won`, `lost` or a closed warning).
const OPEN_DISPUTE: &str = "d.status NOT IN ('won', 'lost', 'warning_closed', 'prevented')";

/// The orders list's filter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrderFilter {
    /// One of [`ORDER_STATUSES`].
    pub status: Option<String>,
    /// An email, an `R…` reference, an order id or a `pi_` id (exact).
    pub search: Option<String>,
}

/// Where a page of the list starts: after this row (keyset pagination, so a page never
/// shifts when orders arrive meanwhile).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderCursor {
    pub attention: i64,
    pub created_at: UnixTime,
    pub id: String,
}

impl OrderCursor {
    /// `attention.created_at.id`, as it travels in a link.
    pub fn encode(&self) -> String {
        format!("{}.{}.{}", self.attention, self.created_at, self.id)
    }

    /// The cursor in `raw`, if it is one.
    pub fn decode(raw: &str) -> Option<Self> {
        let mut parts = raw.splitn(3, '.');
        let attention = parts.next()?.parse().ok()?;
        let created_at = parts.next()?.parse().ok()?;
        let id = parts.next()?;
        let plausible = !id.is_empty()
            && id.len() <= 64
            && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        plausible.then(|| Self {
            attention,
            created_at,
            id: id.to_owned(),
        })
    }
}

/// A row of the orders list.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct OrderSummary {
    pub id: String,
    pub reference: Option<String>,
    pub status: String,
    pub email: Option<String>,
    pub total_minor: i64,
    pub currency: String,
    pub created_at: UnixTime,
    /// 1 when it needs a person (in review, or disputed).
    pub attention: i64,
    pub disputed: i64,
    pub received_minor: i64,
    pub refunded_minor: i64,
}

impl OrderSummary {
    /// The cursor of the page after this row.
    pub fn cursor(&self) -> OrderCursor {
        OrderCursor {
            attention: self.attention,
            created_at: self.created_at,
            id: self.id.clone(),
        }
    }
}

/// One order, whole.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct OrderRecord {
    pub id: String,
    pub reference: Option<String>,
    pub status: String,
    pub currency: String,
    pub subtotal_minor: i64,
    pub shipping_minor: i64,
    /// The tax line: `none`, `pending` or the kind (`vat`), its rate and amount.
    pub tax: String,
    pub tax_rate_bp: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    pub shipping_option: String,
    pub email: Option<String>,
    pub full_name: Option<String>,
    pub address_line1: Option<String>,
    pub address_line2: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    pub created_at: UnixTime,
    pub updated_at: UnixTime,
}

/// A line as it was locked.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct LineRecord {
    pub product_id: String,
    pub name: String,
    pub unit_price_minor: i64,
    pub quantity: i64,
    pub line_total_minor: i64,
}

/// One of the order's PaymentIntents.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct PaymentRecord {
    pub id: String,
    pub amount_minor: i64,
    pub amount_received_minor: i64,
    pub currency: String,
    pub is_current: i64,
    pub created_at: UnixTime,
}

/// A timeline entry.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct TimelineEntry {
    pub at: UnixTime,
    pub entry: String,
    /// The operator who wrote it; `None` for the shop itself.
    pub actor: Option<String>,
}

/// An email of the order.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct EmailRecord {
    pub id: String,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub sent_at: Option<UnixTime>,
    pub attempts: i64,
    pub last_error: Option<String>,
}

/// Everything the order page shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderDetail {
    pub order: OrderRecord,
    pub lines: Vec<LineRecord>,
    pub payments: Vec<PaymentRecord>,
    pub refunds: Vec<RefundRow>,
    pub disputes: Vec<DisputeRow>,
    pub emails: Vec<EmailRecord>,
    pub timeline: Vec<TimelineEntry>,
}

impl OrderDetail {
    /// What Stripe reported received, over every PaymentIntent.
    pub fn received_minor(&self) -> i64 {
        self.payments.iter().map(|p| p.amount_received_minor).sum()
    }

    /// What was refunded (succeeded refunds only): derived, never stored.
    pub fn refunded_minor(&self) -> i64 {
        self.refunds
            .iter()
            .filter(|r| r.status == "succeeded")
            .map(|r| r.amount_minor)
            .sum()
    }

    /// "refunded", "partially refunded", or none: beside the status, never instead.
    pub fn refund_state(&self) -> Option<&'static str> {
        refund_state(self.received_minor(), self.refunded_minor())
    }
}

/// The refund dimension of an order that received `received` and refunded `refunded`.
pub fn refund_state(received: i64, refunded: i64) -> Option<&'static str> {
    match refunded {
        0 => None,
        refunded if refunded >= received => Some("refunded"),
        _ => Some("partially refunded"),
    }
}

/// An inbox event or a Stripe command that needs a look.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct WorkItem {
    pub id: String,
    pub kind: String,
    pub payment_intent: Option<String>,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub at: UnixTime,
}

/// How an operator resolves an order in review.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolution {
    /// The goods went out by hand (or the payment was fine after all): `paid`.
    Fulfilled,
    /// Nothing more is owed either way (refunded, or never paid): `canceled`.
    Closed,
}

impl Resolution {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "fulfilled" => Some(Resolution::Fulfilled),
            "closed" => Some(Resolution::Closed),
            _ => None,
        }
    }

    fn status(self) -> &'static str {
        match self {
            Resolution::Fulfilled => "paid",
            Resolution::Closed => "canceled",
        }
    }
}

impl Store {
    /// A page of orders: in review or disputed first, then newest; at most `limit`,
    /// plus whether more follow.
    pub async fn admin_orders(
        &self,
        filter: &OrderFilter,
        after: Option<&OrderCursor>,
        limit: i64,
    ) -> Result<(Vec<OrderSummary>, bool), ShopError> {
        let status_clause = match &filter.status {
            Some(_) => "o.status = $1",
            None => "o.status <> 'draft' AND $1 IS NULL",
        };
        let sql = format!(
            "SELECT * FROM (
                 SELECT o.id, o.reference, o.status, o.email, o.total_minor, o.currency,
                     o.created_at,
                     CAST(CASE WHEN o.status = 'needs_review' OR EXISTS (SELECT 1 FROM disputes d
                         WHERE d.order_id = o.id AND {OPEN_DISPUTE}) THEN 1 ELSE 0 END AS BIGINT)
                         AS attention,
                     CAST(CASE WHEN EXISTS (SELECT 1 FROM disputes d WHERE d.order_id = o.id)
                         THEN 1 ELSE 0 END AS BIGINT) AS disputed,
                     CAST(COALESCE((SELECT SUM(p.amount_received_minor) FROM order_payment_intents p
                         WHERE p.order_id = o.id), 0) AS BIGINT) AS received_minor,
                     CAST(COALESCE((SELECT SUM(r.amount_minor) FROM refunds r
                         WHERE r.order_id = o.id AND r.status = 'succeeded'), 0) AS BIGINT)
                         AS refunded_minor
                 FROM orders o
                 WHERE {status_clause}
                   AND ($2 IS NULL OR o.reference = $2 OR o.id = $2 OR LOWER(o.email) = LOWER($2)
                        OR o.id IN (SELECT p.order_id FROM order_payment_intents p WHERE p.id = $2))
             ) t
             WHERE $3 IS NULL OR t.attention < $4
                OR (t.attention = $4 AND (t.created_at < $5 OR (t.created_at = $5 AND t.id < $3)))
             ORDER BY t.attention DESC, t.created_at DESC, t.id DESC
             LIMIT $6"
        );
        let mut rows: Vec<OrderSummary> = fetch_all!(
            self.pool,
            sqlx::query_as(&sql)
                .bind(filter.status.as_deref())
                .bind(filter.search.as_deref())
                .bind(after.map(|cursor| cursor.id.as_str()))
                .bind(after.map_or(0, |cursor| cursor.attention))
                .bind(after.map_or(0, |cursor| cursor.created_at))
                .bind(limit + 1)
        )
        .map_err(database_error("listing orders"))?;
        let more = rows.len() as i64 > limit;
        rows.truncate(usize::try_from(limit).unwrap_or(0));
        Ok((rows, more))
    }

    /// One order with everything the operator's page shows; `None` if there is none.
    ///
    /// Read in one transaction: the page must never show a refund's timeline entry
    /// without the email the same commit queued (a read between two commits did).
    pub async fn admin_order(&self, order_id: &str) -> Result<Option<OrderDetail>, ShopError> {
        let mut tx = self
            .pool
            .begin_read()
            .await
            .map_err(database_error("starting a read"))?;
        let order: Option<OrderRecord> = fetch_optional!(
            tx,
            sqlx::query_as(
                "SELECT id, reference, status, currency, subtotal_minor, shipping_minor,
                     tax, tax_rate_bp, tax_minor, total_minor, shipping_option, email, full_name, address_line1,
                     address_line2, city, region, postal_code, country, created_at, updated_at
                 FROM orders WHERE id = $1",
            )
            .bind(order_id)
        )
        .map_err(database_error("reading an order"))?;
        let Some(order) = order else {
            return Ok(None);
        };
        let lines = fetch_all!(
            tx,
            sqlx::query_as(
                "SELECT product_id, name, unit_price_minor, CAST(quantity AS BIGINT) AS quantity,
                     line_total_minor
                 FROM order_lines WHERE order_id = $1 ORDER BY position",
            )
            .bind(order_id)
        )
        .map_err(database_error("reading an order's lines"))?;
        let payments = fetch_all!(
            tx,
            sqlx::query_as(
                "SELECT id, amount_minor, amount_received_minor, currency,
                     CAST(is_current AS BIGINT) AS is_current, created_at
                 FROM order_payment_intents WHERE order_id = $1
                 ORDER BY created_at DESC, generation DESC",
            )
            .bind(order_id)
        )
        .map_err(database_error("reading an order's payments"))?;
        let emails = fetch_all!(
            tx,
            sqlx::query_as(
                "SELECT id, kind, recipient, subject, sent_at, CAST(attempts AS BIGINT) AS attempts,
                     last_error
                 FROM outbox WHERE order_id = $1 ORDER BY created_at, id",
            )
            .bind(order_id)
        )
        .map_err(database_error("reading an order's emails"))?;
        let timeline = fetch_all!(
            tx,
            sqlx::query_as(
                "SELECT at, entry, actor FROM order_timeline WHERE order_id = $1 ORDER BY id",
            )
            .bind(order_id)
        )
        .map_err(database_error("reading an order's timeline"))?;
        let refunds = super::refunds::refunds_of(&mut tx, order_id).await?;
        let disputes = super::refunds::disputes_of(&mut tx, order_id).await?;
        tx.commit()
            .await
            .map_err(database_error("finishing a read"))?;
        Ok(Some(OrderDetail {
            order,
            lines,
            payments,
            refunds,
            disputes,
            emails,
            timeline,
        }))
    }

    /// Resolves an order in review, with the operator's note on the timeline:
    /// - fulfilled: it becomes `paid` and is fulfilled as a payment would fulfil it
    ///   (stock taken, the confirmation emailed), so it needs money received and its
    ///   lines on the shelf;
    /// - closed: it becomes `canceled`, only once nothing received is left unrefunded
    ///   (a refund still on its way counts as not yet given back).
    ///
    /// Refused unless the order is in review.
    pub async fn resolve_review(
        &self,
        order_id: &str,
        resolution: Resolution,
        note: &str,
        operator: &str,
        now: UnixTime,
    ) -> Result<(), ShopError> {
        let resolved = write_transaction!(self, "resolving an order in review", |tx| {
            let money = order_money(&mut tx, order_id).await?;
            match resolution {
                Resolution::Closed if money.received > money.given_back => {
                    return Err(ShopError::BadRequest(format!(
                        "Refund what was received first: {} is not refunded yet.",
                        crate::domain::describe_minor(
                            money.received - money.given_back,
                            &money.currency
                        )
                    ))
                    .into());
                }
                Resolution::Fulfilled if !has_lines(&mut tx, order_id).await? => {
                    return Err(ShopError::BadRequest(
                        "This order has no locked lines (it was paid without the checkout's submit step): there is nothing the shop can fulfil. Refund it, then close it."
                            .into(),
                    )
                    .into());
                }
                // Goods go out only for what is paid and kept: never for an underpaid
                // order, nor one whose money is (being) given back.
                Resolution::Fulfilled if money.received - money.refunding < money.total => {
                    return Err(ShopError::BadRequest(format!(
                        "Only {} of its {} total is paid and not refunded: refund it and close it instead.",
                        crate::domain::describe_minor((money.received - money.refunding).max(0), &money.currency),
                        crate::domain::describe_minor(money.total, &money.currency),
                    ))
                    .into());
                }
                _ => {}
            }
            let moved = execute!(
                tx,
                sqlx::query(
                    "UPDATE orders SET status = $2, resolved_at = $3, updated_at = $3
                     WHERE id = $1 AND status = 'needs_review'",
                )
                .bind(order_id)
                .bind(resolution.status())
                .bind(now)
            )
            .map_err(database_error("resolving an order"))?;
            if moved == 0 {
                return Err(ShopError::BadRequest(
                    "This order is not in review (any more).".into(),
                )
                .into());
            }
            if resolution == Resolution::Closed {
                // Nothing more may be paid on a closed order: its PaymentIntents that
                // received nothing are cancelled (a card's authorisation released).
                for payment_intent in unpaid_payment_intents(&mut tx, order_id).await? {
                    super::commands::queue_cancel(
                        &mut tx,
                        &payment_intent,
                        order_id,
                        "closed by an operator",
                        now,
                    )
                    .await?;
                }
            }
            if resolution == Resolution::Fulfilled {
                if let Some(short) =
                    super::fulfilment::fulfil_by_hand(&mut tx, order_id, &self.shop_url, now)
                        .await?
                {
                    return Err(ShopError::BadRequest(format!(
                        "The shelf cannot cover {short}: restock it first, or refund and close."
                    ))
                    .into());
                }
            }
            let entry = format!(
                "needs_review -> {}: resolved by hand: {note}",
                resolution.status()
            );
            timeline_by(&mut tx, order_id, now, &entry, Some(operator)).await?;
            Ok(())
        });
        if resolved.is_ok() && resolution == Resolution::Fulfilled {
            // Units left the shelf: the catalog shows it at once.
            self.catalog.changed();
        }
        resolved
    }

    /// Sends one of the order's emails again (the same message, Message-ID included).
    pub async fn resend_email(
        &self,
        order_id: &str,
        email_id: &str,
        operator: &str,
        now: UnixTime,
    ) -> Result<(), ShopError> {
        write_transaction!(self, "resending an email", |tx| {
            let subject: Option<String> = fetch_optional!(
                tx,
                sqlx::query_scalar(
                    "UPDATE outbox SET sent_at = NULL, next_attempt_at = $3, last_error = NULL
                     WHERE id = $1 AND order_id = $2 RETURNING subject",
                )
                .bind(email_id)
                .bind(order_id)
                .bind(now)
            )
            .map_err(database_error("re-queueing an email"))?;
            let Some(subject) = subject else {
                return Err(
                    ShopError::BadRequest("That email is not one of this order's.".into()).into(),
                );
            };
            let entry = format!("email \"{subject}\" sent again");
            timeline_by(&mut tx, order_id, now, &entry, Some(operator)).await?;
            Ok(())
        })
    }

    /// Inbox events that are waiting or parked, parked first, oldest first.
    pub async fn events_needing_attention(&self, limit: i64) -> Result<Vec<WorkItem>, ShopError> {
        Ok(fetch_all!(
            self.pool,
            sqlx::query_as(
                "SELECT id, type AS kind, payment_intent, status, CAST(attempts AS BIGINT) AS attempts,
                     last_error, received_at AS at
                 FROM webhook_events WHERE status IN ('parked', 'pending')
                 ORDER BY CASE WHEN status = 'parked' THEN 0 ELSE 1 END, received_at, id
                 LIMIT $1",
            )
            .bind(limit)
        )
        .map_err(database_error("listing events"))?)
    }

    /// Stripe commands waiting or parked, parked first, oldest first.
    pub async fn commands_needing_attention(&self, limit: i64) -> Result<Vec<WorkItem>, ShopError> {
        Ok(fetch_all!(
            self.pool,
            sqlx::query_as(
                "SELECT id, kind, payment_intent, status, CAST(attempts AS BIGINT) AS attempts,
                     last_error, created_at AS at
                 FROM stripe_commands WHERE status IN ('parked', 'pending')
                 ORDER BY CASE WHEN status = 'parked' THEN 0 ELSE 1 END, created_at, id
                 LIMIT $1",
            )
            .bind(limit)
        )
        .map_err(database_error("listing Stripe commands"))?)
    }

    /// Puts a parked (or waiting) event back in the queue for now, noted on its
    /// order's timeline when it has one.
    pub async fn retry_event_now(
        &self,
        id: &str,
        operator: &str,
        now: UnixTime,
    ) -> Result<(), ShopError> {
        self.retry_now(
            "UPDATE webhook_events SET status = 'pending', next_attempt_at = $2,
                 lease_until = CASE WHEN status = 'parked' THEN 0 ELSE lease_until END
             WHERE id = $1 AND status IN ('parked', 'pending') RETURNING payment_intent",
            id,
            "event",
            operator,
            now,
        )
        .await
    }

    /// Puts a parked (or waiting) Stripe command back in the queue for now.
    pub async fn retry_command_now(
        &self,
        id: &str,
        operator: &str,
        now: UnixTime,
    ) -> Result<(), ShopError> {
        self.retry_now(
            "UPDATE stripe_commands SET status = 'pending', next_attempt_at = $2,
                 lease_until = CASE WHEN status = 'parked' THEN 0 ELSE lease_until END
             WHERE id = $1 AND status IN ('parked', 'pending') RETURNING payment_intent",
            id,
            "Stripe command",
            operator,
            now,
        )
        .await
    }

    async fn retry_now(
        &self,
        sql: &'static str,
        id: &str,
        what: &str,
        operator: &str,
        now: UnixTime,
    ) -> Result<(), ShopError> {
        write_transaction!(self, "retrying work by hand", |tx| {
            let payment_intent: Option<Option<String>> =
                fetch_optional!(tx, sqlx::query_scalar(sql).bind(id).bind(now))
                    .map_err(database_error("re-queueing work"))?;
            let Some(payment_intent) = payment_intent else {
                return Err(ShopError::BadRequest(format!(
                    "That {what} is not waiting or parked."
                ))
                .into());
            };
            let order: Option<String> = match payment_intent {
                Some(pi) => fetch_optional!(
                    tx,
                    sqlx::query_scalar("SELECT order_id FROM order_payment_intents WHERE id = $1")
                        .bind(pi)
                )
                .map_err(database_error("finding a payment's order"))?,
                None => None,
            };
            if let Some(order) = order {
                let entry = format!("{what} {id} retried by hand");
                timeline_by(&mut tx, &order, now, &entry, Some(operator)).await?;
            }
            Ok(())
        })
    }

    /// Writes an operator's action on the order's timeline (one that changes nothing
    /// else here, such as a re-check with Stripe).
    pub async fn note_action(
        &self,
        order_id: &str,
        entry: &str,
        operator: &str,
        now: UnixTime,
    ) -> Result<(), ShopError> {
        write_transaction!(self, "noting an operator's action", |tx| {
            timeline_by(&mut tx, order_id, now, entry, Some(operator)).await
        })
    }

    /// PaymentIntents with a refund still pending at Stripe since before `before`:
    /// re-read by the reconciler, in case their events never come.
    pub async fn pending_refund_payments(
        &self,
        before: UnixTime,
        limit: i64,
    ) -> Result<Vec<String>, ShopError> {
        Ok(fetch_all!(
            self.pool,
            sqlx::query_scalar(
                "SELECT DISTINCT payment_intent FROM refunds
                 WHERE status IN ('pending', 'requires_action') AND updated_at <= $1
                 LIMIT $2",
            )
            .bind(before)
            .bind(limit)
        )
        .map_err(database_error("listing pending refunds"))?)
    }

    /// Every PaymentIntent of an order, for a re-check with Stripe.
    pub async fn order_payment_intents(&self, order_id: &str) -> Result<Vec<String>, ShopError> {
        Ok(fetch_all!(
            self.pool,
            sqlx::query_scalar(
                "SELECT id FROM order_payment_intents WHERE order_id = $1 ORDER BY created_at",
            )
            .bind(order_id)
        )
        .map_err(database_error("reading an order's payments"))?)
    }
}

/// An order's money: its total, what Stripe reported received, what went back
/// (succeeded refunds, and disputes lost), and what is going back (refunds requested or
/// pending too).
struct OrderMoney {
    currency: String,
    total: i64,
    received: i64,
    given_back: i64,
    refunding: i64,
}

async fn order_money(
    tx: &mut super::engine::Tx,
    order_id: &str,
) -> Result<OrderMoney, super::StoreError> {
    let (currency, total, received, refunded, refunding, lost): (String, i64, i64, i64, i64, i64) =
        fetch_one!(
            tx,
            sqlx::query_as(
                "SELECT o.currency, o.total_minor,
                 CAST(COALESCE((SELECT SUM(p.amount_received_minor) FROM order_payment_intents p
                     WHERE p.order_id = o.id), 0) AS BIGINT),
                 CAST(COALESCE((SELECT SUM(r.amount_minor) FROM refunds r
                     WHERE r.order_id = o.id AND r.status = 'succeeded'), 0) AS BIGINT),
                 CAST(COALESCE((SELECT SUM(r.amount_minor) FROM refunds r
                     WHERE r.order_id = o.id
                       AND r.status IN ('requested', 'pending', 'requires_action', 'succeeded')), 0)
                     AS BIGINT),
                 CAST(COALESCE((SELECT SUM(d.amount_minor) FROM disputes d
                     WHERE d.order_id = o.id AND d.status = 'lost'), 0) AS BIGINT)
             FROM orders o WHERE o.id = $1",
            )
            .bind(order_id)
        )
        .map_err(database_error("adding up an order's money"))?;
    Ok(OrderMoney {
        currency,
        total,
        received,
        given_back: refunded + lost,
        refunding: refunding + lost,
    })
}

/// The order's PaymentIntents that received nothing.
async fn unpaid_payment_intents(
    tx: &mut super::engine::Tx,
    order_id: &str,
) -> Result<Vec<String>, super::StoreError> {
    fetch_all!(
        tx,
        sqlx::query_scalar(
            "SELECT id FROM order_payment_intents
             WHERE order_id = $1 AND amount_received_minor = 0",
        )
        .bind(order_id)
    )
    .map_err(database_error("reading an order's payments"))
}

/// Whether the order has locked lines (a submitted order does; a draft paid without
/// the submit step may not).
async fn has_lines(tx: &mut super::engine::Tx, order_id: &str) -> Result<bool, super::StoreError> {
    let found: Option<String> = fetch_optional!(
        tx,
        sqlx::query_scalar("SELECT product_id FROM order_lines WHERE order_id = $1 LIMIT 1")
            .bind(order_id)
    )
    .map_err(database_error("reading an order's lines"))?;
    Ok(found.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_travel_and_refuse_anything_else() {
        let cursor = OrderCursor {
            attention: 1,
            created_at: 1_765_000_000,
            id: "ord_abc123".into(),
        };
        assert_eq!(OrderCursor::decode(&cursor.encode()), Some(cursor));
        for bad in [
            "",
            "1.2",
            "x.2.ord_1",
            "1.2.ord 1",
            "1.2.",
            "1.2.ord_1;DROP",
        ] {
            assert_eq!(OrderCursor::decode(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn refunds_are_a_dimension_beside_the_status() {
        assert_eq!(refund_state(5000, 0), None);
        assert_eq!(refund_state(5000, 1200), Some("partially refunded"));
        assert_eq!(refund_state(5000, 5000), Some("refunded"));
    }
}
