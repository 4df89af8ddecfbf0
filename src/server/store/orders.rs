//! Orders at checkout: the draft bound to a cart, its PaymentIntents (one current),
//! and the lock that copies lines, prices and delivery details into it.

use super::{
    commands::queue_cancel,
    corrupt, database_error,
    engine::{execute, fetch_all, fetch_one, fetch_optional, write_transaction, Tx},
    holds::{hold_stock, release_holds},
    new_id, priced_lines, Store, StoreError, UnixTime,
};
use crate::domain::{
    CartView, DeliveryDetails, Destination, Field, FieldErrors, Money, OrderStatus, OrderTotals,
    Problem, ShippingOption, ShopError, Tax, TaxKind, TaxRate, TaxRule,
};
use sqlx::FromRow;

/// A cart with its version, read in one snapshot.
#[derive(Clone, Debug)]
pub struct PricedCart {
    pub version: i64,
    pub shipping: ShippingOption,
    /// Where the checkout last said the cart is going.
    pub destination: Destination,
    /// The tax that applies there, from `tax_rates` in the same snapshot.
    pub tax: TaxRule,
    pub view: CartView,
}

/// The PaymentIntent an order currently charges through.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct CurrentPaymentIntent {
    pub id: String,
    pub generation: i64,
    pub amount_minor: i64,
    pub currency: String,
}

/// The open order a checkout works on.
#[derive(Clone, Debug)]
pub struct CheckoutOrder {
    pub id: String,
    pub status: OrderStatus,
    pub generation: i64,
    pub current: Option<CurrentPaymentIntent>,
    /// The status of the locked order this checkout cancelled (the cart changed).
    pub replaced: Option<OrderStatus>,
}

/// An order locked at submit, and the status it was locked from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Locked {
    pub order_id: String,
    pub was: OrderStatus,
}

/// What recording a PaymentIntent did. Either way, every PaymentIntent the order no
/// longer wants paid has its cancel queued in the same transaction.
#[derive(Debug, PartialEq, Eq)]
pub enum Recorded {
    /// It is the order's current PaymentIntent; earlier ones are being cancelled.
    Current,
    /// A newer generation was started meanwhile: this one is being cancelled instead.
    Stale,
}

/// When repeated declines pause a cart's checkout (card testing looks like this):
/// `max_failures` failed attempts within `window_secs` of each other pause it for
/// `window_secs`, and its order's PaymentIntent is cancelled at Stripe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FailureLock {
    pub max_failures: i64,
    pub window_secs: i64,
}

/// What the shopper submitted, with what their page showed them.
#[derive(Debug)]
pub struct LockRequest<'a> {
    pub cart_id: &'a str,
    pub payment_intent: &'a str,
    pub seen_cart_version: i64,
    pub seen_total: i64,
    pub shipping: ShippingOption,
    pub details: &'a DeliveryDetails,
    /// The shopper's language (`en`, `zh-CN`): the order's emails are written in it.
    pub locale: &'a str,
    /// What Stripe says the PaymentIntent will charge, read just before the lock.
    pub charged_minor: i64,
    /// How long the order's units are held for it, in seconds.
    pub hold_secs: i64,
}

/// The cart's open order as a glance shows it.
#[derive(Clone, Debug, FromRow)]
pub struct OpenOrder {
    pub id: String,
    pub status: String,
    pub cart_version: i64,
    pub total_minor: i64,
    pub shipping_option: String,
    pub current_payment_intent: Option<String>,
}

#[derive(FromRow)]
struct OrderRow {
    id: String,
    status: String,
    cart_version: i64,
    total_minor: i64,
    shipping_option: String,
    pi_generation: i64,
}

/// The statuses of a cart's open order (at most one per cart, by a unique index).
/// `processing` is open: money is moving, and a second order would charge again.
const OPEN: &str = "('draft', 'awaiting_payment', 'processing', 'payment_failed')";

