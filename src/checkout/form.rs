//! Contact, delivery, shipping, the Payment Element's place and the Pay button.

use super::payment::PaymentState;
use crate::domain::{checkout::COUNTRIES, Destination, Field, ShippingOption};
use leptos::prelude::*;

/// The checkout form. It never submits to a URL: with JavaScript, Pay runs the
/// payment; without it, the page explains that card payment needs JavaScript.
#[component]
pub fn CheckoutForm(payment: PaymentState) -> impl IntoView {
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        #[cfg(feature = "hydrate")]
        if let Some(form) = read_form(&event) {
            super::payment::pay(payment, form);
        }
    };
    let locked = move || payment.paying.get();
    let pay_label = move || {
        let total = payment.totals.get().total;
        if payment.can_retry() {
            "Try again".to_owned()
        } else if payment.paying.get() {
            format!("Paying {total}…")
        } else {
            format!("Pay {total}")
        }
    };
    view! {
        <form class="checkout-form" novalidate=true on:submit=on_submit aria-describedby="payment-message">
            <fieldset class="form-section" disabled=locked>
                <legend>"Contact"</legend>
                <TextField payment field=Field::Email label="Email" kind="email" autocomplete="email"/>
            </fieldset>
            <fieldset class="form-section" disabled=locked>
                <legend>"Delivery address"</legend>
                <TextField payment field=Field::Name label="Full name" kind="text" autocomplete="name"/>
                <TextField payment field=Field::Line1 label="Address line 1" kind="text" autocomplete="address-line1"/>
                <TextField payment field=Field::Line2 label="Address line 2 (optional)" kind="text" autocomplete="address-line2"/>
                <div class="field-row">
                    <TextField payment field=Field::City label="Town or city" kind="text" autocomplete="address-level2"/>
                    <TextField payment field=Field::Region label="State or region" kind="text" autocomplete="address-level1"/>
                </div>
                <div class="field-row">
                    <TextField payment field=Field::PostalCode label="Postal code" kind="text" autocomplete="postal-code"/>
                    <CountryField payment/>
                </div>
            </fieldset>
            <fieldset class="form-section shipping-options" disabled=locked>
                <legend>"Delivery"</legend>
                {ShippingOption::ALL
                    .into_iter()
                    .map(|option| view! { <ShippingChoice payment option/> })
                    .collect_view()}
            </fieldset>
            <section class="form-section payment-section" aria-labelledby="payment-title">
                <h2 id="payment-title">"Payment"</h2>
                <p class="notice notice-info no-js-only" data-testid="needs-javascript">
                    "Card payment runs in a secure form from our payment provider, Stripe, which needs JavaScript. "
                    "Please turn JavaScript on for this site to pay. Your cart is kept."
                </p>
                <div class="payment-skeleton js-only" aria-hidden="true" class:hidden=move || payment.ready.get()>
                    <span></span>
                    <span></span>
                    <span></span>
                </div>
                // Stripe.js mounts its iframe in here; Leptos never renders children into it.
                <div id="payment-element"></div>
            </section>
            <div id="payment-message" class="payment-message" role="alert" aria-live="assertive">
                {move || payment.message.get().map(|message| view! { <p class="notice notice-error">{message}</p> })}
            </div>
            <button
                type="submit"
                class="button button-primary pay-button js-only"
                disabled=move || !payment.can_pay() && !payment.can_retry()
                aria-busy=move || payment.paying.get().to_string()
            >
                <span class="spinner" aria-hidden="true" class:hidden=move || !payment.paying.get()></span>
                {pay_label}
            </button>
        </form>
    }
}

