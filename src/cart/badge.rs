//! What every page shows of the cart: the count in the header, and a notice when the
//! cart the cookie named is gone.

use super::use_cart_state;
use crate::{
    components::language::use_locale,
    domain::{CartNotice, ShopError},
    i18n::td_string,
};
use leptos::prelude::*;

/// The number of items in the cart, for the header's cart link, with the word a
/// screen reader reads after it ("Cart 1 item", "Cart 2 items").
#[component]
pub fn CartBadge() -> impl IntoView {
    let state = use_cart_state();
    let locale = use_locale();
    let count = move || state.loaded().map(|cart| cart.item_count()).unwrap_or(0);
    let items = move || match count() {
        1 => td_string!(locale, site.cart_item),
        _ => td_string!(locale, site.cart_items),
    };
    view! {
        <Transition fallback=|| view! { <span class="cart-count">"0"</span> }>
            <span class="cart-count" data-testid="cart-count">
                {count}
            </span>
            <span class="visually-hidden">{items}</span>
        </Transition>
    }
}

/// Tells the shopper, on whichever page they land, that the cart their cookie named
/// is gone (expired, or never ours) and a new one will start.
#[component]
pub fn LostCartNotice() -> impl IntoView {
    let state = use_cart_state();
    let message = ShopError::CartExpired.message(use_locale());
    let lost = move || {
        state
            .loaded()
            .is_some_and(|cart| cart.notice == Some(CartNotice::Expired))
    };
    view! {
        <Transition fallback=|| ()>
            <Show when=lost>
                <p class="notice notice-info" role="status">
                    {message.clone()}
                </p>
            </Show>
        </Transition>
    }
}
