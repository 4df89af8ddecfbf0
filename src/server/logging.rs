//! Structured logs: one line per request, never with its query string.

use super::Config;
use axum::{extract::Request, middleware::Next, response::Response};
use std::time::Instant;
use tracing::Instrument;
use tracing_subscriber::{fmt, EnvFilter};

/// Installs the global subscriber. Safe to call more than once (tests do).
pub fn init(config: &Config) {
    let filter = EnvFilter::try_new(&config.log_filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = fmt().with_env_filter(filter).with_target(false);
    // An error means a subscriber is already installed, which is fine.
    let _ = if config.log_json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.compact().try_init()
    };
}

/// Logs one line per request when its response is ready. Only the path is recorded:
/// query strings can carry client secrets and error details and must never be logged.
pub async fn log_request(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let span = tracing::info_span!(
        "request",
        method = %request.method(),
        path = request.uri().path(),
    );
    let response = next.run(request).instrument(span.clone()).await;
    span.in_scope(|| {
        tracing::info!(
            status = response.status().as_u16(),
            latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
            "served"
        );
    });
    response
}
