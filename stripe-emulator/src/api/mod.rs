//! `/v1`: the Stripe API, and the order in which every call is checked.
//!
//! 1. the route;
//! 2. `Stripe-Version`;
//! 3. body decoding;
//! 4. the key;
//! 5. the `Idempotency-Key` (replay, conflict, reservation);
//! 6. injected faults;
//! 7. the parameters against Stripe's spec;
//! 8. the endpoint itself, under the store's lock, after whatever came due on the
//!    emulator clock (asynchronous refund outcomes, dispute decisions);
//! 9. the answer, kept for the idempotency key when the endpoint ran.

mod charges;
mod disputes;
mod events;
mod list;
mod params;
mod payment_intents;
mod payment_methods;
mod refunds;
pub(crate) mod render;
mod webhook_endpoints;

use std::time::{Duration, Instant};

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::emulator::{Emulator, LoggedRequest};
use crate::error::{ApiError, ErrorType};
use crate::locale::{self, Language};
use crate::objects::Audience;
use crate::store::{IdempotentResponse, RequestRef, Store};
use crate::wire::{auth, form, schema, versions};

pub(crate) use params::apply_metadata;
pub use params::Call;

/// Largest request body accepted; Stripe's own requests are a few kilobytes.
pub const BODY_LIMIT: usize = 256 * 1024;

/// How long an idempotency key is kept, on the emulator clock.
pub const IDEMPOTENCY_TTL_SECONDS: i64 = 24 * 60 * 60;

/// One API operation, with the ids from its path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    CreatePaymentIntent,
    ListPaymentIntents,
    RetrievePaymentIntent(String),
    UpdatePaymentIntent(String),
    ConfirmPaymentIntent(String),
    CancelPaymentIntent(String),
    CapturePaymentIntent(String),
    CreatePaymentMethod,
    RetrievePaymentMethod(String),
    RetrieveCharge(String),
    CreateRefund,
    ListRefunds,
    RetrieveRefund(String),
    UpdateRefund(String),
    CancelRefund(String),
    ListDisputes,
    RetrieveDispute(String),
    UpdateDispute(String),
    CloseDispute(String),
    ListEvents,
    RetrieveEvent(String),
    CreateWebhookEndpoint,
    ListWebhookEndpoints,
    RetrieveWebhookEndpoint(String),
    UpdateWebhookEndpoint(String),
    DeleteWebhookEndpoint(String),
}

impl Operation {
    /// The operation at `method path`, if we serve one.
    pub fn route(method: &Method, path: &str) -> Option<Operation> {
        use Operation::*;
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let id = |s: &str| (!s.is_empty()).then(|| s.to_string());
        Some(match (method.as_str(), segments.as_slice()) {
            ("POST", ["v1", "payment_intents"]) => CreatePaymentIntent,
            ("GET", ["v1", "payment_intents"]) => ListPaymentIntents,
            ("GET", ["v1", "payment_intents", pi]) => RetrievePaymentIntent(id(pi)?),
            ("POST", ["v1", "payment_intents", pi]) => UpdatePaymentIntent(id(pi)?),
            ("POST", ["v1", "payment_intents", pi, "confirm"]) => ConfirmPaymentIntent(id(pi)?),
            ("POST", ["v1", "payment_intents", pi, "cancel"]) => CancelPaymentIntent(id(pi)?),
            ("POST", ["v1", "payment_intents", pi, "capture"]) => CapturePaymentIntent(id(pi)?),
            ("POST", ["v1", "payment_methods"]) => CreatePaymentMethod,
            ("GET", ["v1", "payment_methods", pm]) => RetrievePaymentMethod(id(pm)?),
            ("GET", ["v1", "charges", ch]) => RetrieveCharge(id(ch)?),
            ("POST", ["v1", "refunds"]) => CreateRefund,
            ("GET", ["v1", "refunds"]) => ListRefunds,
            ("GET", ["v1", "refunds", re]) => RetrieveRefund(id(re)?),
            ("POST", ["v1", "refunds", re]) => UpdateRefund(id(re)?),
            ("POST", ["v1", "refunds", re, "cancel"]) => CancelRefund(id(re)?),
            ("GET", ["v1", "disputes"]) => ListDisputes,
            ("GET", ["v1", "disputes", dp]) => RetrieveDispute(id(dp)?),
            ("POST", ["v1", "disputes", dp]) => UpdateDispute(id(dp)?),
            ("POST", ["v1", "disputes", dp, "close"]) => CloseDispute(id(dp)?),
            ("GET", ["v1", "events"]) => ListEvents,
            ("GET", ["v1", "events", evt]) => RetrieveEvent(id(evt)?),
            ("POST", ["v1", "webhook_endpoints"]) => CreateWebhookEndpoint,
            ("GET", ["v1", "webhook_endpoints"]) => ListWebhookEndpoints,
            ("GET", ["v1", "webhook_endpoints", we]) => RetrieveWebhookEndpoint(id(we)?),
            ("POST", ["v1", "webhook_endpoints", we]) => UpdateWebhookEndpoint(id(we)?),
            ("DELETE", ["v1", "webhook_endpoints", we]) => DeleteWebhookEndpoint(id(we)?),
            _ => return None,
        })
    }

