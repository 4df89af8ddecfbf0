//! `/v1/disputes`: retrieve, update (evidence, metadata, submit), close, list.

use serde_json::{json, Value};

use super::list::{paginate, CreatedFilter};
use super::params::{apply_metadata, Call};
use super::render::{Expand, DISPUTE_EXPANDABLE};
use crate::disputes;
use crate::error::ApiError;
use crate::objects::Dispute;
use crate::store::Store;

fn find<'s>(store: &'s Store, id: &str) -> Result<&'s Dispute, ApiError> {
    store
        .disputes
        .get(id)
        .ok_or_else(|| ApiError::no_such("dispute", id, "dispute"))
}

/// `GET /v1/disputes/{id}`.
pub fn retrieve(store: &mut Store, call: &Call, id: &str) -> Result<Value, ApiError> {
    let expand = Expand::from_params(&call.params, DISPUTE_EXPANDABLE, false)?;
    Ok(store.render_dispute(find(store, id)?, &expand))
}

/// `POST /v1/disputes/{id}` with `evidence[...]`, `metadata[...]` and `submit`.
pub fn update(store: &mut Store, call: &Call, id: &str) -> Result<Value, ApiError> {
    let expand = Expand::from_params(&call.params, DISPUTE_EXPANDABLE, false)?;
    let current = find(store, id)?;
    let metadata = match call.get("metadata") {
        Some(update) => {
            let mut metadata = current.metadata.clone();
            apply_metadata(&mut metadata, Some(update))?;
            Some(metadata)
        }
        None => None,
    };
    let evidence = call.get("evidence").and_then(Value::as_object);
    disputes::update(store, id, evidence, metadata, call.bool("submit"))?;
    Ok(store.render_dispute(&store.disputes[id], &expand))
}

/// `POST /v1/disputes/{id}/close`: accept the dispute (it is lost).
pub fn close(store: &mut Store, call: &Call, id: &str) -> Result<Value, ApiError> {
    let expand = Expand::from_params(&call.params, DISPUTE_EXPANDABLE, false)?;
    disputes::accept(store, id)?;
    Ok(store.render_dispute(&store.disputes[id], &expand))
}

/// `GET /v1/disputes` with `charge`, `payment_intent` and `created`, newest first.
pub fn list(store: &mut Store, call: &Call) -> Result<Value, ApiError> {
    let expand = Expand::from_params(&call.params, DISPUTE_EXPANDABLE, true)?;
    let created = CreatedFilter::from(call.get("created"));
    let charge = call.text("charge");
    let payment_intent = call.text("payment_intent");
    let newest_first: Vec<&Dispute> = store
        .disputes
        .values()
        .rev()
        .filter(|d| created.matches(d.created))
        .filter(|d| charge.as_ref().is_none_or(|c| *c == d.charge))
        .filter(|d| {
            payment_intent
                .as_ref()
                .is_none_or(|pi| *pi == d.payment_intent)
        })
        .collect();
    let (page, has_more) = paginate(
        newest_first,
        |d| &d.id,
        |id| store.disputes.contains_key(id),
        call,
        "dispute",
    )?;
    let data: Vec<Value> = page
        .iter()
        .map(|d| store.render_dispute(d, &expand))
        .collect();
    Ok(json!({ "object": "list", "data": data, "has_more": has_more, "url": "/v1/disputes" }))
}
