//! The webhook inbox, the transition applied with its side effects in one
//! transaction, the mail outbox, and what the reconciler looks at.

use super::{
    commands::queue_cancel,
    corrupt, database_error,
    engine::{
        execute, fetch_all, fetch_one, fetch_optional, on, write_transaction, InboxWriter, Tx,
    },
    holds::{extend_holds, held_by_others, release_holds},
    leases::Claim,
    mail::{queue_email, QueuedEmail},
    orders::{copy_delivery, copy_lines, timeline},
    priced_lines, Store, StoreError, UnixTime,
};
use crate::{
    domain::{Destination, OrderStatus, ShopError},
    i18n::Locale,
    server::crash_point,
    server::fulfilment::emails::{self, Email},
    server::fulfilment::transition::{transition, OrderFacts, PaymentFacts, Transition},
    server::stripe::PaymentIntentStatus,
};
use sqlx::FromRow;

/// A verified event as the webhook route stores it.
#[derive(Clone, Debug)]
pub struct InboxEvent {
    pub id: String,
    pub kind: String,
    pub livemode: bool,
    pub payment_intent: Option<String>,
    pub payload: String,
    /// `pending` to be applied, `skipped` to be kept for the record only.
    pub skipped: bool,
}

/// An event the worker should apply now.
#[derive(Clone, Debug, FromRow)]
pub struct DueEvent {
    pub id: String,
    #[sqlx(rename = "type")]
    pub kind: String,
    pub payment_intent: Option<String>,
    pub attempts: i64,
    pub received_at: UnixTime,
}

/// A PaymentIntent the reconciler should re-read, and its order.
#[derive(Clone, Debug, FromRow)]
pub struct ToReconcile {
    pub order_id: String,
    pub payment_intent: String,
    /// When the order was last claimed by a pass.
    pub reconciled_at: UnixTime,
}

/// What applying a PaymentIntent did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Applied {
    /// No order of ours names it.
    NotOurs,
    /// The transition ran (possibly changing nothing).
    Done {
        order_id: String,
        from: OrderStatus,
        to: OrderStatus,
        fulfilled: bool,
    },
}

/// An email waiting to be sent.
#[derive(Clone, Debug, FromRow)]
pub struct OutboxMail {
    pub id: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    /// The HTML part (none on emails queued before there was one).
    pub html_body: Option<String>,
    pub attempts: i64,
    pub created_at: UnixTime,
}

#[derive(FromRow)]
struct OrderRow {
    id: String,
    cart_id: String,
    status: String,
    cart_version: i64,
    total_minor: i64,
    currency: String,
    email: Option<String>,
    /// The shopper's language at submit: the emails are written in it.
    locale: String,
}

impl OrderRow {
    /// The language to write to the shopper in (English for anything unknown).
    fn language(&self) -> Locale {
        self.locale.parse().unwrap_or_default()
    }
}

/// The inbox's events due for the worker.
const DUE_EVENTS: Claim = Claim {
    table: "webhook_events",
    due: "status = 'pending' AND next_attempt_at <= $3",
    order: "received_at, id",
    columns: "id, type, payment_intent, attempts, received_at",
    doing: "claiming due events",
};

/// The outbox's unsent emails that are due.
const DUE_MAIL: Claim = Claim {
    table: "outbox",
    due: "sent_at IS NULL AND next_attempt_at <= $3",
    order: "created_at, id",
    columns: "id, recipient, subject, body, html_body, attempts, created_at",
    doing: "claiming due emails",
};

/// How long a processing payment keeps its goods: bank debits (SEPA, ACH) settle in
/// days, and the money is already on its way.
const PROCESSING_HOLD_SECS: i64 = 14 * 24 * 3600;

/// Rows per `INSERT`: 8 parameters each stays far below SQLite's 32,766 and
/// PostgreSQL's 65,535.
const ROWS_PER_INSERT: usize = 1000;

/// Writes a batch of verified events atomically with the inbox's `writer`: a duplicate
/// id, within the batch or already stored, is a no-op.
///
/// The batch goes in as one multi-row `INSERT`, which commits atomically on its own:
/// one statement is one round trip (to SQLite's thread, or PostgreSQL's server) where
/// a statement per event (plus `BEGIN` and `COMMIT`) would be many.
pub async fn insert_events(
    writer: &mut InboxWriter,
    events: &[InboxEvent],
    now: UnixTime,
) -> Result<(), sqlx::Error> {
    if events.is_empty() {
        return Ok(());
    }
    if events.len() <= ROWS_PER_INSERT {
        return on!(writer, |e| insert_rows!(e, events, now));
    }
    on!(writer, |e| {
        let mut tx = sqlx::Acquire::begin(e).await?;
        for chunk in events.chunks(ROWS_PER_INSERT) {
            insert_rows!(&mut *tx, chunk, now)?;
        }
        tx.commit().await
    })
}

