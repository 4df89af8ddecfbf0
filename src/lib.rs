//! A Leptos storefront with a one-page Stripe checkout.
//!
//! One crate, two builds: `ssr` is the server binary (with [`server`]), `hydrate` is
//! the wasm bundle that takes over the server-rendered page in the browser.

#![recursion_limit = "256"]

#[cfg(feature = "ssr")]
pub mod admin;
pub mod app;
pub mod cart;
pub mod catalog;
pub mod checkout;
pub mod components;
pub mod domain;
pub mod not_found;
pub mod order;
#[cfg(feature = "ssr")]
pub mod server;
#[cfg(feature = "hydrate")]
pub mod stripe_js;

/// The wasm entry point: hydrates the server-rendered body, then marks `<html>` with
/// `data-hydrated` so tests (and curious developers) can tell the page is live.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // Panic messages in the console are for developers; in release the hook and the
    // formatting it pulls in would only add weight to every shopper's download.
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    if let Some(root) = web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| document.document_element())
    {
        // Setting an attribute on <html> cannot fail in practice; nothing to recover.
        let _ = root.set_attribute("data-hydrated", "true");
    }
}