    /// The operation's key in `spec/request-schemas.json`.
    pub fn spec_key(&self) -> &'static str {
        use Operation::*;
        match self {
            CreatePaymentIntent => "POST /v1/payment_intents",
            ListPaymentIntents => "GET /v1/payment_intents",
            RetrievePaymentIntent(_) => "GET /v1/payment_intents/{intent}",
            UpdatePaymentIntent(_) => "POST /v1/payment_intents/{intent}",
            ConfirmPaymentIntent(_) => "POST /v1/payment_intents/{intent}/confirm",
            CancelPaymentIntent(_) => "POST /v1/payment_intents/{intent}/cancel",
            CapturePaymentIntent(_) => "POST /v1/payment_intents/{intent}/capture",
            CreatePaymentMethod => "POST /v1/payment_methods",
            RetrievePaymentMethod(_) => "GET /v1/payment_methods/{payment_method}",
            RetrieveCharge(_) => "GET /v1/charges/{charge}",
            CreateRefund => "POST /v1/refunds",
            ListRefunds => "GET /v1/refunds",
            RetrieveRefund(_) => "GET /v1/refunds/{refund}",
            UpdateRefund(_) => "POST /v1/refunds/{refund}",
            CancelRefund(_) => "POST /v1/refunds/{refund}/cancel",
            ListDisputes => "GET /v1/disputes",
            RetrieveDispute(_) => "GET /v1/disputes/{dispute}",
            UpdateDispute(_) => "POST /v1/disputes/{dispute}",
            CloseDispute(_) => "POST /v1/disputes/{dispute}/close",
            ListEvents => "GET /v1/events",
            RetrieveEvent(_) => "GET /v1/events/{id}",
            CreateWebhookEndpoint => "POST /v1/webhook_endpoints",
            ListWebhookEndpoints => "GET /v1/webhook_endpoints",
            RetrieveWebhookEndpoint(_) => "GET /v1/webhook_endpoints/{webhook_endpoint}",
            UpdateWebhookEndpoint(_) => "POST /v1/webhook_endpoints/{webhook_endpoint}",
            DeleteWebhookEndpoint(_) => "DELETE /v1/webhook_endpoints/{webhook_endpoint}",
        }
    }

    /// The routes a publishable key may call (contract b.2); only these get CORS.
    pub fn accepts_publishable_key(&self) -> bool {
        matches!(
            self,
            Operation::RetrievePaymentIntent(_)
                | Operation::ConfirmPaymentIntent(_)
                | Operation::CreatePaymentMethod
        )
    }

    /// The PaymentIntent this operation is about, for errors that carry it.
    fn payment_intent_id(&self) -> Option<&str> {
        use Operation::*;
        match self {
            RetrievePaymentIntent(id)
            | UpdatePaymentIntent(id)
            | ConfirmPaymentIntent(id)
            | CancelPaymentIntent(id)
            | CapturePaymentIntent(id) => Some(id),
            _ => None,
        }
    }

    fn execute(&self, store: &mut Store, call: &Call) -> Result<Value, ApiError> {
        use Operation::*;
        match self {
            CreatePaymentIntent => payment_intents::create(store, call),
            ListPaymentIntents => payment_intents::list(store, call),
            RetrievePaymentIntent(id) => payment_intents::retrieve(store, call, id),
            UpdatePaymentIntent(id) => payment_intents::update(store, call, id),
            ConfirmPaymentIntent(id) => payment_intents::confirm(store, call, id),
            CancelPaymentIntent(id) => payment_intents::cancel(store, call, id),
            CapturePaymentIntent(id) => payment_intents::capture(store, call, id),
            CreatePaymentMethod => payment_methods::create(store, call),
            RetrievePaymentMethod(id) => payment_methods::retrieve(store, call, id),
            RetrieveCharge(id) => charges::retrieve(store, call, id),
            CreateRefund => refunds::create(store, call),
            ListRefunds => refunds::list(store, call),
            RetrieveRefund(id) => refunds::retrieve(store, call, id),
            UpdateRefund(id) => refunds::update(store, call, id),
            CancelRefund(id) => refunds::cancel(store, call, id),
            ListDisputes => disputes::list(store, call),
            RetrieveDispute(id) => disputes::retrieve(store, call, id),
            UpdateDispute(id) => disputes::update(store, call, id),
            CloseDispute(id) => disputes::close(store, call, id),
            ListEvents => events::list(store, call),
            RetrieveEvent(id) => events::retrieve(store, call, id),
            CreateWebhookEndpoint => webhook_endpoints::create(store, call),
            ListWebhookEndpoints => webhook_endpoints::list(store, call),
            RetrieveWebhookEndpoint(id) => webhook_endpoints::retrieve(store, call, id),
            UpdateWebhookEndpoint(id) => webhook_endpoints::update(store, call, id),
            DeleteWebhookEndpoint(id) => webhook_endpoints::delete(store, call, id),
        }
    }
}

