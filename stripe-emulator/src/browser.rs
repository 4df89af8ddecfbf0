//! The browser side (contract b.11 to b.13): Stripe.js, the Payment Element's frame, the
//! 3-D Secure pages, and a merchant test page for trying it all by hand.

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::control::{ControlJson, Controller};
use crate::emulator::Emulator;
use crate::error::ApiError;
use crate::locale::{self, Language};
use crate::store::AutoAnswer;

const STRIPE_JS: &str = include_str!("../assets/stripe.js");
const ELEMENT_FRAME: &str = include_str!("../assets/elements-inner-payment.html");
const CHALLENGE_OUTER: &str = include_str!("../assets/three-ds-2-challenge.html");
const CHALLENGE_ACS: &str = include_str!("../assets/three-ds-2-acs.html");
const TEST_PAGE_3DS: &str = include_str!("../assets/three-ds-test-page.html");
const MERCHANT_PAGE: &str = include_str!("../assets/test-page.html");

/// Where the browser pages get the emulator's phrase table (see [`locale`]).
const PHRASES_MARK: &str = "__STRIPE_EMULATOR_PHRASES__";

/// An asset with the phrase table written in, once.
fn with_phrases(asset: &'static str) -> String {
    asset.replace(PHRASES_MARK, locale::browser_table())
}

static STRIPE_JS_PAGE: LazyLock<String> = LazyLock::new(|| with_phrases(STRIPE_JS));
static ELEMENT_FRAME_PAGE: LazyLock<String> = LazyLock::new(|| with_phrases(ELEMENT_FRAME));
static CHALLENGE_OUTER_PAGE: LazyLock<String> = LazyLock::new(|| with_phrases(CHALLENGE_OUTER));
static CHALLENGE_ACS_PAGE: LazyLock<String> = LazyLock::new(|| with_phrases(CHALLENGE_ACS));

/// Stripe.js and its frames, at the paths the real ones use under js.stripe.com.
pub(crate) fn script_router() -> Router<Emulator> {
    Router::new()
        .route("/js.stripe.com/v3", get(stripe_js))
        .route("/js.stripe.com/v3/", get(stripe_js))
        .route("/js.stripe.com/dahlia/stripe.js", get(stripe_js))
        .route(
            "/js.stripe.com/v3/elements-inner-payment.html",
            get(|| async { html(ELEMENT_FRAME_PAGE.clone()) }),
        )
        .route(
            "/js.stripe.com/v3/three-ds-2-challenge.html",
            get(|| async { html(CHALLENGE_OUTER_PAGE.clone()) }),
        )
        .route(
            "/js.stripe.com/v3/three-ds-2-acs.html",
            get(|| async { html(CHALLENGE_ACS_PAGE.clone()) }),
        )
}

/// The 3-D Secure pages (always on) and the merchant test page (control API only).
pub(crate) fn emulator_pages() -> Router<Emulator> {
    Router::new()
        .route("/3ds/challenge", get(challenge))
        .route("/3ds/hosted", get(hosted))
        .route("/test-page", get(test_page))
        .route("/test-page/payment_intents", post(test_page_create))
        .route("/test-page/payment_intents/{id}", post(test_page_update))
}

async fn stripe_js() -> Response {
    let mut response = (StatusCode::OK, STRIPE_JS_PAGE.as_str()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/javascript; charset=utf-8"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

fn html(body: String) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Only ids and secrets in Stripe's alphabet reach the page: nothing to escape, nothing
/// to inject.
fn stripe_token(value: Option<&String>) -> Option<String> {
    value
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 200
                && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        })
        .cloned()
}

fn three_ds_page(
    emulator: &Emulator,
    mode: &str,
    pi: Option<String>,
    secret: Option<String>,
    language: Language,
) -> Response {
    let (Some(pi), Some(secret)) = (pi, secret) else {
        return (
            StatusCode::BAD_REQUEST,
            "This 3D Secure page needs payment_intent and client_secret.",
        )
            .into_response();
    };
    let auto = match emulator.with_store(|s| s.settings.three_ds_auto) {
        Some(AutoAnswer::Complete) => "complete",
        Some(AutoAnswer::Fail) => "fail",
        None => "",
    };
    html(
        TEST_PAGE_3DS
            .replace("{{PAYMENT_INTENT}}", &pi)
            .replace("{{CLIENT_SECRET}}", &secret)
            .replace("{{MODE}}", mode)
            .replace("{{AUTO}}", auto)
            .replace("{{LANG}}", language.tag())
            .replace("{{TITLE}}", locale::phrase(language, "test_page_title"))
            .replace("{{TEXT}}", locale::phrase(language, "test_page_text"))
            .replace("{{COMPLETE}}", locale::phrase(language, "complete"))
            .replace("{{FAIL}}", locale::phrase(language, "fail")),
    )
}

/// The 3-D Secure page's language: Stripe.js passes its `locale` to the modal; the
/// hosted page (a top-level redirect) follows the browser's `Accept-Language`.
fn page_language(query: &HashMap<String, String>, headers: &axum::http::HeaderMap) -> Language {
    match query
        .get("locale")
        .filter(|locale| !locale.is_empty() && locale.as_str() != "auto")
    {
        Some(locale) => Language::of_stripe_locale(locale),
        None => Language::of_accept_language(
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|value| value.to_str().ok()),
        ),
    }
}