impl Store {
    /// The cart's lines, subtotal and version from one consistent snapshot.
    #[tracing::instrument(skip(self))]
    pub async fn priced_cart(&self, cart_id: &str) -> Result<PricedCart, ShopError> {
        let mut tx = self
            .pool
            .begin_read()
            .await
            .map_err(database_error("starting a read"))?;
        let cart = cart_row(&mut tx, cart_id).await?;
        let tax = tax_rule(&mut tx, &cart.destination).await?;
        let view = priced_lines(tx.executor(), cart_id).await?;
        tx.commit()
            .await
            .map_err(database_error("finishing a read"))?;
        Ok(PricedCart {
            version: cart.version,
            shipping: ShippingOption::parse(&cart.shipping)
                .ok_or_else(|| corrupt("shipping option"))?,
            destination: cart.destination,
            tax,
            view,
        })
    }

    /// Says where the cart is going, for its tax. A change is a new cart version, as a
    /// new delivery option is: a page priced for the old address cannot lock.
    #[tracing::instrument(skip(self))]
    pub async fn set_destination(
        &self,
        cart_id: &str,
        destination: &Destination,
        now: UnixTime,
    ) -> Result<(), ShopError> {
        execute!(
            self.pool,
            sqlx::query(
                "UPDATE carts SET tax_country = $2, tax_region = $3, version = version + 1,
                     updated_at = $4
                 WHERE id = $1 AND (tax_country <> $2 OR tax_region <> $3)",
            )
            .bind(cart_id)
            .bind(destination.country())
            .bind(destination.region())
            .bind(now)
        )
        .map_err(database_error("setting a cart's destination"))?;
        Ok(())
    }

    /// Chooses the cart's delivery option. A change is a new cart version, like any
    /// other cart change; choosing the current option changes nothing.
    #[tracing::instrument(skip(self))]
    pub async fn set_shipping(
        &self,
        cart_id: &str,
        shipping: ShippingOption,
        now: UnixTime,
    ) -> Result<(), ShopError> {
        execute!(
            self.pool,
            sqlx::query(
                "UPDATE carts SET shipping_option = $2, version = version + 1, updated_at = $3
                 WHERE id = $1 AND shipping_option <> $2",
            )
            .bind(cart_id)
            .bind(shipping.code())
            .bind(now)
        )
        .map_err(database_error("choosing a delivery option"))?;
        Ok(())
    }

    /// The cart's open order, brought up to date with the cart priced at `version`:
    /// a draft is re-priced; a locked order for the same version and total is kept; a
    /// locked order for anything else is cancelled (its PaymentIntents' cancels
    /// queued) and a new draft starts.
    #[tracing::instrument(skip(self))]
    pub async fn open_checkout(
        &self,
        cart_id: &str,
        version: i64,
        totals: OrderTotals,
        shipping: ShippingOption,
        locale: &str,
        now: UnixTime,
    ) -> Result<CheckoutOrder, ShopError> {
        let priced = Priced {
            version,
            totals,
            shipping,
            locale,
        };
        let (order, units_released) = write_transaction!(self, "opening a checkout", |tx| {
            refuse_if_paused(&mut tx, cart_id, now).await?;
            let (id, status, generation, replaced) = match open_order_row(&mut tx, cart_id).await? {
                Some(order) => bring_up_to_date(&mut tx, order, cart_id, &priced, now).await?,
                None => {
                    let (id, status, generation) =
                        insert_draft(&mut tx, cart_id, &priced, now).await?;
                    (id, status, generation, None)
                }
            };
            let current = current_payment_intent(&mut tx, &id).await?;
            let released = replaced.is_some_and(|(_, released)| released);
            let order = CheckoutOrder {
                id,
                status,
                generation,
                current,
                replaced: replaced.map(|(status, _)| status),
            };
            Ok((order, released))
        })?;
        self.stock_changed(units_released);
        Ok(order)
    }

    /// Moves the order to a new PaymentIntent generation, unless someone already did:
    /// returns the generation to use next either way.
    #[tracing::instrument(skip(self))]
    pub async fn next_generation(&self, order_id: &str, seen: i64) -> Result<i64, ShopError> {
        write_transaction!(self, "starting a payment generation", |tx| {
            execute!(
                tx,
                sqlx::query(
                    "UPDATE orders SET pi_generation = pi_generation + 1
                     WHERE id = $1 AND pi_generation = $2",
                )
                .bind(order_id)
                .bind(seen)
            )
            .map_err(database_error("starting a payment generation"))?;
            generation_of(&mut tx, order_id).await
        })
    }

