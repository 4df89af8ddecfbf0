//! The checkout's server side (ssr only). Steps 2 and 4 of DESIGN.md's payment flow: price the cart, keep the order's
//! PaymentIntent in step with it, and lock the order at submit.
//!
//! Money rules: every amount here comes from the database, never from the browser;
//! every Stripe write carries an idempotency key derived from what it does, so a retry,
//! a double click or two tabs never create a second PaymentIntent for the same state.

use crate::domain::{
    CartView, Destination, OrderStatus, OrderTotals, PaymentSession, ProductId, ShippingOption,
    ShopError, Submission,
};
use crate::server::rate_limit::Refused;
use crate::server::{
    shopper::{now, Shopper},
    store::{CheckoutOrder, LockRequest, PricedCart, Recorded, Turn},
    stripe::{
        CreatePaymentIntent, IdempotencyKey, PaymentIntent, PaymentIntentStatus, StripeFailure,
    },
    AppState,
};
use std::time::Duration;

/// Who is asking: the shopper (their language, their client IP, and how a limit
/// refuses them) and the cart they check out.
pub struct Caller<'a> {
    pub shopper: &'a Shopper,
    pub cart_id: &'a str,
}

impl Caller<'_> {
    /// A rate limit's refusal as the caller's 429 (with its `Retry-After`).
    fn refused(&self, refused: Refused) -> ShopError {
        self.shopper.too_many_requests(refused)
    }

    /// The shopper's language: kept on the draft, so even a payment made without the
    /// submit step is confirmed in it.
    fn locale(&self) -> crate::i18n::Locale {
        self.shopper.locale()
    }
}

impl std::fmt::Debug for Caller<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Caller")
            .field("cart_id", &self.cart_id)
            .field("ip", &self.shopper.client_ip())
            .finish_non_exhaustive()
    }
}

/// The longest a shopper waits for a prepare or submit, Stripe's retries included.
const DEADLINE: Duration = Duration::from_secs(20);

/// What a prepare changes before it prices: the delivery option and where the cart
/// is going, each only when the page said.
#[derive(Debug, Default)]
pub struct Choices {
    /// The delivery option the page chose, if it chose one.
    pub shipping: Option<ShippingOption>,
    /// Where the form says the parcel goes, if the page said.
    pub destination: Option<Destination>,
}

impl Choices {
    /// The page's choices as it sends them: a delivery option's code (empty keeps the
    /// cart's), a country (empty keeps the cart's destination) and a state.
    pub fn parse(shipping: &str, country: &str, region: &str) -> Result<Self, ShopError> {
        let shipping = match shipping {
            "" => None,
            code => Some(ShippingOption::parse(code).ok_or_else(|| {
                ShopError::BadRequest("that delivery option does not exist".into())
            })?),
        };
        let destination = match country.trim() {
            "" => None,
            _ => Some(
                Destination::parse(country, region)
                    .map_err(|reason| ShopError::BadRequest(reason.into()))?,
            ),
        };
        Ok(Self {
            shipping,
            destination,
        })
    }
}

/// Makes the `choices` the cart's, without pricing or touching Stripe (the no-JS
/// checkout's re-pricing; its page prices the cart when it renders). Limited and
/// serialised like a prepare: it writes the same cart.
#[tracing::instrument(skip(state))]
pub async fn choose(
    state: &AppState,
    caller: &Caller<'_>,
    choices: Choices,
) -> Result<(), ShopError> {
    let _turn = cart_turn(state, caller).await?;
    make_choices(state, caller, &choices).await
}

/// Counts a pricing against the cart's limit, then waits for the cart's turn: one step
/// at a time per cart, so two tabs pricing different carts never interleave their
/// writes, or their amount updates at Stripe.
async fn cart_turn(state: &AppState, caller: &Caller<'_>) -> Result<Turn, ShopError> {
    state
        .limits
        .prepare(caller.cart_id)
        .await
        .map_err(|refused| caller.refused(refused))?;
    state
        .store
        .turn("cart", caller.cart_id, &state.cart_locks)
        .await
}

