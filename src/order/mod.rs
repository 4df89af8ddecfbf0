//! `/order-confirmation`: where Stripe.js returns the shopper after `confirmPayment`,
//! with `payment_intent`, `payment_intent_client_secret` and `redirect_status`.
//!
//! The page reads; it never changes an order and never trusts anything in the URL.
//! The order's status comes from the database, which only webhooks and the reconciler
//! move; Stripe.js's view of the PaymentIntent is shown beside it for instant feedback.
//! Only the shopper who owns the order sees it: the client secret must hash to the
//! order's current PaymentIntent's (within an hour of its creation), or an
//! order-access or cart cookie must own it.

#[cfg(feature = "ssr")]
mod server;

use crate::{
    domain::{OrderStatus, OrderView, ShopError},
    i18n::{t, td_string, use_i18n},
};
use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::{components::A, hooks::use_query_map};
use serde::{Deserialize, Serialize};

/// Where a shopper can write when something looks wrong.
pub const CONTACT_EMAIL: &str = "help@storefront.example";

/// What the page shows, once ownership is proven.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmation {
    pub order: OrderView,
    /// For `stripe.retrievePaymentIntent` in the browser: public by design.
    pub publishable_key: String,
}

/// Finds the order by its PaymentIntent and client secret (the return from Stripe), or
/// by its reference (`order`) with an order-access or cart cookie. Proving ownership by
/// the client secret hands the browser an order-access cookie for later visits; the
/// secret itself opens the order only within an hour of the PaymentIntent's creation.
#[server(endpoint = "order/confirmation")]
pub async fn load_confirmation(
    payment_intent: String,
    client_secret: String,
    order: String,
) -> Result<Confirmation, ShopError> {
    use crate::{domain::PaymentIntentId, server::shopper::Shopper};
    Shopper::serve(|shopper| async move {
        let order_id = if !payment_intent.is_empty() || !client_secret.is_empty() {
            let malformed = || {
                ShopError::BadRequest("the payment details in this address are malformed".into())
            };
            let payment_intent = PaymentIntentId::parse(&payment_intent).ok_or_else(malformed)?;
            if !payment_intent.issued(&client_secret) {
                return Err(malformed());
            }
            server::order_returned_from_stripe(&shopper, &payment_intent, &client_secret).await?
        } else if !order.is_empty() {
            server::owned_order(&shopper, &order).await?
        } else {
            return Err(ShopError::BadRequest(
                "there is no order in this address".into(),
            ));
        };
        let order = shopper
            .state()
            .store
            .order_view(&order_id)
            .await?
            .ok_or(ShopError::OrderNotFound)?;
        Ok(Confirmation {
            order,
            publishable_key: shopper.state().payments.publishable_key.clone(),
        })
    })
    .await
}

/// The order's status now, for the page to follow until the webhook has landed.
#[server(endpoint = "order/status")]
pub async fn current_order_status(order: String) -> Result<OrderStatus, ShopError> {
    use crate::server::shopper::Shopper;
    Shopper::serve(|shopper| async move {
        let order_id = server::owned_order(&shopper, &order).await?;
        let view = shopper
            .state()
            .store
            .order_view(&order_id)
            .await?
            .ok_or(ShopError::OrderNotFound)?;
        Ok(view.status)
    })
    .await
}

