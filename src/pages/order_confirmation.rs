//! `/order-confirmation`: where Stripe.js returns the shopper after `confirmPayment`,
//! with `payment_intent`, `payment_intent_client_secret` and `redirect_status`.
//!
//! The page reads; it never changes an order and never trusts anything in the URL.
//! The order's status comes from the database, which only webhooks and the reconciler
//! move; Stripe.js's view of the PaymentIntent is shown beside it for instant feedback.
//! Only the shopper who owns the order sees it: the client secret must hash to the
//! order's current PaymentIntent's (within an hour of its creation), or an
//! order-access or cart cookie must own it.

use crate::domain::{OrderStatus, OrderView, ShopError};
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
    use crate::server::{
        checkout::client_secret_hash,
        order_access,
        shopper::{now, Shopper},
        webhooks::signature::constant_time_eq,
    };
    let shopper = Shopper::current()?;
    let result = async {
        let store = &shopper.state().store;
        let order_id = if !payment_intent.is_empty() || !client_secret.is_empty() {
            check_return_parameters(&payment_intent, &client_secret)?;
            let owner = store
                .payment_intent_owner(&payment_intent)
                .await?
                .ok_or(ShopError::OrderNotFound)?;
            // Compared as hashes, in constant time, and only for the current
            // PaymentIntent: a superseded one's secret opens nothing.
            let matches = constant_time_eq(
                client_secret_hash(&client_secret).as_bytes(),
                owner.client_secret_hash.as_bytes(),
            );
            if !(matches && owner.is_current) {
                return Err(ShopError::OrderNotFound);
            }
            let held = holds_access(&shopper, &owner.order_id).await?;
            // The secret lingers in the return address (history, shared links,
            // screenshots), so it proves ownership only while the shopper could still
            // be coming back from paying; after that a cookie must own the order.
            let fresh =
                owner.created_at > now().saturating_sub(order_access::CLIENT_SECRET_OPENS_FOR_SECS);
            if !fresh && !held && !cart_owns(&shopper, &owner.cart_id).await? {
                return Err(ShopError::OrderNotFound);
            }
            // A browser that already holds access keeps its cookie; others get one,
            // beside the tokens of the orders they already hold.
            if !held {
                let token = order_access::generate();
                store
                    .grant_order_access(&owner.order_id, &order_access::hash(&token), now())
                    .await?;
                shopper.set_order_access(&shopper.order_access_tokens().with(token));
            }
            owner.order_id
        } else if !order.is_empty() {
            owned_order(&shopper, &order).await?
        } else {
            return Err(ShopError::BadRequest(
                "there is no order in this address".into(),
            ));
        };
        let order = store
            .order_view(&order_id)
            .await?
            .ok_or(ShopError::OrderNotFound)?;
        Ok(Confirmation {
            order,
            publishable_key: shopper.state().payments.publishable_key.clone(),
        })
    }
    .await;
    shopper.log_refusal(result)
}

/// The order's status now, for the page to follow until the webhook has landed.
#[server(endpoint = "order/status")]
pub async fn current_order_status(order: String) -> Result<OrderStatus, ShopError> {
    use crate::server::shopper::Shopper;
    let shopper = Shopper::current()?;
    let result = async {
        let order_id = owned_order(&shopper, &order).await?;
        let view = shopper
            .state()
            .store
            .order_view(&order_id)
            .await?
            .ok_or(ShopError::OrderNotFound)?;
        Ok(view.status)
    }
    .await;
    shopper.log_refusal(result)
}

/// The order with this reference, if the request's cookies own it.
#[cfg(feature = "ssr")]
async fn owned_order(
    shopper: &crate::server::shopper::Shopper,
    reference: &str,
) -> Result<String, ShopError> {
    let well_formed = reference.len() <= 64 && reference.bytes().all(|b| b.is_ascii_alphanumeric());
    if !well_formed {
        return Err(ShopError::OrderNotFound);
    }
    let (order_id, cart_id) = shopper
        .state()
        .store
        .order_by_reference(reference)
        .await?
        .ok_or(ShopError::OrderNotFound)?;
    if holds_access(shopper, &order_id).await? || cart_owns(shopper, &cart_id).await? {
        Ok(order_id)
    } else {
        Err(ShopError::OrderNotFound)
    }
}

/// Whether the request's order-access cookie holds a live token for this order.
#[cfg(feature = "ssr")]
async fn holds_access(
    shopper: &crate::server::shopper::Shopper,
    order_id: &str,
) -> Result<bool, ShopError> {
    let tokens = shopper.order_access_tokens();
    if tokens.is_empty() {
        return Ok(false);
    }
    shopper
        .state()
        .store
        .has_order_access(order_id, &tokens.hashes(), access_since())
        .await
}

/// Whether the request's cart cookie names this (live) cart.
#[cfg(feature = "ssr")]
async fn cart_owns(
    shopper: &crate::server::shopper::Shopper,
    cart_id: &str,
) -> Result<bool, ShopError> {
    use crate::server::shopper::CartLookup;
    Ok(matches!(shopper.cart().await?, CartLookup::Live { id } if id == cart_id))
}

/// Access tokens granted before this moment have expired (the cookie's 90 days).
#[cfg(feature = "ssr")]
fn access_since() -> crate::server::store::UnixTime {
    crate::server::shopper::now().saturating_sub(crate::server::order_access::LIFETIME_SECS as i64)
}

