//! The HTML shell, the root component and the route table.

use crate::{
    cart::{provide_cart_state, CartBadge, CartPage, LostCartNotice},
    catalog::CatalogPage,
    checkout::{CheckoutPage, TestModeRibbon},
    components::site_header::SiteHeader,
    not_found::NotFound,
    order::OrderConfirmationPage,
};
use leptos::{nonce::use_nonce, prelude::*};
use leptos_meta::{provide_meta_context, Link, Meta, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

/// Where the active payment mode serves Stripe.js; the server provides it to the shell.
#[derive(Clone, Debug)]
pub struct StripeScript(pub std::sync::Arc<str>);

/// The document around the app, rendered only on the server. Stripe.js loads before
/// the wasm, so the checkout finds `window.Stripe` when it hydrates (and Stripe asks
/// for it on every page, for its fraud signals).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let stripe_js = use_context::<StripeScript>().map(|StripeScript(url)| url.to_string());
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                {stripe_js.map(|src| view! { <script src=src nonce=use_nonce()></script> })}
                // The head is never hydrated, so <noscript> is safe here.
                <noscript>
                    <link rel="stylesheet" href="/noscript.css"/>
                </noscript>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The shop: header, routed page, footer.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/storefront.css"/>
        <Link rel="icon" type_="image/svg+xml" href="/favicon.svg"/>
        <Meta name="description" content="Small-batch goods for the kitchen and home."/>
        <Title formatter=|page: String| format!("{page} · Storefront")/>
        <Router>
            <Shop/>
        </Router>
    }
}

/// Everything inside the router, where server actions can read a no-JS form's error
/// back from the URL.
#[component]
fn Shop() -> impl IntoView {
    provide_cart_state();
    // Pages render in one piece (`Async`) so the cart cookie can still be set or
    // cleared in the response headers, and a no-JS shopper gets the whole page at once.
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <TestModeRibbon/>
        <SiteHeader>
            <CartBadge/>
        </SiteHeader>
        <main id="main" tabindex="-1">
            <LostCartNotice/>
            <Routes fallback=NotFound>
                <Route path=path!("/") view=CatalogPage ssr=SsrMode::Async/>
                <Route path=path!("/cart") view=CartPage ssr=SsrMode::Async/>
                <Route path=path!("/checkout") view=CheckoutPage ssr=SsrMode::Async/>
                <Route
                    path=path!("/order-confirmation")
                    view=OrderConfirmationPage
                    ssr=SsrMode::Async
                />
            </Routes>
        </main>
        <footer class="site-footer">
            <p>"Small-batch goods for the kitchen and home. Prices in US dollars."</p>
        </footer>
    }
}