async fn make_choices(
    state: &AppState,
    caller: &Caller<'_>,
    choices: &Choices,
) -> Result<(), ShopError> {
    if let Some(shipping) = choices.shipping {
        state
            .store
            .set_shipping(caller.cart_id, shipping, now())
            .await?;
    }
    if let Some(destination) = &choices.destination {
        state
            .store
            .set_destination(caller.cart_id, destination, now())
            .await?;
    }
    Ok(())
}

/// Prices the cart, creates or reuses its draft order and brings the order's
/// PaymentIntent to the cart's total, tax included. The `choices` are made first.
#[tracing::instrument(skip(state))]
pub async fn prepare(
    state: &AppState,
    caller: &Caller<'_>,
    choices: Choices,
) -> Result<PaymentSession, ShopError> {
    let _turn = cart_turn(state, caller).await?;
    tokio::time::timeout(DEADLINE, prepare_now(state, caller, choices))
        .await
        .unwrap_or_else(|_| {
            tracing::warn!("preparing the payment took too long");
            Err(ShopError::PaymentUnavailable)
        })
}

async fn prepare_now(
    state: &AppState,
    caller: &Caller<'_>,
    choices: Choices,
) -> Result<PaymentSession, ShopError> {
    make_choices(state, caller, &choices).await?;
    let priced = state.store.priced_cart(caller.cart_id).await?;
    let totals = totals_of(&priced)?;
    if let Err((error, product)) = check_stock(&priced.view) {
        return Err(state
            .store
            .stock_refusal_in(error, &product, caller.locale())
            .await);
    }
    refuse_if_being_paid(state, caller.cart_id, &priced, totals).await?;
    let order = state
        .store
        .open_checkout(
            caller.cart_id,
            priced.version,
            totals,
            priced.shipping,
            leptos_i18n::Locale::as_str(caller.locale()),
            now(),
        )
        .await?;
    if let Some(replaced) = order.replaced {
        state.metrics.moved(replaced.as_str(), "canceled");
    }
    let intent = current_payment_intent(state, caller, &order, &priced, totals).await?;
    Ok(PaymentSession {
        publishable_key: state.payments.publishable_key.clone(),
        client_secret: intent.client_secret,
        payment_intent: intent.id,
        totals,
        shipping: priced.shipping,
        cart_version: priced.version,
    })
}

/// An order that no longer matches the cart is about to be re-priced (a draft) or
/// replaced by a new draft (a submitted one). If its payment is already under way
/// (confirmed in another tab, a webhook not yet in), that could charge the shopper
/// twice: refuse instead.
async fn refuse_if_being_paid(
    state: &AppState,
    cart_id: &str,
    priced: &PricedCart,
    totals: OrderTotals,
) -> Result<(), ShopError> {
    let Some(open) = state.store.open_order(cart_id).await? else {
        return Ok(());
    };
    if open.status == "processing" {
        return Err(ShopError::AlreadyPaying);
    }
    let unchanged = open.cart_version == priced.version
        && open.total_minor == totals.total.minor()
        && open.shipping_option == priced.shipping.code();
    // A draft counts too: its PaymentIntent may have been confirmed straight at Stripe
    // with a delayed method, and re-pricing the draft first would turn that payment's
    // success into an amount mismatch.
    let Some(current) = open.current_payment_intent.filter(|_| !unchanged) else {
        return Ok(());
    };
    match state
        .payments
        .client
        .retrieve_payment_intent(&current)
        .await
    {
        Ok(intent) if under_way(intent.status) => Err(ShopError::AlreadyPaying),
        Ok(_) => Ok(()),
        Err(StripeFailure::Refused { error, .. })
            if error.code.as_deref() == Some("resource_missing") =>
        {
            Ok(())
        }
        Err(failure) => {
            tracing::warn!(%failure, "could not check a submitted order's payment");
            Err(ShopError::PaymentUnavailable)
        }
    }
}

