//! Control calls for what happens after a payment outside the shop's own API calls:
//! refunds made in the Dashboard, refund outcomes, and disputes.
//!
//! The calls and their exact bodies are documented with the control API (`control`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::{json_response, ControlJson, Controller};
use crate::api::render::Expand;
use crate::emulator::Emulator;
use crate::error::ApiError;
use crate::objects::RefundStatus;
use crate::store::Store;
use crate::{disputes, refunds};

pub(super) fn router() -> Router<Emulator> {
    Router::new()
        .route("/refunds", post(dashboard_refund))
        .route("/refunds/settlement", get(settlement).post(set_settlement))
        .route("/refunds/{id}/force", post(force_refund))
        .route("/disputes", post(open_dispute))
        .route("/disputes/{id}/close", post(close_dispute))
}

/// Runs a control call on the store: first what came due on the clock, then `act`,
/// then the journal; answers with `act`'s object or Stripe's error envelope.
fn act(emulator: &Emulator, act: impl FnOnce(&mut Store) -> Result<Value, ApiError>) -> Response {
    let result = emulator.with_store(|store| {
        crate::due::settle(store);
        let outcome = act(store);
        store.commit().map_err(|_| ApiError::injected(500))?;
        outcome
    });
    match result {
        Ok(value) => json_response(StatusCode::OK, value),
        Err(e) => json_response(
            StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST),
            e.to_json(None),
        ),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DashboardRefund {
    payment_intent: Option<String>,
    charge: Option<String>,
    amount: Option<i64>,
    reason: Option<String>,
    #[serde(default)]
    metadata: Map<String, Value>,
}

/// The reasons `POST /v1/refunds` accepts [spec].
const REFUND_REASONS: &[&str] = &["duplicate", "fraudulent", "requested_by_customer"];

async fn dashboard_refund(
    State(emulator): State<Emulator>,
    ControlJson(body): ControlJson<DashboardRefund>,
) -> Response {
    act(&emulator, |store| {
        if let Some(reason) = body
            .reason
            .as_deref()
            .filter(|r| !REFUND_REASONS.contains(r))
        {
            return Err(ApiError::invalid_request(
                "reason",
                format!("Invalid reason {reason:?}: must be one of duplicate, fraudulent, or requested_by_customer"),
            ));
        }
        let mut metadata = Map::new();
        crate::api::apply_metadata(&mut metadata, Some(&Value::Object(body.metadata)))?;
        let charge_id = refunds::charge_to_refund(store, body.charge, body.payment_intent)?;
        // No API request: the events this causes carry `request.id: null`.
        let refund_id = refunds::create(store, &charge_id, body.amount, body.reason, metadata)?;
        Ok(store.render_refund(&store.refunds[&refund_id], &Expand::default()))
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Settlement {
    pending_seconds: Option<i64>,
}

async fn settlement(State(emulator): State<Emulator>, _: Controller) -> Response {
    let seconds = emulator.with_store(|store| store.settings.refund_pending_seconds);
    json_response(StatusCode::OK, json!({ "pending_seconds": seconds }))
}

async fn set_settlement(
    State(emulator): State<Emulator>,
    ControlJson(body): ControlJson<Settlement>,
) -> Response {
    act(&emulator, |store| {
        if body.pending_seconds.is_some_and(|s| s < 0) {
            return Err(ApiError::invalid_request(
                "pending_seconds",
                "pending_seconds must be 0 or more, or null.",
            ));
        }
        let mut settings = store.settings.clone();
        settings.refund_pending_seconds = body.pending_seconds;
        store.put_settings(settings);
        Ok(json!({ "pending_seconds": body.pending_seconds }))
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ForceRefund {
    status: String,
    failure_reason: Option<String>,
}

async fn force_refund(
    State(emulator): State<Emulator>,
    Path(id): Path<String>,
    ControlJson(body): ControlJson<ForceRefund>,
) -> Response {
    act(&emulator, |store| {
        let status = match body.status.as_str() {
            "succeeded" => RefundStatus::Succeeded,
            "failed" => RefundStatus::Failed,
            "requires_action" => RefundStatus::RequiresAction,
            other => {
                return Err(ApiError::invalid_request(
                    "status",
                    format!("Unknown status {other:?}: use succeeded, failed or requires_action."),
                ))
            }
        };
        let reason = match (status, body.failure_reason.as_deref()) {
            (RefundStatus::Failed, None) => Some("lost_or_stolen_card"),
            (RefundStatus::Failed, Some(r)) if refunds::FAILURE_REASONS.contains(&r) => Some(r),
            (RefundStatus::Failed, Some(r)) => {
                return Err(ApiError::invalid_request(
                    "failure_reason",
                    format!(
                        "Unknown failure_reason {r:?}: use one of {}.",
                        refunds::FAILURE_REASONS.join(", ")
                    ),
                ))
            }
            (_, Some(_)) => {
                return Err(ApiError::invalid_request(
                    "failure_reason",
                    "failure_reason goes only with status failed.",
                ))
            }
            (_, None) => None,
        };
        refunds::transition(store, &id, status, reason)?;
        Ok(store.render_refund(&store.refunds[&id], &Expand::default()))
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OpenDispute {
    payment_intent: String,
    reason: Option<String>,
}

async fn open_dispute(
    State(emulator): State<Emulator>,
    ControlJson(body): ControlJson<OpenDispute>,
) -> Response {
    act(&emulator, |store| {
        let reason = body.reason.as_deref().unwrap_or("fraudulent");
        if !disputes::REASONS.contains(&reason) {
            return Err(ApiError::invalid_request(
                "reason",
                format!(
                    "Unknown reason {reason:?}: use one of {}.",
                    disputes::REASONS.join(", ")
                ),
            ));
        }
        let pi = store
            .payment_intents
            .get(&body.payment_intent)
            .ok_or_else(|| {
                ApiError::no_such("payment_intent", &body.payment_intent, "payment_intent")
            })?;
        if pi.status != crate::objects::Status::Succeeded {
            return Err(ApiError::invalid_request(
                "payment_intent",
                format!(
                    "PaymentIntent {} has a status of {}: only a succeeded one can be disputed.",
                    pi.id,
                    pi.status.as_str()
                ),
            ));
        }
        let charge_id = pi.latest_charge.clone().unwrap_or_default();
        let dispute_id = disputes::open(store, &charge_id, reason)?;
        Ok(store.render_dispute(&store.disputes[&dispute_id], &Expand::default()))
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CloseDispute {
    outcome: String,
}

async fn close_dispute(
    State(emulator): State<Emulator>,
    Path(id): Path<String>,
    ControlJson(body): ControlJson<CloseDispute>,
) -> Response {
    act(&emulator, |store| {
        let won = match body.outcome.as_str() {
            "won" => true,
            "lost" => false,
            other => {
                return Err(ApiError::invalid_request(
                    "outcome",
                    format!("Unknown outcome {other:?}: use won or lost."),
                ))
            }
        };
        disputes::decide(store, &id, won)?;
        Ok(store.render_dispute(&store.disputes[&id], &Expand::default()))
    })
}
