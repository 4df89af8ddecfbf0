//! `/v1/payment_methods`, and turning `payment_method` / `payment_method_data` into one.

use serde_json::{Map, Value};

use super::params::{apply_metadata, Call};
use super::render::{Expand, PAYMENT_METHOD_EXPANDABLE};
use crate::cards;
use crate::clock::year_and_month_of;
use crate::error::ApiError;
use crate::machine::materialize_test_card;
use crate::objects::{Audience, BillingDetails, Card, PaymentMethod};
use crate::store::Store;

/// `POST /v1/payment_methods`.
pub fn create(store: &mut Store, call: &Call) -> Result<Value, ApiError> {
    Expand::from_params(&call.params, PAYMENT_METHOD_EXPANDABLE, false)?;
    match call.str("type") {
        None => return Err(ApiError::missing_param("type")),
        Some("card") => {}
        Some(other) => {
            return Err(ApiError::unsupported_payment_method_type(other).param_named("type"))
        }
    }
    let id = from_data(store, call, &Value::Object(call.params.clone()), "")?;
    Ok(store.payment_methods[&id].render())
}

/// `GET /v1/payment_methods/{id}`; a `pm_card_*` test id gives a fresh PaymentMethod.
pub fn retrieve(store: &mut Store, call: &Call, id: &str) -> Result<Value, ApiError> {
    Expand::from_params(&call.params, PAYMENT_METHOD_EXPANDABLE, false)?;
    let id = resolve(store, id)?;
    Ok(store.payment_methods[&id].render())
}

/// The PaymentMethod named by a `payment_method` parameter.
pub fn resolve(store: &mut Store, id: &str) -> Result<String, ApiError> {
    if let Some(number) = cards::test_payment_method(id) {
        return materialize_test_card(store, number);
    }
    if store.payment_methods.contains_key(id) {
        return Ok(id.to_string());
    }
    Err(ApiError::no_such("PaymentMethod", id, "payment_method"))
}

/// Creates a PaymentMethod from `payment_method_data` (or the create call's own parameters).
///
/// Raw card numbers are taken only from Stripe.js (a publishable key), as in test mode
/// without raw-card-data access.
pub fn from_data(
    store: &mut Store,
    call: &Call,
    data: &Value,
    prefix: &str,
) -> Result<String, ApiError> {
    let param = |name: &str| {
        if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}[{name}]")
        }
    };
    match data.get("type").and_then(Value::as_str) {
        Some("card") => {}
        Some(other) => {
            return Err(ApiError::unsupported_payment_method_type(other).param_named(&param("type")))
        }
        None => return Err(ApiError::missing_param(&param("type"))),
    }
    let Some(card) = data.get("card").filter(|c| c.is_object()) else {
        return Err(ApiError::missing_param(&param("card")));
    };
    if card.get("token").is_some() {
        return Err(ApiError::invalid_request(
            &param("card[token]"),
            "Card tokens are not supported by this emulator; use a pm_card_* test PaymentMethod.",
        ));
    }
    if call.audience == Audience::Secret && !call.options.allow_raw_card_data {
        return Err(ApiError::raw_card_data());
    }
    let number = card
        .get("number")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let digits: String = number.chars().filter(|c| !c.is_whitespace()).collect();
    if call.options.strict_cards
        && cards::luhn_valid(&digits)
        && !cards::is_documented_test_number(&digits)
    {
        return Err(ApiError::card(
            "card_declined",
            Some("test_mode_live_card"),
            "Your card was declined. Your request was in test mode, but used a non test (live) card. For a list of valid test cards, visit: https://stripe.com/docs/testing.",
            None,
        ));
    }
    let now = store.clock.now();
    let card = Card::from_raw(
        number,
        card.get("exp_month").and_then(Value::as_i64).unwrap_or(0),
        card.get("exp_year").and_then(Value::as_i64).unwrap_or(0),
        card.get("cvc").and_then(Value::as_str),
        year_and_month_of(now),
    )?;
    let mut metadata = Map::new();
    apply_metadata(&mut metadata, data.get("metadata"))?;
    let id = store.new_id("pm");
    store.put_payment_method(PaymentMethod {
        id: id.clone(),
        created: now,
        billing_details: BillingDetails::from_params(data.get("billing_details")),
        card,
        metadata,
        allow_redisplay: data
            .get("allow_redisplay")
            .and_then(Value::as_str)
            .unwrap_or("unspecified")
            .to_string(),
    });
    Ok(id)
}
