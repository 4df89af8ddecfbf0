//! `/checkout`: the one-page checkout. Order summary with steppers, contact and
//! delivery, shipping, the Stripe Payment Element and one Pay button.
//!
//! The server renders all of it; after hydration the page asks the server to price the
//! cart and prepare its PaymentIntent ([`prepare_payment`]), mounts the Payment
//! Element, and at Pay locks the order ([`submit_order`]) before Stripe.js confirms.

mod form;
mod payment;
#[cfg(feature = "ssr")]
pub mod server;
mod summary;
mod test_mode;

pub use test_mode::{get_payment_mode, GetPaymentMode, TestModeRibbon};

use crate::{
    components::notices::ErrorNotice,
    domain::{
        checkout::COUNTRIES, CheckoutSubmission, Destination, OrderTotals, PaymentSession,
        ShippingOption, ShopError,
    },
    i18n::{t, td_string, use_i18n},
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
    /// Where the checkout last said the cart is going: the form starts there, so the
    /// tax on the page is the tax for the address in the form.
    pub destination: Destination,
}

/// The cart's totals and chosen delivery, priced from the database.
#[server(endpoint = "checkout/start")]
pub async fn load_checkout() -> Result<CheckoutStart, ShopError> {
    use crate::server::shopper::{CartLookup, Shopper};
    Shopper::serve(|shopper| async move {
        let CartLookup::Live { id } = shopper.cart().await? else {
            return Ok(CheckoutStart {
                totals: None,
                shipping: ShippingOption::default(),
                payment_under_way: false,
                destination: Destination::default(),
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
                .and_then(|subtotal| OrderTotals::new(subtotal, priced.shipping, priced.tax)),
            shipping: priced.shipping,
            destination: priced.destination,
        })
    })
    .await
}

/// Step 2: prices the cart from the database, creates or reuses its draft order and
/// brings the order's PaymentIntent to the total. `shipping` (a delivery option's
/// code, or empty to keep the cart's) is chosen first, and so is where the parcel
/// goes (`country`, empty to keep the cart's, and `region`), which decides the tax.
/// Nothing the browser sends decides an amount: it names an option and an address,
/// and the server prices both.
#[server(endpoint = "checkout/prepare")]
pub async fn prepare_payment(
    shipping: String,
    #[server(default)] country: String,
    #[server(default)] region: String,
) -> Result<PaymentSession, ShopError> {
    use crate::server::shopper::Shopper;
    Shopper::serve(|shopper| async move {
        let choices = server::Choices::parse(&shipping, &country, &region)?;
        let cart_id = shopper.cart_to_check_out().await?;
        shopper.refuse_if_checkout_paused(&cart_id).await?;
        let caller = server::Caller {
            shopper: &shopper,
            cart_id: &cart_id,
        };
        server::prepare(shopper.state(), &caller, choices).await
    })
    .await
}

/// The checkout without JavaScript: the form's delivery option and address
/// (`shipping`, `country`, `region`) become the cart's, and the page it returns to is
/// priced for them, delivery and tax. No PaymentIntent is made: a shopper without
/// JavaScript cannot pay, and the live page prepares its own when it has one.
#[server(endpoint = "checkout/reprice")]
pub async fn reprice_checkout(
    #[server(default)] shipping: String,
    #[server(default)] country: String,
    #[server(default)] region: String,
) -> Result<(), ShopError> {
    use crate::server::shopper::Shopper;
    Shopper::serve(|shopper| async move {
        let choices = server::Choices::parse(&shipping, &country, &region)?;
        let cart_id = shopper.cart_to_check_out().await?;
        let caller = server::Caller {
            shopper: &shopper,
            cart_id: &cart_id,
        };
        server::choose(shopper.state(), &caller, choices).await
    })
    .await
}

/// Step 4: re-validates contact and delivery and locks the order with the lines and
/// prices the shopper saw, or refuses with the fresh total when the cart, a price or
/// the PaymentIntent moved since the page priced it. Submits are limited per cart and
/// per client IP, so a card tester cannot press Pay with card after card. The form's
/// fields arrive flat (`email=..&name=..&payment_intent=..`), as a form posts them.
#[server(endpoint = "checkout/submit")]
pub async fn submit_order(#[server(flatten)] form: CheckoutSubmission) -> Result<(), ShopError> {
    use crate::server::shopper::Shopper;
    Shopper::serve(|shopper| async move {
        let submission = form.parse()?;
        let cart_id = shopper.cart_to_check_out().await?;
        shopper.refuse_if_checkout_paused(&cart_id).await?;
        shopper.count_submit(&cart_id).await?;
        server::submit(shopper.state(), &cart_id, &submission, shopper.locale())
            .await
            .map(|_order| ())
    })
    .await
}

/// The checkout page.
#[component]
pub fn CheckoutPage() -> impl IntoView {
    // Loaded once: the parts below that follow the cart (summary, totals, payment)
    // update themselves, so the Payment Element is never torn down by a cart change.
    let start = Resource::new(|| (), |_| load_checkout());
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    view! {
        <Title text=td_string!(locale, checkout.title)/>
        <h1>{t!(i18n, checkout.title)}</h1>
        <Suspense fallback=move || view! { <p class="loading">{t!(i18n, checkout.loading)}</p> }>
            {move || Suspend::new(async move {
                match start.await {
                    Ok(CheckoutStart { payment_under_way: true, .. }) => {
                        view! {
                            <div class="notice notice-info" role="status" data-testid="payment-under-way">
                                <p>{ShopError::AlreadyPaying.message(locale)}</p>
                            </div>
                        }
                            .into_any()
                    }
                    Ok(CheckoutStart { totals: Some(totals), shipping, destination, .. }) => {
                        view! { <Checkout totals shipping destination/> }.into_any()
                    }
                    Ok(_) => {
                        view! {
                            <div class="empty-cart">
                                <p>{t!(i18n, checkout.empty)}</p>
                                <A href="/" attr:class="button button-primary">{t!(i18n, cart.browse)}</A>
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
fn Checkout(
    totals: OrderTotals,
    shipping: ShippingOption,
    destination: Destination,
) -> impl IntoView {
    // A cart that has not been anywhere yet starts where the form's country select
    // starts, so the page's first pricing and its form agree.
    let destination = match destination.country() {
        "" => Destination::parse(COUNTRIES[0].0, "").unwrap_or(destination),
        _ => destination,
    };
    let locale = use_i18n().get_locale_untracked();
    let payment = payment::PaymentState::new(totals, shipping, destination, locale);
    if let Some(error) = refused_repricing() {
        payment.message.set(Some(error.message(locale)));
    }
    payment.start();
    view! {
        <div class="checkout">
            <summary::OrderSummary payment/>
            <form::CheckoutForm payment/>
        </div>
    }
}

/// A no-JS re-pricing the server refused comes back to the page with its error in the
/// address (`__path`, `__err`): the page says why, where Pay's messages go.
fn refused_repricing() -> Option<ShopError> {
    use leptos::{server::ServerActionError, server_fn::error::ServerFnUrlError};
    let refused = use_context::<ServerActionError>()?;
    (refused.path() == <RepriceCheckout as leptos::server_fn::ServerFn>::PATH)
        .then(|| ServerFnUrlError::<ShopError>::decode_err(refused.err()))
}