/// One multi-row `INSERT` of `$events` on `$executor` (of either engine).
macro_rules! insert_rows {
    ($executor:expr, $events:expr, $now:expr) => {{
        let mut insert = sqlx::QueryBuilder::new(
            "INSERT INTO webhook_events
             (id, type, livemode, payment_intent, payload, status, next_attempt_at, received_at) ",
        );
        insert.push_values($events, |mut row, event: &InboxEvent| {
            row.push_bind(&event.id)
                .push_bind(&event.kind)
                .push_bind(event.livemode)
                .push_bind(&event.payment_intent)
                .push_bind(&event.payload)
                .push_bind(if event.skipped { "skipped" } else { "pending" })
                .push_bind($now)
                .push_bind($now);
        });
        insert.push(" ON CONFLICT (id) DO NOTHING");
        insert.build().execute($executor).await.map(|_| ())
    }};
}
use insert_rows;

impl Store {
    /// Claims events due for the worker (see [`leases`](super::leases)), oldest first.
    pub async fn due_events(&self, now: UnixTime, limit: i64) -> Result<Vec<DueEvent>, ShopError> {
        let mut due: Vec<DueEvent> = self.claim(&DUE_EVENTS, now, limit).await?;
        due.sort_by(|a, b| (a.received_at, &a.id).cmp(&(b.received_at, &b.id)));
        Ok(due)
    }

    /// Marks an event this instance claimed done (`processed` or `skipped`). One whose
    /// lease passed to another instance is theirs to finish: nothing changes.
    pub async fn finish_event(
        &self,
        id: &str,
        status: &str,
        now: UnixTime,
    ) -> Result<(), ShopError> {
        execute!(
            self.pool,
            sqlx::query(
                "UPDATE webhook_events SET status = $2, processed_at = $3, lease_until = 0
                 WHERE id = $1 AND claimed_by = $4",
            )
            .bind(id)
            .bind(status)
            .bind(now)
            .bind(&*self.instance)
        )
        .map_err(database_error("finishing an event"))?;
        Ok(())
    }

    /// Records a failed attempt at an event this instance claimed: retried at
    /// `next_attempt_at` (by whichever instance claims it then), or parked with its
    /// error when `park` (never dropped).
    pub async fn retry_event(
        &self,
        id: &str,
        error: &str,
        next_attempt_at: UnixTime,
        park: bool,
    ) -> Result<(), ShopError> {
        execute!(
            self.pool,
            sqlx::query(
                "UPDATE webhook_events SET attempts = attempts + 1, last_error = $2,
                     next_attempt_at = $3, status = CASE WHEN $4 THEN 'parked' ELSE status END,
                     lease_until = 0
                 WHERE id = $1 AND claimed_by = $5",
            )
            .bind(id)
            .bind(error)
            .bind(next_attempt_at)
            .bind(park)
            .bind(&*self.instance)
        )
        .map_err(database_error("rescheduling an event"))?;
        Ok(())
    }

