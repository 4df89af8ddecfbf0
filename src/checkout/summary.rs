//! The order summary: lines with quantity steppers and Remove, then the totals.

use super::payment::PaymentState;
use crate::{
    cart::use_cart_state,
    components::notices::ErrorNotice,
    domain::{CartLine, Tax},
    i18n::{t, td_string, use_i18n},
};
use leptos::{form::ActionForm, prelude::*};

/// Lines from the live cart; totals from the server's last pricing of it.
#[component]
pub fn OrderSummary(payment: PaymentState) -> impl IntoView {
    let state = use_cart_state();
    let totals = move || payment.totals.get();
    let i18n = use_i18n();
    let locale = payment.locale;
    view! {
        <section class="order-summary" aria-labelledby="summary-title">
            <h2 id="summary-title">{t!(i18n, checkout.summary)}</h2>
            <Transition fallback=move || view! { <p class="loading">{t!(i18n, checkout.loading)}</p> }>
                {move || Suspend::new(async move {
                    match state.cart.await {
                        Ok(cart) if cart.is_empty() => {
                            view! {
                                <p>{t!(i18n, checkout.summary_empty)} " " <a href="/">{t!(i18n, cart.browse)}</a></p>
                            }
                                .into_any()
                        }
                        Ok(cart) => {
                            view! {
                                <ul class="summary-lines" role="list" aria-label=td_string!(locale, checkout.items_label)>
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
                    <dt>{t!(i18n, checkout.subtotal)}</dt>
                    <dd data-testid="checkout-subtotal">{move || totals().subtotal.format(locale)}</dd>
                </div>
                <div>
                    <dt>{t!(i18n, checkout.shipping)}</dt>
                    <dd data-testid="checkout-shipping">{move || totals().shipping.format(locale)}</dd>
                </div>
                <div>
                    <dt data-testid="checkout-tax-label">{move || totals().tax.label(locale)}</dt>
                    <dd data-testid="checkout-tax">{move || totals().tax.value(locale)}</dd>
                </div>
                <div class="grand-total">
                    <dt>
                        {move || match totals().tax {
                            Tax::Pending => td_string!(locale, checkout.total_before_tax),
                            _ => td_string!(locale, checkout.total),
                        }}
                    </dt>
                    <dd data-testid="checkout-total">{move || totals().total.format(locale)}</dd>
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
    let i18n = use_i18n();
    let locale = payment.locale;
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
    let fewer_label = td_string!(locale, cart.one_fewer, name = &name).to_string();
    let more_label = td_string!(locale, cart.one_more, name = &name).to_string();
    let remove_label = td_string!(locale, cart.remove_named, name = &name).to_string();
    let group_label = td_string!(locale, cart.quantity_of, name = &name).to_string();
    let title_id = format!("summary-{}", line.product_id);
    let labelled_by = title_id.clone();
    view! {
        <li class="summary-line">
            <article aria-labelledby=labelled_by>
                <img src=line.image alt="" width="64" height="48"/>
                <div class="summary-details">
                    <h3 id=title_id>{line.name}</h3>
                    <p class="unit-price">{td_string!(locale, cart.each, price = line.unit_price.format(locale)).to_string()}</p>
                </div>
                <div class="stepper" role="group" aria-label=group_label>
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
                <p class="line-total">{line.line_total.format(locale)}</p>
                <ActionForm action=state.remove>
                    <input type="hidden" name="product_id" value=id_remove/>
                    <button type="submit" class="link-button" aria-label=remove_label disabled=busy>
                        {t!(i18n, cart.remove)}
                    </button>
                </ActionForm>
            </article>
        </li>
    }
}
