//! The shop's database, on SQLite or PostgreSQL (see [`engine`]). All SQL lives here,
//! written once in portable SQL (numbered `$n` parameters, `ON CONFLICT` upserts, TEXT
//! ids, BIGINT unix timestamps).

use crate::domain::{CartLine, CartView, Currency, Money, Product, ProductId, Quantity, ShopError};
use sqlx::FromRow;
use std::sync::Arc;

mod admin;
mod catalog;
mod commands;
mod confirmation;
mod engine;
mod fulfilment;
mod holds;
mod leases;
mod mail;
mod operators;
mod orders;
mod product_texts;
mod queues;
mod rate_limits;
mod refunds;
mod turns;
mod wakeups;

use engine::{execute, fetch_all, fetch_optional, write_transaction, Executor, Tx};
pub use engine::{is_serialization_failure, Engine, InboxWriter, Pool};
pub use queues::Queues;
pub use rate_limits::{SharedLimit, SharedRefusal};
pub use turns::Turn;

pub use admin::{
    refund_state, EmailRecord, LineRecord, OrderCursor, OrderDetail, OrderFilter, OrderRecord,
    OrderSummary, PaymentRecord, Resolution, TimelineEntry, WorkItem, ORDER_STATUSES,
};
pub use commands::{cancel_command_id, refund_command_id, CommandResult, DueCommand};
pub use confirmation::PaymentIntentOwner;
pub use fulfilment::{insert_events, Applied, DueEvent, InboxEvent, OutboxMail, ToReconcile};
pub use operators::{OperatorLogin, SessionOperator, SessionTimeouts};
pub use orders::{
    CheckoutOrder, CurrentPaymentIntent, FailureLock, LockRequest, Locked, OpenOrder, PricedCart,
    Recorded,
};
pub use refunds::{DisputeRow, RefundRequest, RefundRow, RefundToSend, Synced, REFUND_REASONS};

/// The database handle every request shares (a connection pool).
#[derive(Clone, Debug)]
pub struct Store {
    pool: Pool,
    /// Where shoppers reach the shop, such as `https://shop.example`: links in the
    /// emails it queues must be absolute.
    shop_url: Arc<str>,
    /// When repeated declines pause a cart's checkout.
    failure_lock: FailureLock,
    /// The catalog as last read (see [`catalog`]).
    catalog: Arc<catalog::CatalogCache>,
    /// This instance's name in the claims it makes on shared work (see [`leases`]).
    instance: Arc<str>,
    /// How long those claims last.
    lease_secs: i64,
    /// Turns held at once, checkout's and payments' (see [`turns`]).
    turn_permits: Arc<(Arc<tokio::sync::Semaphore>, Arc<tokio::sync::Semaphore>)>,
}

/// Seconds since the Unix epoch: the portable timestamp of every table.
pub type UnixTime = i64;

/// A cart as the cookie finds it.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct CartRecord {
    pub id: String,
    pub expires_at: UnixTime,
}

/// A cart's place in expiry order: where a deletion of expired carts got to.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct CartKey {
    pub expires_at: UnixTime,
    pub id: String,
}

impl CartKey {
    /// Before every cart.
    pub fn first() -> Self {
        Self {
            expires_at: UnixTime::MIN,
            id: String::new(),
        }
    }
}

/// One page of expired carts deleted: the last cart it looked at, and what went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpiredCarts {
    pub through: CartKey,
    pub lines: u64,
    pub carts: u64,
}

#[derive(FromRow)]
struct ProductRow {
    id: String,
    name: String,
    description: String,
    price_minor: i64,
    currency: String,
    image: String,
    stock: i64,
}

#[derive(FromRow)]
struct CartLineRow {
    product_id: String,
    name: String,
    image: String,
    price_minor: i64,
    currency: String,
    quantity: i64,
    stock: i64,
}

#[derive(FromRow)]
struct StockRow {
    name: String,
    stock: i64,
}

