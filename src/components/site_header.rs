//! The header on every page.

use leptos::prelude::*;
use leptos_router::components::A;

/// Shop name and navigation. `children` go inside the cart link: the app passes the
/// cart's own badge, so this component knows no feature.
#[component]
pub fn SiteHeader(children: Children) -> impl IntoView {
    view! {
        <header class="site-header">
            <A href="/" attr:class="brand">
                "Storefront"
            </A>
            <nav aria-label="Main">
                <A href="/">"Shop"</A>
                <A href="/cart" attr:class="cart-link">
                    "Cart "
                    {children()}
                    <span class="visually-hidden">" items"</span>
                </A>
            </nav>
        </header>
    }
}
