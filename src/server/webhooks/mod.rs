//! `POST /webhooks/stripe`: Stripe's signed events in, durably, before anything else.
//!
//! A request without a readable `Stripe-Signature` is refused before its body is read;
//! the raw bytes are verified before they are parsed; a verified event is written to
//! the inbox (keyed by event id, so duplicates are no-ops) and acknowledged once the
//! write is durable. A verified body the shop cannot read is stored as skipped and
//! acknowledged too: Stripe sent it, and a 4xx would only bring it back for days. Applying it is the worker's job, never the request's: Stripe
//! gets its 2xx quickly, and a crash after the 2xx loses nothing.

pub mod inbox;
pub mod signature;

use super::{shopper::now, AppState};
use crate::domain::{EventId, PaymentIntentId};
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

/// Refund events: the worker re-reads the PaymentIntent's refunds from Stripe and
/// upserts them (their object is a refund or a charge, which names its PaymentIntent).
pub const REFUND_TYPES: [&str; 5] = [
    "charge.refunded",
    "charge.refund.updated",
    "refund.created",
    "refund.updated",
    "refund.failed",
];

/// Dispute events: the worker re-reads the PaymentIntent's disputes from Stripe.
pub const DISPUTE_TYPES: [&str; 5] = [
    "charge.dispute.created",
    "charge.dispute.updated",
    "charge.dispute.closed",
    "charge.dispute.funds_withdrawn",
    "charge.dispute.funds_reinstated",
];

/// What the worker does with an event of type `kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applies {
    Payment,
    Refunds,
    Disputes,
}

impl Applies {
    /// `None` for a type the shop only keeps for the record.
    pub fn to(kind: &str) -> Option<Self> {
        if APPLIED_TYPES.contains(&kind) {
            Some(Applies::Payment)
        } else if REFUND_TYPES.contains(&kind) {
            Some(Applies::Refunds)
        } else if DISPUTE_TYPES.contains(&kind) {
            Some(Applies::Disputes)
        } else {
            None
        }
    }

    /// The object type an event of this kind carries.
    fn carries(self, object: &str) -> bool {
        match self {
            Applies::Payment => object == "payment_intent",
            Applies::Refunds => object == "refund" || object == "charge",
            Applies::Disputes => object == "dispute",
        }
    }
}

/// Stripe's events are a few kilobytes; anything near this is not one.
pub const MAX_BODY: usize = 256 * 1024;

#[derive(Deserialize)]
struct Envelope {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    livemode: bool,
    data: Data,
    #[serde(default)]
    created: Option<i64>,
}

#[derive(Deserialize)]
struct Data {
    object: Object,
}

#[derive(Deserialize)]
struct Object {
    id: Option<String>,
    object: Option<String>,
    /// On refunds, charges and disputes: the PaymentIntent they belong to (an id, or
    /// null; anything else is not read).
    #[serde(default)]
    payment_intent: Option<serde_json::Value>,
}

/// What the shop makes of a verified body. Stripe sent it, so it is always stored and
/// acknowledged: a 4xx would only have Stripe retry it for days.
#[derive(Debug, PartialEq, Eq)]
struct Reading {
    id: String,
    kind: String,
    /// What the event says; `None` when it does not say.
    livemode: Option<bool>,
    /// The PaymentIntent of an event the worker applies.
    payment_intent: Option<String>,
    /// Why the shop could not read it as a snapshot event, if it could not.
    unreadable: Option<&'static str>,
    /// When Stripe created it (unix seconds), for the delivery lag.
    created: Option<i64>,
}