/// What the pipeline learnt about a request, for its answer and its log line.
struct Exchange {
    request_id: String,
    version: String,
    idempotency_key: Option<String>,
    original_request: Option<String>,
    replayed: bool,
    cors_origin: Option<HeaderValue>,
    /// The language card errors are told in: the caller's `Accept-Language`, for a
    /// publishable key (Stripe.js) only; a server's secret key always gets English.
    language: Language,
}

/// The handler behind every `/v1` path.
pub async fn handle(State(emulator): State<Emulator>, request: Request) -> Response {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let method = parts.method.clone();
    let path = parts.uri.path().to_string();
    let mut exchange = Exchange {
        request_id: emulator.with_store(|s| s.ids.request_id()),
        version: versions::PINNED.to_string(),
        idempotency_key: None,
        original_request: None,
        replayed: false,
        cors_origin: None,
        language: Language::En,
    };
    let (status, body, retry) = match run(
        &emulator,
        &mut exchange,
        &method,
        &path,
        parts.uri.query(),
        &parts.headers,
        body,
    )
    .await
    {
        Ok((status, body)) => (status, body, should_retry_header(&exchange, status)),
        Err(error) => {
            // Not stored: a fault injected before execution says so itself.
            let retry = if error.should_retry {
                Some("true")
            } else {
                should_retry_header(&exchange, error.status)
            };
            (
                error.status,
                render_error(&emulator, &exchange, error),
                retry,
            )
        }
    };
    let response = answer(&exchange, status, body, retry);
    emulator.log_request(LoggedRequest {
        request_id: exchange.request_id.clone(),
        method: method.to_string(),
        path,
        status,
        idempotency_key: exchange.idempotency_key.clone(),
        stripe_version: exchange.version.clone(),
        replayed: exchange.replayed,
        latency_ms: started.elapsed().as_millis() as u64,
    });
    response
}

