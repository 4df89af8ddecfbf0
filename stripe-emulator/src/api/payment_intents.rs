//! `/v1/payment_intents`: create, retrieve, update, confirm, cancel, capture, list.

use serde_json::{json, Map, Value};

use super::list::{paginate, CreatedFilter};
use super::params::{apply_metadata, optional_hash, Call};
use super::payment_methods;
use super::render::{Expand, PAYMENT_INTENT_EXPANDABLE};
use crate::currency;
use crate::error::ApiError;
use crate::machine::{self, Confirmation};
use crate::objects::{Audience, PaymentIntent, Status};
use crate::store::Store;

/// `POST /v1/payment_intents`.
pub fn create(store: &mut Store, call: &Call) -> Result<Value, ApiError> {
    let expand = Expand::from_params(&call.params, PAYMENT_INTENT_EXPANDABLE, false)?;
    let currency = currency_param(call)?;
    let amount = call.int("amount").unwrap_or_default();
    currency::check_amount(amount, &currency)?;
    if call.has("automatic_payment_methods") && call.has("payment_method_types") {
        return Err(ApiError::exclusive_params(
            "automatic_payment_methods",
            "payment_method_types",
        ));
    }
    let payment_method_types = payment_method_types(call)?.unwrap_or_else(|| vec!["card".into()]);
    let confirm = call.bool("confirm");
    if call.has("return_url") && !confirm {
        return Err(ApiError::invalid_request(
            "return_url",
            "You may only specify `return_url` when `confirm` is true.",
        ));
    }
    let mut metadata = Map::new();
    apply_metadata(&mut metadata, call.get("metadata"))?;

    let id = store.new_id("pi");
    let secret = store.ids.token(25);
    let mut pi = PaymentIntent {
        client_secret: format!("{id}_secret_{secret}"),
        id: id.clone(),
        amount,
        amount_capturable: 0,
        amount_received: 0,
        currency,
        status: Status::RequiresPaymentMethod,
        capture_method: call
            .text("capture_method")
            .unwrap_or_else(|| "automatic_async".into()),
        created: store.clock.now(),
        canceled_at: None,
        cancellation_reason: None,
        automatic_payment_methods: call
            .get("automatic_payment_methods")
            .and_then(|a| a.get("enabled"))
            .and_then(Value::as_bool)
            .unwrap_or(false),
        payment_method_types,
        payment_method: None,
        latest_charge: None,
        last_payment_error: None,
        next_action: None,
        metadata,
        description: call.text("description"),
        receipt_email: call.text("receipt_email"),
        customer: call.text("customer"),
        shipping: optional_hash(call.get("shipping")).flatten(),
        setup_future_usage: call.text("setup_future_usage"),
        statement_descriptor: call.text("statement_descriptor"),
        statement_descriptor_suffix: call.text("statement_descriptor_suffix"),
        transfer_group: call.text("transfer_group"),
        on_behalf_of: call.text("on_behalf_of"),
        application_fee_amount: call.int("application_fee_amount"),
        transfer_data: optional_hash(call.get("transfer_data")).flatten(),
        confirmation_method: call
            .text("confirmation_method")
            .unwrap_or_else(|| "automatic".into()),
        return_url: None,
        authenticating_payment_method: None,
        test_page: false,
    };
    let payment_method = attach_payment_method(store, call)?;
    if payment_method.is_some() {
        pi.status = Status::RequiresConfirmation;
        pi.payment_method = payment_method.clone();
    }
    store.put_payment_intent(pi);
    store.emit_intent("payment_intent.created", &id);
    if confirm {
        let Some(pm_id) = payment_method else {
            return Err(with_intent(ApiError::missing_payment_method(), &id));
        };
        machine::confirm(store, &id, &pm_id, &confirmation(call), call.emulator_url)
            .map_err(|e| with_intent(e, &id))?;
    }
    Ok(store.render_payment_intent(&store.payment_intents[&id], &expand, call.audience))
}

/// `GET /v1/payment_intents/{id}`: a publishable key must bring the client secret.
pub fn retrieve(store: &mut Store, call: &Call, id: &str) -> Result<Value, ApiError> {
    let expand = Expand::from_params(&call.params, PAYMENT_INTENT_EXPANDABLE, false)?;
    let pi = find(store, id)?;
    check_client_secret(call, pi)?;
    Ok(store.render_payment_intent(pi, &expand, call.audience))
}

