//! `/v1/refunds`: create, retrieve, update (metadata), cancel, list.

use serde_json::{json, Map, Value};

use super::list::{paginate, CreatedFilter};
use super::params::{apply_metadata, Call};
use super::render::{Expand, REFUND_EXPANDABLE};
use crate::error::ApiError;
use crate::objects::Refund;
use crate::refunds;
use crate::store::Store;

/// `POST /v1/refunds`: by `payment_intent` or `charge`; `amount` defaults to what is left.
pub fn create(store: &mut Store, call: &Call) -> Result<Value, ApiError> {
    let expand = Expand::from_params(&call.params, REFUND_EXPANDABLE, false)?;
    let charge_id =
        refunds::charge_to_refund(store, call.text("charge"), call.text("payment_intent"))?;
    let mut metadata = Map::new();
    apply_metadata(&mut metadata, call.get("metadata"))?;
    let refund_id = refunds::create(
        store,
        &charge_id,
        call.int("amount"),
        call.text("reason"),
        metadata,
    )?;
    Ok(store.render_refund(&store.refunds[&refund_id], &expand))
}

fn find<'s>(store: &'s Store, id: &str) -> Result<&'s Refund, ApiError> {
    store
        .refunds
        .get(id)
        .ok_or_else(|| ApiError::no_such("refund", id, "refund"))
}

/// `GET /v1/refunds/{id}`.
pub fn retrieve(store: &mut Store, call: &Call, id: &str) -> Result<Value, ApiError> {
    let expand = Expand::from_params(&call.params, REFUND_EXPANDABLE, false)?;
    Ok(store.render_refund(find(store, id)?, &expand))
}

/// `POST /v1/refunds/{id}`: only `metadata` can change [docs: "This request only
/// accepts metadata as an argument"].
pub fn update(store: &mut Store, call: &Call, id: &str) -> Result<Value, ApiError> {
    let expand = Expand::from_params(&call.params, REFUND_EXPANDABLE, false)?;
    let mut metadata = find(store, id)?.metadata.clone();
    apply_metadata(&mut metadata, call.get("metadata"))?;
    refunds::update_metadata(store, id, metadata)?;
    Ok(store.render_refund(&store.refunds[id], &expand))
}

/// `POST /v1/refunds/{id}/cancel`: only in `requires_action`.
pub fn cancel(store: &mut Store, call: &Call, id: &str) -> Result<Value, ApiError> {
    let expand = Expand::from_params(&call.params, REFUND_EXPANDABLE, false)?;
    refunds::cancel(store, id)?;
    Ok(store.render_refund(&store.refunds[id], &expand))
}

/// `GET /v1/refunds` with `charge`, `payment_intent` and `created`, newest first.
pub fn list(store: &mut Store, call: &Call) -> Result<Value, ApiError> {
    let expand = Expand::from_params(&call.params, REFUND_EXPANDABLE, true)?;
    let created = CreatedFilter::from(call.get("created"));
    let charge = call.text("charge");
    let payment_intent = call.text("payment_intent");
    let newest_first: Vec<&Refund> = store
        .refunds
        .values()
        .rev()
        .filter(|r| created.matches(r.created))
        .filter(|r| charge.as_ref().is_none_or(|c| *c == r.charge))
        .filter(|r| {
            payment_intent
                .as_ref()
                .is_none_or(|pi| *pi == r.payment_intent)
        })
        .collect();
    let (page, has_more) = paginate(
        newest_first,
        |r| &r.id,
        |id| store.refunds.contains_key(id),
        call,
        "refund",
    )?;
    let data: Vec<Value> = page
        .iter()
        .map(|r| store.render_refund(r, &expand))
        .collect();
    Ok(json!({ "object": "list", "data": data, "has_more": has_more, "url": "/v1/refunds" }))
}