/// Preflight for the publishable-key routes; other routes get no CORS headers at all.
pub async fn preflight(State(emulator): State<Emulator>, request: Request) -> Response {
    let path = request.uri().path().to_string();
    let target = request
        .headers()
        .get("access-control-request-method")
        .and_then(|m| m.to_str().ok())
        .and_then(|m| Method::from_bytes(m.as_bytes()).ok());
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::NO_CONTENT;
    let publishable = target
        .and_then(|m| Operation::route(&m, &path))
        .is_some_and(|op| op.accepts_publishable_key());
    if let (true, Some(origin)) = (publishable, emulator.allowed_origin(request.headers())) {
        let headers = response.headers_mut();
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST, OPTIONS"),
        );
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static(
                "Authorization, Content-Type, Stripe-Version, Idempotency-Key, Stripe-Account",
            ),
        );
        headers.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("600"),
        );
        headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    }
    response
}

async fn run(
    emulator: &Emulator,
    exchange: &mut Exchange,
    method: &Method,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body: Body,
) -> Result<(u16, String), ApiError> {
    let operation = Operation::route(method, path)
        .ok_or_else(|| ApiError::unrecognized_url(method.as_str(), path))?;
    if operation.accepts_publishable_key() {
        exchange.cors_origin = emulator.allowed_origin(headers);
    }
    if let Some(requested) = headers.get("stripe-version") {
        let requested = requested.to_str().unwrap_or_default();
        if !versions::is_known(requested) {
            return Err(ApiError::invalid_version(requested));
        }
        exchange.version = requested.to_string();
    }
    let params = decode_params(method, query, headers, body).await?;
    // Checked against the keys in place: no copy of them per request.
    let audience = emulator
        .with_store(|store| auth::authenticate(headers, &params, &store.keys, &operation))?;
    if audience == Audience::Publishable {
        exchange.language = Language::of_accept_language(
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|value| value.to_str().ok()),
        );
    }

    let key = if *method == Method::POST {
        idempotency_key(headers)?
    } else {
        None
    };
    let endpoint = format!("{method} {path}");
    if let Some(key) = &key {
        exchange.idempotency_key = Some(key.clone());
        let fingerprint = fingerprint(&params);
        if let Some(stored) =
            emulator.with_store(|store| reserve_key(store, key, &endpoint, path, &fingerprint))?
        {
            exchange.replayed = true;
            exchange.original_request = Some(stored.request_id.clone());
            return Ok((stored.status, stored.body));
        }
        exchange.original_request = Some(exchange.request_id.clone());
        // Released however this ends, even when the client hangs up mid-request.
        let _reservation = Reservation {
            emulator: emulator.clone(),
            key: key.clone(),
        };
        return run_reserved(
            emulator,
            exchange,
            &operation,
            path,
            &params,
            audience,
            Some((key, &endpoint, &fingerprint)),
        )
        .await;
    }
    run_reserved(
        emulator, exchange, &operation, path, &params, audience, None,
    )
    .await
}