/// Whether an edit adds to a line or sets it outright.
#[derive(Clone, Copy, Debug)]
pub enum LineChange {
    /// Add this many to the line, creating it if needed ("Add to cart").
    Add(Quantity),
    /// Set the line to exactly this many; the line must already exist (the stepper).
    Set(Quantity),
}

impl Store {
    /// Opens (creating a SQLite file if needed) the database `database_url` names and
    /// brings its schema up to date.
    pub async fn open(database_url: &str) -> anyhow::Result<Self> {
        let pool = Pool::open(database_url).await?;
        leases::release_after_restart(&pool).await?;
        Ok(Self {
            pool,
            shop_url: Arc::from("http://localhost:3000"),
            failure_lock: FailureLock {
                max_failures: 5,
                window_secs: 15 * 60,
            },
            catalog: Arc::default(),
            instance: Arc::from(new_id("inst")),
            lease_secs: 120,
            turn_permits: Arc::new((
                Arc::new(tokio::sync::Semaphore::new(turns::SHARED_TURNS)),
                Arc::new(tokio::sync::Semaphore::new(turns::SHARED_TURNS)),
            )),
        })
    }

    /// The same store, pausing checkouts after declines as `lock` says.
    pub fn pausing_after(mut self, lock: FailureLock) -> Self {
        self.failure_lock = lock;
        self
    }

    /// The same store, claiming shared work for `lease` at a time.
    pub fn leasing_work_for(mut self, lease: std::time::Duration) -> Self {
        self.lease_secs = i64::try_from(lease.as_secs()).unwrap_or(i64::MAX).max(1);
        self
    }

    /// The same store, naming its claims `name` (a random name when `None`).
    pub fn named(mut self, name: Option<&str>) -> Self {
        if let Some(name) = name {
            self.instance = Arc::from(name);
        }
        self
    }

    /// The same store, with emails linking to `shop_url` (no trailing slash).
    pub fn linking_to(mut self, shop_url: &str) -> Self {
        self.shop_url = Arc::from(shop_url.trim_end_matches('/'));
        self
    }

    /// The engine this store runs on.
    pub fn engine(&self) -> Engine {
        self.pool.engine()
    }