    /// Feeds `payment` (as Stripe reports it now) to the transition function and
    /// commits the result with every side effect in one transaction: the new status,
    /// locked lines, stock, the cart, the outbox, the timeline, and `event` marked
    /// processed. Applying the same facts twice changes nothing the second time.
    #[tracing::instrument(
        skip(self, payment, event),
        fields(payment_intent = %payment.id, event = ?event.map(|e| &e.id))
    )]
    pub async fn apply_payment(
        &self,
        payment: &PaymentFacts,
        event: Option<&DueEvent>,
        now: UnixTime,
    ) -> Result<Applied, ShopError> {
        let outcome = write_transaction!(self, "applying a payment", |tx| {
            self.apply_steps(&mut tx, payment, event, now).await
        })?;
        self.stock_changed(outcome.stock_changed);
        if outcome.fulfilling {
            crash_point::reached("fulfil.committed");
        }
        if let Applied::Done {
            order_id, from, to, ..
        } = &outcome.applied
        {
            if to != from {
                tracing::info!(order = %order_id, from = from.as_str(), to = to.as_str(), "order moved");
            }
        }
        Ok(outcome.applied)
    }

    /// The steps of [`Store::apply_payment`], in its transaction: read what the
    /// transition needs, ask it, and carry out what it says.
    async fn apply_steps(
        &self,
        tx: &mut Tx,
        payment: &PaymentFacts,
        event: Option<&DueEvent>,
        now: UnixTime,
    ) -> Result<Outcome, StoreError> {
        let Some(mut order) = order_paid_by(tx, payment).await? else {
            return Ok(Outcome::not_ours());
        };
        let facts = order_facts(tx, &order).await?;
        let known = payment_record(tx, &payment.id, &order.id).await?;
        if known.is_none() {
            // metadata.order_id names our order, but we never made this PaymentIntent
            // (or its creation is still being recorded): it cannot move the order.
            tracing::warn!(order = %order.id, "a PaymentIntent this order does not know names it");
        } else {
            record_received(tx, payment).await?;
        }
        let mut step = transition(&facts, payment);
        // The fulfilment points stop only a transaction that fulfils an order.
        let fulfilling = step.fulfil;
        if fulfilling {
            crash_point::reached("fulfil.began");
        }
        if step.lock_lines {
            lock_lines(tx, &mut order, payment).await?;
        }
        if settles(payment, known, facts.status) && !settled_now(tx, &payment.id, now).await? {
            // Seen settled before: its timeline entry (and alarm) were written then.
            if known == Some(0) || facts.status == OrderStatus::NeedsReview {
                step.note = None;
                step.alarm = false;
            }
        }
        let effects = self.carry_out(tx, &order, step, now).await?;
        if let Some(event) = event {
            let current = facts.current_payment_intent.as_deref();
            self.finish_applied(tx, event, &order, payment, known, current, now)
                .await?;
        }
        if fulfilling {
            crash_point::reached("fulfil.before_commit");
        }
        Ok(Outcome {
            applied: Applied::Done {
                order_id: order.id,
                from: facts.status,
                to: effects.to,
                fulfilled: effects.fulfilled,
            },
            stock_changed: effects.stock_changed,
            fulfilling,
        })
    }

    /// Does what the transition decided for `order`: fulfil (or, sold out meanwhile,
    /// send it to review), queue the failure email, move it, note it.
    async fn carry_out(
        &self,
        tx: &mut Tx,
        order: &OrderRow,
        mut step: Transition,
        now: UnixTime,
    ) -> Result<Effects, StoreError> {
        if step.alarm {
            tracing::error!(order = %order.id, note = ?step.note, "ORDER NEEDS A PERSON: payment does not add up");
        }
        let from = OrderStatus::parse(&order.status).ok_or_else(|| corrupt("status"))?;
        // Fulfilling takes stock (or, sold out, releases the holds); other moves may
        // release holds. Either changes what the catalog shows.
        let mut stock_changed = step.fulfil;
        let mut fulfilled = false;
        if step.fulfil {
            match fulfil(tx, order, &self.shop_url, now).await? {
                None => fulfilled = true,
                Some(sold_out) => {
                    tracing::error!(order = %order.id, %sold_out, "ORDER NEEDS A PERSON: paid, but sold out meanwhile");
                    step = Transition {
                        to: Some(OrderStatus::NeedsReview),
                        note: Some(format!(
                            "paid, but {sold_out} sold out meanwhile: refund or restock"
                        )),
                        alarm: true,
                        ..Transition::default()
                    };
                }
            }
        }
        if step.notify_failure {
            let email = emails::payment_failed(&self.shop_url, order.language());
            queue_mail(tx, order, email, now).await?;
        }
        let to = step.to.unwrap_or(from);
        if to != from {
            stock_changed |= move_order(tx, &order.id, to, now).await?;
        }
        if let Some(note) = &step.note {
            timeline(tx, &order.id, now, note).await?;
        }
        Ok(Effects {
            to,
            fulfilled,
            stock_changed,
        })
    }

    /// Marks the applied `event` processed and, for a declined attempt on a payment
    /// the order knows, counts the decline.
    ///
    /// Every declined attempt counts toward the lock, not just the first one to move
    /// the order: a card tester confirming the same PaymentIntent again and again
    /// leaves the order in `payment_failed` but sends one event per attempt. The event
    /// itself says an attempt failed (signed by Stripe; the PaymentIntent may have
    /// moved on since), the inbox stores each event once, and it counts in the
    /// transaction that marks it processed, by its claimant only, so each counts
    /// exactly once. (A failure whose event was lost is not counted: a re-read shows a
    /// status, not attempts.)
    #[allow(clippy::too_many_arguments)]
    async fn finish_applied(
        &self,
        tx: &mut Tx,
        event: &DueEvent,
        order: &OrderRow,
        payment: &PaymentFacts,
        known: Option<i64>,
        current: Option<&str>,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        let marked = self.mark_processed(tx, event, now).await?;
        let declined = event.kind == "payment_intent.payment_failed";
        if marked && declined && known.is_some() {
            self.count_decline(tx, order, &payment.id, current, now)
                .await?;
        }
        Ok(())
    }

    /// Marks `event` processed, if this instance holds its claim: whether it did.
    async fn mark_processed(
        &self,
        tx: &mut Tx,
        event: &DueEvent,
        now: UnixTime,
    ) -> Result<bool, StoreError> {
        let marked = execute!(
            tx,
            sqlx::query(
                "UPDATE webhook_events SET status = 'processed', processed_at = $2, lease_until = 0
                 WHERE id = $1 AND claimed_by = $3 AND status = 'pending'",
            )
            .bind(&event.id)
            .bind(now)
            .bind(&*self.instance)
        )
        .map_err(database_error("finishing an event"))?;
        Ok(marked == 1)
    }

    /// Counts one declined attempt on `order` inside `tx`. Declines count within
    /// `window_secs` of the one before; past that the count starts again. At the
    /// threshold the cart's checkout pauses for the window and the PaymentIntents
    /// being tried are cancelled at Stripe (queued in this transaction): refusing
    /// only our own submit would leave the page's client secret confirmable straight
    /// at Stripe, as often as a card tester likes.
    async fn count_decline(
        &self,
        tx: &mut Tx,
        order: &OrderRow,
        payment_intent: &str,
        current: Option<&str>,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        let lock = self.failure_lock;
        let failures: i64 = fetch_one!(
            tx,
            sqlx::query_scalar(
                "UPDATE orders SET
                     failed_attempts = CASE WHEN last_failed_at IS NOT NULL AND last_failed_at > $3
                         THEN failed_attempts + 1 ELSE 1 END,
                     last_failed_at = $2
                 WHERE id = $1 RETURNING failed_attempts",
            )
            .bind(&order.id)
            .bind(now)
            .bind(now.saturating_sub(lock.window_secs))
        )
        .map_err(database_error("counting a failed attempt"))?;
        if failures < lock.max_failures {
            return Ok(());
        }
        pause_checkout(tx, order, now.saturating_add(lock.window_secs)).await?;
        let reason = "repeated declines: checkout paused (card testing?)";
        queue_cancel(tx, payment_intent, &order.id, reason, now).await?;
        if let Some(current) = current.filter(|current| *current != payment_intent) {
            queue_cancel(tx, current, &order.id, reason, now).await?;
        }
        if failures == lock.max_failures {
            tracing::warn!(order = %order.id, failures, "repeated declines: checkout paused and the PaymentIntent cancelled");
            let note = format!("{failures} declines in a row: checkout paused, payment cancelled");
            timeline(tx, &order.id, now, &note).await?;
        }
        Ok(())
    }

    /// Orders whose payment may have moved at Stripe without word reaching us, with
    /// a current PaymentIntent older than `before`, least recently reconciled first:
    /// (order id, PaymentIntent id). Those waiting on Stripe (`awaiting_payment`,
    /// `processing`) always, and first; a `draft` or `payment_failed` one only while
    /// its PaymentIntent is younger than `recent_since`, since a payment confirmed
    /// without the submit step pays those too (an abandoned cart is not re-read
    /// forever). Then superseded PaymentIntents, and those of cancelled orders,
    /// under a day old and not yet seen settled.
    pub async fn orders_to_reconcile(
        &self,
        before: UnixTime,
        recent_since: UnixTime,
        limit: i64,
    ) -> Result<Vec<ToReconcile>, ShopError> {
        // Superseded PaymentIntents count too, paid orders' included (a second charge),
        // and those of orders cancelled for a newer one, while young and not seen
        // settled: one paid from an old tab (its cancel failed, or raced the payment)
        // is money taken that no webhook may ever tell us about.
        fetch_all!(
            self.pool,
            sqlx::query_as(
                "SELECT o.id AS order_id, p.id AS payment_intent, o.reconciled_at FROM orders o
                 JOIN order_payment_intents p ON p.order_id = o.id
                 WHERE p.created_at <= $1
                   AND ((p.is_current = 1
                         AND (o.status IN ('awaiting_payment', 'processing')
                              OR (o.status IN ('draft', 'payment_failed') AND p.created_at >= $2)))
                        OR (p.settled_at IS NULL AND p.created_at >= $2
                            AND (p.is_current = 0 OR o.status = 'canceled')))
                 ORDER BY p.is_current = 1 AND o.status IN ('awaiting_payment', 'processing') DESC,
                     o.reconciled_at, o.id, p.id
                 LIMIT $3",
            )
            .bind(before)
            .bind(recent_since)
            .bind(limit)
        )
        .map_err(database_error("finding orders to reconcile"))
        .map_err(ShopError::from)
    }

    /// Claims `order` for one reconciler pass, unless another instance's pass did
    /// since `seen` (its `reconciled_at` as listed), or one claimed it less than
    /// `every` seconds ago: the claim moves `reconciled_at` to `now`, so the next
    /// passes, everywhere, go to the others first, and N instances re-read an order
    /// no more often than one would.
    pub async fn claim_reconciliation(
        &self,
        order: &str,
        seen: UnixTime,
        now: UnixTime,
        every: i64,
    ) -> Result<bool, ShopError> {
        let claimed = execute!(
            self.pool,
            sqlx::query(
                "UPDATE orders SET reconciled_at = $2
                 WHERE id = $1 AND reconciled_at = $3 AND reconciled_at <= $4",
            )
            .bind(order)
            .bind(now)
            .bind(seen)
            .bind(now.saturating_sub(every.max(1)))
        )
        .map_err(database_error("claiming an order to reconcile"))?;
        Ok(claimed == 1)
    }

    /// Claims unsent emails that are due, oldest first.
    pub async fn due_mail(&self, now: UnixTime, limit: i64) -> Result<Vec<OutboxMail>, ShopError> {
        let mut due: Vec<OutboxMail> = self.claim(&DUE_MAIL, now, limit).await?;
        due.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(due)
    }

    /// Marks an email sent, or schedules its next attempt.
    pub async fn mail_result(
        &self,
        id: &str,
        result: Result<(), String>,
        now: UnixTime,
        next_attempt_at: UnixTime,
    ) -> Result<(), ShopError> {
        match &result {
            Ok(()) => execute!(
                self.pool,
                sqlx::query(
                    "UPDATE outbox SET sent_at = $2, attempts = attempts + 1, lease_until = 0
                     WHERE id = $1 AND claimed_by = $3",
                )
                .bind(id)
                .bind(now)
                .bind(&*self.instance)
            ),
            Err(error) => execute!(
                self.pool,
                sqlx::query(
                    "UPDATE outbox SET attempts = attempts + 1, last_error = $2,
                         next_attempt_at = $3, lease_until = 0
                     WHERE id = $1 AND claimed_by = $4",
                )
                .bind(id)
                .bind(error)
                .bind(next_attempt_at)
                .bind(&*self.instance)
            ),
        }
        .map_err(database_error("recording a mail attempt"))?;
        Ok(())
    }
}

