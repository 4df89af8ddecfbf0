//! HTTP to a Stripe-shaped API: form-encoded requests, the secret key, a pinned
//! version, idempotency keys, and retries only where Stripe says they are safe.

use crate::server::metrics::Metrics;
use std::{sync::Arc, time::Duration};

use reqwest::{header, StatusCode};
use serde::de::DeserializeOwned;

use super::types::{
    ApiError, CreatePaymentIntent, CreateRefund, Dispute, ErrorEnvelope, List, PaymentIntent,
    Refund,
};
use super::STRIPE_VERSION;

/// A secret API key (`sk_test_...` or `sk_live_...`); it never prints.
#[derive(Clone)]
pub struct SecretKey(String);

impl SecretKey {
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let prefix: String = self.0.chars().take(8).collect();
        write!(f, "SecretKey({prefix}…)")
    }
}

/// An `Idempotency-Key`: the same key for every retry of one operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Stripe takes up to 255 characters.
    pub fn new(key: impl Into<String>) -> Option<Self> {
        let key = key.into();
        (!key.is_empty() && key.len() <= 255 && key.is_ascii()).then_some(Self(key))
    }

    /// `sf_` and the SHA-256 of the parts: the same key for the same operation on the
    /// same state, a different one for anything else, and revealing nothing.
    pub fn derive(parts: &[&str]) -> Self {
        Self(format!(
            "sf_{}",
            crate::server::sha256_hex(parts.join("|").as_bytes())
        ))
    }
}

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum StripeFailure {
    /// Stripe answered with an error object (a decline, a bad parameter, a state error).
    #[error("Stripe refused the request ({status}): {}", .error.message.as_deref().unwrap_or("no message"))]
    Refused { status: u16, error: ApiError },
    /// No usable answer after the retries Stripe allows: try again later.
    #[error("Stripe could not be reached or kept failing: {0}")]
    Unavailable(String),
    /// Stripe answered 2xx with something the shop cannot read (a status it does not
    /// know, say): retrying will not change it, a person must look.
    #[error("Stripe's answer could not be read: {0}")]
    Unreadable(String),
}

impl StripeFailure {
    /// Stripe is down or overloaded rather than saying no: unreachable, a 5xx, or
    /// rate limiting. Work that failed this way is kept and retried for as long as
    /// it lasts; it says nothing about the request itself.
    pub fn is_outage(&self) -> bool {
        match self {
            StripeFailure::Unavailable(_) => true,
            StripeFailure::Unreadable(_) => false,
            StripeFailure::Refused { status, .. } => *status >= 500 || *status == 429,
        }
    }
}

/// Every parameter `update_amount` sends (checked against Stripe's spec in tests).
pub const UPDATE_PARAMETERS: [&str; 1] = ["amount"];
/// Every parameter `cancel_payment_intent` sends, with the value `abandoned`.
pub const CANCEL_PARAMETERS: [&str; 1] = ["cancellation_reason"];

/// A client for one account.
#[derive(Clone, Debug)]
pub struct StripeClient {
    http: reqwest::Client,
    api_base: String,
    key: SecretKey,
    /// Attempts per operation, the first included.
    attempts: u32,
    backoff: Duration,
    /// Where requests are counted and timed, when the shop's metrics are on.
    metrics: Option<Arc<Metrics>>,
}