    /// Records `payment_intent` (created or updated at `generation`) as the order's
    /// current one, unless a newer generation has started meanwhile.
    #[tracing::instrument(skip(self, client_secret_hash))]
    #[allow(clippy::too_many_arguments)]
    pub async fn record_payment_intent(
        &self,
        order_id: &str,
        generation: i64,
        payment_intent: &str,
        amount: Money,
        cart_version: i64,
        client_secret_hash: &str,
        now: UnixTime,
    ) -> Result<Recorded, ShopError> {
        let record = PaymentRecord {
            order_id,
            generation,
            payment_intent,
            amount,
            cart_version,
            client_secret_hash,
        };
        write_transaction!(self, "recording a payment", |tx| {
            let stale = generation_of(&mut tx, order_id).await? != generation;
            // A stale one must never be paid: the shopper's next try gets the new one.
            // Otherwise the order's earlier ones must not be.
            let superseded = if stale {
                vec![payment_intent.to_owned()]
            } else {
                retire_earlier_payments(&mut tx, order_id, payment_intent).await?
            };
            upsert_payment_intent(&mut tx, &record, !stale, now).await?;
            // Cancelled through the durable queue, decided in this very transaction: a
            // superseded PaymentIntent left confirmable could be paid from an old tab.
            for superseded in &superseded {
                let reason = "superseded by a newer PaymentIntent";
                queue_cancel(&mut tx, superseded, order_id, reason, now).await?;
            }
            if !stale && !superseded.is_empty() {
                let note = "payment superseded by a new PaymentIntent";
                timeline(&mut tx, order_id, now, note).await?;
            }
            Ok(if stale {
                Recorded::Stale
            } else {
                Recorded::Current
            })
        })
    }

    /// Submit: re-prices the cart inside one write transaction and, if it still
    /// matches what the shopper saw and the current PaymentIntent charges, copies lines,
    /// prices and delivery into the order and locks it (`awaiting_payment`). A locked
    /// order may be submitted again (a corrected email after a decline, say).
    #[tracing::instrument(skip(self, request), fields(cart = request.cart_id))]
    pub async fn lock_order(
        &self,
        request: LockRequest<'_>,
        now: UnixTime,
    ) -> Result<Locked, ShopError> {
        let locked = write_transaction!(self, "locking an order", |tx| {
            refuse_if_paused(&mut tx, request.cart_id, now).await?;
            let mut cart = cart_as_it_stands(&mut tx, request.cart_id).await?;
            // Named as the shopper read them: the order's page and emails quote these.
            super::product_texts::rename_in(&mut tx, &mut cart.view, request.locale).await?;
            let changed = ShopError::CartChanged {
                total: cart.totals.total,
            };
            let Some(order) = open_order_row(&mut tx, request.cart_id).await? else {
                return Err(changed.into());
            };
            if order.status == OrderStatus::Processing.as_str() {
                return Err(ShopError::AlreadyPaying.into());
            }
            let current = current_payment_intent(&mut tx, &order.id).await?;
            // No tax can be worked out without the state where states differ: the
            // shopper is asked for it, next to the field.
            if cart.totals.tax == Tax::Pending {
                let problem = match cart.destination.country() {
                    "CA" => Problem::NeedsProvince,
                    _ => Problem::NeedsState,
                };
                let errors = FieldErrors(vec![(Field::Region, problem)]);
                return Err(ShopError::InvalidDetails(errors).into());
            }
            if !still_priced_as_seen(&request, &cart, &order, current.as_ref()) {
                tracing::info!("the submitted page's price no longer holds");
                return Err(changed.into());
            }
            refuse_if_short(&cart.view)?;
            lock(&mut tx, &order, &cart.view, &cart.totals, &request, now).await?;
            let was = OrderStatus::parse(&order.status).ok_or_else(|| corrupt("status"))?;
            Ok(Locked {
                order_id: order.id,
                was,
            })
        })?;
        self.stock_changed(true);
        Ok(locked)
    }

