//! The HTML shell, the root component and the route table.

use crate::{
    cart::{provide_cart_state, CartBadge, CartPage, LostCartNotice},
    catalog::CatalogPage,
    checkout::{CheckoutPage, TestModeRibbon},
    components::{language::use_locale, site_header::SiteHeader},
    i18n::{t, td_string, I18nContextProvider},
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
        // `lang` (and `dir`) come from the language provider inside the app.
        <html>
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

/// The shop: header, routed page, footer, in the language the request negotiated.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <I18nContextProvider ssr_lang_header_getter=negotiated_language()>
            <Head/>
            <Router>
                <Shop/>
            </Router>
        </I18nContextProvider>
    }
}

/// The document's head entries, in the page's language.
#[component]
fn Head() -> impl IntoView {
    let locale = use_locale();
    view! {
        <Stylesheet id="leptos" href="/pkg/storefront.css"/>
        <Link rel="icon" type_="image/svg+xml" href="/favicon.svg"/>
        <Meta name="description" content=td_string!(locale, site.description)/>
        <Title formatter=move |page: String| td_string!(locale, site.title, page).to_string()/>
    }
}

/// Where the language provider learns the request's language: on the server, the
/// shop's own negotiation (cookie, then `Accept-Language` by q-value, then English),
/// handed over as the one tag it names. The browser never negotiates again: it reads
/// the server's choice back from `<html lang>`, so both render the same page.
fn negotiated_language() -> leptos_i18n::context::UseLocalesOptions {
    let negotiated = || {
        #[cfg(feature = "ssr")]
        {
            use leptos_i18n::Locale as _;
            let parts = use_context::<http::request::Parts>()?;
            let secure = use_context::<crate::server::AppState>()
                .is_some_and(|state| state.config.serves_https());
            let locale = crate::server::locale::negotiate(&parts.headers, secure);
            Some(locale.as_str().to_owned())
        }
        #[cfg(not(feature = "ssr"))]
        {
            None
        }
    };
    leptos_i18n::context::UseLocalesOptions::default().ssr_lang_header_getter(negotiated)
}

/// Everything inside the router, where server actions can read a no-JS form's error
/// back from the URL.
#[component]
fn Shop() -> impl IntoView {
    provide_cart_state();
    let i18n = crate::i18n::use_i18n();
    // Pages render in one piece (`Async`) so the cart cookie can still be set or
    // cleared in the response headers, and a no-JS shopper gets the whole page at once.
    view! {
        <a class="skip-link" href="#main">{t!(i18n, site.skip)}</a>
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
            <p>{t!(i18n, site.footer)}</p>
        </footer>
    }
}