/// Money is moving or has moved: the PaymentIntent must not be replaced.
fn under_way(status: PaymentIntentStatus) -> bool {
    matches!(
        status,
        PaymentIntentStatus::Processing
            | PaymentIntentStatus::RequiresCapture
            | PaymentIntentStatus::Succeeded
    )
}

/// Locks the cart's order for payment, or refuses with the fresh total when the page
/// is showing a price the PaymentIntent would not charge. The PaymentIntent is read
/// back from Stripe first, so the lock holds only for what Stripe will really charge.
#[tracing::instrument(skip(state, submission), fields(payment_intent = %submission.payment_intent))]
pub async fn submit(
    state: &AppState,
    cart_id: &str,
    submission: &Submission,
    locale: crate::i18n::Locale,
) -> Result<String, ShopError> {
    let _turn = state.store.turn("cart", cart_id, &state.cart_locks).await?;
    // Compared before Stripe is called at all: the shop never asks Stripe about a
    // PaymentIntent its order does not own (a forged id is not even looked up).
    let open = state.store.open_order(cart_id).await?;
    if open
        .as_ref()
        .is_some_and(|open| open.status == "processing")
    {
        return Err(ShopError::AlreadyPaying);
    }
    // The tax follows the address being submitted. If the page priced another one,
    // setting it is a new cart version, and the shopper is refused with the total for
    // this address (below), so nobody pays a tax worked out for somewhere else. It is
    // set only once no payment is under way: a cart being paid for does not move.
    let destination = Destination::parse(&submission.details.country, &submission.details.region)
        .map_err(|reason| ShopError::BadRequest(reason.into()))?;
    let set_destination = || state.store.set_destination(cart_id, &destination, now());
    let owned = open
        .as_ref()
        .and_then(|open| open.current_payment_intent.as_deref())
        == Some(submission.payment_intent.as_str());
    if !owned {
        tracing::info!("submit named a PaymentIntent that is not the order's current one");
        set_destination().await?;
        return Err(fresh_price(state, cart_id).await);
    }
    let intent = match tokio::time::timeout(
        DEADLINE,
        state
            .payments
            .client
            .retrieve_payment_intent(submission.payment_intent.as_str()),
    )
    .await
    {
        Ok(Ok(intent)) => intent,
        // Not a PaymentIntent of ours at all: the page's is stale or forged.
        Ok(Err(StripeFailure::Refused { error, .. }))
            if error.code.as_deref() == Some("resource_missing") =>
        {
            set_destination().await?;
            return Err(fresh_price(state, cart_id).await);
        }
        Ok(Err(failure)) => {
            tracing::warn!(%failure, "could not read the PaymentIntent at submit");
            return Err(ShopError::PaymentUnavailable);
        }
        Err(_) => return Err(ShopError::PaymentUnavailable),
    };
    if under_way(intent.status) {
        return Err(ShopError::AlreadyPaying);
    }
    set_destination().await?;
    let charged_minor = if intent.status == PaymentIntentStatus::Canceled {
        // A cancelled PaymentIntent charges nothing: the page must re-prepare.
        -1
    } else {
        intent.amount
    };
    let locked = state
        .store
        .lock_order(
            LockRequest {
                cart_id,
                payment_intent: submission.payment_intent.as_str(),
                seen_cart_version: submission.cart_version,
                seen_total: submission.total_minor,
                shipping: submission.shipping,
                details: &submission.details,
                locale: leptos_i18n::Locale::as_str(locale),
                charged_minor,
                hold_secs: i64::try_from(state.config.stock_hold.as_secs()).unwrap_or(i64::MAX),
            },
            now(),
        )
        .await?;
    if locked.was != OrderStatus::AwaitingPayment {
        state
            .metrics
            .moved(locked.was.as_str(), OrderStatus::AwaitingPayment.as_str());
    }
    Ok(locked.order_id)
}

