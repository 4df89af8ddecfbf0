//! `/admin`: axum handlers beside the shop's Leptos routes, behind the same layers
//! (security headers, the cross-site POST check, the request log). Reads are GETs;
//! every change is a POST from a form, answered with a redirect back to the page
//! (so a reload never repeats it) or, when refused, the page again with the reason.

use super::{
    pages::{self, Dashboard},
    passwords,
    session::{self, Operator},
};
use crate::{
    domain::{PaymentIntentId, ShopError},
    server::{
        shopper::{client_ip, now},
        store::{OrderCursor, OrderFilter, RefundRequest, Resolution, SharedLimit, ORDER_STATUSES},
        stripe::StripeMode,
        AppState,
    },
};
use axum::{
    body::to_bytes,
    extract::{ConnectInfo, Path, Query, Request, State},
    http::{header, HeaderMap, StatusCode},
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
    Router,
};
use std::{collections::HashMap, net::SocketAddr};

/// Orders per page of the list.
const PAGE_SIZE: i64 = 50;
/// Forms here are small; anything near this is not one of ours.
const MAX_FORM: usize = 16 * 1024;
/// The window the login limits count in.
const LOGIN_WINDOW_MS: i64 = 15 * 60 * 1000;
/// Password checks running at once (one per core of a small machine).
static VERIFICATIONS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// The admin's routes, merged into the shop's router.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(|| async { Redirect::to("/admin/orders") }))
        .route("/admin/login", get(login_page).post(login))
        .route("/admin/logout", post(logout))
        .route("/admin/orders", get(orders))
        .route("/admin/orders/{id}", get(order))
        .route("/admin/orders/{id}/refund", post(refund))
        .route("/admin/orders/{id}/recheck", post(recheck))
        .route("/admin/orders/{id}/resend", post(resend))
        .route("/admin/orders/{id}/resolve", post(resolve))
        .route("/admin/events", get(events))
        .route("/admin/events/{id}/retry", post(retry_event))
        .route("/admin/commands", get(commands))
        .route("/admin/commands/{id}/retry", post(retry_command))
}

/// What done actions say, by the code in the redirect's query (never free text from a
/// request, so nobody can make the admin say something by sending a link).
fn done(code: &str) -> Option<Result<String, String>> {
    let text = match code {
        "refund-requested" => {
            "Refund requested: it goes to Stripe now, and its status follows below."
        }
        "rechecked" => "Re-checked with Stripe.",
        "email-resent" => "The email will be sent again.",
        "resolved" => "The review is resolved.",
        "retried" => "Put back in the queue: it is retried now.",
        _ => return None,
    };
    Some(Ok(text.to_owned()))
}

/// An HTML page with `status`.
fn page(
    status: StatusCode,
    title: &str,
    operator: Option<&Operator>,
    main: impl leptos::IntoView + 'static,
) -> Response {
    let mut response = (status, Html(pages::document(title, operator, main))).into_response();
    // Operators' pages hold personal data: never cached anywhere.
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

/// The signed-in operator, or the way to the login page.
async fn signed_in(state: &AppState, headers: &HeaderMap) -> Result<Operator, Response> {
    session::current(state, headers)
        .await
        .ok_or_else(|| Redirect::to("/admin/login").into_response())
}

/// A form's fields; a body that is not a form is refused with a page saying so.
async fn form(request: Request) -> Result<HashMap<String, String>, Response> {
    let bytes = to_bytes(request.into_body(), MAX_FORM).await.map_err(|_| {
        page(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Refused",
            None,
            pages::message("Refused", "That form was too large.".into()),
        )
    })?;
    let mut fields = HashMap::new();
    for (key, value) in form_urlencoded::parse(&bytes) {
        // No form of ours sends control characters, and PostgreSQL refuses NUL in text:
        // refused here with a reason rather than failing in the database.
        if has_control(&key) || has_control(&value) {
            return Err(page(
                StatusCode::BAD_REQUEST,
                "Refused",
                None,
                pages::message(
                    "Refused",
                    "That form holds characters no field takes.".into(),
                ),
            ));
        }
        // The first value of a field counts; a repeated field changes nothing.
        fields
            .entry(key.into_owned())
            .or_insert_with(|| value.into_owned());
    }
    Ok(fields)
}

/// Control characters (NUL, escapes, line breaks): no admin field takes them.
fn has_control(text: &str) -> bool {
    text.chars().any(char::is_control)
}

fn field<'a>(fields: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    fields
        .get(name)
        .map(|value| value.trim())
        .filter(|value| !value.is_empty())
}

