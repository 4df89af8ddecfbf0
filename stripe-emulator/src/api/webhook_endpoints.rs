//! `/v1/webhook_endpoints`: register where events go. The secret is shown on create only.

use serde_json::{json, Map, Value};

use super::list::paginate;
use super::params::{apply_metadata, Call};
use crate::error::ApiError;
use crate::objects::WebhookEndpoint;
use crate::store::Store;

/// `POST /v1/webhook_endpoints`.
pub fn create(store: &mut Store, call: &Call) -> Result<Value, ApiError> {
    let url = checked_url(call)?.unwrap_or_default();
    let mut metadata = Map::new();
    apply_metadata(&mut metadata, call.get("metadata"))?;
    let id = store.new_id("we");
    let secret = format!("whsec_{}", store.ids.token(32));
    let endpoint = WebhookEndpoint {
        id: id.clone(),
        url,
        enabled_events: enabled_events(call)?.unwrap_or_default(),
        disabled: false,
        description: call.text("description"),
        metadata,
        api_version: call.text("api_version"),
        created: store.clock.now(),
        secrets: vec![secret],
        configured: false,
    };
    let rendered = endpoint.render(true);
    store.put_webhook_endpoint(endpoint);
    Ok(rendered)
}

/// `GET /v1/webhook_endpoints/{id}`.
pub fn retrieve(store: &mut Store, _call: &Call, id: &str) -> Result<Value, ApiError> {
    Ok(find(store, id)?.render(false))
}

/// `POST /v1/webhook_endpoints/{id}`: `disabled=true` stops deliveries and retries.
pub fn update(store: &mut Store, call: &Call, id: &str) -> Result<Value, ApiError> {
    let mut endpoint = find(store, id)?.clone();
    if let Some(url) = checked_url(call)? {
        endpoint.url = url;
    }
    if let Some(events) = enabled_events(call)? {
        endpoint.enabled_events = events;
    }
    if let Some(description) = call.str("description") {
        endpoint.description = (!description.is_empty()).then(|| description.to_string());
    }
    if let Some(disabled) = call.get("disabled").and_then(Value::as_bool) {
        endpoint.disabled = disabled;
    }
    apply_metadata(&mut endpoint.metadata, call.get("metadata"))?;
    let rendered = endpoint.render(false);
    store.put_webhook_endpoint(endpoint);
    Ok(rendered)
}

/// `DELETE /v1/webhook_endpoints/{id}`: its pending retries stop.
pub fn delete(store: &mut Store, _call: &Call, id: &str) -> Result<Value, ApiError> {
    find(store, id)?;
    store.delete_webhook_endpoint(id);
    Ok(json!({ "deleted": true, "id": id, "object": "webhook_endpoint" }))
}

/// `GET /v1/webhook_endpoints`.
pub fn list(store: &mut Store, call: &Call) -> Result<Value, ApiError> {
    let newest_first: Vec<&WebhookEndpoint> = store
        .webhook_endpoints
        .values()
        .rev()
        .filter(|w| !w.configured)
        .collect();
    let (page, has_more) = paginate(
        newest_first,
        |w| &w.id,
        |id| store.webhook_endpoints.contains_key(id),
        call,
        "webhook_endpoint",
    )?;
    let data: Vec<Value> = page.iter().map(|w| w.render(false)).collect();
    Ok(
        json!({ "object": "list", "data": data, "has_more": has_more, "url": "/v1/webhook_endpoints" }),
    )
}

fn find<'s>(store: &'s Store, id: &str) -> Result<&'s WebhookEndpoint, ApiError> {
    store
        .webhook_endpoints
        .get(id)
        .filter(|w| !w.configured)
        .ok_or_else(|| ApiError::no_such("webhook_endpoint", id, "webhook_endpoint"))
}

fn checked_url(call: &Call) -> Result<Option<String>, ApiError> {
    let Some(url) = call.text("url") else {
        return Ok(None);
    };
    let valid = (url.starts_with("http://") || url.starts_with("https://"))
        && url.len() > "https://".len()
        && !url.contains(char::is_whitespace);
    if !valid {
        return Err(ApiError::invalid_request(
            "url",
            format!("Invalid URL: {url}. The URL must be an absolute http or https URL."),
        ));
    }
    if url.starts_with("https://") {
        // Stripe takes https; this emulator has no TLS stack, so it would never deliver.
        return Err(ApiError::invalid_request("url", "This emulator delivers webhooks to http:// URLs only (a receiver on this machine); use an http:// URL."));
    }
    Ok(Some(url))
}

fn enabled_events(call: &Call) -> Result<Option<Vec<String>>, ApiError> {
    let Some(events) = call.get("enabled_events").and_then(Value::as_array) else {
        return Ok(None);
    };
    let events: Vec<String> = events
        .iter()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect();
    if events.is_empty() {
        return Err(ApiError::invalid_request(
            "enabled_events",
            "enabled_events must name at least one event type, or *.",
        ));
    }
    Ok(Some(events))
}