    /// Closes every connection, waiting for those in use to come back.
    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite(pool) => pool.close().await,
            Pool::Postgres(pool) => pool.close().await,
        }
    }

    /// The pool, for the webhook inbox's writer.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Checks that the database answers, for `/healthz`.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        execute!(self.pool, sqlx::query("SELECT 1")).map(|_| ())
    }

    /// The catalog in display order. Units held for submitted orders are not in
    /// stock for anyone else. Served from a snapshot while no stock has changed.
    #[tracing::instrument(skip(self))]
    pub async fn products(&self) -> Result<Vec<Product>, ShopError> {
        if let Some(products) = self.catalog.fresh() {
            return Ok(products.as_ref().clone());
        }
        let begun = self.catalog.begin_read();
        let rows: Vec<ProductRow> = fetch_all!(
            self.pool,
            sqlx::query_as(&format!(
                "SELECT p.id, p.name, p.description, p.price_minor, p.currency, p.image,
                     {} AS stock
                 FROM products p ORDER BY p.position, p.id",
                holds::AVAILABLE_TO_ALL
            ))
        )
        .map_err(database_error("listing products"))?;
        let products = rows
            .into_iter()
            .map(product_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        self.catalog.store(begun, Arc::new(products.clone()));
        Ok(products)
    }

    /// Goes up with every committed change of stock or holds: a page rendered from the
    /// catalog is current while this stays the same.
    pub fn catalog_version(&self) -> u64 {
        self.catalog.version()
    }

    /// After a commit that changed what is available to buy (stock or holds): the
    /// catalog snapshot is stale.
    fn stock_changed(&self, changed: bool) {
        if changed {
            self.catalog.changed();
        }
    }

    /// Finds the cart whose cookie token hashes to `token_hash`, expired or not.
    #[tracing::instrument(skip_all)]
    pub async fn find_cart(&self, token_hash: &str) -> Result<Option<CartRecord>, ShopError> {
        fetch_optional!(
            self.pool,
            sqlx::query_as("SELECT id, expires_at FROM carts WHERE token_hash = $1")
                .bind(token_hash)
        )
        .map_err(database_error("finding a cart"))
        .map_err(ShopError::from)
    }

    /// Starts a new, empty cart.
    #[tracing::instrument(skip(self, token_hash))]
    pub async fn create_cart(
        &self,
        id: &str,
        token_hash: &str,
        now: UnixTime,
        expires_at: UnixTime,
    ) -> Result<(), ShopError> {
        execute!(
            self.pool,
            sqlx::query(
                "INSERT INTO carts (id, token_hash, version, created_at, updated_at, expires_at)
                 VALUES ($1, $2, 0, $3, $3, $4)",
            )
            .bind(id)
            .bind(token_hash)
            .bind(now)
            .bind(expires_at)
        )
        .map_err(database_error("creating a cart"))?;
        Ok(())
    }

    /// Deletes the next page of at most `limit` carts that expired at or before
    /// `cutoff`, after `after` in (expiry, id) order: their lines, and the carts
    /// themselves unless an order refers to them (an order keeps its cart's row, not
    /// its lines). `None` when no expired cart follows `after`.
    ///
    /// Each statement reads and writes at most one page, so SQLite's writer is never
    /// held for long however many carts have expired.
    #[tracing::instrument(skip(self))]
    pub async fn delete_expired_carts(
        &self,
        cutoff: UnixTime,
        after: &CartKey,
        limit: u32,
    ) -> Result<Option<ExpiredCarts>, ShopError> {
        let Some(through) = self.expired_page_end(cutoff, after, limit).await? else {
            return Ok(None);
        };
        // Every statement works on the same page, bound the same way.
        let bounds = (cutoff, after, &through);
        let (lines, carts) = write_transaction!(self, "deleting expired carts", |tx| {
            let lines = on_page(
                &mut tx,
                "DELETE FROM cart_lines WHERE cart_id IN (SELECT id FROM carts WHERE {PAGE})",
                bounds,
            )
            .await
            .map_err(database_error("deleting expired cart lines"))?;
            let carts = on_page(
                &mut tx,
                "DELETE FROM carts WHERE {PAGE}
                 AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.cart_id = carts.id)",
                bounds,
            )
            .await
            .map_err(database_error("deleting expired carts"))?;
            // A cart kept for its orders has changed (its lines are gone): a new version,
            // so a draft priced on the old lines never "matches the cart" again and a
            // payment for it is not fulfilled with nothing to ship.
            on_page(
                &mut tx,
                "UPDATE carts SET version = version + 1 WHERE {PAGE}",
                bounds,
            )
            .await
            .map_err(database_error("versioning kept carts"))?;
            Ok((lines, carts))
        })?;
        Ok(Some(ExpiredCarts {
            through,
            lines,
            carts,
        }))
    }

    /// The last cart of the next page of at most `limit` carts expired by `cutoff`,
    /// after `after`; `None` when none follows.
    async fn expired_page_end(
        &self,
        cutoff: UnixTime,
        after: &CartKey,
        limit: u32,
    ) -> Result<Option<CartKey>, ShopError> {
        Ok(fetch_optional!(
            self.pool,
            sqlx::query_as(
                "SELECT expires_at, id FROM (
                     SELECT expires_at, id FROM carts
                     WHERE expires_at <= $1 AND expires_at >= $2 AND (expires_at > $2 OR id > $3)
                     ORDER BY expires_at, id LIMIT $4
                 ) AS page
                 ORDER BY expires_at DESC, id DESC LIMIT 1",
            )
            .bind(cutoff)
            .bind(after.expires_at)
            .bind(&after.id)
            .bind(i64::from(limit))
        )
        .map_err(database_error("finding expired carts"))?)
    }

    /// The cart's lines priced from the current catalog, with their subtotal.
    #[tracing::instrument(skip(self))]
    pub async fn cart_view(&self, cart_id: &str) -> Result<CartView, ShopError> {
        Ok(priced_lines(self.pool.executor(), cart_id).await?)
    }

    /// Adds to or sets a cart line, checking the product, its stock and the per-line
    /// limit inside one write transaction so two tabs cannot race past the stock.
    #[tracing::instrument(skip(self))]
    pub async fn change_line(
        &self,
        cart_id: &str,
        product: &ProductId,
        change: LineChange,
        now: UnixTime,
        expires_at: UnixTime,
    ) -> Result<(), ShopError> {
        write_transaction!(self, "changing a cart line", |tx| {
            let stock = shelf_for_cart(&mut tx, cart_id, product).await?;
            let current = line_quantity(&mut tx, cart_id, product).await?;
            let quantity = changed_quantity(change, current, stock)?;
            execute!(
                tx,
                sqlx::query(
                    "INSERT INTO cart_lines (cart_id, product_id, quantity, added_at)
                     VALUES ($1, $2, $3, $4)
                     ON CONFLICT (cart_id, product_id) DO UPDATE SET quantity = excluded.quantity",
                )
                .bind(cart_id)
                .bind(product.as_str())
                .bind(i64::from(quantity.get()))
                .bind(now)
            )
            .map_err(database_error("writing a cart line"))?;
            touch_cart(&mut tx, cart_id, now, expires_at).await?;
            Ok(())
        })
    }

    /// Removes a line. Removing a line that is not there succeeds, so a double click
    /// or a resubmitted form is harmless.
    #[tracing::instrument(skip(self))]
    pub async fn remove_line(
        &self,
        cart_id: &str,
        product: &ProductId,
        now: UnixTime,
        expires_at: UnixTime,
    ) -> Result<(), ShopError> {
        write_transaction!(self, "removing a cart line", |tx| {
            let removed = execute!(
                tx,
                sqlx::query("DELETE FROM cart_lines WHERE cart_id = $1 AND product_id = $2")
                    .bind(cart_id)
                    .bind(product.as_str())
            )
            .map_err(database_error("removing a cart line"))?;
            if removed > 0 {
                touch_cart(&mut tx, cart_id, now, expires_at).await?;
            }
            Ok(())
        })
    }
}

