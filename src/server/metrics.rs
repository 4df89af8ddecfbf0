//! `GET /metrics` in Prometheus text format, served on its own address
//! (`METRICS_ADDR`, off by default) and never on the shoppers' port.
//!
//! Each running shop has its own registry (tests run several shops in one process).
//! Counters and durations are this instance's; the queues (inbox pending, its oldest
//! pending age, parked, outbox pending) are read from the database at each scrape, so
//! every instance reports the same figures for the work they share.

use super::{shopper::now, store::Store};
use axum::{extract::State, http::header, response::IntoResponse, routing::get, Router};
use prometheus_client::{
    encoding::{text::encode, EncodeLabelSet},
    metrics::{
        counter::Counter,
        family::Family,
        gauge::Gauge,
        histogram::{exponential_buckets, Histogram},
    },
    registry::Registry,
};
use std::sync::Arc;

/// Webhook deliveries by what the route answered.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Outcome {
    pub outcome: &'static str,
}

/// Stripe API requests by operation and outcome.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StripeCall {
    pub operation: &'static str,
    pub outcome: &'static str,
}

/// Stripe API durations by operation.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Operation {
    pub operation: &'static str,
}

/// An order's move from one status to another.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Move {
    pub from: &'static str,
    pub to: &'static str,
}

/// A rate limit, by what it limits.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Limit {
    pub limit: &'static str,
}

/// Every metric of one running shop.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    pub webhook_deliveries: Family<Outcome, Counter>,
    /// From the event's creation at Stripe to its verified storage here, in seconds.
    pub delivery_lag: Histogram,
    /// From storage to being applied (or skipped) by the worker, in seconds.
    pub apply_lag: Histogram,
    /// Orders the reconciler moved: a webhook that never came, healed.
    pub reconciler_heals: Counter,
    pub stripe_requests: Family<StripeCall, Counter>,
    pub stripe_seconds: Family<Operation, Histogram, fn() -> Histogram>,
    pub order_transitions: Family<Move, Counter>,
    pub rate_limit_refusals: Family<Limit, Counter>,
    pub mail_failures: Counter,
    inbox_pending: Gauge,
    inbox_oldest_pending_seconds: Gauge,
    inbox_parked: Gauge,
    outbox_pending: Gauge,
}

fn seconds() -> Histogram {
    // 1 ms to about 33 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

impl Default for Metrics {
    fn default() -> Self {
        let mut metrics = Metrics {
            registry: Registry::with_prefix("storefront"),
            webhook_deliveries: Family::default(),
            delivery_lag: Histogram::new(exponential_buckets(0.01, 2.0, 16)),
            apply_lag: seconds(),
            reconciler_heals: Counter::default(),
            stripe_requests: Family::default(),
            stripe_seconds: Family::new_with_constructor(seconds),
            order_transitions: Family::default(),
            rate_limit_refusals: Family::default(),
            mail_failures: Counter::default(),
            inbox_pending: Gauge::default(),
            inbox_oldest_pending_seconds: Gauge::default(),
            inbox_parked: Gauge::default(),
            outbox_pending: Gauge::default(),
        };
        let m = &mut metrics;
        let r = &mut m.registry;
        r.register(
            "webhook_deliveries",
            "Webhook deliveries by outcome",
            m.webhook_deliveries.clone(),
        );
        r.register(
            "webhook_delivery_lag_seconds",
            "From an event's creation at Stripe to its storage here",
            m.delivery_lag.clone(),
        );
        r.register(
            "webhook_apply_lag_seconds",
            "From an event's storage to the worker applying it",
            m.apply_lag.clone(),
        );
        r.register(
            "reconciler_heals",
            "Orders the reconciler moved (a webhook that never came)",
            m.reconciler_heals.clone(),
        );
        r.register(
            "stripe_requests",
            "Stripe API requests by operation and outcome",
            m.stripe_requests.clone(),
        );
        r.register(
            "stripe_request_seconds",
            "Stripe API request durations, retries included",
            m.stripe_seconds.clone(),
        );
        r.register(
            "order_transitions",
            "Orders moved from one status to another",
            m.order_transitions.clone(),
        );
        r.register(
            "rate_limit_refusals",
            "Requests a rate limit refused",
            m.rate_limit_refusals.clone(),
        );
        r.register(
            "mail_failures",
            "Emails that failed to send (retried later)",
            m.mail_failures.clone(),
        );
        r.register(
            "inbox_pending",
            "Inbox events waiting to be applied (all instances)",
            m.inbox_pending.clone(),
        );
        r.register(
            "inbox_oldest_pending_seconds",
            "Age of the oldest pending inbox event (all instances)",
            m.inbox_oldest_pending_seconds.clone(),
        );
        r.register(
            "inbox_parked",
            "Inbox events parked for a person (all instances)",
            m.inbox_parked.clone(),
        );
        r.register(
            "outbox_pending",
            "Emails not sent yet (all instances)",
            m.outbox_pending.clone(),
        );
        metrics
    }
}

impl Metrics {
    /// Counts a webhook delivery answered with `outcome`.
    pub fn delivery(&self, outcome: &'static str) {
        self.webhook_deliveries
            .get_or_create(&Outcome { outcome })
            .inc();
    }

    /// Counts a Stripe request that took `seconds`.
    pub fn stripe_call(&self, operation: &'static str, outcome: &'static str, seconds: f64) {
        self.stripe_requests
            .get_or_create(&StripeCall { operation, outcome })
            .inc();
        self.stripe_seconds
            .get_or_create(&Operation { operation })
            .observe(seconds);
    }

    /// Counts an order's move.
    pub fn moved(&self, from: &'static str, to: &'static str) {
        self.order_transitions
            .get_or_create(&Move { from, to })
            .inc();
    }

    /// Counts a refusal by the limit named `limit`.
    pub fn refused(&self, limit: &'static str) {
        self.rate_limit_refusals
            .get_or_create(&Limit { limit })
            .inc();
    }

    /// The text a scrape gets: the queues read from `store` first.
    pub async fn render(&self, store: &Store) -> Result<String, std::fmt::Error> {
        match store.queues(now()).await {
            Ok(queues) => {
                self.inbox_pending.set(queues.inbox_pending);
                self.inbox_oldest_pending_seconds
                    .set(queues.inbox_oldest_pending_secs);
                self.inbox_parked.set(queues.inbox_parked);
                self.outbox_pending.set(queues.outbox_pending);
            }
            // The last figures stay; the failure is in the shop's log.
            Err(error) => tracing::warn!(%error, "could not read the queues for /metrics"),
        }
        let mut text = String::new();
        encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

/// The metrics server's routes: `GET /metrics` only.
pub fn router(metrics: Arc<Metrics>, store: Store) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .with_state((metrics, store))
}

async fn scrape(State((metrics, store)): State<(Arc<Metrics>, Store)>) -> impl IntoResponse {
    match metrics.render(&store).await {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(_) => axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}
