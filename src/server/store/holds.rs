//! Stock holds: units set aside from submit until the order is paid (then taken),
//! fails, is cancelled, or the hold lapses, so two shoppers can never both pay for the
//! last unit. A hold counts against every other cart until it is released.

use super::{
    commands::{cancel_command_id, queue_cancel},
    database_error,
    engine::{execute, fetch_all, fetch_one, fetch_optional, write_transaction, Tx},
    orders::timeline,
    Store, StoreError, UnixTime,
};
use crate::domain::{CartView, ShopError};

/// SQL for the units of product `p` on the shelf for the cart bound to parameter
/// `cart_param` (`"$1"`): its stock less what other carts' orders hold. Written once
/// here so the cart, adding to it and submit agree. (Every `SUM` is cast back to
/// BIGINT: PostgreSQL sums BIGINTs as NUMERIC.)
pub(super) fn available_to_cart(cart_param: &str) -> String {
    format!(
        "p.stock - CAST(COALESCE((
         SELECT SUM(h.quantity) FROM stock_holds h JOIN orders o ON o.id = h.order_id
         WHERE h.product_id = p.id AND o.cart_id <> {cart_param}), 0) AS BIGINT)"
    )
}

/// Units of a product anyone may still buy: stock less every hold.
pub(super) const AVAILABLE_TO_ALL: &str = "p.stock - CAST(COALESCE((
         SELECT SUM(h.quantity) FROM stock_holds h WHERE h.product_id = p.id), 0) AS BIGINT)";

/// Replaces `order_id`'s holds with the cart's lines, until `expires_at`. The caller
/// has checked, in the same transaction, that the units are available.
pub(super) async fn hold_stock(
    tx: &mut Tx,
    order_id: &str,
    view: &CartView,
    expires_at: UnixTime,
) -> Result<(), StoreError> {
    release_holds(tx, order_id).await?;
    for line in &view.lines {
        execute!(
            tx,
            sqlx::query(
                "INSERT INTO stock_holds (order_id, product_id, quantity, expires_at)
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(order_id)
            .bind(line.product_id.as_str())
            .bind(i64::from(line.quantity.get()))
            .bind(expires_at)
        )
        .map_err(database_error("holding stock"))?;
    }
    Ok(())
}

/// Gives `order_id`'s held units back to the shelf. Releasing nothing is fine.
pub(super) async fn release_holds(tx: &mut Tx, order_id: &str) -> Result<bool, StoreError> {
    let released = execute!(
        tx,
        sqlx::query("DELETE FROM stock_holds WHERE order_id = $1").bind(order_id)
    )
    .map_err(database_error("releasing held stock"))?;
    Ok(released > 0)
}

/// Keeps `order_id`'s holds until `expires_at` (a processing payment: money is
/// moving, and a slow bank must not find its goods sold).
pub(super) async fn extend_holds(
    tx: &mut Tx,
    order_id: &str,
    expires_at: UnixTime,
) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query("UPDATE stock_holds SET expires_at = $2 WHERE order_id = $1")
            .bind(order_id)
            .bind(expires_at)
    )
    .map_err(database_error("extending held stock"))?;
    Ok(())
}

/// Units of `product` that orders other than `order_id` hold.
pub(super) async fn held_by_others(
    tx: &mut Tx,
    product: &str,
    order_id: &str,
) -> Result<i64, StoreError> {
    fetch_one!(
        tx,
        sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(quantity), 0) AS BIGINT) FROM stock_holds
             WHERE product_id = $1 AND order_id <> $2",
        )
        .bind(product)
        .bind(order_id)
    )
    .map_err(database_error("reading held stock"))
}

/// How long a lapsed hold stays while its PaymentIntent's cancel is on its way: the
/// payment may have gone through already (a webhook still in flight, a slow bank), and
/// then the goods are its. The cancelled PaymentIntent's event releases them.
const AWAITING_CANCEL_SECS: i64 = 3600;

/// The timeline entry of a lapse that cancels its PaymentIntent.
const CANCELLING_NOTE: &str = "stock hold lapsed: cancelling the payment";

impl Store {
    /// Handles holds that lapsed before `now`, at most `limit` orders at a time. The
    /// order's current PaymentIntent is cancelled through the command queue, and a new
    /// payment generation starts (so a returning shopper never reuses the PaymentIntent
    /// being cancelled); the units stay held until the cancel is seen, since Stripe may
    /// answer that the payment went through first. An order with nothing left to pay
    /// releases its units at once. A processing payment's holds were extended and never
    /// lapse here. Returns the orders handled.
    #[tracing::instrument(skip(self))]
    pub async fn release_lapsed_holds(
        &self,
        now: UnixTime,
        limit: i64,
    ) -> Result<Vec<String>, ShopError> {
        let lapsed: Vec<String> = fetch_all!(
            self.pool,
            sqlx::query_scalar(
                "SELECT DISTINCT h.order_id FROM stock_holds h
                 JOIN orders o ON o.id = h.order_id
                 WHERE h.expires_at <= $1 AND o.status <> 'processing'
                 LIMIT $2",
            )
            .bind(now)
            .bind(limit)
        )
        .map_err(database_error("finding lapsed stock holds"))?;
        let mut handled = Vec::with_capacity(lapsed.len());
        for order_id in lapsed {
            if self.lapse(&order_id, now).await? {
                handled.push(order_id);
            }
        }
        Ok(handled)
    }