/// The product's name and the units on the shelf for this cart: units other carts'
/// submitted orders hold are not on the shelf for this one.
async fn shelf_for_cart(
    tx: &mut Tx,
    cart_id: &str,
    product: &ProductId,
) -> Result<StockRow, StoreError> {
    Ok(fetch_optional!(
        tx,
        sqlx::query_as(&format!(
            "SELECT p.name, {} AS stock FROM products p WHERE p.id = $2",
            holds::available_to_cart("$1")
        ))
        .bind(cart_id)
        .bind(product.as_str())
    )
    .map_err(database_error("reading stock"))?
    .ok_or(ShopError::UnknownProduct)?)
}

/// How many of `product` the cart holds, if any.
async fn line_quantity(
    tx: &mut Tx,
    cart_id: &str,
    product: &ProductId,
) -> Result<Option<i64>, StoreError> {
    fetch_optional!(
        tx,
        sqlx::query_scalar(
            "SELECT quantity FROM cart_lines WHERE cart_id = $1 AND product_id = $2",
        )
        .bind(cart_id)
        .bind(product.as_str())
    )
    .map_err(database_error("reading a cart line"))
}

/// The line's quantity after `change`, given what the cart holds (`current`) and the
/// shelf: refused past the stock or the per-line limit, or to set a line not there.
fn changed_quantity(
    change: LineChange,
    current: Option<i64>,
    stock: StockRow,
) -> Result<Quantity, ShopError> {
    let wanted: u32 = match (change, current) {
        (LineChange::Add(more), current) => {
            let current = u32::try_from(current.unwrap_or(0)).map_err(corrupt)?;
            more.get() + current
        }
        (LineChange::Set(quantity), Some(_)) => quantity.get(),
        (LineChange::Set(_), None) => return Err(ShopError::NotInCart),
    };
    let available = u32::try_from(stock.stock.max(0)).map_err(corrupt)?;
    if available == 0 {
        return Err(ShopError::SoldOut {
            product: stock.name,
        });
    }
    if wanted > available {
        return Err(ShopError::NotEnoughStock {
            product: stock.name,
            available,
        });
    }
    Ok(Quantity::new(wanted)?)
}

