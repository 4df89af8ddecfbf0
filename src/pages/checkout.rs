//! `/checkout`: the one-page checkout. Payment arrives with the checkout issue; for
//! now the page confirms what the shopper is about to buy.

use crate::components::cart_state::use_cart_state;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

/// Placeholder checkout: the cart's total and a way back.
#[component]
pub fn CheckoutPage() -> impl IntoView {
    let cart = use_cart_state().cart;
    view! {
        <Title text="Checkout"/>
        <h1>"Checkout"</h1>
        <Transition fallback=|| view! { <p class="loading">"Loading your order…"</p> }>
            {move || Suspend::new(async move {
                match cart.await {
                    Ok(cart) if !cart.is_empty() => {
                        let total = cart.subtotal.map(|total| total.to_string()).unwrap_or_default();
                        view! {
                            <p>
                                {format!("{} items, {total}. ", cart.item_count())}
                                "Card payment is being set up and opens here soon."
                            </p>
                            <A href="/cart" attr:class="button">"Back to your cart"</A>
                        }
                            .into_any()
                    }
                    Err(error) => {
                        view! { <p class="notice notice-error" role="alert">{error.to_string()}</p> }
                            .into_any()
                    }
                    Ok(_) => {
                        view! {
                            <p>"Your cart is empty, so there is nothing to check out yet."</p>
                            <A href="/" attr:class="button">"Browse the shop"</A>
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}