/// `GET /_emulator/3ds/challenge`: the page inside Stripe.js's modal.
async fn challenge(
    State(emulator): State<Emulator>,
    Query(query): Query<HashMap<String, String>>,
    headers: axum::http::HeaderMap,
) -> Response {
    three_ds_page(
        &emulator,
        "challenge",
        stripe_token(query.get("payment_intent")),
        stripe_token(query.get("client_secret")),
        page_language(&query, &headers),
    )
}

/// `GET /_emulator/3ds/hosted`: the same page as a top-level document (`redirect_to_url`).
async fn hosted(
    State(emulator): State<Emulator>,
    Query(query): Query<HashMap<String, String>>,
    headers: axum::http::HeaderMap,
) -> Response {
    three_ds_page(
        &emulator,
        "hosted",
        stripe_token(query.get("payment_intent")),
        stripe_token(query.get("payment_intent_client_secret")),
        page_language(&query, &headers),
    )
}

/// `GET /_emulator/test-page`: a merchant page using Stripe.js as Stripe's guide does.
async fn test_page(State(emulator): State<Emulator>, _: Controller) -> Response {
    let page = MERCHANT_PAGE
        .replace("{{EMULATOR}}", &emulator.base_url())
        .replace("{{PK}}", &emulator.keys().publishable_key);
    html(page)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TestPayment {
    amount: i64,
    #[serde(default = "usd")]
    currency: String,
    /// Confirm on the server with this test PaymentMethod (`pm_card_*`), as a
    /// server-confirmed flow does before `handleNextAction`.
    #[serde(default)]
    confirm_with: Option<String>,
}

fn usd() -> String {
    "usd".into()
}

/// The test page's "server": creates a PaymentIntent through the real API with the
/// secret key, and marks it as the test page's own.
async fn test_page_create(
    State(emulator): State<Emulator>,
    ControlJson(payment): ControlJson<TestPayment>,
) -> Response {
    let mut form = vec![
        ("amount", payment.amount.to_string()),
        ("currency", payment.currency),
    ];
    match payment.confirm_with {
        Some(pm) => form.extend([
            ("payment_method", pm),
            ("confirm", "true".to_string()),
            ("payment_method_types[]", "card".to_string()),
        ]),
        None => form.push(("automatic_payment_methods[enabled]", "true".to_string())),
    }
    let answer = forward(&emulator, "/v1/payment_intents", &form).await;
    if let Ok((_, value)) = &answer {
        // A declined confirm still created one: the error carries it.
        let created = value["id"]
            .as_str()
            .or_else(|| value["error"]["payment_intent"]["id"].as_str());
        if let Some(id) = created {
            if let Err(error) = mark_as_test_page(&emulator, id) {
                return (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("Could not save the test page's PaymentIntent: {error}"),
                )
                    .into_response();
            }
        }
    }
    reply(answer)
}

/// Marks a PaymentIntent the test page created as its own (the mark is saved with it).
fn mark_as_test_page(emulator: &Emulator, id: &str) -> std::io::Result<()> {
    emulator.with_store(|store| {
        let Some(pi) = store.payment_intents.get(id) else {
            return Ok(());
        };
        let mut pi = pi.clone();
        pi.test_page = true;
        store.put_payment_intent(pi);
        store.commit()
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TestUpdate {
    amount: i64,
}

/// Changes a test PaymentIntent's amount on the server, as a cart change would.
///
/// Only a PaymentIntent the test page created: any other id is answered as one that
/// does not exist, so the page can neither change it nor learn its client secret.
async fn test_page_update(
    State(emulator): State<Emulator>,
    Path(id): Path<String>,
    ControlJson(update): ControlJson<TestUpdate>,
) -> Response {
    let Some(id) = stripe_token(Some(&id)) else {
        return (StatusCode::BAD_REQUEST, "Not a PaymentIntent id.").into_response();
    };
    let own = emulator.with_store(|store| {
        store
            .payment_intents
            .get(&id)
            .is_some_and(|pi| pi.test_page)
    });
    if !own {
        let error = ApiError::no_such("payment_intent", &id, "intent");
        return (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "application/json")],
            error.to_json(None).to_string(),
        )
            .into_response();
    }
    reply(
        forward(
            &emulator,
            &format!("/v1/payment_intents/{id}"),
            &[("amount", update.amount.to_string())],
        )
        .await,
    )
}

/// Calls the emulator's own API over HTTP with the secret key, as a merchant server
/// does: its status and JSON answer, or why it could not be reached.
async fn forward(
    emulator: &Emulator,
    path: &str,
    form: &[(&str, String)],
) -> Result<(StatusCode, Value), String> {
    let response = emulator
        .webhook_client()
        .post(format!("{}{path}", emulator.base_url()))
        .basic_auth(emulator.keys().secret_key, Some(""))
        .form(form)
        .send()
        .await
        .map_err(|error| error.to_string())?;
    let status =
        StatusCode::from_u16(response.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let value: Value = response
        .bytes()
        .await
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(Value::Null);
    Ok((status, value))
}

/// What the page gets: what a merchant server would hand it, the id and client secret
/// (or the API's error).
fn reply(answer: Result<(StatusCode, Value), String>) -> Response {
    match answer {
        Ok((status, value)) => {
            let body = if status.is_success() {
                json!({ "id": value["id"], "client_secret": value["client_secret"], "amount": value["amount"] })
            } else {
                value
            };
            (
                status,
                [(header::CONTENT_TYPE, "application/json")],
                body.to_string(),
            )
                .into_response()
        }
        Err(error) => (
            StatusCode::BAD_GATEWAY,
            format!("The emulator could not reach its own API: {error}"),
        )
            .into_response(),
    }
}