/// `POST /v1/payment_intents/{id}`.
pub fn update(store: &mut Store, call: &Call, id: &str) -> Result<Value, ApiError> {
    let expand = Expand::from_params(&call.params, PAYMENT_INTENT_EXPANDABLE, false)?;
    let mut pi = find(store, id)?.clone();
    // `metadata` and `description` may change in any state [obs]; the rest only
    // before the payment is under way.
    if !pi.status.is_updatable() {
        if let Some(field) = call
            .params
            .keys()
            .find(|k| !matches!(k.as_str(), "metadata" | "description" | "expand"))
        {
            return Err(ApiError::unexpected_state_param(
                format!(
                    "This PaymentIntent's {field} could not be updated because it has a status of {}. You may only update the {field} of a PaymentIntent with one of the following statuses: requires_payment_method, requires_confirmation, requires_action.",
                    pi.status.as_str()
                ),
                field,
            ));
        }
    }
    if call.has("currency") {
        pi.currency = currency_param(call)?;
    }
    if let Some(amount) = call.int("amount") {
        pi.amount = amount;
    }
    if call.has("amount") || call.has("currency") {
        currency::check_amount(pi.amount, &pi.currency)?;
    }
    if call.has("automatic_payment_methods") && call.has("payment_method_types") {
        return Err(ApiError::exclusive_params(
            "automatic_payment_methods",
            "payment_method_types",
        ));
    }
    if let Some(types) = payment_method_types(call)? {
        pi.payment_method_types = types;
    }
    apply_metadata(&mut pi.metadata, call.get("metadata"))?;
    if let Some(description) = call.str("description") {
        pi.description = (!description.is_empty()).then(|| description.to_string());
    }
    for (field, slot) in [
        ("receipt_email", &mut pi.receipt_email),
        ("customer", &mut pi.customer),
        ("setup_future_usage", &mut pi.setup_future_usage),
        ("statement_descriptor", &mut pi.statement_descriptor),
        (
            "statement_descriptor_suffix",
            &mut pi.statement_descriptor_suffix,
        ),
        ("transfer_group", &mut pi.transfer_group),
    ] {
        if let Some(value) = call.str(field) {
            *slot = (!value.is_empty()).then(|| value.to_string());
        }
    }
    if let Some(capture_method) = call.text("capture_method") {
        pi.capture_method = capture_method;
    }
    if let Some(shipping) = optional_hash(call.get("shipping")) {
        pi.shipping = shipping;
    }
    if let Some(transfer_data) = optional_hash(call.get("transfer_data")) {
        pi.transfer_data = transfer_data;
    }
    if call.has("application_fee_amount") {
        pi.application_fee_amount = call.int("application_fee_amount");
    }
    if call.str("payment_method") == Some("") {
        pi.payment_method = None;
        pi.status = Status::RequiresPaymentMethod;
    } else if let Some(pm_id) = attach_payment_method(store, call)? {
        pi.payment_method = Some(pm_id);
        pi.next_action = None;
        pi.status = Status::RequiresConfirmation;
    }
    pi.last_payment_error = None;
    store.put_payment_intent(pi);
    Ok(store.render_payment_intent(&store.payment_intents[id], &expand, call.audience))
}

/// `POST /v1/payment_intents/{id}/confirm`, from the server or from Stripe.js.
pub fn confirm(store: &mut Store, call: &Call, id: &str) -> Result<Value, ApiError> {
    let expand = Expand::from_params(&call.params, PAYMENT_INTENT_EXPANDABLE, false)?;
    let pi = find(store, id)?;
    check_client_secret(call, pi)?;
    if !pi.status.is_updatable() {
        return Err(machine::refuse_confirm(pi));
    }
    let existing = pi.payment_method.clone();
    let pm_id = match attach_payment_method(store, call) {
        Ok(Some(pm_id)) => pm_id,
        Ok(None) => existing.ok_or_else(ApiError::missing_payment_method)?,
        Err(error) if error.kind == crate::error::ErrorType::Card => {
            // A card refused before any charge (a bad number) still fails the attempt.
            let mut pi = store.payment_intents[id].clone();
            pi.status = Status::RequiresPaymentMethod;
            pi.payment_method = None;
            pi.next_action = None;
            pi.last_payment_error = Some(error.as_last_payment_error());
            store.put_payment_intent(pi);
            store.emit_intent("payment_intent.payment_failed", id);
            return Err(error);
        }
        Err(error) => return Err(error),
    };
    let mut pi = store.payment_intents[id].clone();
    if let Some(email) = call.str("receipt_email") {
        pi.receipt_email = (!email.is_empty()).then(|| email.to_string());
    }
    if let Some(shipping) = optional_hash(call.get("shipping")) {
        pi.shipping = shipping;
    }
    if let Some(usage) = call.str("setup_future_usage") {
        pi.setup_future_usage = (!usage.is_empty()).then(|| usage.to_string());
    }
    if let Some(capture_method) = call.text("capture_method") {
        pi.capture_method = capture_method;
    }
    store.put_payment_intent(pi);
    machine::confirm(store, id, &pm_id, &confirmation(call), call.emulator_url)?;
    Ok(store.render_payment_intent(&store.payment_intents[id], &expand, call.audience))
}