impl StripeClient {
    pub fn new(api_base: &str, key: SecretKey) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Self {
            http,
            api_base: api_base.trim_end_matches('/').to_owned(),
            key,
            attempts: 3,
            backoff: Duration::from_millis(200),
            metrics: None,
        }
    }

    /// The same client with a different per-request timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.http = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        self
    }

    /// The same client, counting and timing its requests in `metrics`.
    pub fn observed_by(mut self, metrics: Arc<Metrics>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// `POST /v1/payment_intents`.
    pub async fn create_payment_intent(
        &self,
        params: &CreatePaymentIntent,
        key: &IdempotencyKey,
    ) -> Result<PaymentIntent, StripeFailure> {
        self.post(
            "create_payment_intent",
            "/v1/payment_intents",
            &params.form(),
            key,
        )
        .await
    }

    /// `POST /v1/payment_intents/{id}` with a new amount.
    pub async fn update_amount(
        &self,
        id: &str,
        amount: i64,
        key: &IdempotencyKey,
    ) -> Result<PaymentIntent, StripeFailure> {
        self.post(
            "update_payment_intent",
            &format!("/v1/payment_intents/{}", path_segment(id)),
            &[(UPDATE_PARAMETERS[0], amount.to_string())],
            key,
        )
        .await
    }

    /// `POST /v1/payment_intents/{id}/cancel`.
    pub async fn cancel_payment_intent(
        &self,
        id: &str,
        key: &IdempotencyKey,
    ) -> Result<PaymentIntent, StripeFailure> {
        self.post(
            "cancel_payment_intent",
            &format!("/v1/payment_intents/{}/cancel", path_segment(id)),
            &[(CANCEL_PARAMETERS[0], "abandoned".to_string())],
            key,
        )
        .await
    }

    /// `GET /v1/payment_intents/{id}`: the truth, for webhooks and the reconciler.
    pub async fn retrieve_payment_intent(&self, id: &str) -> Result<PaymentIntent, StripeFailure> {
        let url = format!("{}/v1/payment_intents/{}", self.api_base, path_segment(id));
        self.send("retrieve_payment_intent", || self.http.get(&url))
            .await
    }

    /// `POST /v1/refunds`.
    pub async fn create_refund(
        &self,
        params: &CreateRefund,
        key: &IdempotencyKey,
    ) -> Result<Refund, StripeFailure> {
        self.post("create_refund", "/v1/refunds", &params.form(), key)
            .await
    }

    /// Every refund of `payment_intent` (`GET /v1/refunds`, all pages), newest first.
    pub async fn list_refunds(&self, payment_intent: &str) -> Result<Vec<Refund>, StripeFailure> {
        self.list_all("list_refunds", "/v1/refunds", payment_intent)
            .await
    }

    /// Every dispute of `payment_intent` (`GET /v1/disputes`, all pages).
    pub async fn list_disputes(&self, payment_intent: &str) -> Result<Vec<Dispute>, StripeFailure> {
        self.list_all("list_disputes", "/v1/disputes", payment_intent)
            .await
    }

    /// All pages of a list filtered by `payment_intent`. A PaymentIntent has a handful
    /// of refunds at most; the page bound only stops a runaway answer.
    async fn list_all<T: DeserializeOwned + HasId>(
        &self,
        operation: &'static str,
        path: &str,
        payment_intent: &str,
    ) -> Result<Vec<T>, StripeFailure> {
        const MAX_PAGES: usize = 20;
        let url = format!("{}{path}", self.api_base);
        let mut all: Vec<T> = Vec::new();
        for _ in 0..MAX_PAGES {
            let mut query = vec![
                ("payment_intent", path_segment(payment_intent)),
                ("limit", "100".to_owned()),
            ];
            if let Some(last) = all.last() {
                query.push(("starting_after", path_segment(last.id())));
            }
            let page: List<T> = self
                .send(operation, || self.http.get(&url).query(&query))
                .await?;
            let more = page.has_more && !page.data.is_empty();
            all.extend(page.data);
            if !more {
                return Ok(all);
            }
        }
        Err(StripeFailure::Unreadable(format!(
            "more than {MAX_PAGES} pages of {path} for one PaymentIntent"
        )))
    }

    async fn post<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        path: &str,
        form: &[(&str, String)],
        key: &IdempotencyKey,
    ) -> Result<T, StripeFailure> {
        let url = format!("{}{path}", self.api_base);
        // Every retry carries the same key, so Stripe runs the operation at most once.
        self.send(operation, || {
            self.http
                .post(&url)
                .header("Idempotency-Key", &key.0)
                .form(form)
        })
        .await
    }

    /// [`StripeClient::attempt`], counted and timed as `operation`.
    async fn send<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        request: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<T, StripeFailure> {
        let started = std::time::Instant::now();
        let result = self.attempt(request).await;
        if let Some(metrics) = &self.metrics {
            let outcome = match &result {
                Ok(_) => "ok",
                Err(StripeFailure::Refused { .. }) => "refused",
                Err(StripeFailure::Unavailable(_)) => "unavailable",
                Err(StripeFailure::Unreadable(_)) => "unreadable",
            };
            metrics.stripe_call(operation, outcome, started.elapsed().as_secs_f64());
        }
        result
    }

    /// Retries network errors, 409 and answers marked `Stripe-Should-Retry: true`,
    /// and nothing else (DESIGN.md, "The payment flow").
    async fn attempt<T: DeserializeOwned>(
        &self,
        request: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<T, StripeFailure> {
        let mut last = String::new();
        for attempt in 0..self.attempts {
            if attempt > 0 {
                tokio::time::sleep(self.backoff * 2u32.pow(attempt - 1)).await;
            }
            let response = request()
                .header(header::AUTHORIZATION, format!("Bearer {}", self.key.0))
                .header("Stripe-Version", STRIPE_VERSION)
                .send()
                .await;
            let response = match response {
                Ok(response) => response,
                Err(error) => {
                    last = format!("network error: {error}");
                    continue;
                }
            };
            let status = response.status();
            let should_retry = response
                .headers()
                .get("stripe-should-retry")
                .and_then(|v| v.to_str().ok())
                == Some("true");
            let body = response
                .bytes()
                .await
                .map_err(|e| StripeFailure::Unavailable(e.to_string()))?;
            if status.is_success() {
                return serde_json::from_slice(&body)
                    .map_err(|e| StripeFailure::Unreadable(e.to_string()));
            }
            if status == StatusCode::CONFLICT || should_retry {
                last = format!("status {status}");
                continue;
            }
            return match serde_json::from_slice::<ErrorEnvelope>(&body) {
                Ok(envelope) => Err(StripeFailure::Refused {
                    status: status.as_u16(),
                    error: envelope.error,
                }),
                Err(_) => Err(StripeFailure::Unavailable(format!(
                    "status {status} without an error object"
                ))),
            };
        }
        Err(StripeFailure::Unavailable(last))
    }
}