/// Runs `statement` (its `{PAGE}` replaced by the page's condition) on one page of
/// expired carts: those expired by `cutoff`, after `after`, through `through`. The page
/// is found again by its bounds: a cart touched meanwhile expires later, so it leaves
/// the page rather than joining it. Returns the rows affected.
async fn on_page(
    tx: &mut Tx,
    statement: &str,
    (cutoff, after, through): (UnixTime, &CartKey, &CartKey),
) -> Result<u64, sqlx::Error> {
    const PAGE: &str = "expires_at <= $1
         AND expires_at >= $2 AND (expires_at > $2 OR id > $3)
         AND expires_at <= $4 AND (expires_at < $4 OR id <= $5)";
    execute!(
        tx,
        sqlx::query(&statement.replace("{PAGE}", PAGE))
            .bind(cutoff)
            .bind(after.expires_at)
            .bind(&after.id)
            .bind(through.expires_at)
            .bind(&through.id)
    )
}

/// A cart's lines priced from the current catalog, with their subtotal.
/// `executor` is the pool's or a transaction's (`.executor()`).
async fn priced_lines<'s, 'p>(
    executor: Executor<
        impl sqlx::Executor<'s, Database = sqlx::Sqlite>,
        impl sqlx::Executor<'p, Database = sqlx::Postgres>,
    >,
    cart_id: &str,
) -> Result<CartView, StoreError> {
    let rows: Vec<CartLineRow> = fetch_all!(
        executor,
        sqlx::query_as(&format!(
            "SELECT l.product_id, p.name, p.image, p.price_minor, p.currency, l.quantity,
                 {} AS stock
             FROM cart_lines l JOIN products p ON p.id = l.product_id
             WHERE l.cart_id = $1
             ORDER BY l.added_at, l.product_id",
            holds::available_to_cart("$1")
        ))
        .bind(cart_id)
    )
    .map_err(database_error("reading cart lines"))?;

    let mut lines = Vec::with_capacity(rows.len());
    let mut subtotal: Option<Money> = None;
    for row in rows {
        let line = cart_line_from_row(row)?;
        subtotal = Some(match subtotal {
            None => line.line_total,
            Some(sum) => sum.checked_add(line.line_total).map_err(corrupt)?,
        });
        lines.push(line);
    }
    Ok(CartView {
        lines,
        subtotal,
        notice: None,
    })
}

/// Records a change to the cart: a new version and a later expiry.
async fn touch_cart(
    tx: &mut Tx,
    cart_id: &str,
    now: UnixTime,
    expires_at: UnixTime,
) -> Result<(), StoreError> {
    execute!(
tx,
sqlx::query(
        "UPDATE carts SET version = version + 1, updated_at = $2, expires_at = $3 WHERE id = $1",
    )
    .bind(cart_id)
    .bind(now)
    .bind(expires_at)
)
    .map_err(database_error("updating a cart"))?;
    Ok(())
}

fn product_from_row(row: ProductRow) -> Result<Product, ShopError> {
    let currency = Currency::parse(&row.currency).map_err(corrupt)?;
    Ok(Product {
        id: ProductId::parse(&row.id).ok_or_else(|| corrupt("product id"))?,
        name: row.name,
        description: row.description,
        price: Money::new(row.price_minor, currency).map_err(corrupt)?,
        image: row.image,
        // Below zero only if holds outlive a restock downwards: nothing is available.
        stock: u32::try_from(row.stock.max(0)).map_err(corrupt)?,
    })
}