/// What [`Store::apply_payment`] did, for after its commit.
struct Outcome {
    applied: Applied,
    stock_changed: bool,
    fulfilling: bool,
}

impl Outcome {
    fn not_ours() -> Self {
        Outcome {
            applied: Applied::NotOurs,
            stock_changed: false,
            fulfilling: false,
        }
    }
}

/// What carrying out a transition did.
struct Effects {
    to: OrderStatus,
    fulfilled: bool,
    stock_changed: bool,
}

/// The order `payment` pays: the one we created the PaymentIntent for; metadata is
/// only a fallback (and the transition then checks the two agree).
async fn order_paid_by(
    tx: &mut Tx,
    payment: &PaymentFacts,
) -> Result<Option<OrderRow>, StoreError> {
    let recorded: Option<String> = fetch_optional!(
        tx,
        sqlx::query_scalar("SELECT order_id FROM order_payment_intents WHERE id = $1")
            .bind(&payment.id)
    )
    .map_err(database_error("finding a payment's order"))?;
    let Some(order_id) = recorded.or_else(|| payment.order_id.clone()) else {
        return Ok(None);
    };
    fetch_optional!(
        tx,
        sqlx::query_as(
            "SELECT id, cart_id, status, cart_version, total_minor, currency, email, locale
             FROM orders WHERE id = $1",
        )
        .bind(order_id)
    )
    .map_err(database_error("reading an order"))
}

