//! The payment half of the checkout page: its state, and (in the browser) the steps
//! that keep the PaymentIntent and the Payment Element in step with the cart, and the
//! Pay sequence: validate, lock the order on the server, confirm with Stripe.js.

use crate::{
    domain::{Destination, Field, FieldErrors, OrderTotals, PaymentSession, ShippingOption},
    i18n::Locale,
};
use leptos::prelude::*;

/// Everything the checkout's components share. Signals only: cheap to copy into
/// every closure.
#[derive(Clone, Copy)]
pub struct PaymentState {
    /// What the page shows and the Pay button charges: the server's last pricing.
    pub totals: RwSignal<OrderTotals>,
    pub shipping: RwSignal<ShippingOption>,
    /// Where the form says the parcel goes (country and state): it decides the tax.
    pub destination: RwSignal<Destination>,
    /// The prepared PaymentIntent for the current cart, once the server has made it.
    pub session: RwSignal<Option<PaymentSession>>,
    /// A re-pricing (and `elements.fetchUpdates()`) is running: Pay must wait for it.
    pub preparing: RwSignal<bool>,
    /// The Payment Element has mounted and fired `ready`.
    pub ready: RwSignal<bool>,
    /// Pay was pressed and has not finished: the form is locked.
    pub paying: RwSignal<bool>,
    /// The message area (announced to screen readers).
    pub message: RwSignal<Option<String>>,
    pub field_errors: RwSignal<FieldErrors>,
    /// Bumped to re-price without any cart change (after a refused submit).
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    refresh: RwSignal<u32>,
    /// The browser has started preparing (false while server-rendered).
    pub started: RwSignal<bool>,
    /// The page's language: for messages, and for Stripe.js and the element.
    pub locale: Locale,
    /// The last prepare failed: Pay becomes "Try again".
    pub prepare_failed: RwSignal<bool>,
    #[cfg(feature = "hydrate")]
    ui: StoredValue<Option<client::Ui>, LocalStorage>,
}

impl PaymentState {
    pub fn new(
        totals: OrderTotals,
        shipping: ShippingOption,
        destination: Destination,
        locale: Locale,
    ) -> Self {
        // A state that is none ("Calif", kept as typed, so the field shows it) is
        // pointed out next to its field from the start, with or without JavaScript.
        let mut field_errors = FieldErrors::default();
        field_errors.set(Field::Region, destination.region_problem());
        Self {
            totals: RwSignal::new(totals),
            shipping: RwSignal::new(shipping),
            destination: RwSignal::new(destination),
            session: RwSignal::new(None),
            preparing: RwSignal::new(false),
            ready: RwSignal::new(false),
            paying: RwSignal::new(false),
            message: RwSignal::new(None),
            field_errors: RwSignal::new(field_errors),
            refresh: RwSignal::new(0),
            started: RwSignal::new(false),
            locale,
            prepare_failed: RwSignal::new(false),
            #[cfg(feature = "hydrate")]
            ui: StoredValue::new_local(None),
        }
    }

    /// In the browser: prepares the payment now and after every cart, shipping or
    /// address change, and destroys the Payment Element when the shopper leaves the page.
    /// On the server this does nothing; the page renders without a payment.
    pub fn start(self) {
        #[cfg(feature = "hydrate")]
        client::start(self);
    }

    /// Whether Pay can be pressed now.
    pub fn can_pay(self) -> bool {
        self.ready.get()
            && !self.paying.get()
            && !self.preparing.get()
            && self.session.with(Option::is_some)
    }

    /// Preparing failed and nothing is running: the button offers to try again.
    pub fn can_retry(self) -> bool {
        self.started.get()
            && self.prepare_failed.get()
            && !self.preparing.get()
            && !self.paying.get()
    }
}

#[cfg(feature = "hydrate")]
pub use client::pay;

