//! `POST /webhooks/stripe`: Stripe's signed events in, durably, before anything else.
//!
//! The raw bytes are verified before they are parsed; a verified event is written to
//! the inbox (keyed by event id, so duplicates are no-ops) and acknowledged once the
//! write is durable. Applying it is the worker's job, never the request's: Stripe
//! gets its 2xx quickly, and a crash after the 2xx loses nothing.

pub mod inbox;
pub mod signature;

use super::{shopper::now, AppState};
use axum::{
    body::{to_bytes, Body},
    extract::{Request, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
};
use inbox::InboxEvent;
use serde::Deserialize;

/// The event types the worker applies (re-reading their PaymentIntent); any other
/// type is stored as skipped, for the record.
pub const APPLIED_TYPES: [&str; 6] = [
    "payment_intent.created",
    "payment_intent.processing",
    "payment_intent.requires_action",
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
];

/// Stripe's events are a few kilobytes; anything near this is not one.
pub const MAX_BODY: usize = 256 * 1024;

#[derive(Deserialize)]
struct Envelope {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    livemode: bool,
    data: Data,
}

#[derive(Deserialize)]
struct Data {
    object: Object,
}

#[derive(Deserialize)]
struct Object {
    id: Option<String>,
    object: Option<String>,
}

/// The route handler.
pub async fn receive(State(state): State<AppState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = to_bytes(body, MAX_BODY).await else {
        return refuse("the body is larger than any Stripe event");
    };
    let signature = parts
        .headers
        .get("stripe-signature")
        .and_then(|value| value.to_str().ok());
    if let Err(error) = signature::verify(
        signature,
        &body,
        &state.payments.webhook_secrets,
        now(),
        state.config.webhook_tolerance_secs,
    ) {
        return refuse(&error.to_string());
    }
    // Only now, with the bytes proven to be Stripe's, is anything parsed.
    let Ok(event) = serde_json::from_slice::<Envelope>(&body) else {
        return refuse("a signed body that is not an event");
    };
    let well_formed = event.id.starts_with("evt_")
        && event.id.len() <= 255
        && event
            .id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !event.kind.is_empty()
        && event.kind.len() <= 100;
    if !well_formed {
        return refuse("a signed event with a malformed id or type");
    }
    let expected_livemode = !state.payments.test_mode;
    let livemode_mismatch = event.livemode != expected_livemode;
    if livemode_mismatch {
        // Acknowledged (a 4xx would make Stripe retry for days) but never applied.
        tracing::error!(
            event = %event.id,
            livemode = event.livemode,
            "WEBHOOK FROM THE OTHER MODE: a {} event reached a shop with {} keys; stored as skipped",
            if event.livemode { "live" } else { "test" },
            if expected_livemode { "live" } else { "test" },
        );
    }
    crate::server::crash_point::reached("webhook.verified");
    let applied = APPLIED_TYPES.contains(&event.kind.as_str())
        && event.data.object.object.as_deref() == Some("payment_intent");
    let payment_intent = applied.then_some(event.data.object.id).flatten();
    let skipped = livemode_mismatch || payment_intent.is_none();
    let stored = state
        .inbox
        .store(InboxEvent {
            id: event.id.clone(),
            kind: event.kind.clone(),
            livemode: event.livemode,
            payment_intent,
            // Verified JSON is UTF-8.
            payload: String::from_utf8_lossy(&body).into_owned(),
            skipped,
        })
        .await;
    match stored {
        Ok(()) => {
            tracing::info!(event = %event.id, kind = %event.kind, skipped, "webhook stored");
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                Body::from(r#"{"received":true}"#),
            )
                .into_response()
        }
        Err(error) => {
            // 5xx only here: Stripe will try again later, and nothing was lost.
            tracing::error!(event = %event.id, %error, "could not store a webhook");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// 400 with nothing written, the reason logged in the SDKs' words.
fn refuse(reason: &str) -> Response {
    tracing::warn!(reason, "webhook refused");
    (StatusCode::BAD_REQUEST, reason.to_owned()).into_response()
}