#[cfg(feature = "ssr")]
/// Stripe's shapes, checked before anything (the database, Stripe.js) sees them:
/// `pi_` and letters and digits; the secret is `{id}_secret_` and more of them.
fn check_return_parameters(payment_intent: &str, client_secret: &str) -> Result<(), ShopError> {
    let alphanumeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric());
    let id_ok =
        payment_intent.len() <= 255 && payment_intent.strip_prefix("pi_").is_some_and(alphanumeric);
    let secret_ok = client_secret.len() <= 255
        && client_secret
            .strip_prefix(payment_intent)
            .and_then(|rest| rest.strip_prefix("_secret_"))
            .is_some_and(alphanumeric);
    if id_ok && secret_ok {
        Ok(())
    } else {
        Err(ShopError::BadRequest(
            "the payment details in this address are malformed".into(),
        ))
    }
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
    view! {
        <Title text="Your order"/>
        // The address may carry the client secret: never send it onwards.
        <Meta name="referrer" content="no-referrer"/>
        <Suspense fallback=|| view! { <p class="loading">"Looking up your order…"</p> }>
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
                                <h1>"No order to show"</h1>
                                <p data-testid="confirmation-problem">
                                    "This address doesn't name an order. If you have just paid, your confirmation email is on its way."
                                </p>
                                <A href="/" attr:class="button">"Back to the shop"</A>
                            }
                                .into_any()
                        }
                        Err(error) => {
                            view! {
                                <h1>"Order not found"</h1>
                                <p data-testid="confirmation-problem">{error.to_string()}</p>
                                <p>
                                    "Questions? Write to "
                                    <a href=format!("mailto:{CONTACT_EMAIL}")>{CONTACT_EMAIL}</a> "."
                                </p>
                                <A href="/" attr:class="button">"Back to the shop"</A>
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
                "succeeded" => ("Payment received, your order is confirmed.", false),
                "processing" => ("Your payment is processing; we will email you when it completes.", false),
                "requires_payment_method" => ("Payment failed, please try another payment method.", true),
                "unavailable" => ("We couldn't reach our payment provider just now; the status below is from our records.", false),
                _ => ("Something unexpected happened with your payment. The status below is from our records; write to us if it doesn't change.", false),
            };
            view! {
                <p class="notice notice-info" role="status" data-testid="payment-status">{text}</p>
                {way_back.then(|| view! { <A href="/checkout" attr:class="button button-primary">"Back to checkout"</A> })}
            }
        })
    };
    let needs_way_back = move || {
        status.get() == OrderStatus::PaymentFailed
            && stripe_status.get().as_deref() != Some("requires_payment_method")
    };
    let delivery = order.delivery.clone().map(|d| {
        view! {
            <section class="delivery-address" aria-labelledby="delivery-title">
                <h2 id="delivery-title">"Delivery address"</h2>
                <address>
                    {d.name}<br/>{d.line1}<br/>
                    {(!d.line2.is_empty()).then(|| view! { {d.line2.clone()}<br/> })}
                    {d.city} " " {d.region} " " {d.postal_code}<br/>{d.country}
                </address>
            </section>
        }
    });
    view! {
        <h1>{move || if status.get() == OrderStatus::Paid { "Thank you for your order" } else { "Your order" }}</h1>
        {payment_message}
        <p class="order-reference">"Order " <strong data-testid="order-reference">{order.reference.clone()}</strong></p>
        <p class="order-status" data-testid="order-status" aria-live="polite">{move || status.get().describe()}</p>
        {move || gave_up.get().then(|| view! {
            <p class="fine-print" data-testid="still-waiting">
                "Confirmation is taking longer than usual. We will email you as soon as your payment is confirmed."
            </p>
        })}
        {move || needs_way_back().then(|| view! {
            <p>"Your cart is kept. " <A href="/checkout" attr:class="button button-primary">"Back to checkout"</A></p>
        })}
        <section class="order-lines" aria-labelledby="lines-title">
            <h2 id="lines-title">"What you ordered"</h2>
            <ul role="list">
                {order.lines.into_iter().map(|line| view! {
                    <li>{format!("{} × {}", line.quantity, line.name)} <span>{line.line_total.to_string()}</span></li>
                }).collect_view()}
            </ul>
            <dl class="totals">
                <div><dt>"Subtotal"</dt><dd>{order.subtotal.to_string()}</dd></div>
                <div><dt>"Shipping"</dt><dd>{order.shipping.to_string()}</dd></div>
                <div class="grand-total"><dt>"Total"</dt><dd data-testid="order-total">{order.total.to_string()}</dd></div>
            </dl>
        </section>
        {delivery}
        <p class="fine-print">
            "Questions? Write to " <a href=format!("mailto:{CONTACT_EMAIL}")>{CONTACT_EMAIL}</a> "."
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

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::check_return_parameters;

    #[test]
    fn return_parameters_must_have_stripes_shapes() {
        assert!(check_return_parameters("pi_123abc", "pi_123abc_secret_XyZ9").is_ok());
        for (id, secret) in [
            ("", "pi_1_secret_a"),
            ("pi_1", ""),
            ("pi_", "pi__secret_a"),
            ("ch_1", "ch_1_secret_a"),
            ("pi_1", "pi_2_secret_a"),
            ("pi_1", "pi_1_secret_"),
            ("pi_1", "pi_1_secret_a<script>"),
            ("pi_1'--", "pi_1'--_secret_a"),
        ] {
            assert!(
                check_return_parameters(id, secret).is_err(),
                "{id} {secret}"
            );
        }
        let long = format!("pi_{}", "a".repeat(300));
        assert!(check_return_parameters(&long, &format!("{long}_secret_a")).is_err());
    }
}