    /// Until when the cart's checkout is paused after repeated declines, if it is now.
    pub async fn checkout_paused_until(
        &self,
        cart_id: &str,
        now: UnixTime,
    ) -> Result<Option<UnixTime>, ShopError> {
        let until: Option<i64> = fetch_optional!(
            self.pool,
            sqlx::query_scalar("SELECT checkout_paused_until FROM carts WHERE id = $1")
                .bind(cart_id)
        )
        .map_err(database_error("reading a checkout pause"))?;
        Ok(until.filter(|until| *until > now))
    }

    /// The cart's open order, if any, with its current PaymentIntent.
    pub async fn open_order(&self, cart_id: &str) -> Result<Option<OpenOrder>, ShopError> {
        fetch_optional!(
            self.pool,
            sqlx::query_as(&format!(
                "SELECT o.id, o.status, o.cart_version, o.total_minor, o.shipping_option,
                     p.id AS current_payment_intent
                 FROM orders o
                 LEFT JOIN order_payment_intents p ON p.order_id = o.id AND p.is_current = 1
                 WHERE o.cart_id = $1 AND o.status IN {OPEN}"
            ))
            .bind(cart_id)
        )
        .map_err(database_error("reading the open order"))
        .map_err(ShopError::from)
    }

    /// An order's status, for tests and the confirmation page.
    pub async fn order_status(&self, order_id: &str) -> Result<Option<OrderStatus>, ShopError> {
        let status: Option<String> = fetch_optional!(
            self.pool,
            sqlx::query_scalar("SELECT status FROM orders WHERE id = $1").bind(order_id)
        )
        .map_err(database_error("reading an order"))?;
        status
            .map(|status| OrderStatus::parse(&status).ok_or_else(|| corrupt("status")))
            .transpose()
    }
}

/// What a checkout was priced at: the cart's version, its totals and delivery, and
/// the language of the shopper it was priced for.
#[derive(Clone, Copy, Debug)]
struct Priced<'a> {
    version: i64,
    totals: OrderTotals,
    shipping: ShippingOption,
    locale: &'a str,
}

/// The cart as it stands, priced inside the lock's transaction.
struct CartNow {
    version: i64,
    shipping: String,
    destination: Destination,
    view: CartView,
    totals: OrderTotals,
}

/// A PaymentIntent to record for an order.
struct PaymentRecord<'a> {
    order_id: &'a str,
    generation: i64,
    payment_intent: &'a str,
    amount: Money,
    cart_version: i64,
    client_secret_hash: &'a str,
}

/// What the checkout's order is now: (id, status, generation), and, when a locked
/// order was replaced, its status and whether its units went back on the shelf.
type UpToDate = (String, OrderStatus, i64, Option<(OrderStatus, bool)>);

/// Brings the cart's open `order` up to date with `priced`.
async fn bring_up_to_date(
    tx: &mut Tx,
    order: OrderRow,
    cart_id: &str,
    priced: &Priced<'_>,
    now: UnixTime,
) -> Result<UpToDate, StoreError> {
    let status = OrderStatus::parse(&order.status).ok_or_else(|| corrupt("status"))?;
    if status == OrderStatus::Processing {
        // The bank is still deciding: neither re-price nor replace it.
        return Err(ShopError::AlreadyPaying.into());
    }
    if status == OrderStatus::Draft {
        reprice_draft(tx, &order.id, priced, now).await?;
        return Ok((order.id, status, order.pi_generation, None));
    }
    let unchanged = order.cart_version == priced.version
        && order.total_minor == priced.totals.total.minor()
        && order.shipping_option == priced.shipping.code();
    if unchanged {
        return Ok((order.id, status, order.pi_generation, None));
    }
    // A locked order no longer matches the cart: it is abandoned, and its
    // PaymentIntent must never be confirmed for the old amount.
    let released = abandon(tx, &order.id, now).await?;
    let (id, draft, generation) = insert_draft(tx, cart_id, priced, now).await?;
    Ok((id, draft, generation, Some((status, released))))
}

