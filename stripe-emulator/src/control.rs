//! `/_emulator`: the test-only control API, and the 3-D Secure result endpoint.
//!
//! The control API is not Stripe's. It is off unless the emulator is embedded or
//! started with `--control-api`, and answers loopback callers only, and only when the
//! request's `Host` is a loopback one too (a same-host proxy or a rebound DNS name
//! would bring its own) and it carries none of the headers a proxy adds (a same-host
//! proxy that rewrites `Host` to ours still says it relayed the request). The 3-D
//! Secure result endpoint is always on: Stripe.js needs it, and the client secret
//! guards it.
//!
//! Every control call takes a JSON body (`Content-Type: application/json`; an empty
//! body reads as `{}`). After a payment (`after_payment`), the calls answer with the
//! object as the API renders it, or with Stripe's error envelope and status (404
//! `resource_missing`, 400 `amount_too_large`, ...):
//!
//! - `POST /_emulator/refunds` with
//!   `{"payment_intent": "pi_…", "amount": 123, "reason": "requested_by_customer",
//!   "metadata": {"k": "v"}}` (`"charge": "ch_…"` may stand for `payment_intent`;
//!   `amount` defaults to what is left, `reason` and `metadata` to none): a refund
//!   "made in the Dashboard". The same checks and events as `POST /v1/refunds`
//!   (`charge.refunded`, `refund.created`), but the events carry
//!   `"request": {"id": null, "idempotency_key": null}`. Returns the refund.
//! - `POST /_emulator/refunds/settlement` with `{"pending_seconds": 3600}`: card
//!   refunds from now on start `pending` and succeed once the emulator clock is that
//!   many seconds past their creation (`POST /_emulator/clock` moves it, time passes
//!   too); `{"pending_seconds": null}` restores the default, Stripe's test mode for
//!   cards: `succeeded` at once. `GET` reads it. Kept across `reset` and restarts.
//!   Returns `{"pending_seconds": …}`.
//! - `POST /_emulator/refunds/{id}/force` with `{"status": "succeeded"}`,
//!   `{"status": "failed", "failure_reason": "lost_or_stolen_card"}` (`failure_reason`
//!   optional, default `lost_or_stolen_card`, one of Stripe's: `declined`,
//!   `expired_or_canceled_card`, `insufficient_funds`, `merchant_request`,
//!   `charge_for_pending_refund_disputed`, `unknown`) or `{"status":
//!   "requires_action"}`: `pending` to any of them, `requires_action` to an outcome,
//!   `succeeded` to `failed`. Failing gives the amount back to the charge and emits
//!   `refund.updated`, `charge.refund.updated` and `refund.failed`. Returns the refund.
//! - `POST /_emulator/disputes` with `{"payment_intent": "pi_…", "reason":
//!   "fraudulent"}` (`reason` optional, default `fraudulent`, one of Stripe's dispute
//!   reasons): the cardholder disputes a succeeded PaymentIntent's charge (not fully
//!   refunded, not disputed yet). Emits `charge.dispute.created` and
//!   `charge.dispute.funds_withdrawn`. Returns the dispute (`needs_response`).
//! - `POST /_emulator/disputes/{id}/close` with `{"outcome": "won"}` or
//!   `{"outcome": "lost"}`: the card network decides an open dispute. Emits
//!   `charge.dispute.closed`, and `charge.dispute.funds_reinstated` when won. Returns
//!   the dispute.

use std::net::SocketAddr;

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::render::Expand;
use crate::api::to_pretty;
use crate::emulator::{Emulator, RequestFault};
use crate::error::ApiError;
use crate::ids::IdSource;
use crate::machine::{self, ChallengeResult};
use crate::objects::{Audience, Status};
use crate::store::{AutoAnswer, NextActionMode, Settings};
use crate::webhooks::{self, WebhookFaults};

mod after_payment;