fn cart_line_from_row(row: CartLineRow) -> Result<CartLine, ShopError> {
    let currency = Currency::parse(&row.currency).map_err(corrupt)?;
    let unit_price = Money::new(row.price_minor, currency).map_err(corrupt)?;
    let quantity = u32::try_from(row.quantity)
        .ok()
        .and_then(|count| Quantity::new(count).ok())
        .ok_or_else(|| corrupt("cart line quantity"))?;
    Ok(CartLine {
        product_id: ProductId::parse(&row.product_id).ok_or_else(|| corrupt("product id"))?,
        name: row.name,
        image: row.image,
        unit_price,
        line_total: unit_price.checked_mul(quantity.get()).map_err(corrupt)?,
        quantity,
        stock: u32::try_from(row.stock.max(0)).map_err(corrupt)?,
    })
}

/// A random id with a readable prefix (`ord_...`): ids reveal nothing about volumes.
pub fn new_id(prefix: &str) -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 12];
    rand::rng().fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("{prefix}_{hex}")
}

/// Why a step of the store failed: a refusal the shopper is told about, or the
/// database failing (logged in full, shown as "unavailable"). The database's error is
/// kept until the transaction ends, so a serialization failure can be retried.
#[derive(Debug)]
pub enum StoreError {
    Refused(ShopError),
    Database {
        doing: &'static str,
        error: sqlx::Error,
    },
}

impl StoreError {
    /// Whether the transaction lost a race and may simply run again.
    fn is_serialization_failure(&self) -> bool {
        matches!(self, StoreError::Database { error, .. } if is_serialization_failure(error))
    }
}

impl From<ShopError> for StoreError {
    fn from(error: ShopError) -> Self {
        StoreError::Refused(error)
    }
}

impl From<StoreError> for ShopError {
    /// Logs a database failure in full and hands the shopper a short, safe message.
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Refused(error) => error,
            StoreError::Database { doing, error } => {
                tracing::error!(error = %error, "database error while {doing}");
                ShopError::Unavailable
            }
        }
    }
}

/// The database failed while `doing` something.
fn database_error(doing: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |error| StoreError::Database { doing, error }
}

/// A row that breaks the schema's promises: log it loudly, never show it.
fn corrupt(detail: impl std::fmt::Debug) -> ShopError {
    tracing::error!(?detail, "database row failed validation");
    ShopError::Unavailable
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shelf(stock: i64) -> StockRow {
        StockRow {
            name: "Stoneware Mug".into(),
            stock,
        }
    }

    fn quantity(n: u32) -> Quantity {
        Quantity::new(n).unwrap()
    }

    #[test]
    fn adding_grows_a_line_up_to_the_shelf_and_no_further() {
        let add = |n| LineChange::Add(quantity(n));
        assert_eq!(
            changed_quantity(add(2), Some(3), shelf(5)).unwrap().get(),
            5
        );
        assert_eq!(changed_quantity(add(1), None, shelf(5)).unwrap().get(), 1);
        assert!(matches!(
            changed_quantity(add(3), Some(3), shelf(5)),
            Err(ShopError::NotEnoughStock { available: 5, .. })
        ));
        // Holds beyond a downward restock leave a negative shelf: sold out.
        assert!(matches!(
            changed_quantity(add(1), None, shelf(-2)),
            Err(ShopError::SoldOut { .. })
        ));
    }

    #[test]
    fn setting_needs_the_line_and_keeps_the_per_line_limit() {
        let set = |n| LineChange::Set(quantity(n));
        assert_eq!(
            changed_quantity(set(4), Some(1), shelf(9)).unwrap().get(),
            4
        );
        assert!(matches!(
            changed_quantity(set(1), None, shelf(9)),
            Err(ShopError::NotInCart)
        ));
        assert!(matches!(
            changed_quantity(LineChange::Add(quantity(99)), Some(1), shelf(500)),
            Err(ShopError::InvalidQuantity(_))
        ));
    }
}