async fn run_reserved(
    emulator: &Emulator,
    exchange: &Exchange,
    operation: &Operation,
    path: &str,
    params: &form::Params,
    audience: Audience,
    idempotency: Option<(&String, &String, &String)>,
) -> Result<(u16, String), ApiError> {
    // Injected faults strike before the endpoint runs, so they are never stored;
    // unless `stored`, when they stand for a failure during execution.
    let mut failed_during_execution = None;
    if let Some(fault) = emulator.take_fault(path) {
        if fault.delay_ms > 0 {
            tokio::time::sleep(Duration::from_millis(fault.delay_ms)).await;
        }
        match fault.status {
            Some(status) if fault.stored => failed_during_execution = Some(status),
            Some(status) => return Err(ApiError::injected(status)),
            None => {}
        }
    }
    let typed = schema::validate(operation.spec_key(), params)?;
    let emulator_url = emulator.base_url();
    let options = emulator.options();
    emulator.with_store(|store| {
        let call = Call {
            params: typed,
            audience,
            emulator_url: &emulator_url,
            options,
        };
        // What came due on the emulator clock happens first, as Stripe's own doing.
        crate::due::settle(store);
        // Events this call causes name it in `request`.
        store.request = RequestRef {
            id: Some(exchange.request_id.clone()),
            idempotency_key: idempotency.map(|(key, ..)| key.clone()),
        };
        let outcome = match failed_during_execution {
            Some(status) => Err(ApiError::injected_during_execution(status)),
            None => operation.execute(store, &call),
        };
        store.request = RequestRef::default();
        let (status, body) = match outcome {
            Ok(value) => (200, to_pretty(&value)),
            Err(error) if error.before_execution => {
                store.commit().map_err(journal_failure)?;
                return Err(error);
            }
            Err(mut error) => {
                if error.attach_intent && error.payment_intent.is_none() {
                    let id = operation
                        .payment_intent_id()
                        .map(str::to_string)
                        .or_else(|| error.intent_id.clone());
                    if let Some(pi) = id.and_then(|id| store.payment_intents.get(&id).cloned()) {
                        error.payment_intent = Some(store.render_payment_intent(
                            &pi,
                            &render::Expand::default(),
                            audience,
                        ));
                    }
                }
                localize(exchange.language, &mut error);
                (
                    error.status,
                    render_error_with(&emulator_url, &exchange.request_id, error),
                )
            }
        };
        if let Some((key, endpoint, fingerprint)) = idempotency {
            store.put_idempotent_response(IdempotentResponse {
                key: key.clone(),
                endpoint: endpoint.clone(),
                fingerprint: fingerprint.clone(),
                created: store.clock.now(),
                status,
                body: body.clone(),
                request_id: exchange.request_id.clone(),
            });
        }
        store.commit().map_err(journal_failure)?;
        Ok((status, body))
    })
}

fn journal_failure(error: std::io::Error) -> ApiError {
    tracing::error!(%error, "could not write the emulator's journal");
    ApiError::injected(500)
}

/// An `Idempotency-Key` in flight; dropping it frees the key.
struct Reservation {
    emulator: Emulator,
    key: String,
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.emulator
            .with_store(|store| store.in_flight.remove(&self.key));
    }
}

/// Looks the key up: a stored answer to replay, a conflict, or a fresh reservation.
fn reserve_key(
    store: &mut Store,
    key: &str,
    endpoint: &str,
    path: &str,
    fingerprint: &str,
) -> Result<Option<IdempotentResponse>, ApiError> {
    if store.in_flight.contains(key) {
        return Err(ApiError::idempotency_in_use(key));
    }
    let now = store.clock.now();
    if store
        .idempotency
        .get(key)
        .is_some_and(|r| now - r.created >= IDEMPOTENCY_TTL_SECONDS)
    {
        store.expire_idempotency_key(key);
        store.commit().map_err(journal_failure)?;
    }
    if let Some(stored) = store.idempotency.get(key) {
        if stored.endpoint != endpoint {
            let first_path = stored
                .endpoint
                .split_once(' ')
                .map_or(stored.endpoint.as_str(), |(_, p)| p);
            return Err(ApiError::idempotency_other_endpoint(key, path, first_path));
        }
        if stored.fingerprint != fingerprint {
            return Err(ApiError::idempotency_params_changed(key));
        }
        return Ok(Some(stored.clone()));
    }
    store.in_flight.insert(key.to_string());
    Ok(None)
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = value.to_str().map_err(|_| {
        ApiError::invalid_request(
            "Idempotency-Key",
            "The Idempotency-Key header must be printable ASCII.",
        )
    })?;
    if key.len() > 255 {
        return Err(ApiError::idempotency_key_too_long());
    }
    Ok((!key.is_empty()).then(|| key.to_string()))
}