/// `POST /v1/payment_intents/{id}/cancel`.
pub fn cancel(store: &mut Store, call: &Call, id: &str) -> Result<Value, ApiError> {
    let expand = Expand::from_params(&call.params, PAYMENT_INTENT_EXPANDABLE, false)?;
    find(store, id)?;
    machine::cancel(store, id, call.text("cancellation_reason"))?;
    Ok(store.render_payment_intent(&store.payment_intents[id], &expand, call.audience))
}

/// `POST /v1/payment_intents/{id}/capture`.
pub fn capture(store: &mut Store, call: &Call, id: &str) -> Result<Value, ApiError> {
    let expand = Expand::from_params(&call.params, PAYMENT_INTENT_EXPANDABLE, false)?;
    let mut metadata = find(store, id)?.metadata.clone();
    apply_metadata(&mut metadata, call.get("metadata"))?;
    machine::capture(store, id, call.int("amount_to_capture"))?;
    if call.has("metadata") {
        let mut pi = store.payment_intents[id].clone();
        pi.metadata = metadata;
        store.put_payment_intent(pi);
    }
    Ok(store.render_payment_intent(&store.payment_intents[id], &expand, call.audience))
}

/// `GET /v1/payment_intents`: newest first, cursor pagination, no `total_count`.
pub fn list(store: &mut Store, call: &Call) -> Result<Value, ApiError> {
    let expand = Expand::from_params(&call.params, PAYMENT_INTENT_EXPANDABLE, true)?;
    let created = CreatedFilter::from(call.get("created"));
    let customer = call.text("customer");
    let newest_first: Vec<&PaymentIntent> = store
        .payment_intents
        .values()
        .rev()
        .filter(|pi| created.matches(pi.created))
        .filter(|pi| customer.is_none() || pi.customer == customer)
        .collect();
    let (page, has_more) = paginate(
        newest_first,
        |pi| &pi.id,
        |id| store.payment_intents.contains_key(id),
        call,
        "payment_intent",
    )?;
    let data: Vec<Value> = page
        .iter()
        .map(|pi| store.render_payment_intent(pi, &expand, Audience::Secret))
        .collect();
    Ok(
        json!({ "object": "list", "data": data, "has_more": has_more, "url": "/v1/payment_intents" }),
    )
}

fn find<'s>(store: &'s Store, id: &str) -> Result<&'s PaymentIntent, ApiError> {
    store
        .payment_intents
        .get(id)
        .ok_or_else(|| ApiError::no_such("payment_intent", id, "intent"))
}

/// A publishable key proves it may see this PaymentIntent with its client secret.
fn check_client_secret(call: &Call, pi: &PaymentIntent) -> Result<(), ApiError> {
    if call.audience == Audience::Secret {
        return Ok(());
    }
    match call.str("client_secret") {
        Some(secret) if pi.client_secret_matches(secret) => Ok(()),
        _ => Err(ApiError::client_secret_mismatch()),
    }
}

fn currency_param(call: &Call) -> Result<String, ApiError> {
    let raw = call.str("currency").unwrap_or_default();
    currency::parse(raw).ok_or_else(|| ApiError::invalid_currency(raw))
}

fn payment_method_types(call: &Call) -> Result<Option<Vec<String>>, ApiError> {
    let Some(types) = call.get("payment_method_types").and_then(Value::as_array) else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for kind in types.iter().filter_map(Value::as_str) {
        if kind != "card" {
            return Err(ApiError::unsupported_payment_method_type(kind));
        }
        out.push(kind.to_string());
    }
    if out.is_empty() {
        return Err(ApiError::invalid_request(
            "payment_method_types",
            "payment_method_types must name at least one type.",
        ));
    }
    Ok(Some(out))
}

/// The PaymentMethod a call brings: `payment_method`, or one made from `payment_method_data`.
fn attach_payment_method(store: &mut Store, call: &Call) -> Result<Option<String>, ApiError> {
    if call.has("payment_method") && call.has("payment_method_data") {
        return Err(ApiError::exclusive_params(
            "payment_method",
            "payment_method_data",
        ));
    }
    if let Some(id) = call.text("payment_method") {
        return payment_methods::resolve(store, &id).map(Some);
    }
    if let Some(data) = call.get("payment_method_data") {
        return payment_methods::from_data(store, call, data, "payment_method_data").map(Some);
    }
    Ok(None)
}

fn confirmation(call: &Call) -> Confirmation {
    Confirmation {
        return_url: call.text("return_url"),
        use_stripe_sdk: call.bool("use_stripe_sdk"),
        no_customer_action: call.bool("error_on_requires_action") || call.bool("off_session"),
        off_session: call.bool("off_session"),
        by_stripe_js: call.audience == Audience::Publishable,
    }
}

fn with_intent(mut error: ApiError, id: &str) -> ApiError {
    error.intent_id = Some(id.to_string());
    error.attach_intent = true;
    error
}