/// What the transition function knows of `order`.
async fn order_facts(tx: &mut Tx, order: &OrderRow) -> Result<OrderFacts, StoreError> {
    let current_payment_intent: Option<String> = fetch_optional!(
        tx,
        sqlx::query_scalar(
            "SELECT id FROM order_payment_intents WHERE order_id = $1 AND is_current = 1",
        )
        .bind(&order.id)
    )
    .map_err(database_error("reading the current payment"))?;
    let cart: Option<(i64, String, String)> = fetch_optional!(
        tx,
        sqlx::query_as("SELECT version, tax_country, tax_region FROM carts WHERE id = $1")
            .bind(&order.cart_id)
    )
    .map_err(database_error("reading a cart"))?;
    let tax: String = fetch_one!(
        tx,
        sqlx::query_scalar("SELECT tax FROM orders WHERE id = $1").bind(&order.id)
    )
    .map_err(database_error("reading an order's tax"))?;
    // The cart's destination is what the draft was taxed for while their versions
    // match (a new destination is a new cart version).
    let draft_taxed_for = cart
        .as_ref()
        .filter(|_| tax != "pending")
        .and_then(|(_, country, region)| Destination::parse(country, region).ok());
    Ok(OrderFacts {
        id: order.id.clone(),
        status: OrderStatus::parse(&order.status).ok_or_else(|| corrupt("status"))?,
        total_minor: order.total_minor,
        currency: order.currency.clone(),
        current_payment_intent,
        draft_matches_cart: cart.map(|(version, _, _)| version) == Some(order.cart_version),
        draft_taxed_for,
    })
}