/// Reads a verified body: a snapshot event of the shape the worker applies, or, for
/// anything else (a thin event, a new shape, bytes that are not JSON), as much as can
/// be told, so it is kept for the record under its own id where it has one.
fn read_event(body: &[u8]) -> Reading {
    if let Ok(event) = serde_json::from_slice::<Envelope>(body) {
        let applies = Applies::to(&event.kind);
        let object = event.data.object.object.as_deref().unwrap_or("");
        let is_payment_intent = applies == Some(Applies::Payment) && object == "payment_intent";
        let payment_intent = if is_payment_intent {
            event
                .data
                .object
                .id
                .as_deref()
                .and_then(PaymentIntentId::parse)
        } else if applies.is_some_and(|applies| applies.carries(object)) {
            // Refunds and disputes are about a PaymentIntent; none means not ours.
            event
                .data
                .object
                .payment_intent
                .as_ref()
                .and_then(serde_json::Value::as_str)
                .and_then(PaymentIntentId::parse)
        } else {
            None
        };
        // An applied type must name a well-formed PaymentIntent, which the worker
        // will read back from Stripe; otherwise it is kept as unreadable below.
        let readable = kind_ok(&event.kind) && (!is_payment_intent || payment_intent.is_some());
        if let Some(id) = EventId::parse(&event.id).filter(|_| readable) {
            return Reading {
                id: id.into_string(),
                kind: event.kind,
                livemode: Some(event.livemode),
                payment_intent: payment_intent.map(|id| id.as_str().to_owned()),
                unreadable: None,
                created: event.created,
            };
        }
    }
    let value = serde_json::from_slice::<serde_json::Value>(body).ok();
    let field = |name: &str| value.as_ref().and_then(|value| value.get(name));
    let text = |name: &str| field(name).and_then(serde_json::Value::as_str);
    let id = text("id").and_then(EventId::parse);
    let unreadable = match (&value, &id) {
        (None, _) => "not JSON",
        (Some(_), None) => "no event id",
        (Some(_), Some(_)) => "not an event shape the shop applies",
    };
    Reading {
        // Without an id of its own, the body's hash stands in: Stripe's retries of
        // it are then one row, as an event's are.
        id: id.map_or_else(
            || format!("unreadable_{}", crate::server::sha256_hex(body)),
            EventId::into_string,
        ),
        kind: text("type")
            .filter(|kind| kind_ok(kind))
            .unwrap_or("unknown")
            .to_owned(),
        livemode: field("livemode").and_then(serde_json::Value::as_bool),
        payment_intent: None,
        unreadable: Some(unreadable),
        created: field("created").and_then(serde_json::Value::as_i64),
    }
}

/// Event types: short, printable, no spaces.
fn kind_ok(kind: &str) -> bool {
    !kind.is_empty() && kind.len() <= 100 && kind.bytes().all(|b| b.is_ascii_graphic())
}