async fn reprice_draft(
    tx: &mut Tx,
    order_id: &str,
    priced: &Priced<'_>,
    now: UnixTime,
) -> Result<(), StoreError> {
    let totals = priced.totals;
    execute!(
        tx,
        sqlx::query(
            "UPDATE orders SET cart_version = $2, currency = $3, subtotal_minor = $4,
                 shipping_minor = $5, total_minor = $6, shipping_option = $7, updated_at = $8,
                 locale = $9
             WHERE id = $1",
        )
        .bind(order_id)
        .bind(priced.version)
        .bind(totals.total.currency().code())
        .bind(totals.subtotal.minor())
        .bind(totals.shipping.minor())
        .bind(totals.total.minor())
        .bind(priced.shipping.code())
        .bind(now)
        .bind(priced.locale)
    )
    .map_err(database_error("re-pricing a draft order"))?;
    write_tax(tx, order_id, &totals).await
}

/// Writes the order's tax line beside the total that includes it.
async fn write_tax(tx: &mut Tx, order_id: &str, totals: &OrderTotals) -> Result<(), StoreError> {
    let basis_points = match totals.tax {
        Tax::Charged { basis_points, .. } => i64::from(basis_points),
        Tax::Pending | Tax::NoneApplies => 0,
    };
    execute!(
        tx,
        sqlx::query("UPDATE orders SET tax = $2, tax_rate_bp = $3, tax_minor = $4 WHERE id = $1")
            .bind(order_id)
            .bind(totals.tax.code())
            .bind(basis_points)
            .bind(totals.tax.amount(totals.total.currency()).minor())
    )
    .map_err(database_error("writing an order's tax"))?;
    Ok(())
}

/// Cancels a locked order the cart no longer matches: its units go back on the shelf
/// and its current PaymentIntent's cancel is queued. Whether units went back.
async fn abandon(tx: &mut Tx, order_id: &str, now: UnixTime) -> Result<bool, StoreError> {
    execute!(
        tx,
        sqlx::query("UPDATE orders SET status = 'canceled', updated_at = $2 WHERE id = $1")
            .bind(order_id)
            .bind(now)
    )
    .map_err(database_error("cancelling a superseded order"))?;
    timeline(tx, order_id, now, "canceled: the cart changed after submit").await?;
    let released = release_holds(tx, order_id).await?;
    let superseded: Vec<String> = fetch_all!(
        tx,
        sqlx::query_scalar(
            "SELECT id FROM order_payment_intents WHERE order_id = $1 AND is_current = 1",
        )
        .bind(order_id)
    )
    .map_err(database_error("reading superseded payments"))?;
    for payment_intent in &superseded {
        let reason = "its order was replaced: the cart changed after submit";
        queue_cancel(tx, payment_intent, order_id, reason, now).await?;
    }
    Ok(released)
}

/// The order's PaymentIntent generation.
async fn generation_of(tx: &mut Tx, order_id: &str) -> Result<i64, StoreError> {
    fetch_one!(
        tx,
        sqlx::query_scalar("SELECT pi_generation FROM orders WHERE id = $1").bind(order_id)
    )
    .map_err(database_error("reading a payment generation"))
}

/// Makes every PaymentIntent of the order but `current` non-current: those that were
/// current until now, to be cancelled.
async fn retire_earlier_payments(
    tx: &mut Tx,
    order_id: &str,
    current: &str,
) -> Result<Vec<String>, StoreError> {
    let earlier: Vec<String> = fetch_all!(
        tx,
        sqlx::query_scalar(
            "SELECT id FROM order_payment_intents
             WHERE order_id = $1 AND is_current = 1 AND id <> $2",
        )
        .bind(order_id)
        .bind(current)
    )
    .map_err(database_error("reading earlier payments"))?;
    execute!(
        tx,
        sqlx::query(
            "UPDATE order_payment_intents SET is_current = 0 WHERE order_id = $1 AND id <> $2",
        )
        .bind(order_id)
        .bind(current)
    )
    .map_err(database_error("retiring earlier payments"))?;
    Ok(earlier)
}