pub(crate) fn router() -> Router<Emulator> {
    let control = Router::new()
        .route("/reset", post(reset))
        .route("/clock", get(clock).post(set_clock))
        .route("/seed", post(seed))
        .route("/next_action", post(next_action))
        .route("/faults", post(faults).delete(clear_faults))
        .route("/payment_intents/{id}/force", post(force))
        .route("/requests", get(requests))
        .route("/requests/{id}", get(request))
        .route("/deliveries", get(deliveries))
        .route("/webhooks/flush", post(flush))
        .merge(after_payment::router());
    Router::new()
        .route("/3ds/{id}/result", post(challenge_result))
        .merge(control)
        .merge(crate::browser::emulator_pages())
}

/// A caller the control API answers: it is switched on, the caller is on this
/// machine, the request is addressed to this machine (a loopback `Host`), and no
/// proxy relayed it. Taking it as an argument is what makes a handler a control route.
pub(crate) struct Controller;

impl FromRequestParts<Emulator> for Controller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, emulator: &Emulator) -> Result<Self, Response> {
        if !emulator.options().control_api {
            return Err(problem(StatusCode::NOT_FOUND, "The control API is off. Start the emulator with --control-api (it is always on when embedded)."));
        }
        match parts.extensions.get::<ConnectInfo<SocketAddr>>() {
            Some(ConnectInfo(addr)) if addr.ip().is_loopback() => {}
            _ => {
                return Err(problem(
                    StatusCode::FORBIDDEN,
                    "The control API answers loopback callers only.",
                ))
            }
        }
        // A loopback peer is not enough: a proxy on this machine, or a page whose name
        // was rebound to 127.0.0.1, reaches us from loopback with its own Host.
        if !addressed_to_loopback(parts) {
            return Err(problem(
                StatusCode::FORBIDDEN,
                "The control API answers only requests addressed to this machine: the Host header must be 127.x.x.x, [::1] or localhost, with an optional port.",
            ));
        }
        // Nor is a loopback Host: a same-host proxy (nginx's `proxy_pass
        // http://127.0.0.1:12111;`) sends ours, but says it relayed the request.
        if let Some(name) = proxy_header(&parts.headers) {
            return Err(problem(
                StatusCode::FORBIDDEN,
                &format!("The control API refuses a proxied request: it answers only callers on this machine, and this request carries the {name} header a proxy adds."),
            ));
        }
        Ok(Controller)
    }
}

/// The headers a reverse proxy adds to what it relays: RFC 7239's, the de facto
/// `X-Forwarded-*` and `X-Real-IP`, and HTTP's own `Via`.
const PROXY_HEADERS: [&str; 6] = [
    "Forwarded",
    "X-Forwarded-For",
    "X-Forwarded-Host",
    "X-Forwarded-Proto",
    "X-Real-IP",
    "Via",
];

/// The first proxy header the request carries, with any value (an empty one too).
fn proxy_header(headers: &HeaderMap) -> Option<&'static str> {
    PROXY_HEADERS
        .into_iter()
        .find(|name| headers.contains_key(*name))
}

/// Whether the request names a loopback host: exactly one `Host` header that is one,
/// and, for a request in absolute form, a loopback authority in the URI as well.
fn addressed_to_loopback(parts: &Parts) -> bool {
    let mut hosts = parts.headers.get_all(header::HOST).iter();
    let (Some(host), None) = (hosts.next(), hosts.next()) else {
        return false;
    };
    let host_ok = host.to_str().is_ok_and(is_loopback_host);
    let authority_ok = parts
        .uri
        .authority()
        .is_none_or(|authority| is_loopback_host(authority.as_str()));
    host_ok && authority_ok
}