    /// One lapsed order, in one transaction; `false` when it moved on meanwhile.
    async fn lapse(&self, order_id: &str, now: UnixTime) -> Result<bool, ShopError> {
        let (handled, stock_changed) = write_transaction!(self, "releasing a lapsed hold", |tx| {
            // Re-read under the write lock: the order may have been paid or moved to
            // processing since the scan.
            let Some((status, payment_intent)) = still_lapsed(&mut tx, order_id, now).await? else {
                return Ok((false, false));
            };
            let payable = matches!(
                status.as_str(),
                "awaiting_payment" | "payment_failed" | "draft"
            );
            // A cancel already asked for (at an earlier lapse) that has not moved the
            // order: Stripe did not know the PaymentIntent, never answered, or the
            // shopper started another meanwhile. The units go back now; a payment
            // arriving after all is checked against the shelf, and goes to review if
            // they are gone.
            let asked_before = queued_cancel(&mut tx, payment_intent.as_deref()).await?;
            let awaiting_cancel = now.saturating_add(AWAITING_CANCEL_SECS);
            if asked_before.as_deref() == Some("pending") && payable {
                // Stripe has not answered the cancel yet (an outage): keep the goods
                // for the payment that may still have gone through; look again later.
                extend_holds(&mut tx, order_id, awaiting_cancel).await?;
                return Ok((true, false));
            }
            match payment_intent.filter(|_| payable && asked_before.is_none()) {
                Some(payment_intent) => {
                    cancel_lapsed(&mut tx, order_id, &payment_intent, now).await?;
                    extend_holds(&mut tx, order_id, awaiting_cancel).await?;
                }
                None => {
                    release_holds(&mut tx, order_id).await?;
                    let note = "stock hold lapsed: units released";
                    timeline(&mut tx, order_id, now, note).await?;
                }
            }
            Ok((true, true))
        })?;
        self.stock_changed(stock_changed);
        Ok(handled)
    }
}

/// The order's status and current PaymentIntent, if it is not processing and still
/// has a hold that lapsed by `now`.
async fn still_lapsed(
    tx: &mut Tx,
    order_id: &str,
    now: UnixTime,
) -> Result<Option<(String, Option<String>)>, StoreError> {
    fetch_optional!(
        tx,
        sqlx::query_as(
            "SELECT o.status, p.id FROM orders o
             LEFT JOIN order_payment_intents p ON p.order_id = o.id AND p.is_current = 1
             WHERE o.id = $1 AND o.status <> 'processing' AND EXISTS (
                 SELECT 1 FROM stock_holds h WHERE h.order_id = o.id AND h.expires_at <= $2)",
        )
        .bind(order_id)
        .bind(now)
    )
    .map_err(database_error("re-reading a lapsed hold"))
}

/// The status of the queued cancel of `payment_intent`, if one was ever queued.
async fn queued_cancel(
    tx: &mut Tx,
    payment_intent: Option<&str>,
) -> Result<Option<String>, StoreError> {
    let Some(payment_intent) = payment_intent else {
        return Ok(None);
    };
    fetch_optional!(
        tx,
        sqlx::query_scalar("SELECT status FROM stripe_commands WHERE id = $1")
            .bind(cancel_command_id(payment_intent))
    )
    .map_err(database_error("reading a queued cancel"))
}

/// Queues the cancel of a lapsed order's PaymentIntent and starts a new payment
/// generation, so a returning shopper never reuses the one being cancelled.
async fn cancel_lapsed(
    tx: &mut Tx,
    order_id: &str,
    payment_intent: &str,
    now: UnixTime,
) -> Result<(), StoreError> {
    let reason = "the stock hold lapsed before payment";
    queue_cancel(tx, payment_intent, order_id, reason, now).await?;
    execute!(
        tx,
        sqlx::query("UPDATE orders SET pi_generation = pi_generation + 1 WHERE id = $1")
            .bind(order_id)
    )
    .map_err(database_error("starting a payment generation"))?;
    timeline(tx, order_id, now, CANCELLING_NOTE).await?;
    tracing::info!(order = %order_id, %payment_intent, "a stock hold lapsed; cancelling its PaymentIntent");
    Ok(())
}