async fn upsert_payment_intent(
    tx: &mut Tx,
    record: &PaymentRecord<'_>,
    current: bool,
    now: UnixTime,
) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query(
            "INSERT INTO order_payment_intents
                 (id, order_id, generation, amount_minor, currency, cart_version,
                  client_secret_hash, is_current, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (id) DO UPDATE SET amount_minor = excluded.amount_minor,
                 cart_version = excluded.cart_version, is_current = excluded.is_current",
        )
        .bind(record.payment_intent)
        .bind(record.order_id)
        .bind(record.generation)
        .bind(record.amount.minor())
        .bind(record.amount.currency().code())
        .bind(record.cart_version)
        .bind(record.client_secret_hash)
        .bind(i64::from(current))
        .bind(now)
    )
    .map_err(database_error("recording a payment"))?;
    Ok(())
}

/// A cart's row: version, delivery option and destination.
struct CartRow {
    version: i64,
    shipping: String,
    destination: Destination,
}

async fn cart_row(tx: &mut Tx, cart_id: &str) -> Result<CartRow, StoreError> {
    let (version, shipping, country, region): (i64, String, String, String) = fetch_optional!(
        tx,
        sqlx::query_as(
            "SELECT version, shipping_option, tax_country, tax_region FROM carts WHERE id = $1"
        )
        .bind(cart_id)
    )
    .map_err(database_error("reading a cart version"))?
    .ok_or(ShopError::NotInCart)?;
    Ok(CartRow {
        version,
        shipping,
        destination: Destination::parse(&country, &region)
            .map_err(|_| corrupt("cart destination"))?,
    })
}

/// The tax rule for `destination`, from the country's rows of `tax_rates`.
async fn tax_rule(tx: &mut Tx, destination: &Destination) -> Result<TaxRule, StoreError> {
    if destination.country().is_empty() {
        return Ok(TaxRule::Pending);
    }
    let rows: Vec<(String, String, String, i64, bool)> = fetch_all!(
        tx,
        sqlx::query_as(
            "SELECT region, region_name, kind, rate_bp, on_shipping FROM tax_rates
             WHERE country = $1",
        )
        .bind(destination.country())
    )
    .map_err(database_error("reading tax rates"))?;
    let rates = rows
        .iter()
        .map(|(region, name, kind, basis_points, on_shipping)| {
            let rate = TaxRate {
                kind: TaxKind::parse(kind).ok_or_else(|| corrupt("tax kind"))?,
                basis_points: u32::try_from(*basis_points).map_err(corrupt)?,
                on_shipping: *on_shipping,
            };
            Ok((region.as_str(), name.as_str(), rate))
        })
        .collect::<Result<Vec<_>, ShopError>>()?;
    Ok(destination.rule(rates))
}

/// The cart priced as it stands, with its own delivery option and destination.
async fn cart_as_it_stands(tx: &mut Tx, cart_id: &str) -> Result<CartNow, StoreError> {
    let cart = cart_row(tx, cart_id).await?;
    let tax = tax_rule(tx, &cart.destination).await?;
    let view = priced_lines(tx.executor(), cart_id).await?;
    let subtotal = view.subtotal.ok_or(ShopError::EmptyCart)?;
    let option = ShippingOption::parse(&cart.shipping).ok_or_else(|| corrupt("shipping option"))?;
    let totals = OrderTotals::new(subtotal, option, tax).ok_or_else(|| corrupt("total"))?;
    Ok(CartNow {
        version: cart.version,
        shipping: cart.shipping,
        destination: cart.destination,
        view,
        totals,
    })
}

