//! The order summary: lines with quantity steppers and Remove, then the totals.

use super::payment::PaymentState;
use crate::{
    cart::use_cart_state,
    components::notices::ErrorNotice,
    domain::{CartLine, Tax},
};
use leptos::{form::ActionForm, prelude::*};

/// Lines from the live cart; totals from the server's last pricing of it.
#[component]
pub fn OrderSummary(payment: PaymentState) -> impl IntoView {
    let state = use_cart_state();
    let totals = move || payment.totals.get();
    view! {
        <section class="order-summary" aria-labelledby="summary-title">
            <h2 id="summary-title">"Your order"</h2>
            <Transition fallback=|| view! { <p class="loading">"Loading your order…"</p> }>
                {move || Suspend::new(async move {
                    match state.cart.await {
                        Ok(cart) if cart.is_empty() => {
                            view! {
                                <p>"Your cart is empty. " <a href="/">"Browse the shop"</a></p>
                            }
                                .into_any()
                        }
                        Ok(cart) => {
                            view! {
                                <ul class="summary-lines" role="list" aria-label="Items in your order">
                                    {cart
                                        .lines
                                        .into_iter()
                                        .map(|line| view! { <SummaryLine line payment/> })
                                        .collect_view()}
                                </ul>
                            }
                                .into_any()
                        }
                        Err(error) => {
                            view! { <ErrorNotice error/> }
                                .into_any()
                        }
                    }
                })}
            </Transition>
            <dl class="totals" class:updating=move || payment.preparing.get() aria-live="polite">
                <div>
                    <dt>"Subtotal"</dt>
                    <dd data-testid="checkout-subtotal">{move || totals().subtotal.to_string()}</dd>
                </div>
                <div>
                    <dt>"Shipping"</dt>
                    <dd data-testid="checkout-shipping">{move || totals().shipping.to_string()}</dd>
                </div>
                <div>
                    <dt data-testid="checkout-tax-label">{move || totals().tax.label()}</dt>
                    <dd data-testid="checkout-tax">{move || totals().tax.value()}</dd>
                </div>
                <div class="grand-total">
                    <dt>
                        {move || match totals().tax {
                            Tax::Pending => "Total before tax",
                            _ => "Total",
                        }}
                    </dt>
                    <dd data-testid="checkout-total">{move || totals().total.to_string()}</dd>
                </div>
            </dl>
        </section>
    }
}

/// One line: name, quantity stepper, line total and Remove. The stepper posts the
/// same cart actions as the cart page, so it works without JavaScript too.
#[component]
fn SummaryLine(line: CartLine, payment: PaymentState) -> impl IntoView {
    let state = use_cart_state();
    let quantity = line.quantity.get();
    let name = line.name.clone();
    let (at_minimum, at_maximum) = (quantity <= 1, quantity >= line.max_quantity());
    let busy = move || {
        state.set_quantity.pending().get() || state.remove.pending().get() || payment.paying.get()
    };
    let (id_fewer, id_more, id_remove) = (
        line.product_id.to_string(),
        line.product_id.to_string(),
        line.product_id.to_string(),
    );
    let fewer_label = format!("One fewer {name}");
    let more_label = format!("One more {name}");
    let remove_label = format!("Remove {name}");
    let title_id = format!("summary-{}", line.product_id);
    let labelled_by = title_id.clone();
    view! {
        <li class="summary-line">
            <article aria-labelledby=labelled_by>
                <img src=line.image alt="" width="64" height="48"/>
                <div class="summary-details">
                    <h3 id=title_id>{line.name}</h3>
                    <p class="unit-price">{format!("{} each", line.unit_price)}</p>
                </div>
                <div class="stepper" role="group" aria-label=format!("Quantity of {name}")>
                    <ActionForm action=state.set_quantity>
                        <input type="hidden" name="product_id" value=id_fewer/>
                        <input type="hidden" name="quantity" value=quantity.saturating_sub(1).to_string()/>
                        <button type="submit" class="step" aria-label=fewer_label disabled=move || at_minimum || busy()>
                            "−"
                        </button>
                    </ActionForm>
                    <span class="summary-quantity" data-testid="summary-quantity">{quantity}</span>
                    <ActionForm action=state.set_quantity>
                        <input type="hidden" name="product_id" value=id_more/>
                        <input type="hidden" name="quantity" value=(quantity + 1).to_string()/>
                        <button type="submit" class="step" aria-label=more_label disabled=move || at_maximum || busy()>
                            "+"
                        </button>
                    </ActionForm>
                </div>
                <p class="line-total">{line.line_total.to_string()}</p>
                <ActionForm action=state.remove>
                    <input type="hidden" name="product_id" value=id_remove/>
                    <button type="submit" class="link-button" aria-label=remove_label disabled=busy>
                        "Remove"
                    </button>
                </ActionForm>
            </article>
        </li>
    }
}
