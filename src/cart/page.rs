//! `/cart`: the lines in the cart, with steppers, removal and the subtotal.

use super::use_cart_state;
use crate::{
    components::notices::{ActionOutcome, ErrorNotice},
    domain::{CartLine, CartView},
    i18n::{t, td_string, use_i18n},
};
use leptos::{form::ActionForm, prelude::*};
use leptos_meta::Title;
use leptos_router::components::A;

/// The cart page.
#[component]
pub fn CartPage() -> impl IntoView {
    let state = use_cart_state();
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    view! {
        <Title text=td_string!(locale, cart.title)/>
        <h1>{t!(i18n, cart.title)}</h1>
        <ActionOutcome outcome=state.set_quantity.value().into() success=td_string!(locale, cart.updated)/>
        <ActionOutcome outcome=state.remove.value().into() success=td_string!(locale, cart.removed)/>
        <Transition fallback=move || view! { <p class="loading">{t!(i18n, cart.loading)}</p> }>
            {move || Suspend::new(async move {
                match state.cart.await {
                    Ok(cart) => view! { <CartContents cart/> }.into_any(),
                    Err(error) => {
                        view! { <ErrorNotice error/> }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// The lines and totals, or the empty state.
#[component]
fn CartContents(cart: CartView) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    if cart.is_empty() {
        return view! {
            <div class="empty-cart">
                <p>{t!(i18n, cart.empty)}</p>
                <A href="/" attr:class="button button-primary">{t!(i18n, cart.browse)}</A>
            </div>
        }
        .into_any();
    }
    let count = cart.item_count();
    let subtotal = cart
        .subtotal
        .map(|total| total.format(locale))
        .unwrap_or_default();
    let subtotal_label = match count {
        1 => td_string!(locale, cart.subtotal_one).to_owned(),
        count => td_string!(locale, cart.subtotal_many, count).to_string(),
    };
    view! {
        <ul class="cart-lines" role="list" aria-label=td_string!(locale, cart.lines_label)>
            {cart.lines.into_iter().map(|line| view! { <CartLineRow line/> }).collect_view()}
        </ul>
        <div class="cart-summary">
            <p class="subtotal">
                <span>{subtotal_label}</span>
                <strong data-testid="subtotal">{subtotal}</strong>
            </p>
            <p class="fine-print">{t!(i18n, cart.fine_print)}</p>
            <A href="/checkout" attr:class="button button-primary">{t!(i18n, cart.go_to_checkout)}</A>
        </div>
    }
        .into_any()
}

/// One line: picture, name, unit price, the quantity stepper, line total and Remove.
#[component]
fn CartLineRow(line: CartLine) -> impl IntoView {
    let state = use_cart_state();
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let id = line.product_id.to_string();
    let name = line.name.clone();
    let quantity = line.quantity.get();
    let max = line.max_quantity();
    let quantity_id = format!("cart-quantity-{id}");
    let title_id = format!("cart-line-{id}");
    let labelled_by = title_id.clone();
    // The view macro moves each attribute value, so every use gets its own string.
    let group_label = td_string!(locale, cart.change_quantity_of, name = &name).to_string();
    let input_label = td_string!(locale, cart.quantity_of, name = &name).to_string();
    let fewer_label = td_string!(locale, cart.one_fewer, name = &name).to_string();
    let more_label = td_string!(locale, cart.one_more, name = &name).to_string();
    let remove_label = td_string!(locale, cart.remove_named, name = &name).to_string();
    let (id_fewer, id_set, id_more, id_remove) = (id.clone(), id.clone(), id.clone(), id);
    // Compared here, not in the view: a `>` inside `view!` would end the tag.
    let (at_minimum, at_maximum) = (quantity <= 1, quantity >= max);
    let busy = move || state.set_quantity.pending().get() || state.remove.pending().get();
    let over_stock = (quantity > line.stock).then(|| {
        let message = match line.stock {
            0 => td_string!(locale, cart.sold_out_since).to_owned(),
            count => td_string!(locale, cart.lower_quantity, count).to_string(),
        };
        view! { <p class="line-warning" role="status">{message}</p> }
    });
    view! {
        <li class="cart-line">
            <article aria-labelledby=labelled_by>
                <img src=line.image alt="" width="120" height="90"/>
                <div class="line-details">
                    <h2 id=title_id>{line.name}</h2>
                    <p class="unit-price">{td_string!(locale, cart.each, price = line.unit_price.format(locale)).to_string()}</p>
                    {over_stock}
                </div>
                <div class="line-controls">
                    <div class="stepper" role="group" aria-label=group_label>
                        <ActionForm action=state.set_quantity>
                            <input type="hidden" name="product_id" value=id_fewer/>
                            <input type="hidden" name="quantity" value=quantity.saturating_sub(1).to_string()/>
                            <button
                                type="submit"
                                class="step"
                                aria-label=fewer_label
                                disabled=move || at_minimum || busy()
                            >
                                "−"
                            </button>
                        </ActionForm>
                        <ActionForm action=state.set_quantity attr:class="quantity-form" attr:novalidate=true>
                            <input type="hidden" name="product_id" value=id_set/>
                            <label for=quantity_id.clone() class="visually-hidden">
                                {input_label}
                            </label>
                            <input
                                id=quantity_id
                                type="number"
                                name="quantity"
                                prop:value=quantity.to_string()
                                value=quantity.to_string()
                                min="1"
                                max=max.to_string()
                                inputmode="numeric"
                                class="quantity-input"
                            />
                            <button type="submit" class="button button-small" disabled=busy>
                                {t!(i18n, cart.update)}
                            </button>
                        </ActionForm>
                        <ActionForm action=state.set_quantity>
                            <input type="hidden" name="product_id" value=id_more/>
                            <input type="hidden" name="quantity" value=(quantity + 1).to_string()/>
                            <button
                                type="submit"
                                class="step"
                                aria-label=more_label
                                disabled=move || at_maximum || busy()
                            >
                                "+"
                            </button>
                        </ActionForm>
                    </div>
                    <p class="line-total" data-testid="line-total">{line.line_total.format(locale)}</p>
                    <ActionForm action=state.remove>
                        <input type="hidden" name="product_id" value=id_remove/>
                        <button type="submit" class="link-button" aria-label=remove_label>
                            {t!(i18n, cart.remove)}
                        </button>
                    </ActionForm>
                </div>
            </article>
        </li>
    }
}
