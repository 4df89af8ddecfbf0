//! Contact, delivery, shipping, the Payment Element's place and the Pay button.

use super::payment::PaymentState;
use crate::{
    domain::{checkout::COUNTRIES, Destination, Field, ShippingOption},
    i18n::{t, td_string, use_i18n, Locale},
};
use leptos::prelude::*;

/// The checkout form. With JavaScript, Pay runs the payment and the form never
/// submits to a URL; without it, the page explains that card payment needs JavaScript,
/// and one button re-prices delivery and tax for the address in the form.
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
    let i18n = use_i18n();
    let locale = payment.locale;
    let pay_label = move || {
        let total = payment.totals.get().total.format(locale);
        if payment.can_retry() {
            td_string!(locale, checkout.try_again).to_owned()
        } else if payment.paying.get() {
            td_string!(locale, checkout.paying, total).to_string()
        } else {
            td_string!(locale, checkout.pay, total).to_string()
        }
    };
    let label = |field: Field| -> &'static str {
        match field {
            Field::Email => td_string!(locale, checkout.email),
            Field::Name => td_string!(locale, checkout.full_name),
            Field::Line1 => td_string!(locale, checkout.line1),
            Field::Line2 => td_string!(locale, checkout.line2),
            Field::City => td_string!(locale, checkout.city),
            Field::Region => td_string!(locale, checkout.region),
            Field::PostalCode => td_string!(locale, checkout.postal_code),
            Field::Country => td_string!(locale, checkout.country),
        }
    };
    view! {
        <form class="checkout-form" novalidate=true on:submit=on_submit aria-describedby="payment-message">
            <fieldset class="form-section" disabled=locked>
                <legend>{t!(i18n, checkout.contact)}</legend>
                <TextField payment field=Field::Email label=label(Field::Email) kind="email" autocomplete="email"/>
            </fieldset>
            <fieldset class="form-section" disabled=locked>
                <legend>{t!(i18n, checkout.delivery_address)}</legend>
                <TextField payment field=Field::Name label=label(Field::Name) kind="text" autocomplete="name"/>
                <TextField payment field=Field::Line1 label=label(Field::Line1) kind="text" autocomplete="address-line1"/>
                <TextField payment field=Field::Line2 label=label(Field::Line2) kind="text" autocomplete="address-line2"/>
                <div class="field-row">
                    <TextField payment field=Field::City label=label(Field::City) kind="text" autocomplete="address-level2"/>
                    <TextField payment field=Field::Region label=label(Field::Region) kind="text" autocomplete="address-level1"/>
                </div>
                <div class="field-row">
                    <TextField payment field=Field::PostalCode label=label(Field::PostalCode) kind="text" autocomplete="postal-code"/>
                    <CountryField payment/>
                </div>
            </fieldset>
            <fieldset class="form-section shipping-options" disabled=locked>
                <legend>{t!(i18n, checkout.delivery)}</legend>
                {ShippingOption::ALL
                    .into_iter()
                    .map(|option| view! { <ShippingChoice payment option/> })
                    .collect_view()}
            </fieldset>
            <section class="form-section payment-section" aria-labelledby="payment-title">
                <h2 id="payment-title">{t!(i18n, checkout.payment)}</h2>
                <p class="notice notice-info no-js-only" data-testid="needs-javascript">
                    {t!(i18n, checkout.needs_javascript)}
                </p>
                // The element's room is kept from the start (Stripe's own advice): its
                // frame grows to its height only once the browser renders it, which for
                // a frame below the fold can be when the shopper scrolls to it, and Pay
                // must not move under their pointer then. The skeleton fills the room
                // until the element is ready.
                <div class="payment-slot js-only">
                    <div class="payment-skeleton" aria-hidden="true" class:hidden=move || payment.ready.get()>
                        <span></span>
                        <span></span>
                        <span></span>
                    </div>
                    // Stripe.js mounts its iframe in here; Leptos never renders children into it.
                    <div id="payment-element"></div>
                </div>
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
            // Without JavaScript nothing re-prices as the address and the delivery
            // change: this posts them (the form's `shipping`, `country` and `region`)
            // to `reprice_checkout`, and the page comes back priced for them. It comes
            // after Pay so that Pay stays the form's default button: Enter in a field
            // before the page hydrates meets a disabled Pay and posts nothing, instead
            // of reloading the page without what the shopper typed. CSS shows it under
            // the delivery options; nothing focusable lies between, so Tab agrees.
            <button
                type="submit"
                class="button no-js-only update-total"
                formaction=REPRICE_PATH
                formmethod="post"
            >
                {t!(i18n, checkout.update_total)}
            </button>
        </form>
    }
}

/// Where the no-JS re-pricing is served.
const REPRICE_PATH: &str = <super::RepriceCheckout as leptos::server_fn::ServerFn>::PATH;

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
            .with(|errors| errors.message(field, payment.locale))
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
            .with(|errors| errors.message(Field::Country, payment.locale))
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
            <label for="checkout-country">{td_string!(payment.locale, checkout.country)}</label>
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
                        let name = country_name(code, payment.locale).unwrap_or(name);
                        view! { <option value=*code selected=*code == chosen>{name}</option> }
                    })
                    .collect_view()}
            </select>
            <p class="field-error" id="checkout-country-error">{error}</p>
        </div>
    }
}

/// A delivery country's name in the page's language.
fn country_name(code: &str, locale: Locale) -> Option<&'static str> {
    Some(match code {
        "US" => td_string!(locale, checkout.countries.US),
        "CA" => td_string!(locale, checkout.countries.CA),
        "GB" => td_string!(locale, checkout.countries.GB),
        "IE" => td_string!(locale, checkout.countries.IE),
        "FR" => td_string!(locale, checkout.countries.FR),
        "DE" => td_string!(locale, checkout.countries.DE),
        "NL" => td_string!(locale, checkout.countries.NL),
        "BE" => td_string!(locale, checkout.countries.BE),
        "ES" => td_string!(locale, checkout.countries.ES),
        "IT" => td_string!(locale, checkout.countries.IT),
        "AU" => td_string!(locale, checkout.countries.AU),
        "NZ" => td_string!(locale, checkout.countries.NZ),
        _ => return None,
    })
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
            // A state that is none ("Calif") is said as the shopper leaves the field,
            // as the server-rendered page says it; a real one clears it.
            let problem = next.region_problem();
            payment
                .field_errors
                .update(|errors| errors.set(Field::Region, problem));
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
            .format(payment.locale)
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
            <span>{option.label(payment.locale)}</span>
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
