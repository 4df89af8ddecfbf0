//! Typed Rust over `window.Stripe` (Stripe.js v3), for the hydrate build only.
//!
//! Every call that can throw is bound with `catch`, so an integration error becomes a
//! `Result` instead of a wasm panic; options are plain JS objects built here, so the
//! shapes Stripe documents are visible in one place.

use crate::i18n::{td_string, Locale};
use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::{prelude::*, JsCast};
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    /// A `Stripe(publishableKey)` instance.
    #[derive(Clone)]
    pub type Stripe;

    #[wasm_bindgen(catch, js_name = Stripe)]
    fn stripe_new(publishable_key: &str, options: &Object) -> Result<Stripe, JsValue>;

    #[wasm_bindgen(method, catch)]
    fn elements(this: &Stripe, options: &Object) -> Result<Elements, JsValue>;

    #[wasm_bindgen(method, catch, js_name = retrievePaymentIntent)]
    fn retrieve_payment_intent_raw(this: &Stripe, client_secret: &str) -> Result<Promise, JsValue>;

    #[wasm_bindgen(method, catch, js_name = confirmPayment)]
    fn confirm_payment_raw(this: &Stripe, options: &Object) -> Result<Promise, JsValue>;

    /// An Elements group, bound to one PaymentIntent's client secret.
    #[derive(Clone)]
    pub type Elements;

    #[wasm_bindgen(method, catch, js_name = create)]
    fn create_raw(this: &Elements, kind: &str, options: &Object)
        -> Result<PaymentElement, JsValue>;

    #[wasm_bindgen(method, catch, js_name = fetchUpdates)]
    fn fetch_updates_raw(this: &Elements) -> Result<Promise, JsValue>;

    /// The Payment Element.
    #[derive(Clone)]
    pub type PaymentElement;

    #[wasm_bindgen(method, catch, js_name = mount)]
    fn mount_raw(this: &PaymentElement, selector: &str) -> Result<(), JsValue>;

    #[wasm_bindgen(method, catch, js_name = on)]
    fn on_raw(this: &PaymentElement, event: &str, handler: &Function) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch, js_name = destroy)]
    fn destroy_raw(this: &PaymentElement) -> Result<(), JsValue>;
}

/// An error from Stripe.js: `{type, code, message}` of a rejected confirm, or a thrown
/// integration error.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StripeJsError {
    pub kind: String,
    pub code: Option<String>,
    pub message: Option<String>,
}

impl StripeJsError {
    fn from_js(value: &JsValue) -> Self {
        let text = |name: &str| {
            Reflect::get(value, &JsValue::from_str(name))
                .ok()
                .and_then(|field| field.as_string())
        };
        Self {
            kind: text("type").unwrap_or_else(|| "integration_error".to_owned()),
            code: text("code"),
            message: text("message"),
        }
    }

    /// What the shopper reads: card errors, validation errors and a failed 3-D Secure
    /// verbatim from Stripe (they are written for shoppers); anything else calmly.
    /// Stripe wrote them in the language it was given ([`Stripe::new`]).
    pub fn shopper_message(&self, locale: Locale) -> String {
        let verbatim = self.kind == "card_error"
            || self.kind == "validation_error"
            || self.code.as_deref() == Some("payment_intent_authentication_failure");
        match &self.message {
            Some(message) if verbatim => message.clone(),
            _ => td_string!(locale, checkout.not_completed).to_owned(),
        }
    }
}

/// Whether Stripe.js loaded (the script tag may have failed: offline, blocked).
pub fn is_loaded() -> bool {
    web_sys::window()
        .and_then(|window| Reflect::get(&window, &JsValue::from_str("Stripe")).ok())
        .is_some_and(|stripe| stripe.is_function())
}

/// Stripe.js's name for the page's language (`zh` is Simplified Chinese there).
/// Always the page's: Stripe's default, `auto`, follows the browser, which would put a
/// Chinese card form inside the shop's English page for a shopper whose browser
/// prefers Chinese.
fn stripe_locale(locale: Locale) -> &'static str {
    match locale {
        Locale::en => "en",
        Locale::zh_CN => "zh",
    }
}

impl Stripe {
    /// `Stripe(publishableKey, {locale})`, in the page's language: Stripe's own
    /// messages (declines, 3-D Secure) come back in it.
    pub fn new(publishable_key: &str, locale: Locale) -> Result<Self, StripeJsError> {
        stripe_new(
            publishable_key,
            &object(&[("locale", stripe_locale(locale).into())]),
        )
        .map_err(|e| StripeJsError::from_js(&e))
    }

    /// `stripe.elements({clientSecret, appearance, locale})`, in the shop's colours,
    /// font and language.
    pub fn elements_for(
        &self,
        client_secret: &str,
        locale: Locale,
    ) -> Result<Elements, StripeJsError> {
        let variables = object(&[
            ("colorPrimary", "#2f5d50".into()),
            ("colorText", "#1f2328".into()),
            ("colorDanger", "#a2302a".into()),
            (
                "fontFamily",
                "system-ui, -apple-system, 'Segoe UI', sans-serif".into(),
            ),
            ("borderRadius", "8px".into()),
        ]);
        let appearance = object(&[("theme", "stripe".into()), ("variables", variables.into())]);
        let options = object(&[
            ("clientSecret", client_secret.into()),
            ("appearance", appearance.into()),
            ("locale", stripe_locale(locale).into()),
        ]);
        self.elements(&options)
            .map_err(|e| StripeJsError::from_js(&e))
    }