#[cfg(feature = "hydrate")]
mod client {
    use super::PaymentState;
    use crate::{
        cart::use_cart_state,
        checkout::{prepare_payment, submit_order},
        domain::{
            CheckoutSubmission, DeliveryForm, Destination, Field, FieldErrors, PaymentSession,
            ShopError,
        },
        i18n::td_string,
        stripe_js::{self, BillingDetails, Elements, PaymentElement, Stripe},
    };
    use leptos::{prelude::*, task::spawn_local};

    /// The live Stripe.js objects of one PaymentIntent.
    pub struct Ui {
        stripe: Stripe,
        elements: Elements,
        element: PaymentElement,
        client_secret: String,
    }

    fn load_failed(state: PaymentState) -> String {
        td_string!(state.locale, checkout.load_failed).to_owned()
    }

    pub fn start(state: PaymentState) {
        let cart = use_cart_state().cart;
        let latest = StoredValue::new(0u64);
        Effect::new(move |_| {
            // Re-price whenever the cart, the delivery option, the address or a refused
            // submit says so.
            cart.track();
            state.refresh.track();
            let shipping = state.shipping.get();
            let destination = state.destination.get();
            let run = latest.get_value() + 1;
            latest.set_value(run);
            state.started.set(true);
            state.preparing.set(true);
            spawn_local(async move {
                let result = prepare_payment(
                    shipping.code().to_owned(),
                    destination.country().to_owned(),
                    destination.region().to_owned(),
                )
                .await;
                // The shopper left the page meanwhile (everything is disposed), or a
                // newer change started: its answer is the one that counts.
                if latest.try_get_value() != Some(run) {
                    return;
                }
                match result {
                    Ok(session) => {
                        if run == 1 {
                            // The live page's first pricing: a message the address
                            // brought (a refused no-JS re-pricing) is over.
                            state.message.try_set(None);
                        }
                        state.totals.try_set(session.totals);
                        if state.shipping.get_untracked() != session.shipping {
                            // Another tab chose it: follow, without re-pricing again.
                            state.shipping.try_set(session.shipping);
                        }
                        show(state, &session).await;
                        state.session.try_set(Some(session));
                        if state.prepare_failed.try_get_untracked() == Some(true) {
                            state.prepare_failed.try_set(false);
                            state.message.try_set(None);
                        }
                    }
                    Err(error) => {
                        state.session.try_set(None);
                        state.prepare_failed.try_set(true);
                        state.message.try_set(Some(error.message(state.locale)));
                    }
                }
                if latest.try_get_value() == Some(run) {
                    state.preparing.try_set(false);
                }
            });
        });
        on_cleanup(move || {
            // Leaving the page: this group's element goes; coming back builds a new one.
            if let Some(Some(ui)) = state.ui.try_update_value(Option::take) {
                ui.element.destroy();
            }
        });
    }

    /// Mounts the Payment Element for `session`, or (same PaymentIntent, new amount)
    /// lets it fetch the update before Pay is enabled again.
    async fn show(state: PaymentState, session: &PaymentSession) {
        let same = state.ui.try_with_value(|ui| {
            ui.as_ref()
                .filter(|ui| ui.client_secret == session.client_secret)
                .map(|ui| ui.elements.clone())
        });
        let Some(same) = same else {
            return; // the page is gone
        };
        if let Some(elements) = same {
            if let Err(error) = elements.fetch_updates().await {
                state
                    .message
                    .try_set(Some(error.shopper_message(state.locale)));
            }
            return;
        }
        // A new PaymentIntent (a new generation): a new elements group.
        if let Some(Some(old)) = state.ui.try_update_value(Option::take) {
            old.element.destroy();
        }
        state.ready.set(false);
        if !stripe_js::is_loaded() {
            state.message.set(Some(load_failed(state)));
            return;
        }
        let mounted = (|| {
            let stripe = Stripe::new(&session.publishable_key, state.locale)?;
            let elements = stripe.elements_for(&session.client_secret, state.locale)?;
            let element = elements.create_payment_element()?;
            element.on("ready", move |_| state.ready.set(true));
            element.mount("#payment-element")?;
            Ok::<_, stripe_js::StripeJsError>(Ui {
                stripe,
                elements,
                element,
                client_secret: session.client_secret.clone(),
            })
        })();
        match mounted {
            Ok(ui) => {
                state.ui.try_update_value(|slot| *slot = Some(ui));
            }
            Err(error) => {
                leptos::logging::error!("mounting the Payment Element failed: {error:?}");
                state.message.set(Some(load_failed(state)));
            }
        }
    }