/// Objects a list pages through by id.
trait HasId {
    fn id(&self) -> &str;
}

impl HasId for Refund {
    fn id(&self) -> &str {
        &self.id
    }
}

impl HasId for Dispute {
    fn id(&self) -> &str {
        &self.id
    }
}

/// Ids go into paths; anything but Stripe's alphabet is refused before it gets there.
fn path_segment(id: &str) -> String {
    id.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_stripe_being_down_or_busy_is_an_outage() {
        let refused = |status: u16| StripeFailure::Refused {
            status,
            error: serde_json::from_str(r#"{"type": "api_error"}"#).unwrap(),
        };
        assert!(StripeFailure::Unavailable("connection refused".into()).is_outage());
        assert!(refused(500).is_outage());
        assert!(refused(503).is_outage());
        assert!(refused(429).is_outage());
        assert!(!refused(400).is_outage());
        assert!(!refused(401).is_outage());
        assert!(!refused(404).is_outage());
        assert!(!StripeFailure::Unreadable("unknown variant `frozen`".into()).is_outage());
    }

    #[test]
    fn secrets_never_print() {
        let key = SecretKey::new("sk_test_51Hsecretsecret");
        assert_eq!(format!("{key:?}"), "SecretKey(sk_test_…)");
        assert!(IdempotencyKey::new("k".repeat(256)).is_none());
        assert!(IdempotencyKey::new("").is_none());
        assert_eq!(path_segment("pi_123/../x"), "pi_123x");
    }

    #[test]
    fn derived_keys_differ_by_every_part_and_repeat_for_the_same_state() {
        let base = ["create", "ord_1", "0", "3", "3800", "usd"];
        let key = IdempotencyKey::derive(&base);
        assert_eq!(key, IdempotencyKey::derive(&base));
        assert!(key.0.len() <= 255);
        for index in 0..base.len() {
            let mut other = base;
            other[index] = "x";
            assert_ne!(key, IdempotencyKey::derive(&other), "part {index}");
        }
    }
}