    /// `stripe.confirmPayment(...)` with every billing field the element was told
    /// `never` to collect. Resolves only with an error: on success Stripe.js leaves the
    /// page for `return_url`.
    pub async fn confirm_payment(
        &self,
        elements: &Elements,
        return_url: &str,
        billing: &BillingDetails<'_>,
    ) -> StripeJsError {
        let address = object(&[
            ("line1", billing.line1.into()),
            ("line2", billing.line2.into()),
            ("city", billing.city.into()),
            ("state", billing.state.into()),
            ("postal_code", billing.postal_code.into()),
            ("country", billing.country.into()),
        ]);
        let details = object(&[
            ("name", billing.name.into()),
            ("email", billing.email.into()),
            ("address", address.into()),
        ]);
        let confirm_params = object(&[
            ("return_url", return_url.into()),
            (
                "payment_method_data",
                object(&[("billing_details", details.into())]).into(),
            ),
        ]);
        let options = object(&[
            ("elements", elements.clone().into()),
            ("confirmParams", confirm_params.into()),
        ]);
        let result = match self.confirm_payment_raw(&options) {
            Ok(promise) => JsFuture::from(promise).await,
            Err(thrown) => Err(thrown),
        };
        match result {
            Ok(result) => match Reflect::get(&result, &JsValue::from_str("error")) {
                Ok(error) if error.is_object() => StripeJsError::from_js(&error),
                _ => StripeJsError::default(),
            },
            Err(thrown) => StripeJsError::from_js(&thrown),
        }
    }
}

/// The shopper's name, email and address for `billing_details` (empty strings where
/// they have none: Stripe.js throws on a missing field it was told not to collect).
#[derive(Debug)]
pub struct BillingDetails<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub line1: &'a str,
    pub line2: &'a str,
    pub city: &'a str,
    pub state: &'a str,
    pub postal_code: &'a str,
    pub country: &'a str,
}

impl Elements {
    /// `elements.create('payment', ...)`, collecting no email or address: the shop's
    /// own form does, and passes them at confirm.
    pub fn create_payment_element(&self) -> Result<PaymentElement, StripeJsError> {
        let billing = object(&[("email", "never".into()), ("address", "never".into())]);
        let fields = object(&[("billingDetails", billing.into())]);
        let options = object(&[("fields", fields.into()), ("layout", "tabs".into())]);
        self.create_raw("payment", &options)
            .map_err(|e| StripeJsError::from_js(&e))
    }

    /// `elements.fetchUpdates()`: re-reads the PaymentIntent after its amount changed.
    pub async fn fetch_updates(&self) -> Result<(), StripeJsError> {
        let promise = self
            .fetch_updates_raw()
            .map_err(|e| StripeJsError::from_js(&e))?;
        let result = JsFuture::from(promise)
            .await
            .map_err(|e| StripeJsError::from_js(&e))?;
        match Reflect::get(&result, &JsValue::from_str("error")) {
            Ok(error) if error.is_object() => Err(StripeJsError::from_js(&error)),
            _ => Ok(()),
        }
    }
}

impl PaymentElement {
    /// `element.mount(selector)`.
    pub fn mount(&self, selector: &str) -> Result<(), StripeJsError> {
        self.mount_raw(selector)
            .map_err(|e| StripeJsError::from_js(&e))
    }

    /// `element.on(event, handler)`; the closure lives as long as the page.
    pub fn on(&self, event: &str, handler: impl FnMut(JsValue) + 'static) {
        let closure = Closure::<dyn FnMut(JsValue)>::new(handler);
        // Attaching a handler to a live element does not throw.
        let _ = self.on_raw(event, closure.as_ref().unchecked_ref());
        // The element calls it until destroyed; leaking one small closure per mount is
        // what keeps it callable.
        closure.forget();
    }

    /// `element.destroy()`; a second destroy is harmless.
    pub fn destroy(&self) {
        let _ = self.destroy_raw();
    }
}

/// `stripe.retrievePaymentIntent(clientSecret)`: the PaymentIntent's status as the
/// browser may read it, or `None` when Stripe.js or Stripe could not answer.
pub async fn retrieve_payment_intent_status(
    publishable_key: &str,
    client_secret: &str,
) -> Option<String> {
    // Only a status is read: no message to word, so the language is immaterial.
    let stripe = Stripe::new(publishable_key, Locale::en).ok()?;
    let promise = stripe.retrieve_payment_intent_raw(client_secret).ok()?;
    let result = JsFuture::from(promise).await.ok()?;
    let intent = Reflect::get(&result, &JsValue::from_str("paymentIntent")).ok()?;
    Reflect::get(&intent, &JsValue::from_str("status"))
        .ok()?
        .as_string()
}

/// Waits `ms` milliseconds (the browser's `setTimeout`).
pub async fn sleep(ms: i32) {
    let promise = Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// A plain JS object from key/value pairs.
fn object(entries: &[(&str, JsValue)]) -> Object {
    let object = Object::new();
    for (key, value) in entries {
        // Setting a property on a fresh plain object cannot fail.
        let _ = Reflect::set(&object, &JsValue::from_str(key), value);
    }
    object
}
