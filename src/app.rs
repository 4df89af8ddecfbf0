//! The HTML shell, the root component and the route table.

use crate::{
    components::{
        cart_state::provide_cart_state, notices::LostCartNotice, site_header::SiteHeader,
    },
    pages::{cart::CartPage, catalog::CatalogPage, checkout::CheckoutPage, not_found::NotFound},
};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Link, Meta, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

/// The document around the app, rendered only on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
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
        <SiteHeader/>
        <main id="main" tabindex="-1">
            <LostCartNotice/>
            <Routes fallback=NotFound>
                <Route path=path!("/") view=CatalogPage ssr=SsrMode::Async/>
                <Route path=path!("/cart") view=CartPage ssr=SsrMode::Async/>
                <Route path=path!("/checkout") view=CheckoutPage ssr=SsrMode::Async/>
            </Routes>
        </main>
        <footer class="site-footer">
            <p>"Small-batch goods for the kitchen and home. Prices in US dollars."</p>
        </footer>
    }
}