/// "The cart changed" with the price the cart has now.
async fn fresh_price(state: &AppState, cart_id: &str) -> ShopError {
    match state
        .store
        .priced_cart(cart_id)
        .await
        .and_then(|priced| totals_of(&priced))
    {
        Ok(totals) => ShopError::CartChanged {
            total: totals.total,
        },
        Err(error) => error,
    }
}

fn totals_of(priced: &PricedCart) -> Result<OrderTotals, ShopError> {
    let subtotal = priced.view.subtotal.ok_or(ShopError::EmptyCart)?;
    OrderTotals::new(subtotal, priced.shipping, priced.tax).ok_or(ShopError::Unavailable)
}

/// Refuses to take payment for more than is on the shelf, with the product refused.
fn check_stock(cart: &CartView) -> Result<(), (ShopError, ProductId)> {
    match cart
        .lines
        .iter()
        .find(|line| line.quantity.get() > line.stock)
    {
        None => Ok(()),
        Some(line) if line.stock == 0 => Err((
            ShopError::SoldOut {
                product: line.name.clone(),
            },
            line.product_id.clone(),
        )),
        Some(line) => Err((
            ShopError::NotEnoughStock {
                product: line.name.clone(),
                available: line.stock,
            },
            line.product_id.clone(),
        )),
    }
}

/// The order's usable PaymentIntent at the cart's total: the current one (updated if
/// the total moved), or a new one in a new generation when the current one can no
/// longer be used (cancelled, gone after an emulator reset, or refused an update).
async fn current_payment_intent(
    state: &AppState,
    caller: &Caller<'_>,
    order: &CheckoutOrder,
    priced: &PricedCart,
    totals: OrderTotals,
) -> Result<PaymentIntent, ShopError> {
    let stripe = &state.payments.client;
    let total = totals.total;
    let key = |operation: &str, generation: i64| {
        IdempotencyKey::derive(&[
            operation,
            &order.id,
            &generation.to_string(),
            &priced.version.to_string(),
            &total.minor().to_string(),
            total.currency().code(),
        ])
    };
    let mut generation = order.generation;
    let mut current = order.current.clone();
    if let Some(retired) = current.as_ref().filter(|pi| pi.generation != generation) {
        // A newer generation was started without a PaymentIntent yet (its predecessor
        // is being cancelled: a lapsed hold, a 5xx). If that one was paid meanwhile
        // (a webhook still in flight), a new one would charge the shopper twice.
        match stripe.retrieve_payment_intent(&retired.id).await {
            Ok(intent) if under_way(intent.status) => return Err(ShopError::AlreadyPaying),
            Ok(_) => {}
            Err(StripeFailure::Refused { error, .. })
                if error.code.as_deref() == Some("resource_missing") => {}
            Err(failure) => {
                tracing::warn!(%failure, "could not read the order's previous PaymentIntent");
                return Err(ShopError::PaymentUnavailable);
            }
        }
    }
    // Each turn either answers or moves to a newer generation; three is plenty.
    for _ in 0..3 {
        let reusable = current.take().filter(|pi| pi.generation == generation);
        let Some(record) = reusable else {
            check_rate_limits(state, caller).await?;
            let params = CreatePaymentIntent {
                amount: total.minor(),
                currency: total.currency().code().to_owned(),
                order_id: order.id.clone(),
            };
            return match stripe
                .create_payment_intent(&params, &key("create", generation))
                .await
            {
                Ok(intent) => make_current(state, order, generation, intent, priced).await,
                Err(failure) => {
                    failed(state, order, generation, &failure).await;
                    Err(ShopError::PaymentUnavailable)
                }
            };
        };
        let intent = match stripe.retrieve_payment_intent(&record.id).await {
            Ok(intent) => intent,
            Err(StripeFailure::Refused { error, .. })
                if error.code.as_deref() == Some("resource_missing") =>
            {
                tracing::warn!(payment_intent = %record.id, "the order's PaymentIntent is gone at Stripe; starting a new one");
                generation = state.store.next_generation(&order.id, generation).await?;
                continue;
            }
            Err(failure) => {
                tracing::warn!(%failure, "reading the order's PaymentIntent failed");
                return Err(ShopError::PaymentUnavailable);
            }
        };
        match intent.status {
            status if under_way(status) => return Err(ShopError::AlreadyPaying),
            PaymentIntentStatus::Canceled => {
                generation = state.store.next_generation(&order.id, generation).await?;
                continue;
            }
            _ => {}
        }
        if intent.amount == total.minor() && intent.currency == total.currency().code() {
            return make_current(state, order, generation, intent, priced).await;
        }
        match stripe
            .update_amount(&intent.id, total.minor(), &key("update", generation))
            .await
        {
            Ok(intent) => return make_current(state, order, generation, intent, priced).await,
            // The PaymentIntent moved on between our read and the update (confirmed in
            // another tab, say): it cannot carry the new amount, so a new one will.
            Err(StripeFailure::Refused { error, .. })
                if matches!(
                    error.code.as_deref(),
                    Some("payment_intent_unexpected_state" | "resource_missing")
                ) =>
            {
                // Read again first: if it moved to processing or succeeded, money is
                // moving and a new PaymentIntent would charge a second time.
                if let Ok(moved) = stripe.retrieve_payment_intent(&intent.id).await {
                    if under_way(moved.status) {
                        return Err(ShopError::AlreadyPaying);
                    }
                }
                tracing::info!(code = ?error.code, "the PaymentIntent refused a new amount; starting a new one");
                generation = state.store.next_generation(&order.id, generation).await?;
                current = None;
            }
            Err(failure) => {
                failed(state, order, generation, &failure).await;
                return Err(ShopError::PaymentUnavailable);
            }
        }
    }
    Err(ShopError::PaymentUnavailable)
}