/// A labelled text input with its error message beneath it.
#[component]
fn TextField(
    payment: PaymentState,
    field: Field,
    label: &'static str,
    kind: &'static str,
    autocomplete: &'static str,
) -> impl IntoView {
    let id = format!("checkout-{}", field.name());
    let error_id = format!("{id}-error");
    let error = move || {
        payment
            .field_errors
            .with(|errors| errors.get(field).map(str::to_owned))
    };
    let described_by = error_id.clone();
    let label_for = id.clone();
    // The state decides the tax: the field starts with the cart's and re-prices on
    // change (the other fields do not move the total).
    let is_region = field == Field::Region;
    let initial = is_region.then(|| {
        payment
            .destination
            .with_untracked(|d| d.region().to_owned())
    });
    let on_change = move |event: leptos::ev::Event| {
        if is_region {
            let region = event_target_value(&event);
            move_to(payment, |d| Destination::parse(d.country(), &region));
        }
    };
    view! {
        <div class="field" class:field-invalid=move || error().is_some()>
            <label for=label_for>{label}</label>
            <input
                id=id
                name=field.name()
                type=kind
                autocomplete=autocomplete
                maxlength=if field == Field::Email { "254" } else { "100" }
                value=initial
                on:change=on_change
                aria-invalid=move || error().is_some().to_string()
                aria-describedby=described_by
            />
            <p class="field-error" id=error_id>{error}</p>
        </div>
    }
}

/// The country select, from the countries the shop delivers to.
#[component]
fn CountryField(payment: PaymentState) -> impl IntoView {
    let error = move || {
        payment
            .field_errors
            .with(|errors| errors.get(Field::Country).map(str::to_owned))
    };
    let chosen = payment
        .destination
        .with_untracked(|d| d.country().to_owned());
    let on_change = move |event: leptos::ev::Event| {
        let country = event_target_value(&event);
        move_to(payment, |d| Destination::parse(&country, d.region()));
    };
    view! {
        <div class="field" class:field-invalid=move || error().is_some()>
            <label for="checkout-country">"Country"</label>
            <select
                id="checkout-country"
                name="country"
                autocomplete="country"
                aria-invalid=move || error().is_some().to_string()
                aria-describedby="checkout-country-error"
                on:change=on_change
            >
                {COUNTRIES
                    .iter()
                    .map(|(code, name)| {
                        view! { <option value=*code selected=*code == chosen>{*name}</option> }
                    })
                    .collect_view()}
            </select>
            <p class="field-error" id="checkout-country-error">{error}</p>
        </div>
    }
}

/// Moves the page's destination (which re-prices) when the new one differs; a value
/// no form sends is left for the submit's validation to explain.
fn move_to(
    payment: PaymentState,
    next: impl FnOnce(&Destination) -> Result<Destination, &'static str>,
) {
    let current = payment.destination.get_untracked();
    if let Ok(next) = next(&current) {
        if next != current {
            payment.destination.set(next);
        }
    }
}

/// One delivery option with its price, as the server prices it.
#[component]
fn ShippingChoice(payment: PaymentState, option: ShippingOption) -> impl IntoView {
    let price = move || {
        option
            .price(payment.totals.get().total.currency())
            .to_string()
    };
    let id = format!("shipping-{}", option.code());
    let label_for = id.clone();
    view! {
        <label class="shipping-choice" for=label_for>
            <input
                id=id
                type="radio"
                name="shipping"
                value=option.code()
                prop:checked=move || payment.shipping.get() == option
                checked=payment.shipping.get_untracked() == option
                on:change=move |_| payment.shipping.set(option)
            />
            <span>{option.label()}</span>
            <strong>{price}</strong>
        </label>
    }
}

/// The form's fields as typed.
#[cfg(feature = "hydrate")]
fn read_form(event: &leptos::ev::SubmitEvent) -> Option<crate::domain::DeliveryForm> {
    use wasm_bindgen::JsCast;
    let form: web_sys::HtmlFormElement = event.target()?.dyn_into().ok()?;
    let data = web_sys::FormData::new_with_form(&form).ok()?;
    let value = |field: Field| data.get(field.name()).as_string().unwrap_or_default();
    Some(crate::domain::DeliveryForm {
        email: value(Field::Email),
        name: value(Field::Name),
        line1: value(Field::Line1),
        line2: value(Field::Line2),
        city: value(Field::City),
        region: value(Field::Region),
        postal_code: value(Field::PostalCode),
        country: value(Field::Country),
    })
}