/// Whether the order made `payment_intent`: `Some(1)` its current one, `Some(0)` a
/// superseded one, `None` never.
async fn payment_record(
    tx: &mut Tx,
    payment_intent: &str,
    order_id: &str,
) -> Result<Option<i64>, StoreError> {
    fetch_optional!(
        tx,
        sqlx::query_scalar(
            "SELECT is_current FROM order_payment_intents WHERE id = $1 AND order_id = $2",
        )
        .bind(payment_intent)
        .bind(order_id)
    )
    .map_err(database_error("reading a payment"))
}

/// Keeps what Stripe says `payment` received: what a refund of it may give back.
/// It only grows (an older read never lowers it).
async fn record_received(tx: &mut Tx, payment: &PaymentFacts) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query(
            "UPDATE order_payment_intents SET amount_received_minor = $2
             WHERE id = $1 AND amount_received_minor < $2",
        )
        .bind(&payment.id)
        .bind(payment.amount_received)
    )
    .map_err(database_error("recording what a payment received"))?;
    Ok(())
}

/// Copies the cart's lines into the order, and the contact and delivery the payment
/// carries (a payment made without our submit step).
async fn lock_lines(
    tx: &mut Tx,
    order: &mut OrderRow,
    payment: &PaymentFacts,
) -> Result<(), StoreError> {
    let view = priced_lines(tx.executor(), &order.cart_id).await?;
    // (An empty cart leaves the order without lines, and fulfil sends it to review:
    // nothing is ever "paid" with nothing to ship.)
    copy_lines(tx, &order.id, &view).await?;
    if let Some(delivery) = &payment.delivery {
        copy_delivery(tx, &order.id, delivery).await?;
        order.email = Some(delivery.email.as_str().to_owned());
    }
    Ok(())
}

/// Whether `payment` is settled for good as far as this order is concerned: a
/// cancelled PaymentIntent it knows, or a success on a superseded one (or for an order
/// in review), whose alarm is raised once.
fn settles(payment: &PaymentFacts, known: Option<i64>, status: OrderStatus) -> bool {
    match payment.status {
        PaymentIntentStatus::Canceled => known.is_some(),
        PaymentIntentStatus::Succeeded => {
            known == Some(0) || (known.is_some() && status == OrderStatus::NeedsReview)
        }
        _ => false,
    }
}

/// Records `payment_intent` as seen settled (the reconciler stops re-reading it):
/// whether this is the first time.
async fn settled_now(tx: &mut Tx, payment_intent: &str, now: UnixTime) -> Result<bool, StoreError> {
    let first_time = execute!(
        tx,
        sqlx::query(
            "UPDATE order_payment_intents SET settled_at = $2
             WHERE id = $1 AND settled_at IS NULL",
        )
        .bind(payment_intent)
        .bind(now)
    )
    .map_err(database_error("settling a superseded payment"))?;
    Ok(first_time == 1)
}