/// Makes `intent` the order's current PaymentIntent and cancels the ones it replaces.
async fn make_current(
    state: &AppState,
    order: &CheckoutOrder,
    generation: i64,
    intent: PaymentIntent,
    priced: &PricedCart,
) -> Result<PaymentIntent, ShopError> {
    let amount = crate::domain::Money::new(
        intent.amount,
        crate::domain::Currency::parse(&intent.currency).map_err(|_| ShopError::Unavailable)?,
    )
    .map_err(|_| ShopError::Unavailable)?;
    let recorded = state
        .store
        .record_payment_intent(
            &order.id,
            generation,
            &intent.id,
            amount,
            priced.version,
            &client_secret_hash(&intent.client_secret),
            now(),
        )
        .await?;
    match recorded {
        Recorded::Current => Ok(intent),
        // Another request started a newer generation while this one was in flight:
        // this PaymentIntent (its cancel already queued) must never be paid. The
        // shopper's next try gets the new one.
        Recorded::Stale => Err(ShopError::PaymentUnavailable),
    }
}

/// A failed Stripe write. After a 5xx Stripe may have stored the failure under the
/// key, so the next attempt must use a new generation (a new key); anything else
/// (network, timeouts, 429) is retried under the same key.
async fn failed(state: &AppState, order: &CheckoutOrder, generation: i64, failure: &StripeFailure) {
    tracing::warn!(%failure, order = %order.id, "a Stripe write failed");
    if matches!(failure, StripeFailure::Refused { status, .. } if *status >= 500) {
        if let Err(error) = state.store.next_generation(&order.id, generation).await {
            tracing::error!(%error, "could not start a new payment generation");
        }
    }
}

async fn check_rate_limits(state: &AppState, caller: &Caller<'_>) -> Result<(), ShopError> {
    state
        .limits
        .payment_intent(caller.cart_id, caller.shopper.client_ip())
        .await
        .map_err(|refused| caller.refused(refused))
}

/// The hash under which a client secret is kept: the confirmation page compares it.
pub fn client_secret_hash(client_secret: &str) -> String {
    crate::server::sha256_hex(client_secret.as_bytes())
}