/// Whether the page the shopper submitted from shows the price the PaymentIntent
/// would charge: the cart, its delivery, the order and the PaymentIntent all agree.
fn still_priced_as_seen(
    request: &LockRequest<'_>,
    cart: &CartNow,
    order: &OrderRow,
    current: Option<&CurrentPaymentIntent>,
) -> bool {
    let total = cart.totals.total;
    let current_matches = current.is_some_and(|current| {
        current.id == request.payment_intent
            && current.amount_minor == total.minor()
            && current.currency == total.currency().code()
    });
    // The tax was worked out for where the cart is going: the order must be going
    // there too (the submit sets the destination first, so this holds unless a
    // second tab moved it in between).
    let same_destination = Destination::parse(&request.details.country, &request.details.region)
        .is_ok_and(|submitted| submitted == cart.destination);
    cart.version == request.seen_cart_version
        && same_destination
        && cart.shipping == request.shipping.code()
        && order.cart_version == cart.version
        && order.shipping_option == request.shipping.code()
        && order.total_minor == total.minor()
        && request.seen_total == total.minor()
        && request.charged_minor == total.minor()
        && current_matches
}

/// Refuses a line the shelf cannot cover. `stock` is what other carts' holds leave:
/// the last unit goes to the first shopper to submit, and nobody is charged for goods
/// the shop cannot send.
fn refuse_if_short(view: &CartView) -> Result<(), ShopError> {
    for line in &view.lines {
        if line.quantity.get() > line.stock {
            return Err(match line.stock {
                0 => ShopError::SoldOut {
                    product: line.name.clone(),
                },
                available => ShopError::NotEnoughStock {
                    product: line.name.clone(),
                    available,
                },
            });
        }
    }
    Ok(())
}

/// Locks `order`: the cart's lines and prices and the shopper's delivery copied in,
/// its units held, and the order awaiting payment.
async fn lock(
    tx: &mut Tx,
    order: &OrderRow,
    view: &CartView,
    totals: &OrderTotals,
    request: &LockRequest<'_>,
    now: UnixTime,
) -> Result<(), StoreError> {
    copy_lines(tx, &order.id, view).await?;
    hold_stock(tx, &order.id, view, now.saturating_add(request.hold_secs)).await?;
    copy_delivery(tx, &order.id, request.details).await?;
    // The tax line it showed, locked with the total it is part of (checked above).
    write_tax(tx, &order.id, totals).await?;
    // A draft is locked; after a failed attempt the shopper is paying again.
    let was = OrderStatus::parse(&order.status).ok_or_else(|| corrupt("status"))?;
    execute!(
        tx,
        sqlx::query("UPDATE orders SET status = $2, updated_at = $3, locale = $4 WHERE id = $1")
            .bind(&order.id)
            .bind(OrderStatus::AwaitingPayment.as_str())
            .bind(now)
            .bind(request.locale)
    )
    .map_err(database_error("locking an order"))?;
    if was != OrderStatus::AwaitingPayment {
        timeline(tx, &order.id, now, "submitted: awaiting payment").await?;
    }
    Ok(())
}

/// Copies contact and delivery into the order: the shopper's at submit, or those
/// given to Stripe for a payment made without it.
pub(super) async fn copy_delivery(
    tx: &mut Tx,
    order_id: &str,
    details: &DeliveryDetails,
) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query(
            "UPDATE orders SET email = $2, full_name = $3, address_line1 = $4, address_line2 = $5,
                 city = $6, region = $7, postal_code = $8, country = $9
             WHERE id = $1",
        )
        .bind(order_id)
        .bind(details.email.as_str())
        .bind(&details.name)
        .bind(&details.line1)
        .bind(&details.line2)
        .bind(&details.city)
        .bind(&details.region)
        .bind(&details.postal_code)
        .bind(&details.country)
    )
    .map_err(database_error("copying contact and delivery"))?;
    Ok(())
}

/// Replaces the order's lines with the cart's, prices included: what the shopper
/// bought is kept even if the catalog changes later.
pub(super) async fn copy_lines(
    tx: &mut Tx,
    order_id: &str,
    view: &CartView,
) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query("DELETE FROM order_lines WHERE order_id = $1").bind(order_id)
    )
    .map_err(database_error("clearing order lines"))?;
    for (position, line) in view.lines.iter().enumerate() {
        execute!(
            tx,
            sqlx::query(
                "INSERT INTO order_lines (order_id, product_id, name, unit_price_minor, quantity,
                     line_total_minor, position)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(order_id)
            .bind(line.product_id.as_str())
            .bind(&line.name)
            .bind(line.unit_price.minor())
            .bind(i64::from(line.quantity.get()))
            .bind(line.line_total.minor())
            .bind(i64::try_from(position).unwrap_or(i64::MAX))
        )
        .map_err(database_error("copying an order line"))?;
    }
    Ok(())
}

