//! `/cart`: the lines in the cart, with steppers, removal and the subtotal.

use super::use_cart_state;
use crate::{
    components::notices::{ActionOutcome, ErrorNotice},
    domain::{CartLine, CartView},
};
use leptos::{form::ActionForm, prelude::*};
use leptos_meta::Title;
use leptos_router::components::A;

/// The cart page.
#[component]
pub fn CartPage() -> impl IntoView {
    let state = use_cart_state();
    view! {
        <Title text="Your cart"/>
        <h1>"Your cart"</h1>
        <ActionOutcome outcome=state.set_quantity.value().into() success="Quantity updated."/>
        <ActionOutcome outcome=state.remove.value().into() success="Removed from your cart."/>
        <Transition fallback=|| view! { <p class="loading">"Loading your cart…"</p> }>
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
    if cart.is_empty() {
        return view! {
            <div class="empty-cart">
                <p>"Your cart is empty."</p>
                <A href="/" attr:class="button button-primary">"Browse the shop"</A>
            </div>
        }
        .into_any();
    }
    let count = cart.item_count();
    let subtotal = cart
        .subtotal
        .map(|total| total.to_string())
        .unwrap_or_default();
    view! {
        <ul class="cart-lines" role="list" aria-label="Items in your cart">
            {cart.lines.into_iter().map(|line| view! { <CartLineRow line/> }).collect_view()}
        </ul>
        <div class="cart-summary">
            <p class="subtotal">
                <span>{format!("Subtotal ({count} {})", if count == 1 { "item" } else { "items" })}</span>
                <strong data-testid="subtotal">{subtotal}</strong>
            </p>
            <p class="fine-print">"Delivery and any tax are worked out at checkout, from your address."</p>
            <A href="/checkout" attr:class="button button-primary">"Go to checkout"</A>
        </div>
    }
        .into_any()
}

/// One line: picture, name, unit price, the quantity stepper, line total and Remove.
#[component]
fn CartLineRow(line: CartLine) -> impl IntoView {
    let state = use_cart_state();
    let id = line.product_id.to_string();
    let name = line.name.clone();
    let quantity = line.quantity.get();
    let max = line.max_quantity();
    let quantity_id = format!("cart-quantity-{id}");
    let title_id = format!("cart-line-{id}");
    let labelled_by = title_id.clone();
    // The view macro moves each attribute value, so every use gets its own string.
    let group_label = format!("Change the quantity of {name}");
    let input_label = format!("Quantity of {name}");
    let fewer_label = format!("One fewer {name}");
    let more_label = format!("One more {name}");
    let remove_label = format!("Remove {name}");
    let (id_fewer, id_set, id_more, id_remove) = (id.clone(), id.clone(), id.clone(), id);
    // Compared here, not in the view: a `>` inside `view!` would end the tag.
    let (at_minimum, at_maximum) = (quantity <= 1, quantity >= max);
    let busy = move || state.set_quantity.pending().get() || state.remove.pending().get();
    let over_stock = (quantity > line.stock).then(|| {
        let message = match line.stock {
            0 => "This item has sold out since you added it. Please remove it.".to_owned(),
            stock => format!("Only {stock} left in stock. Please lower the quantity."),
        };
        view! { <p class="line-warning" role="status">{message}</p> }
    });
    view! {
        <li class="cart-line">
            <article aria-labelledby=labelled_by>
                <img src=line.image alt="" width="120" height="90"/>
                <div class="line-details">
                    <h2 id=title_id>{line.name}</h2>
                    <p class="unit-price">{format!("{} each", line.unit_price)}</p>
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
                                "Update"
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
                    <p class="line-total" data-testid="line-total">{line.line_total.to_string()}</p>
                    <ActionForm action=state.remove>
                        <input type="hidden" name="product_id" value=id_remove/>
                        <button type="submit" class="link-button" aria-label=remove_label>
                            "Remove"
                        </button>
                    </ActionForm>
                </div>
            </article>
        </li>
    }
}