async fn login_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if session::current(&state, &headers).await.is_some() {
        return Redirect::to("/admin/orders").into_response();
    }
    login_answer(&state, StatusCode::OK, None).await
}

/// The login page, or a 404 saying the admin is off while no operator exists.
async fn login_answer(state: &AppState, status: StatusCode, error: Option<String>) -> Response {
    let enabled = match state.store.has_operators().await {
        Ok(enabled) => enabled,
        Err(error) => return unavailable(error),
    };
    let status = if enabled {
        status
    } else {
        StatusCode::NOT_FOUND
    };
    page(status, "Sign in", None, pages::login(error, enabled))
}

/// `POST /admin/login`: throttled per client IP and per name before anything is
/// verified; the same answer for an unknown name and a wrong password, after the
/// same work (an unknown name is verified against a decoy hash).
async fn login(State(state): State<AppState>, request: Request) -> Response {
    let headers = request.headers().clone();
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    let fields = match form(request).await {
        Ok(fields) => fields,
        Err(response) => return response,
    };
    // While the admin is off, nothing is verified (or counted): it answers as off.
    match state.store.has_operators().await {
        Ok(true) => {}
        Ok(false) => return login_answer(&state, StatusCode::NOT_FOUND, None).await,
        Err(error) => return unavailable(error),
    }
    let name = field(&fields, "name").unwrap_or_default().to_owned();
    let password = fields.get("password").cloned().unwrap_or_default();
    if name.is_empty() || name.len() > 64 || password.is_empty() {
        return login_answer(
            &state,
            StatusCode::BAD_REQUEST,
            Some("Enter your name and password.".into()),
        )
        .await;
    }
    let ip = peer.map(|peer| client_ip(peer, state.config.trusted_proxy, &headers));
    let limit = |name| SharedLimit {
        name,
        limit: state.config.admin_login_attempts,
        window_ms: LOGIN_WINDOW_MS,
    };
    let now_ms = now().saturating_mul(1000);
    for (limit, key) in [
        (
            limit("admin_login_ip"),
            ip.map(|ip| ip.to_string()).unwrap_or_default(),
        ),
        (limit("admin_login_name"), name.to_lowercase()),
    ] {
        match state.store.count_hit(limit, &key, now_ms).await {
            Ok(Ok(())) => {}
            Ok(Err(refusal)) => {
                tracing::warn!(limit = limit.name, "admin login throttled");
                let retry_after = (refusal.left_ms + 999) / 1000;
                let mut response = login_answer(
                    &state,
                    StatusCode::TOO_MANY_REQUESTS,
                    Some(
                        "Too many sign-in attempts. Please wait a few minutes and try again."
                            .into(),
                    ),
                )
                .await;
                if let Ok(value) = header::HeaderValue::from_str(&retry_after.max(1).to_string()) {
                    response.headers_mut().insert(header::RETRY_AFTER, value);
                }
                return response;
            }
            Err(error) => return unavailable(error),
        }
    }
    let found = match state.store.operator_login(&name).await {
        Ok(found) => found,
        Err(error) => return unavailable(error),
    };
    // Argon2 is tens of milliseconds of CPU and 19 MiB per check: off the async
    // threads, and a few at a time, so a flood of sign-ins cannot take the machine.
    // An unknown name is checked against the decoy, so both answers cost the same.
    let permit =
        tokio::time::timeout(std::time::Duration::from_secs(10), VERIFICATIONS.acquire()).await;
    let Ok(Ok(_permit)) = permit else {
        return unavailable(ShopError::Unavailable);
    };
    let phc = found
        .as_ref()
        .map(|operator| operator.password_hash.clone());
    let verified = tokio::task::spawn_blocking(move || {
        passwords::verify(
            &password,
            phc.as_deref().unwrap_or_else(|| passwords::decoy()),
        )
    })
    .await
    .unwrap_or(false);
    let operator = match found {
        Some(operator) if verified => operator,
        _ => {
            tracing::warn!("admin login refused");
            return login_answer(
                &state,
                StatusCode::UNAUTHORIZED,
                Some("That name and password do not match.".into()),
            )
            .await;
        }
    };
    // A new token at every login: a session id planted before it is worthless after.
    let previous = session::token_hash(&state, &headers);
    let (token, hash) = session::new_token();
    if let Err(error) = state
        .store
        .start_session(
            &operator.id,
            &hash,
            previous.as_deref(),
            state.config.admin_sessions,
            now(),
        )
        .await
    {
        return unavailable(error);
    }
    tracing::info!(operator = %operator.name, "operator signed in");
    let mut response = Redirect::to("/admin/orders").into_response();
    if let Some(cookie) = session::set_cookie(&state, Some(&token)) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(hash) = session::token_hash(&state, &headers) {
        if let Err(error) = state.store.end_session(&hash).await {
            return unavailable(error);
        }
    }
    let mut response = Redirect::to("/admin/login").into_response();
    if let Some(cookie) = session::set_cookie(&state, None) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

async fn orders(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let operator = match signed_in(&state, &headers).await {
        Ok(operator) => operator,
        Err(response) => return response,
    };
    let status = field(&query, "status")
        .filter(|status| ORDER_STATUSES.contains(status))
        .map(str::to_owned);
    let search = field(&query, "q")
        .filter(|q| q.len() <= 254 && !has_control(q))
        .map(str::to_owned);
    let after = field(&query, "after").and_then(OrderCursor::decode);
    let filter = OrderFilter { status, search };
    match state
        .store
        .admin_orders(&filter, after.as_ref(), PAGE_SIZE)
        .await
    {
        Ok((rows, more)) => {
            let next = more
                .then(|| rows.last().map(|row| row.cursor().encode()))
                .flatten();
            let message = field(&query, "done").and_then(done);
            page(
                StatusCode::OK,
                "Orders",
                Some(&operator),
                pages::orders(&filter, rows, next, message),
            )
        }
        Err(error) => unavailable(error),
    }
}

/// Order ids as the shop makes them (`ord_` and hex); anything else is not found.
fn order_id(raw: &str) -> Option<&str> {
    let valid = raw.len() <= 64
        && raw.starts_with("ord_")
        && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    valid.then_some(raw)
}

async fn order(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let operator = match signed_in(&state, &headers).await {
        Ok(operator) => operator,
        Err(response) => return response,
    };
    let message = field(&query, "done").and_then(done);
    order_page(&state, &operator, &id, StatusCode::OK, message).await
}

/// The order's page with `status` and `message` (the answer to a refused action too).
async fn order_page(
    state: &AppState,
    operator: &Operator,
    id: &str,
    status: StatusCode,
    message: Option<Result<String, String>>,
) -> Response {
    let Some(id) = order_id(id) else {
        return not_found(operator);
    };
    match state.store.admin_order(id).await {
        Ok(Some(detail)) => {
            let title = detail
                .order
                .reference
                .clone()
                .unwrap_or_else(|| detail.order.id.clone());
            let dashboard = Dashboard {
                available: matches!(state.config.stripe, StripeMode::Stripe { .. }),
                test_mode: state.payments.test_mode,
            };
            page(
                status,
                &format!("Order {title}"),
                Some(operator),
                pages::order(detail, dashboard, message),
            )
        }
        Ok(None) => not_found(operator),
        Err(error) => unavailable(error),
    }
}

/// What every action on an order starts from: the signed-in operator, the order's id
/// and the form's fields; or the answer that ends it there (sign in, not found, a
/// refused form).
struct OrderAction {
    operator: Operator,
    order_id: String,
    fields: HashMap<String, String>,
}

impl OrderAction {
    async fn read(state: &AppState, id: &str, request: Request) -> Result<Self, Response> {
        let operator = signed_in(state, request.headers()).await?;
        let Some(order_id) = order_id(id).map(str::to_owned) else {
            return Err(not_found(&operator));
        };
        let fields = form(request).await?;
        Ok(Self {
            operator,
            order_id,
            fields,
        })
    }

    /// The order's page again with `why` (a 400).
    async fn refuse(&self, state: &AppState, why: &str) -> Response {
        refused(
            state,
            &self.operator,
            &self.order_id,
            ShopError::BadRequest(why.to_owned()),
        )
        .await
    }
}

/// After an action: back to the order's page, saying what was done.
fn back_to(id: &str, code: &str) -> Response {
    Redirect::to(&format!("/admin/orders/{id}?done={code}")).into_response()
}

/// A refusal of an action on an order: its page again, with the reason.
async fn refused(state: &AppState, operator: &Operator, id: &str, error: ShopError) -> Response {
    let status = match &error {
        ShopError::BadRequest(_) => StatusCode::BAD_REQUEST,
        ShopError::Unavailable | ShopError::PaymentUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::CONFLICT,
    };
    let text = match error {
        ShopError::BadRequest(text) => text,
        other => other.to_string(),
    };
    order_page(state, operator, id, status, Some(Err(text))).await
}

async fn refund(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    let action = match OrderAction::read(&state, &id, request).await {
        Ok(action) => action,
        Err(response) => return response,
    };
    let (operator, order_id) = (&action.operator, action.order_id.as_str());
    let request = match refund_request(&action.fields, order_id, operator) {
        Ok(request) => request,
        Err(why) => return action.refuse(&state, &why).await,
    };
    match state.store.request_refund(&request, now()).await {
        Ok(refund) => {
            tracing::info!(operator = %operator.name, order = %order_id, %refund, amount = request.amount_minor, "refund requested");
            back_to(order_id, "refund-requested")
        }
        Err(error) => refused(&state, operator, order_id, error).await,
    }
}

/// The refund form, read: every field checked here or (amounts against what was
/// received) by the store, never trusted.
fn refund_request(
    fields: &HashMap<String, String>,
    order_id: &str,
    operator: &Operator,
) -> Result<RefundRequest, String> {
    // Drawn when the form was rendered: the same form sent twice is one refund.
    let id = field(fields, "request")
        .filter(|id| is_refund_id(id))
        .ok_or("This form is out of date: open the order again and refund from there.")?
        .to_owned();
    let payment_intent = field(fields, "payment_intent")
        .and_then(PaymentIntentId::parse)
        .ok_or("Choose the payment to refund.")?;
    let amount_minor = field(fields, "amount")
        .and_then(parse_amount)
        .ok_or("Enter the amount to refund, such as 12.50.")?;
    let reason = field(fields, "reason").map(str::to_owned);
    let note = field(fields, "note").map(|note| note.chars().take(500).collect());
    let mut restock = Vec::new();
    for (key, value) in fields {
        let Some(product) = key.strip_prefix("restock_") else {
            continue;
        };
        let value = value.trim();
        if value.is_empty() || value == "0" {
            continue;
        }
        let quantity: i64 = value
            .parse()
            .ok()
            .filter(|quantity| (1..=99).contains(quantity))
            .ok_or("Units to put back on the shelf are whole numbers from 0 to 99.")?;
        let plausible = product.len() <= 64
            && product
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_-".contains(&b));
        if !plausible {
            return Err("That product is not a line of this order.".into());
        }
        restock.push((product.to_owned(), quantity));
    }
    restock.sort();
    Ok(RefundRequest {
        id,
        order_id: order_id.to_owned(),
        payment_intent: payment_intent.as_str().to_owned(),
        amount_minor,
        reason,
        restock,
        note,
        operator: operator.name.clone(),
    })
}

/// A refund id as the shop draws them: `rf_` and 24 hex digits.
fn is_refund_id(raw: &str) -> bool {
    raw.strip_prefix("rf_")
        .is_some_and(|hex| hex.len() == 24 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// `12`, `12.5` or `12.50` in minor units; anything else (signs, exponents, three
/// decimals, absurd sizes) is `None`.
pub fn parse_amount(raw: &str) -> Option<i64> {
    let (whole, fraction) = raw.split_once('.').unwrap_or((raw, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty()
        || whole.len() > 8
        || fraction.len() > 2
        || !digits(whole)
        || !digits(fraction)
    {
        return None;
    }
    if raw.contains('.') && fraction.is_empty() {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let cents: i64 = format!("{fraction:0<2}").parse().ok()?;
    whole.checked_mul(100)?.checked_add(cents)
}

async fn recheck(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    let action = match OrderAction::read(&state, &id, request).await {
        Ok(action) => action,
        Err(response) => return response,
    };
    let (operator, order_id) = (&action.operator, action.order_id.as_str());
    let noted = match crate::server::fulfilment::reconciler::recheck(&state, order_id).await {
        Ok(summary) => {
            let entry = format!("re-checked with Stripe: {summary}");
            state
                .store
                .note_action(order_id, &entry, &operator.name, now())
                .await
        }
        Err(error) => Err(error),
    };
    match noted {
        Ok(()) => back_to(order_id, "rechecked"),
        Err(error) => refused(&state, operator, order_id, error).await,
    }
}

async fn resend(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    let action = match OrderAction::read(&state, &id, request).await {
        Ok(action) => action,
        Err(response) => return response,
    };
    let (operator, order_id) = (&action.operator, action.order_id.as_str());
    let Some(email) = field(&action.fields, "email").filter(|email| email.len() <= 64) else {
        return action
            .refuse(&state, "Choose an email to send again.")
            .await;
    };
    match state
        .store
        .resend_email(order_id, email, &operator.name, now())
        .await
    {
        Ok(()) => back_to(order_id, "email-resent"),
        Err(error) => refused(&state, operator, order_id, error).await,
    }
}

async fn resolve(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    let action = match OrderAction::read(&state, &id, request).await {
        Ok(action) => action,
        Err(response) => return response,
    };
    let (operator, order_id) = (&action.operator, action.order_id.as_str());
    let Some(resolution) = field(&action.fields, "outcome").and_then(Resolution::parse) else {
        return action.refuse(&state, "Choose how the review ends.").await;
    };
    let Some(note) = field(&action.fields, "note") else {
        return action.refuse(&state, "Say in a note what was done.").await;
    };
    let note: String = note.chars().take(500).collect();
    match state
        .store
        .resolve_review(order_id, resolution, &note, &operator.name, now())
        .await
    {
        Ok(()) => {
            tracing::info!(operator = %operator.name, order = %order_id, ?resolution, "review resolved");
            back_to(order_id, "resolved")
        }
        Err(error) => refused(&state, operator, order_id, error).await,
    }
}

/// The two queues a person may have to look at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Queue {
    Events,
    Commands,
}

impl Queue {
    fn path(self) -> &'static str {
        match self {
            Queue::Events => "/admin/events",
            Queue::Commands => "/admin/commands",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Queue::Events => "Webhook events waiting or parked",
            Queue::Commands => "Stripe commands waiting or parked",
        }
    }
}

async fn events(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    queue_page(state, headers, query, Queue::Events).await
}

async fn queue_page(
    state: AppState,
    headers: HeaderMap,
    query: HashMap<String, String>,
    queue: Queue,
) -> Response {
    let operator = match signed_in(&state, &headers).await {
        Ok(operator) => operator,
        Err(response) => return response,
    };
    let items = match queue {
        Queue::Events => state.store.events_needing_attention(200).await,
        Queue::Commands => state.store.commands_needing_attention(200).await,
    };
    match items {
        Ok(items) => {
            let message = field(&query, "done").and_then(done);
            let main = pages::work(queue.title(), queue.path(), items, message);
            page(StatusCode::OK, queue.title(), Some(&operator), main)
        }
        Err(error) => unavailable(error),
    }
}

async fn commands(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    queue_page(state, headers, query, Queue::Commands).await
}

/// Work item ids: Stripe's event ids, the shop's command ids, `unreadable_` hashes.
fn work_id(raw: &str) -> Option<&str> {
    (raw.len() <= 100 && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')).then_some(raw)
}

async fn retry_event(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    retry(state, id, headers, Queue::Events).await
}

async fn retry_command(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    retry(state, id, headers, Queue::Commands).await
}

async fn retry(state: AppState, id: String, headers: HeaderMap, queue: Queue) -> Response {
    let operator = match signed_in(&state, &headers).await {
        Ok(operator) => operator,
        Err(response) => return response,
    };
    let Some(id) = work_id(&id) else {
        return not_found(&operator);
    };
    let result = match queue {
        Queue::Events => state.store.retry_event_now(id, &operator.name, now()).await,
        Queue::Commands => {
            state
                .store
                .retry_command_now(id, &operator.name, now())
                .await
        }
    };
    match result {
        Ok(()) => {
            tracing::info!(operator = %operator.name, %id, "retried by hand");
            Redirect::to(&format!("{}?done=retried", queue.path())).into_response()
        }
        Err(ShopError::BadRequest(text)) => page(
            StatusCode::CONFLICT,
            "Refused",
            Some(&operator),
            pages::message("Refused", text),
        ),
        Err(error) => unavailable(error),
    }
}

fn not_found(operator: &Operator) -> Response {
    page(
        StatusCode::NOT_FOUND,
        "Not found",
        Some(operator),
        pages::message("Not found", "There is no such order.".into()),
    )
}

fn unavailable(error: ShopError) -> Response {
    tracing::error!(%error, "an admin page failed");
    page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Unavailable",
        None,
        pages::message(
            "Unavailable",
            "The shop could not do that just now. Please try again in a moment.".into(),
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_decimal_with_at_most_two_places() {
        assert_eq!(parse_amount("12"), Some(1200));
        assert_eq!(parse_amount("12.5"), Some(1250));
        assert_eq!(parse_amount("12.50"), Some(1250));
        assert_eq!(parse_amount("0.01"), Some(1));
        for bad in [
            "",
            ".5",
            "12.",
            "12.505",
            "-1",
            "1e3",
            "1,00",
            " 1",
            "123456789",
            "１２",
        ] {
            assert_eq!(parse_amount(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn only_the_shops_order_ids_reach_the_store() {
        assert_eq!(order_id("ord_0a1b"), Some("ord_0a1b"));
        for bad in [
            "",
            "R7K2Q9",
            "ord_1;",
            "../x",
            &format!("ord_{}", "a".repeat(70)),
        ] {
            assert_eq!(order_id(bad), None, "{bad:?}");
        }
    }
}
