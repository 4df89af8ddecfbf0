//! What the confirmation page reads: an order found by its PaymentIntent or its
//! reference, the access tokens of its owner, and the order as its owner sees it.
//! Nothing here changes an order.

use super::{
    corrupt, database_error,
    engine::{execute, fetch_all, fetch_one, fetch_optional, on, Tx},
    Store, StoreError, UnixTime,
};
use crate::domain::{
    Currency, DeliveryView, Money, OrderLineView, OrderStatus, OrderView, ShopError, Tax,
};
use sqlx::FromRow;

/// An order named by one of its PaymentIntents.
#[derive(Clone, Debug, FromRow)]
pub struct PaymentIntentOwner {
    pub order_id: String,
    /// The cart the order was bought from: its cookie owns the order too.
    pub cart_id: String,
    pub is_current: bool,
    pub client_secret_hash: String,
    /// When the shop recorded the PaymentIntent: its client secret opens the order
    /// only for a while after.
    pub created_at: UnixTime,
}

#[derive(FromRow)]
struct ViewRow {
    reference: Option<String>,
    status: String,
    currency: String,
    subtotal_minor: i64,
    shipping_minor: i64,
    tax: String,
    tax_rate_bp: i64,
    tax_minor: i64,
    total_minor: i64,
    email: Option<String>,
    full_name: Option<String>,
    address_line1: Option<String>,
    address_line2: Option<String>,
    city: Option<String>,
    region: Option<String>,
    postal_code: Option<String>,
    country: Option<String>,
}

impl Store {
    /// The order a PaymentIntent belongs to, and whether it is the current one.
    pub async fn payment_intent_owner(
        &self,
        payment_intent: &str,
    ) -> Result<Option<PaymentIntentOwner>, ShopError> {
        fetch_optional!(
            self.pool,
            sqlx::query_as(
                "SELECT p.order_id, o.cart_id, p.is_current = 1 AS is_current,
                     p.client_secret_hash, p.created_at
                 FROM order_payment_intents p JOIN orders o ON o.id = p.order_id
                 WHERE p.id = $1",
            )
            .bind(payment_intent)
        )
        .map_err(database_error("finding a payment's order"))
        .map_err(ShopError::from)
    }

    /// (order id, cart id) of the order with this reference.
    pub async fn order_by_reference(
        &self,
        reference: &str,
    ) -> Result<Option<(String, String)>, ShopError> {
        fetch_optional!(
            self.pool,
            sqlx::query_as("SELECT id, cart_id FROM orders WHERE reference = $1").bind(reference)
        )
        .map_err(database_error("finding an order"))
        .map_err(ShopError::from)
    }

    /// Records an access token (its hash) for the order's owner.
    pub async fn grant_order_access(
        &self,
        order_id: &str,
        token_hash: &str,
        now: UnixTime,
    ) -> Result<(), ShopError> {
        execute!(
            self.pool,
            sqlx::query(
                "INSERT INTO order_access (token_hash, order_id, created_at) VALUES ($1, $2, $3)",
            )
            .bind(token_hash)
            .bind(order_id)
            .bind(now)
        )
        .map_err(database_error("granting order access"))?;
        Ok(())
    }

    /// Whether any of the tokens (by hash) opens this order: granted after `since`.
    /// The caller bounds how many hashes one request may bring.
    pub async fn has_order_access(
        &self,
        order_id: &str,
        token_hashes: &[String],
        since: UnixTime,
    ) -> Result<bool, ShopError> {
        if token_hashes.is_empty() {
            return Ok(false);
        }
        // One placeholder per hash: `$3, $4, …` (both engines number them alike).
        let placeholders: Vec<String> = (3..token_hashes.len() + 3)
            .map(|n| format!("${n}"))
            .collect();
        let sql = format!(
            "SELECT order_id FROM order_access
             WHERE order_id = $1 AND created_at > $2 AND token_hash IN ({})
             LIMIT 1",
            placeholders.join(", ")
        );
        let found: Option<String> = on!(self.pool, |e| {
            let mut query = sqlx::query_scalar(&sql).bind(order_id).bind(since);
            for hash in token_hashes {
                query = query.bind(hash);
            }
            query.fetch_optional(e).await
        })
        .map_err(database_error("checking order access"))?;
        Ok(found.is_some())
    }

