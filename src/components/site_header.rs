//! The header on every page, with the cart badge.

use super::cart_state::use_cart_state;
use leptos::prelude::*;
use leptos_router::components::A;

/// Shop name, navigation and the number of items in the cart.
#[component]
pub fn SiteHeader() -> impl IntoView {
    let state = use_cart_state();
    let count = move || state.loaded().map(|cart| cart.item_count()).unwrap_or(0);
    view! {
        <header class="site-header">
            <A href="/" attr:class="brand">
                "Storefront"
            </A>
            <nav aria-label="Main">
                <A href="/">"Shop"</A>
                <A href="/cart" attr:class="cart-link">
                    "Cart "
                    <Transition fallback=|| view! { <span class="cart-count">"0"</span> }>
                        <span class="cart-count" data-testid="cart-count">
                            {count}
                        </span>
                    </Transition>
                    <span class="visually-hidden">" items"</span>
                </A>
            </nav>
        </header>
    }
}