/// Whether `host` (a `Host` header's value: a name or address, then an optional
/// `:port`) is `127.x.x.x`, `[::1]` or `localhost`. Parsed, not matched as a
/// substring: `127.0.0.1.evil.example` and `localhost.evil.example` are not loopback.
pub(crate) fn is_loopback_host(host: &str) -> bool {
    if let Some(rest) = host.strip_prefix('[') {
        // `[v6]` or `[v6]:port`.
        let Some((inside, after)) = rest.split_once(']') else {
            return false;
        };
        let port_ok = after.is_empty() || after.strip_prefix(':').is_some_and(valid_port);
        return port_ok
            && inside
                .parse::<std::net::Ipv6Addr>()
                .is_ok_and(|ip| ip.is_loopback());
    }
    let (name, port_ok) = match host.split_once(':') {
        Some((name, port)) => (name, valid_port(port)),
        None => (host, true),
    };
    port_ok
        && (name.eq_ignore_ascii_case("localhost")
            || name
                .parse::<std::net::Ipv4Addr>()
                .is_ok_and(|ip| ip.is_loopback()))
}

/// A port as a URL writes it: 1 to 5 digits, at most 65535.
fn valid_port(port: &str) -> bool {
    !port.is_empty()
        && port.len() <= 5
        && port.bytes().all(|b| b.is_ascii_digit())
        && port.parse::<u16>().is_ok()
}

/// A control call's JSON body (an empty body reads as `{}`), from a [`Controller`].
///
/// It must say `Content-Type: application/json`: a browser can send that cross-site
/// only after a CORS preflight, which the control API never answers, so no web page
/// can reset or steer a developer's emulator.
pub(crate) struct ControlJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<Emulator> for ControlJson<T> {
    type Rejection = Response;

    async fn from_request(request: Request, emulator: &Emulator) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        Controller::from_request_parts(&mut parts, emulator).await?;
        let json = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("application/json"));
        if !json {
            return Err(problem(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Control API calls take Content-Type: application/json.",
            ));
        }
        let bytes = to_bytes(body, crate::api::BODY_LIMIT)
            .await
            .map_err(|_| problem(StatusCode::PAYLOAD_TOO_LARGE, "The body is too large."))?;
        json_body(&bytes).map(ControlJson)
    }
}

fn problem(status: StatusCode, message: &str) -> Response {
    json_response(
        status,
        json!({ "error": { "message": message, "type": "invalid_request_error" } }),
    )
}

fn json_response(status: StatusCode, value: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        to_pretty(&value),
    )
        .into_response()
}

/// Reads a JSON body; an empty body reads as `{}`.
fn json_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Response> {
    let text: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        bytes
    };
    serde_json::from_slice(text)
        .map_err(|e| problem(StatusCode::BAD_REQUEST, &format!("Invalid JSON body: {e}")))
}

/// `POST /_emulator/reset`: an empty account; keys, clock and settings stay.
async fn reset(State(emulator): State<Emulator>, _: ControlJson<Value>) -> Response {
    let result = emulator.with_store(|store| {
        let settings = store.settings.clone();
        store.reset()?;
        store.put_settings(settings);
        store.commit()
    });
    emulator.clear_faults();
    emulator.set_webhook_faults(WebhookFaults::default());
    emulator.clear_requests();
    emulator.clear_attempts();
    match result {
        Ok(()) => json_response(StatusCode::OK, json!({ "reset": true })),
        Err(e) => problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("Could not reset the state: {e}"),
        ),
    }
}

