//! Structured logs: one line per request, never with its query string.

use super::Config;
use axum::{extract::Request, middleware::Next, response::Response};
use std::time::Instant;
use tracing::Instrument;
use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::{fmt, EnvFilter};

/// Installs the global subscriber, writing through a background thread so a request
/// never waits on the terminal or a pipe. Keep the guard until exit: dropping it
/// flushes the lines still queued. `None` when a subscriber is already installed
/// (tests call this more than once).
#[must_use = "dropping the guard stops the log writer"]
pub fn init(config: &Config) -> Option<WorkerGuard> {
    let filter = EnvFilter::try_new(&config.log_filter).unwrap_or_else(|_| EnvFilter::new("info"));
    // Not lossy: under a flood a full queue slows the request down rather than
    // dropping the lines that would explain the flood.
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(false)
        .finish(std::io::stderr());
    let builder = fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(writer);
    let installed = if config.log_json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.compact().try_init()
    };
    installed.ok().map(|()| guard)
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