    /// The order as its owner sees it.
    pub async fn order_view(&self, order_id: &str) -> Result<Option<OrderView>, ShopError> {
        let mut tx = self
            .pool
            .begin_read()
            .await
            .map_err(database_error("starting a read"))?;
        Ok(order_view_in(&mut tx, order_id).await?)
    }
}

/// The order as its owner sees it, read in `tx` (the confirmation email quotes the
/// very same, inside the transaction that fulfils it).
pub(super) async fn order_view_in(
    tx: &mut Tx,
    order_id: &str,
) -> Result<Option<OrderView>, StoreError> {
    let row: Option<ViewRow> = fetch_optional!(
        tx,
        sqlx::query_as(
            "SELECT reference, status, currency, subtotal_minor, shipping_minor, tax, tax_rate_bp,
             tax_minor, total_minor, email,
             full_name, address_line1, address_line2, city, region, postal_code, country
         FROM orders WHERE id = $1",
        )
        .bind(order_id)
    )
    .map_err(database_error("reading an order"))?;
    let Some(row) = row else {
        return Ok(None);
    };
    let currency = Currency::parse(&row.currency).map_err(corrupt)?;
    let money = |minor: i64| Money::new(minor, currency).map_err(corrupt);
    let lines: Vec<(String, i64, i64, i64)> = fetch_all!(
        tx,
        sqlx::query_as(
            "SELECT name, quantity, unit_price_minor, line_total_minor FROM order_lines
             WHERE order_id = $1 ORDER BY position",
        )
        .bind(order_id)
    )
    .map_err(database_error("reading order lines"))?;
    let lines = lines
        .into_iter()
        .map(|(name, quantity, unit, total)| {
            Ok(OrderLineView {
                name,
                quantity: u32::try_from(quantity).map_err(corrupt)?,
                unit_price: money(unit)?,
                line_total: money(total)?,
            })
        })
        .collect::<Result<Vec<_>, ShopError>>()?;
    let delivery = delivery_view(&row);
    let (received, refunded): (i64, i64) = fetch_one!(
        tx,
        sqlx::query_as(
            "SELECT
                 CAST(COALESCE((SELECT SUM(amount_received_minor) FROM order_payment_intents
                     WHERE order_id = $1), 0) AS BIGINT),
                 CAST(COALESCE((SELECT SUM(amount_minor) FROM refunds
                     WHERE order_id = $1 AND status = 'succeeded'), 0) AS BIGINT)",
        )
        .bind(order_id)
    )
    .map_err(database_error("adding up an order's refunds"))?;
    Ok(Some(OrderView {
        received: money(received)?,
        refunded: money(refunded)?,
        reference: row.reference.ok_or_else(|| corrupt("order reference"))?,
        status: OrderStatus::parse(&row.status).ok_or_else(|| corrupt("status"))?,
        lines,
        subtotal: money(row.subtotal_minor)?,
        shipping: money(row.shipping_minor)?,
        tax: Tax::from_stored(&row.tax, row.tax_rate_bp, money(row.tax_minor)?)
            .ok_or_else(|| corrupt("tax line"))?,
        total: money(row.total_minor)?,
        email: row.email,
        delivery,
    }))
}

/// The delivery address an order holds, when it holds a whole one.
fn delivery_view(row: &ViewRow) -> Option<DeliveryView> {
    match (
        row.full_name.clone(),
        row.address_line1.clone(),
        row.city.clone(),
        row.postal_code.clone(),
        row.country.clone(),
    ) {
        (Some(name), Some(line1), Some(city), Some(postal_code), Some(country)) => {
            Some(DeliveryView {
                name,
                line1,
                line2: row.address_line2.clone().unwrap_or_default(),
                city,
                region: row.region.clone().unwrap_or_default(),
                postal_code,
                country,
            })
        }
        _ => None,
    }
}