async fn clock(State(emulator): State<Emulator>, _: Controller) -> Response {
    json_response(
        StatusCode::OK,
        json!({ "now": emulator.with_store(|s| s.clock.now()) }),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockChange {
    advance_seconds: Option<i64>,
    now: Option<i64>,
}

/// `POST /_emulator/clock` with `{"advance_seconds": n}` or `{"now": unix}`.
async fn set_clock(
    State(emulator): State<Emulator>,
    ControlJson(change): ControlJson<ClockChange>,
) -> Response {
    let result = emulator.with_store(|store| {
        let mut clock = store.clock;
        match (change.advance_seconds, change.now) {
            (Some(seconds), None) => clock.advance(seconds),
            (None, Some(now)) => clock.set(now),
            _ => return Err("Send exactly one of advance_seconds and now."),
        }
        store.put_clock(clock);
        // What the new time brings due happens now, so its events are there at once.
        crate::due::settle(store);
        store.commit().map_err(|_| "Could not save the clock.")?;
        Ok(clock.now())
    });
    match result {
        Ok(now) => json_response(StatusCode::OK, json!({ "now": now })),
        Err(message) => problem(StatusCode::BAD_REQUEST, message),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Seed {
    seed: Value,
}

/// `POST /_emulator/seed` with `{"seed": ...}`: deterministic ids from now on.
async fn seed(State(emulator): State<Emulator>, ControlJson(seed): ControlJson<Seed>) -> Response {
    let seed = match seed.seed {
        Value::String(s) => s,
        Value::Number(n) => n.to_string(),
        _ => {
            return problem(
                StatusCode::BAD_REQUEST,
                "seed must be a string or a number.",
            )
        }
    };
    let result = emulator.with_store(|store| {
        if !store.is_empty() {
            return Err("Seeding is allowed only on an empty store: POST /_emulator/reset first.");
        }
        // The same seed on an empty store gives the same ids again, which is the point;
        // the counter is saved with the state, so a restart continues the sequence.
        store.ids = IdSource::seeded(&seed);
        store.commit().map_err(|_| "Could not save the seed.")
    });
    match result {
        Ok(()) => json_response(StatusCode::OK, json!({ "seed": seed })),
        Err(message) => problem(StatusCode::CONFLICT, message),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NextAction {
    mode: NextActionMode,
    #[serde(default)]
    auto: Option<AutoAnswer>,
}

/// `POST /_emulator/next_action` with `{"mode": "use_stripe_sdk" | "redirect_to_url"}`
/// and, optionally, `"auto": "complete" | "fail"` to answer 3-D Secure without a click.
async fn next_action(
    State(emulator): State<Emulator>,
    ControlJson(change): ControlJson<NextAction>,
) -> Response {
    let saved = emulator.with_store(|store| {
        store.put_settings(Settings {
            next_action_mode: change.mode,
            three_ds_auto: change.auto,
            ..store.settings.clone()
        });
        store.commit()
    });
    match saved {
        Ok(()) => json_response(
            StatusCode::OK,
            json!({ "mode": change.mode, "auto": change.auto }),
        ),
        Err(e) => problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("Could not save the setting: {e}"),
        ),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Faults {
    #[serde(default)]
    next_requests: Vec<RequestFault>,
    webhook: Option<WebhookFaults>,
}

/// `POST /_emulator/faults` with `{"next_requests": [{"path", "status", "delay_ms", "stored"}]}`.
async fn faults(
    State(emulator): State<Emulator>,
    ControlJson(faults): ControlJson<Faults>,
) -> Response {
    for fault in &faults.next_requests {
        if fault.status.is_some_and(|s| !(400..=599).contains(&s)) {
            return problem(
                StatusCode::BAD_REQUEST,
                "A fault's status must be an error status (400 to 599).",
            );
        }
        if fault.delay_ms > 60_000 {
            return problem(
                StatusCode::BAD_REQUEST,
                "A fault's delay_ms must be at most 60000.",
            );
        }
        if fault.stored && !fault.status.is_some_and(|s| s >= 500) {
            return problem(
                StatusCode::BAD_REQUEST,
                "A stored fault stands for a failure during execution: its status must be 500 to 599.",
            );
        }
    }
    if let Some(webhook) = &faults.webhook {
        if webhook.status.is_some_and(|s| (200..=299).contains(&s)) {
            return problem(
                StatusCode::BAD_REQUEST,
                "A webhook fault's status must not be a success.",
            );
        }
        if webhook.delay_ms > 60_000 {
            return problem(
                StatusCode::BAD_REQUEST,
                "A webhook fault's delay_ms must be at most 60000.",
            );
        }
    }
    let queued = faults.next_requests.len();
    emulator.add_faults(faults.next_requests);
    if let Some(webhook) = faults.webhook.clone() {
        emulator.set_webhook_faults(webhook);
    }
    json_response(
        StatusCode::OK,
        json!({ "queued": queued, "webhook": emulator.webhook_faults() }),
    )
}

/// `GET /_emulator/deliveries`: every webhook attempt, oldest first.
async fn deliveries(State(emulator): State<Emulator>, _: Controller) -> Response {
    json_response(StatusCode::OK, json!({ "data": emulator.attempts() }))
}

/// `POST /_emulator/webhooks/flush`: attempt everything that is due now, and answer
/// when those attempts are done.
async fn flush(State(emulator): State<Emulator>, _: ControlJson<Value>) -> Response {
    // A retry can come due again at once after a clock jump: flush until none is left,
    // within the length of a retry schedule.
    let mut attempted = 0;
    for _ in 0..8 {
        let made = webhooks::flush(&emulator).await;
        attempted += made;
        if made == 0 {
            break;
        }
    }
    json_response(StatusCode::OK, json!({ "attempted": attempted }))
}

async fn clear_faults(State(emulator): State<Emulator>, _: Controller) -> Response {
    emulator.clear_faults();
    emulator.set_webhook_faults(WebhookFaults::default());
    json_response(StatusCode::OK, json!({ "queued": 0 }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Force {
    status: String,
}

/// `POST /_emulator/payment_intents/{id}/force` with `{"status": "processing" | "succeeded" | "payment_failed"}`.
async fn force(
    State(emulator): State<Emulator>,
    Path(id): Path<String>,
    ControlJson(force): ControlJson<Force>,
) -> Response {
    let result = emulator.with_store(|store| {
        if !store.payment_intents.contains_key(&id) {
            return Err(ApiError::no_such("payment_intent", &id, "intent"));
        }
        let outcome = machine::force(store, &id, &force.status);
        store.commit().map_err(|_| ApiError::injected(500))?;
        outcome?;
        Ok(store.render_payment_intent(
            &store.payment_intents[&id],
            &Expand::default(),
            Audience::Secret,
        ))
    });
    match result {
        Ok(pi) => json_response(StatusCode::OK, pi),
        Err(e) => json_response(
            StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST),
            e.to_json(None),
        ),
    }
}

async fn requests(State(emulator): State<Emulator>, _: Controller) -> Response {
    json_response(StatusCode::OK, json!({ "data": emulator.requests() }))
}

async fn request(
    State(emulator): State<Emulator>,
    _: Controller,
    Path(id): Path<String>,
) -> Response {
    match emulator.requests().into_iter().find(|r| r.request_id == id) {
        Some(entry) => json_response(StatusCode::OK, json!(entry)),
        None => problem(
            StatusCode::NOT_FOUND,
            "No such request in the log (it keeps the last 1000).",
        ),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChallengeAnswer {
    client_secret: String,
    outcome: String,
}

/// `POST /_emulator/3ds/{pi}/result` with `client_secret` and `outcome` (`complete` | `fail`),
/// as JSON (the fake Stripe.js) or a form (the hosted page, which is then redirected to
/// the PaymentIntent's `return_url`).
async fn challenge_result(
    State(emulator): State<Emulator>,
    Path(id): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let from_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    let answer: ChallengeAnswer = if from_form {
        let pairs: std::collections::HashMap<String, String> =
            form_urlencoded::parse(&bytes).into_owned().collect();
        match (pairs.get("client_secret"), pairs.get("outcome")) {
            (Some(secret), Some(outcome)) => ChallengeAnswer {
                client_secret: secret.clone(),
                outcome: outcome.clone(),
            },
            _ => return problem(StatusCode::BAD_REQUEST, "Send client_secret and outcome."),
        }
    } else {
        match json_body(&bytes) {
            Ok(a) => a,
            Err(r) => return r,
        }
    };
    let result = match answer.outcome.as_str() {
        "complete" => ChallengeResult::Complete,
        "fail" => ChallengeResult::Fail,
        _ => return problem(StatusCode::BAD_REQUEST, "outcome must be complete or fail."),
    };
    let outcome = emulator.with_store(|store| {
        let Some(pi) = store.payment_intents.get(&id) else {
            return Err(ApiError::no_such("payment_intent", &id, "intent"));
        };
        if !pi.client_secret_matches(&answer.client_secret) {
            return Err(ApiError::client_secret_mismatch());
        }
        let redirect = pi
            .next_action
            .as_ref()
            .filter(|a| a["type"] == "redirect_to_url")
            .and_then(|a| {
                a["redirect_to_url"]["return_url"]
                    .as_str()
                    .map(str::to_string)
            });
        let finished = machine::finish_challenge(store, &id, result);
        store.commit().map_err(|_| ApiError::injected(500))?;
        let pi = &store.payment_intents[&id];
        let rendered = store.render_payment_intent(pi, &Expand::default(), Audience::Publishable);
        Ok((
            finished,
            rendered,
            redirect,
            pi.status,
            pi.client_secret.clone(),
        ))
    });
    match outcome {
        Err(e) => json_response(
            StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST),
            e.to_json(None),
        ),
        Ok((_, _, Some(return_url), status, secret)) if from_form => {
            let redirect_status = match status {
                Status::Succeeded | Status::RequiresCapture => "succeeded",
                Status::Processing => "processing",
                _ => "failed",
            };
            // The parameters go into the query, before any #fragment.
            let (base, fragment) = match return_url.split_once('#') {
                Some((base, fragment)) => (base.to_string(), format!("#{fragment}")),
                None => (return_url.clone(), String::new()),
            };
            let separator = if base.contains('?') { '&' } else { '?' };
            let location = format!("{base}{separator}payment_intent={id}&payment_intent_client_secret={secret}&redirect_status={redirect_status}{fragment}");
            Response::builder()
                .status(StatusCode::FOUND)
                .header(header::LOCATION, location)
                .body(Body::empty())
                .unwrap_or_else(|_| {
                    problem(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "Could not build the redirect.",
                    )
                })
        }
        Ok((Err(error), rendered, ..)) => {
            let mut error = error;
            error.payment_intent = Some(rendered);
            json_response(
                StatusCode::from_u16(error.status).unwrap_or(StatusCode::PAYMENT_REQUIRED),
                error.to_json(None),
            )
        }
        Ok((Ok(()), rendered, ..)) => json_response(StatusCode::OK, rendered),
    }
}

#[cfg(test)]
mod tests {
    use super::is_loopback_host;

    #[test]
    fn loopback_hosts_with_or_without_a_port() {
        for host in [
            "127.0.0.1",
            "127.0.0.1:12111",
            "127.0.0.2:12112",
            "127.255.255.254:1",
            "127.0.0.1:65535",
            "localhost",
            "localhost:3000",
            "LOCALHOST:3000",
            "[::1]",
            "[::1]:12111",
            "[0:0:0:0:0:0:0:1]:80",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
    }

    #[test]
    fn other_sites_that_look_like_loopback_are_not() {
        for host in [
            "",
            ":80",
            "shop.example",
            "shop.example:12111",
            "127.0.0.1.evil.example",
            "127.0.0.1.evil.example:12111",
            "localhost.evil.example",
            "evil.localhost.example",
            "evil-localhost",
            "127.0.0.1:",
            "127.0.0.1:port",
            "127.0.0.1:65536",
            "127.0.0.1:123456",
            "127.0.0.1:80:80",
            "127.0.0.1:+80",
            "127.0.0.1 ",
            " 127.0.0.1",
            "127.1",
            "127.0.0.01",
            "0x7f.0.0.1",
            "2130706433",
            "127.0.0.256",
            "user@127.0.0.1",
            "127.0.0.1@evil.example",
            "10.0.0.1",
            "0.0.0.0",
            "::1",
            "::1:80",
            "[::1",
            "[::1]80",
            "[::1]:",
            "[::1].evil.example",
            "[::2]",
            "[::ffff:8.8.8.8]",
            "[::]:80",
            "[localhost]",
            "[127.0.0.1]",
        ] {
            assert!(!is_loopback_host(host), "{host:?}");
        }
    }
}