/// The page.
#[component]
pub fn OrderConfirmationPage() -> impl IntoView {
    let query = use_query_map();
    let (payment_intent, client_secret, redirect_status, reference) = query.with_untracked(|q| {
        (
            q.get("payment_intent").unwrap_or_default(),
            q.get("payment_intent_client_secret").unwrap_or_default(),
            q.get("redirect_status").unwrap_or_default(),
            q.get("order").unwrap_or_default(),
        )
    });
    let secret = client_secret.clone();
    let confirmation = Resource::new(
        || (),
        move |_| load_confirmation(payment_intent.clone(), secret.clone(), reference.clone()),
    );
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let questions = move || t!(i18n, order.questions, email = CONTACT_EMAIL, <mail> = <a href=format!("mailto:{CONTACT_EMAIL}")/>);
    view! {
        <Title text=td_string!(locale, order.title)/>
        // The address may carry the client secret: never send it onwards.
        <Meta name="referrer" content="no-referrer"/>
        <Suspense fallback=move || view! { <p class="loading">{t!(i18n, order.looking_up)}</p> }>
            {move || {
                let client_secret = client_secret.clone();
                let redirect_status = redirect_status.clone();
                Suspend::new(async move {
                    match confirmation.await {
                        Ok(confirmation) => {
                            view! { <Confirmed confirmation client_secret redirect_status/> }.into_any()
                        }
                        Err(ShopError::BadRequest(_)) => {
                            view! {
                                <h1>{t!(i18n, order.no_order_heading)}</h1>
                                <p data-testid="confirmation-problem">
                                    {t!(i18n, order.no_order_text)}
                                </p>
                                <A href="/" attr:class="button">{t!(i18n, site.back_to_shop)}</A>
                            }
                                .into_any()
                        }
                        Err(error) => {
                            view! {
                                <h1>{t!(i18n, order.not_found_heading)}</h1>
                                <p data-testid="confirmation-problem">{error.message(locale)}</p>
                                <p>{questions()}</p>
                                <A href="/" attr:class="button">{t!(i18n, site.back_to_shop)}</A>
                            }
                                .into_any()
                        }
                    }
                })
            }}
        </Suspense>
    }
}

/// The order, its status (following it until settled) and Stripe.js's word on the payment.
#[component]
fn Confirmed(
    confirmation: Confirmation,
    client_secret: String,
    redirect_status: String,
) -> impl IntoView {
    let order = confirmation.order;
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let status = RwSignal::new(order.status);
    let stripe_status: RwSignal<Option<String>> = RwSignal::new(None);
    let gave_up = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    client::start(
        status,
        stripe_status,
        gave_up,
        order.reference.clone(),
        client_secret,
        confirmation.publishable_key,
    );
    #[cfg(not(feature = "hydrate"))]
    let _ = (
        client_secret,
        confirmation.publishable_key,
        gave_up.write_only(),
    );
    // `redirect_status` is never trusted: what the page says comes from Stripe.js
    // and from the order itself.
    let _ = redirect_status;
    let payment_message = move || {
        stripe_status.get().map(|stripe| {
            let (text, way_back) = match stripe.as_str() {
                "succeeded" => (td_string!(locale, order.payment_succeeded), false),
                "processing" => (td_string!(locale, order.payment_processing), false),
                "requires_payment_method" => (td_string!(locale, order.payment_failed), true),
                "unavailable" => (td_string!(locale, order.payment_unknown), false),
                _ => (td_string!(locale, order.payment_unexpected), false),
            };
            view! {
                <p class="notice notice-info" role="status" data-testid="payment-status">{text}</p>
                {way_back.then(|| view! { <A href="/checkout" attr:class="button button-primary">{t!(i18n, order.back_to_checkout)}</A> })}
            }
        })
    };
    let needs_way_back = move || {
        status.get() == OrderStatus::PaymentFailed
            && stripe_status.get().as_deref() != Some("requires_payment_method")
    };
    let refund = order
        .refund_state(locale)
        .map(|state| (state, order.refunded.format(locale)));
    let delivery = order.delivery.clone().map(|d| {
        view! {
            <section class="delivery-address" aria-labelledby="delivery-title">
                <h2 id="delivery-title">{t!(i18n, order.delivery_address)}</h2>
                <address>
                    {d.name}<br/>{d.line1}<br/>
                    {(!d.line2.is_empty()).then(|| view! { {d.line2.clone()}<br/> })}
                    {d.city} " " {d.region} " " {d.postal_code}<br/>{d.country}
                </address>
            </section>
        }
    });
    view! {
        <h1>{move || if status.get() == OrderStatus::Paid { td_string!(locale, order.thanks) } else { td_string!(locale, order.title) }}</h1>
        {payment_message}
        <p class="order-reference">{t!(i18n, order.reference)} <strong data-testid="order-reference">{order.reference.clone()}</strong></p>
        <p class="order-status" data-testid="order-status" aria-live="polite">{move || status.get().describe(locale)}</p>
        {move || gave_up.get().then(|| view! {
            <p class="fine-print" data-testid="still-waiting">
                {t!(i18n, order.slow)}
            </p>
        })}
        {move || needs_way_back().then(|| view! {
            <p>{t!(i18n, order.cart_kept)} <A href="/checkout" attr:class="button button-primary">{t!(i18n, order.back_to_checkout)}</A></p>
        })}
        <section class="order-lines" aria-labelledby="lines-title">
            <h2 id="lines-title">{t!(i18n, order.what_you_ordered)}</h2>
            <ul role="list">
                {order.lines.into_iter().map(|line| view! {
                    <li>{format!("{} × {}", line.quantity, line.name)} <span>{line.line_total.format(locale)}</span></li>
                }).collect_view()}
            </ul>
            <dl class="totals">
                <div><dt>{t!(i18n, checkout.subtotal)}</dt><dd>{order.subtotal.format(locale)}</dd></div>
                <div><dt>{t!(i18n, checkout.shipping)}</dt><dd>{order.shipping.format(locale)}</dd></div>
                <div><dt>{order.tax.label(locale)}</dt><dd data-testid="order-tax">{order.tax.value(locale)}</dd></div>
                <div class="grand-total"><dt>{t!(i18n, checkout.total)}</dt><dd data-testid="order-total">{order.total.format(locale)}</dd></div>
                {refund.map(|(state, amount)| view! {
                    <div><dt>{state}</dt><dd data-testid="order-refunded">{amount}</dd></div>
                })}
            </dl>
        </section>
        {delivery}
        <p class="fine-print">
            {t!(i18n, order.questions, email = CONTACT_EMAIL, <mail> = <a href=format!("mailto:{CONTACT_EMAIL}")/>)}
        </p>
    }
}