/// Moves the order to `to`, with what the move does to its holds: released the moment
/// it cannot be paid as it stands (a retry after a failure holds them again at
/// submit), kept long while money is moving. Whether stock changed.
async fn move_order(
    tx: &mut Tx,
    order_id: &str,
    to: OrderStatus,
    now: UnixTime,
) -> Result<bool, StoreError> {
    let stock_changed = match to {
        OrderStatus::PaymentFailed | OrderStatus::Canceled | OrderStatus::NeedsReview => {
            release_holds(tx, order_id).await?
        }
        OrderStatus::Processing => {
            extend_holds(tx, order_id, now.saturating_add(PROCESSING_HOLD_SECS)).await?;
            false
        }
        _ => false,
    };
    execute!(
        tx,
        sqlx::query("UPDATE orders SET status = $2, updated_at = $3 WHERE id = $1")
            .bind(order_id)
            .bind(to.as_str())
            .bind(now)
    )
    .map_err(database_error("moving an order"))?;
    Ok(stock_changed)
}

/// Pauses the order's cart's checkout until `until`, and starts a new payment
/// generation: after the pause the shopper gets a new PaymentIntent, never the one
/// being cancelled.
async fn pause_checkout(tx: &mut Tx, order: &OrderRow, until: UnixTime) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query("UPDATE carts SET checkout_paused_until = $2 WHERE id = $1")
            .bind(&order.cart_id)
            .bind(until)
    )
    .map_err(database_error("pausing a checkout"))?;
    execute!(
        tx,
        sqlx::query("UPDATE orders SET pi_generation = pi_generation + 1 WHERE id = $1")
            .bind(&order.id)
    )
    .map_err(database_error("starting a payment generation"))?;
    Ok(())
}

/// What the confirmation quotes: the order as its owner sees it on the confirmation
/// page, read inside the transaction that fulfils it.
async fn receipt(tx: &mut Tx, order: &OrderRow) -> Result<emails::Receipt, StoreError> {
    let view = super::confirmation::order_view_in(tx, &order.id)
        .await?
        .ok_or_else(|| corrupt("the order being fulfilled"))?;
    Ok(emails::Receipt::of(&view, order.language()))
}

/// Fulfilment inside the transition's transaction: stock down, purchased lines out of
/// the shopper's cart, the confirmation queued. `Some(product)` when a line can no
/// longer be covered by stock (nothing is written then).
async fn fulfil(
    tx: &mut Tx,
    order: &OrderRow,
    shop_url: &str,
    now: UnixTime,
) -> Result<Option<String>, StoreError> {
    let lines: Vec<(String, String, i64)> = fetch_all!(
        tx,
        sqlx::query_as(
            "SELECT product_id, name, quantity FROM order_lines
             WHERE order_id = $1 ORDER BY position",
        )
        .bind(&order.id)
    )
    .map_err(database_error("reading order lines"))?;
    if lines.is_empty() {
        return Ok(Some("every line (the order has none)".to_owned()));
    }
    for (product, name, quantity) in &lines {
        if !covered(tx, order, product, *quantity).await? {
            return Ok(Some(name.clone()));
        }
    }
    for (product, _, quantity) in &lines {
        take_from_shelf_and_cart(tx, order, product, *quantity).await?;
    }
    // Taken for good: the hold has done its job.
    release_holds(tx, &order.id).await?;
    crash_point::reached("fulfil.stock_taken");
    execute!(
        tx,
        sqlx::query("UPDATE carts SET version = version + 1, updated_at = $2 WHERE id = $1")
            .bind(&order.cart_id)
            .bind(now)
    )
    .map_err(database_error("updating a cart"))?;
    execute!(
        tx,
        sqlx::query("UPDATE orders SET fulfilled_at = $2 WHERE id = $1")
            .bind(&order.id)
            .bind(now)
    )
    .map_err(database_error("marking an order fulfilled"))?;
    let receipt = receipt(tx, order).await?;
    queue_mail(
        tx,
        order,
        emails::order_confirmation(shop_url, &receipt),
        now,
    )
    .await?;
    crash_point::reached("fulfil.mail_queued");
    Ok(None)
}

