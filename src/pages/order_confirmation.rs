//! `/order-confirmation`: where Stripe.js returns the shopper after `confirmPayment`.
//!
//! Only webhooks decide that an order is paid, so this page claims nothing about the
//! outcome it cannot know yet; the confirmation issue makes it read the order's status.

use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::components::A;

/// A calm landing page for the return from payment.
#[component]
pub fn OrderConfirmationPage() -> impl IntoView {
    view! {
        <Title text="Checking your payment"/>
        // The address carries the PaymentIntent's client secret: never send it onwards.
        <Meta name="referrer" content="no-referrer"/>
        <h1>"Thank you"</h1>
        <p>
            "We are confirming your payment with our payment provider. "
            "You will get an email as soon as your order is confirmed."
        </p>
        <A href="/" attr:class="button">"Back to the shop"</A>
    }
}