/// The route handler.
pub async fn receive(State(state): State<AppState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let signature = parts
        .headers
        .get("stripe-signature")
        .and_then(|value| value.to_str().ok());
    // Before a byte of the body is read: a request that could never verify must not
    // hold memory or a connection while it trickles in (or never ends).
    if let Err(error) = signature::check_header(signature, &state.payments.webhook_secrets) {
        return refuse(&state, &error.to_string());
    }
    let Ok(body) = to_bytes(body, MAX_BODY).await else {
        return refuse(&state, "the body is larger than any Stripe event");
    };
    if let Err(error) = signature::verify(
        signature,
        &body,
        &state.payments.webhook_secrets,
        now(),
        state.config.webhook_tolerance_secs,
    ) {
        return refuse(&state, &error.to_string());
    }
    // Only now, with the bytes proven to be Stripe's, is anything parsed.
    let event = read_event(&body);
    let expected_livemode = !state.payments.test_mode;
    let livemode_mismatch = event
        .livemode
        .is_some_and(|livemode| livemode != expected_livemode);
    if livemode_mismatch {
        // Acknowledged (a 4xx would make Stripe retry for days) but never applied.
        tracing::error!(
            event = %event.id,
            livemode = event.livemode,
            "WEBHOOK FROM THE OTHER MODE: a {} event reached a shop with {} keys; stored as skipped",
            if expected_livemode { "test" } else { "live" },
            if expected_livemode { "live" } else { "test" },
        );
    }
    if let Some(why) = event.unreadable {
        tracing::warn!(
            event = %event.id,
            kind = %event.kind,
            why,
            "a verified webhook the shop cannot read; stored as skipped"
        );
    }
    crate::server::crash_point::reached("webhook.verified");
    let skipped = livemode_mismatch || event.payment_intent.is_none();
    let created = event.created;
    let stored = state
        .inbox
        .store(InboxEvent {
            id: event.id.clone(),
            kind: event.kind.clone(),
            // An event that does not say is recorded under the shop's own mode; it is
            // skipped either way.
            livemode: event.livemode.unwrap_or(expected_livemode),
            payment_intent: event.payment_intent,
            // Verified bytes that are not UTF-8 are kept as near as text allows.
            payload: String::from_utf8_lossy(&body).into_owned(),
            skipped,
        })
        .await;
    match stored {
        Ok(()) => {
            tracing::info!(event = %event.id, kind = %event.kind, skipped, "webhook stored");
            state.metrics.delivery("stored");
            if let Some(created) = created {
                let lag = now().saturating_sub(created).max(0);
                state.metrics.delivery_lag.observe(lag as f64);
            }
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
            state.metrics.delivery("not_stored");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// 400 with nothing written, the reason logged in the SDKs' words.
fn refuse(state: &AppState, reason: &str) -> Response {
    tracing::warn!(reason, "webhook refused");
    state.metrics.delivery("refused");
    (StatusCode::BAD_REQUEST, reason.to_owned()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_event_names_its_payment_intent() {
        let body = br#"{"id":"evt_1","object":"event","type":"payment_intent.succeeded",
            "livemode":false,"data":{"object":{"id":"pi_1","object":"payment_intent"}}}"#;
        let reading = read_event(body);
        assert_eq!(reading.id, "evt_1");
        assert_eq!(reading.payment_intent.as_deref(), Some("pi_1"));
        assert_eq!(reading.livemode, Some(false));
        assert_eq!(reading.unreadable, None);
        let charge = br#"{"id":"evt_2","object":"event","type":"charge.succeeded",
            "livemode":true,"data":{"object":{"id":"ch_1","object":"charge"}}}"#;
        let reading = read_event(charge);
        assert_eq!((reading.payment_intent, reading.unreadable), (None, None));
    }

    #[test]
    fn other_shapes_keep_what_they_say_and_apply_nothing() {
        let thin = br#"{"id":"evt_thin","object":"v2.core.event","type":"v1.billing.meter.error_report_triggered",
            "livemode":true,"related_object":{"id":"mtr_1"}}"#;
        let reading = read_event(thin);
        assert_eq!(reading.id, "evt_thin");
        assert_eq!(reading.kind, "v1.billing.meter.error_report_triggered");
        assert_eq!(reading.livemode, Some(true));
        assert_eq!(reading.payment_intent, None);
        assert!(reading.unreadable.is_some());

        let no_data = br#"{"id":"evt_nodata","type":"payment_intent.succeeded","livemode":"no"}"#;
        let reading = read_event(no_data);
        assert_eq!(
            (reading.id.as_str(), reading.livemode),
            ("evt_nodata", None)
        );
        assert_eq!(reading.payment_intent, None);

        for body in [
            &b"not json"[..],
            br#"{"id":"evt_<script>","type":"x y"}"#,
            b"[1,2]",
        ] {
            let reading = read_event(body);
            assert!(reading.id.starts_with("unreadable_"), "{}", reading.id);
            assert_eq!(
                reading.id,
                read_event(body).id,
                "the same bytes, the same id"
            );
            assert_eq!(reading.kind, "unknown");
            assert!(reading.unreadable.is_some() && reading.payment_intent.is_none());
        }
    }
}