    /// Pay: check the form here, lock the order on the server, then confirm with
    /// Stripe.js, which leaves for the confirmation page on success. A second press
    /// while this runs does nothing.
    pub fn pay(state: PaymentState, form: DeliveryForm) {
        if state.can_retry() {
            state.refresh.update(|n| *n += 1);
            return;
        }
        if !state.can_pay() {
            return;
        }
        let Some(session) = state.session.get_untracked() else {
            return;
        };
        if let Err(errors) = form.validate() {
            focus_first(&errors);
            state.field_errors.set(errors);
            return;
        }
        state.field_errors.set(FieldErrors::default());
        state.message.set(None);
        // The server taxes the address submitted; if the page priced another (a field
        // filled in without a change event), follow it so the re-pricing after the
        // server's refusal is for this address.
        if let Ok(destination) = Destination::parse(&form.country, &form.region) {
            if state.destination.get_untracked() != destination {
                state.destination.set(destination);
            }
        }
        state.paying.set(true);
        spawn_local(async move {
            let submitted = submit_order(CheckoutSubmission {
                details: form.clone(),
                shipping: session.shipping.code().to_owned(),
                payment_intent: session.payment_intent.clone(),
                cart_version: session.cart_version.to_string(),
                total: session.totals.total.minor().to_string(),
            })
            .await;
            if let Err(error) = submitted {
                match &error {
                    ShopError::InvalidDetails(errors) => {
                        focus_first(errors);
                        state.field_errors.try_set(errors.clone());
                    }
                    ShopError::CartChanged { total } => {
                        // Show the new total now; re-pricing brings the PaymentIntent and
                        // the element along, and the shopper presses Pay again.
                        state.message.try_set(Some(error.message(state.locale)));
                        state.totals.try_update(|totals| totals.total = *total);
                        state.refresh.try_update(|n| *n += 1);
                    }
                    _ => {
                        state.message.try_set(Some(error.message(state.locale)));
                    }
                }
                state.paying.try_set(false);
                return;
            }
            let ui = state
                .ui
                .try_with_value(|ui| {
                    ui.as_ref()
                        .map(|ui| (ui.stripe.clone(), ui.elements.clone()))
                })
                .flatten();
            let Some((stripe, elements)) = ui else {
                state.message.try_set(Some(load_failed(state)));
                state.paying.try_set(false);
                return;
            };
            let origin = window().location().origin().unwrap_or_default();
            let return_url = format!("{origin}/order-confirmation");
            let error = stripe
                .confirm_payment(
                    &elements,
                    &return_url,
                    &BillingDetails {
                        name: form.name.trim(),
                        email: form.email.trim(),
                        line1: form.line1.trim(),
                        line2: form.line2.trim(),
                        city: form.city.trim(),
                        state: form.region.trim(),
                        postal_code: form.postal_code.trim(),
                        country: &form.country.trim().to_ascii_uppercase(),
                    },
                )
                .await;
            // Only an error comes back: success has already left the page.
            state
                .message
                .try_set(Some(error.shopper_message(state.locale)));
            state.paying.try_set(false);
            if error.kind != "validation_error" {
                // The PaymentIntent may have moved on (cancelled, say): re-price, so the
                // next press has a usable one.
                state.refresh.try_update(|n| *n += 1);
            }
        });
    }

    fn focus_first(errors: &FieldErrors) {
        let first = Field::ALL
            .into_iter()
            .find(|field| errors.get(*field).is_some());
        if let Some(field) = first {
            let element = document().get_element_by_id(&format!("checkout-{}", field.name()));
            if let Some(element) =
                element.and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok())
            {
                let _ = element.focus();
            }
        }
    }
}
