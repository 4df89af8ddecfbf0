//! `/v1/refunds`.

use serde_json::{Map, Value};

use super::params::{apply_metadata, Call};
use super::render::{Expand, REFUND_EXPANDABLE};
use crate::currency;
use crate::error::ApiError;
use crate::machine::refund_charge;
use crate::objects::ChargeStatus;
use crate::store::Store;

/// `POST /v1/refunds`: by `payment_intent` or `charge`; `amount` defaults to what is left.
pub fn create(store: &mut Store, call: &Call) -> Result<Value, ApiError> {
    let expand = Expand::from_params(&call.params, REFUND_EXPANDABLE, false)?;
    let charge_id = match (call.text("charge"), call.text("payment_intent")) {
        (None, None) => {
            return Err(ApiError::invalid_request("charge", "One of the following params should be provided for this request: payment_intent or charge."));
        }
        (Some(charge), by_intent) => {
            let found = store
                .charges
                .get(&charge)
                .ok_or_else(|| ApiError::no_such("charge", &charge, "charge"))?;
            if by_intent.is_some_and(|pi| pi != found.payment_intent) {
                return Err(ApiError::invalid_request(
                    "payment_intent",
                    format!("The charge {charge} does not belong to the PaymentIntent you gave."),
                ));
            }
            charge
        }
        (None, Some(pi_id)) => {
            let pi = store
                .payment_intents
                .get(&pi_id)
                .ok_or_else(|| ApiError::no_such("payment_intent", &pi_id, "payment_intent"))?;
            pi.latest_charge
                .clone()
                .filter(|id| store.charges.get(id).is_some_and(|c| c.status == ChargeStatus::Succeeded))
                .ok_or_else(|| ApiError::invalid_request("payment_intent", format!("This PaymentIntent ({pi_id}) does not have a successful charge to refund.")))?
        }
    };
    let charge = &store.charges[&charge_id];
    if charge.status != ChargeStatus::Succeeded {
        return Err(ApiError::invalid_request(
            "charge",
            format!("Charge {charge_id} has not succeeded, so there is nothing to refund."),
        ));
    }
    if !charge.captured {
        return Err(ApiError::invalid_request("charge", format!("Charge {charge_id} has not been captured; cancel its PaymentIntent to release the authorization.")));
    }
    // What was released at capture is in `amount_refunded` but was never captured.
    let left = charge.amount_captured - (charge.amount_refunded - charge.amount_released);
    if left <= 0 {
        return Err(ApiError::charge_already_refunded(&charge_id));
    }
    let amount = call.int("amount").unwrap_or(left);
    if amount < 1 {
        return Err(ApiError::invalid_request(
            "amount",
            "Refund amount must be a positive integer.",
        ));
    }
    if amount > left {
        return Err(ApiError::refund_too_large(
            &currency::display(amount, &charge.currency),
            &currency::display(left, &charge.currency),
        ));
    }
    let mut metadata = Map::new();
    apply_metadata(&mut metadata, call.get("metadata"))?;
    let refund_id = refund_charge(store, &charge_id, amount, call.text("reason"), metadata);
    store.emit_charge("charge.refunded", &charge_id, None);
    store.emit_refund("refund.created", &refund_id);
    Ok(store.render_refund(&store.refunds[&refund_id], &expand))
}

/// `GET /v1/refunds/{id}`.
pub fn retrieve(store: &mut Store, call: &Call, id: &str) -> Result<Value, ApiError> {
    let expand = Expand::from_params(&call.params, REFUND_EXPANDABLE, false)?;
    let refund = store
        .refunds
        .get(id)
        .ok_or_else(|| ApiError::no_such("refund", id, "refund"))?;
    Ok(store.render_refund(refund, &expand))
}