/// A hash of the parameters with hash keys sorted, so key order does not matter.
fn fingerprint(params: &form::Params) -> String {
    fn canonical(param: &form::Param, out: &mut String) {
        match param {
            form::Param::Str(s) => {
                out.push('"');
                out.push_str(&s.replace('\\', "\\\\").replace('"', "\\\""));
                out.push('"');
            }
            form::Param::List(items) => {
                out.push('[');
                for item in items {
                    canonical(item, out);
                    out.push(',');
                }
                out.push(']');
            }
            form::Param::Map(map) => canonical_map(map, out),
        }
    }
    fn canonical_map(map: &form::Params, out: &mut String) {
        let mut keys: Vec<&String> = map.keys().collect();
        keys.sort();
        out.push('{');
        for k in keys {
            out.push_str(k);
            out.push(':');
            canonical(&map[k], out);
            out.push(',');
        }
        out.push('}');
    }
    let mut text = String::new();
    canonical_map(params, &mut text);
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

async fn decode_params(
    method: &Method,
    query: Option<&str>,
    headers: &HeaderMap,
    body: Body,
) -> Result<form::Params, ApiError> {
    let bytes = to_bytes(body, BODY_LIMIT)
        .await
        .map_err(|_| ApiError::body_too_large(BODY_LIMIT))?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if content_type.starts_with("application/json")
        || (!bytes.is_empty() && bytes.first() == Some(&b'{'))
    {
        return Err(ApiError::json_body());
    }
    let mut params = form::decode(query.unwrap_or_default().as_bytes())?;
    if *method != Method::GET && !bytes.is_empty() {
        if !content_type.is_empty()
            && !content_type.starts_with("application/x-www-form-urlencoded")
        {
            return Err(ApiError::json_body());
        }
        for (k, v) in form::decode(&bytes)? {
            params.insert(k, v);
        }
    }
    Ok(params)
}

/// Stripe's pretty-printed JSON: two-space indent and a final newline.
pub fn to_pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_else(|_| "{}".into());
    text.push('\n');
    text
}

fn render_error(emulator: &Emulator, exchange: &Exchange, mut error: ApiError) -> String {
    localize(exchange.language, &mut error);
    render_error_with(&emulator.base_url(), &exchange.request_id, error)
}

/// A card error is what Stripe.js shows the shopper: told in their language, in the
/// error and in the PaymentIntent's `last_payment_error` it carries (the same error).
fn localize(language: Language, error: &mut ApiError) {
    if error.kind != ErrorType::Card || language == Language::En {
        return;
    }
    error.message = locale::translate(language, &error.message).to_owned();
    if let Some(Value::String(message)) = error
        .payment_intent
        .as_mut()
        .and_then(|pi| pi.get_mut("last_payment_error"))
        .and_then(|last| last.get_mut("message"))
    {
        *message = locale::translate(language, message).to_owned();
    }
}

fn render_error_with(emulator_url: &str, request_id: &str, error: ApiError) -> String {
    to_pretty(&error.to_json(Some(format!(
        "{emulator_url}/_emulator/requests/{request_id}"
    ))))
}

fn should_retry_header(exchange: &Exchange, status: u16) -> Option<&'static str> {
    match status {
        // A stored result is final: retrying the key only replays it.
        200..=299 if exchange.idempotency_key.is_some() => Some("false"),
        200..=299 => None,
        409 | 429 => Some("true"),
        // A 5xx that reached here without a key was not stored: worth retrying.
        // With one it is the stored result (first answer or replay) and final.
        500.. if exchange.idempotency_key.is_none() => Some("true"),
        _ => Some("false"),
    }
}

fn answer(
    exchange: &Exchange,
    status: u16,
    body: String,
    should_retry: Option<&'static str>,
) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    let mut set = |name: &'static str, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(name, v);
        }
    };
    set("content-type", "application/json");
    set("cache-control", "no-cache, no-store");
    set("request-id", &exchange.request_id);
    set("stripe-version", &exchange.version);
    if let Some(key) = &exchange.idempotency_key {
        set("idempotency-key", key);
    }
    if let Some(original) = &exchange.original_request {
        set("original-request", original);
    }
    if exchange.replayed {
        set("idempotent-replayed", "true");
    }
    if let Some(retry) = should_retry {
        set("stripe-should-retry", retry);
    }
    if let Some(origin) = &exchange.cors_origin {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        headers.insert(header::VARY, HeaderValue::from_static("Origin"));
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("Request-Id, Stripe-Version, Stripe-Should-Retry, Idempotency-Key, Original-Request, Idempotent-Replayed"),
        );
    }
    response
}