#[cfg(feature = "hydrate")]
mod client {
    use super::current_order_status;
    use crate::{domain::OrderStatus, stripe_js};
    use leptos::{prelude::*, task::spawn_local};

    /// After hydration: drop the client secret from the address, ask Stripe.js for the
    /// PaymentIntent's status, and follow the order's status with backoff for a
    /// bounded time.
    pub fn start(
        status: RwSignal<OrderStatus>,
        stripe_status: RwSignal<Option<String>>,
        gave_up: RwSignal<bool>,
        reference: String,
        client_secret: String,
        publishable_key: String,
    ) {
        Effect::new(move |ran: Option<()>| {
            if ran.is_some() {
                return;
            }
            let url = format!("/order-confirmation?order={reference}");
            if let Ok(history) = window().history() {
                let _ =
                    history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
            }
            if !client_secret.is_empty() {
                let (secret, key) = (client_secret.clone(), publishable_key.clone());
                spawn_local(async move {
                    let answer = if stripe_js::is_loaded() {
                        stripe_js::retrieve_payment_intent_status(&key, &secret).await
                    } else {
                        None
                    };
                    stripe_status.try_set(Some(answer.unwrap_or_else(|| "unavailable".to_owned())));
                });
            }
            if status.get_untracked().is_settled() {
                return;
            }
            let reference = reference.clone();
            spawn_local(async move {
                // 1 s, then half as long again each time: about a minute in all.
                let mut wait_ms = 1000.0_f64;
                for _ in 0..9 {
                    stripe_js::sleep(wait_ms as i32).await;
                    if let Ok(now) = current_order_status(reference.clone()).await {
                        if status.try_set(now).is_some() {
                            // The page is gone.
                            return;
                        }
                        if now.is_settled() {
                            return;
                        }
                    }
                    wait_ms *= 1.5;
                }
                gave_up.try_set(true);
            });
        });
    }
}