/// An operator's "fulfilled by hand" for an order in review: the same fulfilment as a
/// payment's (stock taken, the cart's lines out, the confirmation queued), once. `Some`
/// names what the shelf cannot cover (nothing is written then).
pub(super) async fn fulfil_by_hand(
    tx: &mut Tx,
    order_id: &str,
    shop_url: &str,
    now: UnixTime,
) -> Result<Option<String>, StoreError> {
    let order: OrderRow = fetch_one!(
        tx,
        sqlx::query_as(
            "SELECT id, cart_id, status, cart_version, total_minor, currency, email, locale
             FROM orders WHERE id = $1",
        )
        .bind(order_id)
    )
    .map_err(database_error("reading the order to fulfil"))?;
    let fulfilled: Option<i64> = fetch_one!(
        tx,
        sqlx::query_scalar("SELECT fulfilled_at FROM orders WHERE id = $1").bind(order_id)
    )
    .map_err(database_error("reading the order to fulfil"))?;
    if fulfilled.is_some() {
        return Ok(None);
    }
    fulfil(tx, &order, shop_url, now).await
}

/// Whether the shelf still covers `quantity` of `product` for `order`: this order's own
/// hold is part of `stock`; what others hold is not ours.
async fn covered(
    tx: &mut Tx,
    order: &OrderRow,
    product: &str,
    quantity: i64,
) -> Result<bool, StoreError> {
    let stock: i64 = fetch_optional!(
        tx,
        sqlx::query_scalar("SELECT stock FROM products WHERE id = $1").bind(product)
    )
    .map_err(database_error("reading stock"))?
    .unwrap_or(0);
    Ok(stock - held_by_others(tx, product, &order.id).await? >= quantity)
}

/// Takes a bought line's units off the shelf and out of the shopper's cart (a larger
/// quantity in the cart keeps the rest; deleted first, since a line may not fall to
/// zero).
async fn take_from_shelf_and_cart(
    tx: &mut Tx,
    order: &OrderRow,
    product: &str,
    quantity: i64,
) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query("UPDATE products SET stock = stock - $2 WHERE id = $1")
            .bind(product)
            .bind(quantity)
    )
    .map_err(database_error("taking stock"))?;
    for statement in [
        "DELETE FROM cart_lines WHERE cart_id = $1 AND product_id = $2 AND quantity <= $3",
        "UPDATE cart_lines SET quantity = quantity - $3 WHERE cart_id = $1 AND product_id = $2",
    ] {
        execute!(
            tx,
            sqlx::query(statement)
                .bind(&order.cart_id)
                .bind(product)
                .bind(quantity)
        )
        .map_err(database_error("emptying the cart"))?;
    }
    Ok(())
}

/// Queues `email` for the order's address: one per order and kind, so a second is a
/// no-op.
async fn queue_mail(
    tx: &mut Tx,
    order: &OrderRow,
    email: Email,
    now: UnixTime,
) -> Result<(), StoreError> {
    let Some(recipient) = order.email.as_deref() else {
        tracing::warn!(order = %order.id, kind = email.kind, "no email address on the order; nothing queued");
        return Ok(());
    };
    // One per order and kind: a fulfilment redone after a crash queues the very same
    // message, Message-ID included.
    let key = format!("{}:{}", email.kind, order.id);
    let to = QueuedEmail {
        order_id: &order.id,
        dedupe_key: &key,
        recipient,
    };
    queue_email(tx, to, &email, now).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(n: usize) -> InboxEvent {
        InboxEvent {
            id: format!("evt_{n}"),
            kind: "charge.succeeded".into(),
            livemode: false,
            payment_intent: None,
            payload: "{}".into(),
            skipped: true,
        }
    }

    #[tokio::test]
    async fn a_batch_stores_each_event_once_whatever_its_size() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("shop.db").display());
        let store = Store::open(&url).await.unwrap();
        let mut connection = InboxWriter::open(&store.pool, &url).await.unwrap();
        // Duplicates inside one statement, across the statements of a large batch
        // (more than ROWS_PER_INSERT rows), and of events stored before.
        let batch: Vec<InboxEvent> = (0..2 * ROWS_PER_INSERT + 10)
            .map(|n| event(n % (ROWS_PER_INSERT + 7)))
            .collect();
        insert_events(&mut connection, &batch[..5], 1)
            .await
            .unwrap();
        insert_events(&mut connection, &batch, 2).await.unwrap();
        insert_events(&mut connection, &[], 3).await.unwrap();
        let (count, first_batch): (i64, i64) = fetch_one!(
            store.pool,
            sqlx::query_as(
                "SELECT COUNT(*), COUNT(*) FILTER (WHERE received_at = 1) FROM webhook_events",
            )
        )
        .unwrap();
        assert_eq!(count, i64::try_from(ROWS_PER_INSERT + 7).unwrap());
        assert_eq!(first_batch, 5, "a duplicate changes nothing");
    }
}