/// Refuses while the cart's checkout is paused after repeated declines.
async fn refuse_if_paused(tx: &mut Tx, cart_id: &str, now: UnixTime) -> Result<(), StoreError> {
    let paused: Option<i64> = fetch_optional!(
        tx,
        sqlx::query_scalar(
            "SELECT checkout_paused_until FROM carts WHERE id = $1 AND checkout_paused_until > $2",
        )
        .bind(cart_id)
        .bind(now)
    )
    .map_err(database_error("reading a checkout pause"))?;
    match paused {
        Some(_) => {
            tracing::warn!(cart = %cart_id, "checkout paused after repeated declines");
            Err(ShopError::TooManyRequests.into())
        }
        None => Ok(()),
    }
}

/// The cart's open order (draft or submitted), inside `tx`.
async fn open_order_row(tx: &mut Tx, cart_id: &str) -> Result<Option<OrderRow>, StoreError> {
    fetch_optional!(
        tx,
        sqlx::query_as(&format!(
            "SELECT id, status, cart_version, total_minor, shipping_option, pi_generation
             FROM orders WHERE cart_id = $1 AND status IN {OPEN}"
        ))
        .bind(cart_id)
    )
    .map_err(database_error("reading the open order"))
}

/// The order's current PaymentIntent, inside `tx`.
async fn current_payment_intent(
    tx: &mut Tx,
    order_id: &str,
) -> Result<Option<CurrentPaymentIntent>, StoreError> {
    fetch_optional!(
        tx,
        sqlx::query_as(
            "SELECT id, generation, amount_minor, currency FROM order_payment_intents
             WHERE order_id = $1 AND is_current = 1",
        )
        .bind(order_id)
    )
    .map_err(database_error("reading the current payment"))
}

async fn insert_draft(
    tx: &mut Tx,
    cart_id: &str,
    priced: &Priced<'_>,
    now: UnixTime,
) -> Result<(String, OrderStatus, i64), StoreError> {
    let id = new_id("ord");
    let totals = priced.totals;
    execute!(
        tx,
        sqlx::query(
            "INSERT INTO orders (id, cart_id, status, cart_version, currency, subtotal_minor,
                 shipping_minor, total_minor, shipping_option, pi_generation, created_at,
                 updated_at, reference, locale)
             VALUES ($1, $2, 'draft', $3, $4, $5, $6, $7, $8, 0, $9, $9, $10, $11)",
        )
        .bind(&id)
        .bind(cart_id)
        .bind(priced.version)
        .bind(totals.total.currency().code())
        .bind(totals.subtotal.minor())
        .bind(totals.shipping.minor())
        .bind(totals.total.minor())
        .bind(priced.shipping.code())
        .bind(now)
        // What the confirmation page's address shows: random, revealing nothing.
        .bind(new_id("R").replace('_', ""))
        .bind(priced.locale)
    )
    .map_err(database_error("creating a draft order"))?;
    write_tax(tx, &id, &totals).await?;
    timeline(tx, &id, now, "draft: checkout started").await?;
    Ok((id, OrderStatus::Draft, 0))
}

pub(super) async fn timeline(
    tx: &mut Tx,
    order_id: &str,
    now: UnixTime,
    entry: &str,
) -> Result<(), StoreError> {
    timeline_by(tx, order_id, now, entry, None).await
}

/// Adds `entry` to the order's timeline, written by `actor` (an operator's name), or
/// by the shop itself when `None`.
pub(super) async fn timeline_by(
    tx: &mut Tx,
    order_id: &str,
    now: UnixTime,
    entry: &str,
    actor: Option<&str>,
) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query(
            "INSERT INTO order_timeline (order_id, at, entry, actor) VALUES ($1, $2, $3, $4)",
        )
        .bind(order_id)
        .bind(now)
        .bind(entry)
        .bind(actor)
    )
    .map_err(database_error("writing the order timeline"))?;
    Ok(())
}
