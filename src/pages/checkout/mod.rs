//! `/checkout`: the one-page checkout. Order summary with steppers, contact and
//! delivery, shipping, the Stripe Payment Element and one Pay button.
//!
//! The server renders all of it; after hydration the page asks the server to price the
//! cart and prepare its PaymentIntent ([`prepare_payment`]), mounts the Payment
//! Element, and at Pay locks the order ([`submit_order`]) before Stripe.js confirms.

mod form;
mod payment;
mod summary;

use crate::{
    components::notices::ErrorNotice,
    domain::{OrderTotals, PaymentSession, ShippingOption, ShopError},
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use serde::{Deserialize, Serialize};

/// What the page renders before any payment exists.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutStart {
    /// `None` for an empty cart.
    pub totals: Option<OrderTotals>,
    pub shipping: ShippingOption,
    /// The cart's order is processing (a bank still deciding): the page says a payment
    /// is under way instead of offering a second one.
    pub payment_under_way: bool,
}

/// The cart's totals and chosen delivery, priced from the database.
#[server(endpoint = "checkout/start")]
pub async fn load_checkout() -> Result<CheckoutStart, ShopError> {
    use crate::server::shopper::{CartLookup, Shopper};
    let shopper = Shopper::current()?;
    let result = async {
        let CartLookup::Live { id } = shopper.cart().await? else {
            return Ok(CheckoutStart {
                totals: None,
                shipping: ShippingOption::default(),
                payment_under_way: false,
            });
        };
        let store = &shopper.state().store;
        let priced = store.priced_cart(&id).await?;
        let open = store.open_order(&id).await?;
        Ok(CheckoutStart {
            payment_under_way: open.is_some_and(|order| order.status == "processing"),
            totals: priced
                .view
                .subtotal
                .and_then(|subtotal| OrderTotals::new(subtotal, priced.shipping)),
            shipping: priced.shipping,
        })
    }
    .await;
    shopper.log_refusal(result)
}

/// Step 2: prices the cart from the database, creates or reuses its draft order and
/// brings the order's PaymentIntent to the total. `shipping` (a delivery option's
/// code, or empty to keep the cart's) is chosen first. Nothing the browser sends
/// decides an amount.
#[server(endpoint = "checkout/prepare")]
pub async fn prepare_payment(shipping: String) -> Result<PaymentSession, ShopError> {
    use crate::server::{checkout, shopper::Shopper};
    let shopper = Shopper::current()?;
    let result = async {
        let shipping = match shipping.as_str() {
            "" => None,
            code => Some(ShippingOption::parse(code).ok_or_else(|| {
                ShopError::BadRequest("that delivery option does not exist".into())
            })?),
        };
        let cart_id = match shopper.existing_cart().await {
            Err(ShopError::NotInCart) => return Err(ShopError::EmptyCart),
            other => other?,
        };
        shopper.refuse_if_checkout_paused(&cart_id).await?;
        let caller = checkout::Caller {
            cart_id: &cart_id,
            ip: shopper.client_ip(),
        };
        checkout::prepare(shopper.state(), &caller, shipping).await
    }
    .await;
    shopper.log_refusal(result)
}

/// Step 4: re-validates contact and delivery and locks the order with the lines and
/// prices the shopper saw, or refuses with the fresh total when the cart, a price or
/// the PaymentIntent moved since the page priced it. Submits are limited per cart and
/// per client IP, so a card tester cannot press Pay with card after card.
#[server(endpoint = "checkout/submit")]
#[allow(clippy::too_many_arguments)]
pub async fn submit_order(
    email: String,
    name: String,
    line1: String,
    line2: String,
    city: String,
    region: String,
    postal_code: String,
    country: String,
    shipping: String,
    payment_intent: String,
    cart_version: String,
    total: String,
) -> Result<(), ShopError> {
    use crate::{
        domain::DeliveryForm,
        server::{checkout, shopper::Shopper},
    };
    let shopper = Shopper::current()?;
    let result = async {
        let details = DeliveryForm {
            email,
            name,
            line1,
            line2,
            city,
            region,
            postal_code,
            country,
        }
        .validate()
        .map_err(ShopError::InvalidDetails)?;
        let bad = |what: &str| ShopError::BadRequest(format!("{what} is missing or malformed"));
        let shipping =
            ShippingOption::parse(&shipping).ok_or_else(|| bad("the delivery option"))?;
        let well_formed_id = payment_intent.len() <= 255
            && payment_intent.starts_with("pi_")
            && payment_intent
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !well_formed_id {
            return Err(bad("the payment reference"));
        }
        let cart_version: i64 = cart_version.parse().map_err(|_| bad("the cart version"))?;
        let total_minor: i64 = total.parse().map_err(|_| bad("the total"))?;
        let cart_id = match shopper.existing_cart().await {
            Err(ShopError::NotInCart) => return Err(ShopError::EmptyCart),
            other => other?,
        };
        shopper.refuse_if_checkout_paused(&cart_id).await?;
        shopper.count_submit(&cart_id)?;
        checkout::submit(
            shopper.state(),
            &cart_id,
            &checkout::Submission {
                payment_intent: &payment_intent,
                cart_version,
                total_minor,
                shipping,
                details: &details,
            },
        )
        .await
        .map(|_order| ())
    }
    .await;
    shopper.log_refusal(result)
}

/// The checkout page.
#[component]
pub fn CheckoutPage() -> impl IntoView {
    // Loaded once: the parts below that follow the cart (summary, totals, payment)
    // update themselves, so the Payment Element is never torn down by a cart change.
    let start = Resource::new(|| (), |_| load_checkout());
    view! {
        <Title text="Checkout"/>
        <h1>"Checkout"</h1>
        <Suspense fallback=|| view! { <p class="loading">"Loading your order…"</p> }>
            {move || Suspend::new(async move {
                match start.await {
                    Ok(CheckoutStart { payment_under_way: true, .. }) => {
                        view! {
                            <div class="notice notice-info" role="status" data-testid="payment-under-way">
                                <p>{ShopError::AlreadyPaying.to_string()}</p>
                            </div>
                        }
                            .into_any()
                    }
                    Ok(CheckoutStart { totals: Some(totals), shipping, .. }) => {
                        view! { <Checkout totals shipping/> }.into_any()
                    }
                    Ok(_) => {
                        view! {
                            <div class="empty-cart">
                                <p>"Your cart is empty, so there is nothing to check out yet."</p>
                                <A href="/" attr:class="button button-primary">"Browse the shop"</A>
                            </div>
                        }
                            .into_any()
                    }
                    Err(error) => {
                        view! { <ErrorNotice error/> }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// The checkout for a cart with something in it.
#[component]
fn Checkout(totals: OrderTotals, shipping: ShippingOption) -> impl IntoView {
    let payment = payment::PaymentState::new(totals, shipping);
    payment.start();
    view! {
        <div class="checkout">
            <summary::OrderSummary payment/>
            <form::CheckoutForm payment/>
        </div>
    }
}
