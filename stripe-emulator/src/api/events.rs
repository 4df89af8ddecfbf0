//! `/v1/events`: what happened, newest first, for 30 days.

use serde_json::{json, Value};

use super::list::{paginate, CreatedFilter};
use super::params::Call;
use crate::error::ApiError;
use crate::events::RETENTION_SECONDS;
use crate::objects::Event;
use crate::store::Store;

/// `GET /v1/events/{id}`.
pub fn retrieve(store: &mut Store, _call: &Call, id: &str) -> Result<Value, ApiError> {
    let oldest = store.clock.now() - RETENTION_SECONDS;
    let event = store
        .events
        .get(id)
        .filter(|e| e.created >= oldest)
        .ok_or_else(|| ApiError::no_such("event", id, "id"))?;
    Ok(store.render_event(event))
}

/// `GET /v1/events` with `type` (`*` wildcards), `types[]`, `created`, `delivery_success`.
pub fn list(store: &mut Store, call: &Call) -> Result<Value, ApiError> {
    if call.has("type") && call.has("types") {
        return Err(ApiError::exclusive_params("type", "types"));
    }
    let mut patterns: Vec<String> = call
        .get("types")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect();
    patterns.extend(call.text("type"));
    let created = CreatedFilter::from(call.get("created"));
    let delivery_success = call.get("delivery_success").and_then(Value::as_bool);
    let oldest = store.clock.now() - RETENTION_SECONDS;
    let newest_first: Vec<&Event> = store
        .events
        .values()
        .rev()
        .filter(|e| e.created >= oldest && created.matches(e.created))
        .filter(|e| patterns.is_empty() || patterns.iter().any(|p| type_matches(p, &e.kind)))
        .filter(|e| delivery_success.is_none_or(|wanted| e.delivered() == wanted))
        .collect();
    let (page, has_more) = paginate(
        newest_first,
        |e| &e.id,
        |id| store.events.contains_key(id),
        call,
        "event",
    )?;
    let data: Vec<Value> = page.iter().map(|e| store.render_event(e)).collect();
    Ok(json!({ "object": "list", "data": data, "has_more": has_more, "url": "/v1/events" }))
}

/// `payment_intent.*` matches every `payment_intent.` type.
fn type_matches(pattern: &str, kind: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => kind.starts_with(prefix),
        None => pattern == kind,
    }
}
