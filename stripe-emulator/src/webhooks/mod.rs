//! Webhook delivery (contract b.10): asynchronous, signed, retried on the emulator
//! clock, at least once and in no particular order.
//!
//! A worker wakes every few milliseconds, claims the deliveries that are due, sends
//! each with a `Stripe-Signature` made for that attempt (`t` is the wall clock, so a
//! late retry still verifies within a receiver's tolerance), and records the result.
//! Deliveries are part of the journalled state, so pending ones survive a restart.

pub mod signature;

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::api::to_pretty;
use crate::clock::wall_now;
use crate::emulator::Emulator;
use crate::store::Delivery;

/// When attempts are made, in seconds after the event, on the emulator clock.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RetrySchedule {
    /// +0, +1 h, +3 h, +9 h: a test-mode-like spread over hours.
    #[default]
    Realistic,
    /// +0, +1 s, +5 s, +30 s: for CI.
    Fast,
}

impl RetrySchedule {
    pub fn offsets(self) -> &'static [i64] {
        match self {
            RetrySchedule::Realistic => &[0, 3_600, 10_800, 32_400],
            RetrySchedule::Fast => &[0, 1, 5, 30],
        }
    }
}

/// Webhook faults from the control API; they stay on until changed or reset.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct WebhookFaults {
    /// Count every attempt as answered with this status, without sending it.
    pub status: Option<u16>,
    /// Skip the first attempt of every delivery (it counts as failed), so the retry delivers.
    pub drop: bool,
    /// Send every attempt twice.
    pub duplicate: bool,
    /// Hold deliveries until `POST /_emulator/webhooks/flush`, then send them newest first.
    pub reorder: bool,
    /// Wait this long before each attempt.
    pub delay_ms: u64,
    /// Send compact JSON instead of Stripe's pretty-printed bodies.
    pub compact: bool,
}

/// One attempt, as `GET /_emulator/deliveries` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct AttemptRecord {
    pub event_id: String,
    pub event_type: String,
    pub endpoint: String,
    pub endpoint_id: String,
    pub attempt: u32,
    /// The signature's timestamp (wall clock).
    pub t: i64,
    /// The HTTP status, or `timeout`, `connection_error`, `dropped`, `injected_<status>`.
    pub status: Value,
    pub latency_ms: u64,
    /// Emulator-clock time of the next attempt; `null` when delivered or given up.
    pub next_retry_at: Option<i64>,
}

struct Outgoing {
    delivery: Delivery,
    event_type: String,
    event_created: i64,
    url: String,
    secrets: Vec<String>,
    body: Vec<u8>,
}

/// Starts an attempt for every delivery that is due now, without waiting for them;
/// returns how many were started.
///
/// With the `reorder` fault only a flush sends (see [`flush`]): deliveries pile up
/// until then and go out newest first, one after another.
pub fn deliver_due(emulator: &Emulator) -> usize {
    let faults = emulator.webhook_faults();
    let batch = claim_due(emulator, &faults);
    let count = batch.len();
    for outgoing in batch {
        // Each attempt on its own: a slow receiver holds up nobody else.
        let emulator = emulator.clone();
        let faults = faults.clone();
        tokio::spawn(async move {
            let result = attempt(&emulator, &outgoing, &faults).await;
            record(&emulator, outgoing, result);
        });
    }
    count
}

/// Sends everything due now and waits until those attempts have finished (bounded by
/// the receiver timeout and any injected delay); returns how many were made.
pub async fn flush(emulator: &Emulator) -> usize {
    let faults = emulator.webhook_faults();
    let mut attempted = 0;
    if faults.reorder {
        let mut batch = claim_due(emulator, &faults);
        batch.reverse();
        attempted += batch.len();
        // Newest first, one after another, so the receiver sees them out of order.
        for outgoing in batch {
            let result = attempt(emulator, &outgoing, &faults).await;
            record(emulator, outgoing, result);
        }
    } else {
        attempted += deliver_due(emulator);
    }
    let timeout = emulator
        .options()
        .webhook_timeout
        .unwrap_or(Duration::from_secs(10));
    let deadline = tokio::time::Instant::now()
        + timeout * 2
        + Duration::from_millis(faults.delay_ms * 2 + 1_000);
    while tokio::time::Instant::now() < deadline && emulator.with_store(|s| !s.sending.is_empty()) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    attempted
}

/// Runs until `stop` fires: the delivery worker, which also makes what comes due on
/// the emulator clock happen (refund outcomes, dispute decisions), so their events go out
/// without waiting for an API call.
pub async fn run(emulator: Emulator, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        emulator.with_store(|store| {
            if crate::due::settle(store) > 0 {
                if let Err(error) = store.commit() {
                    tracing::error!(%error, "could not write the emulator's journal");
                }
            }
        });
        if !emulator.webhook_faults().reorder {
            deliver_due(&emulator);
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(50)) => {}
            _ = stop.changed() => return,
        }
    }
}

fn claim_due(emulator: &Emulator, faults: &WebhookFaults) -> Vec<Outgoing> {
    emulator.with_store(|store| {
        let now = store.clock.now();
        let due: Vec<String> = store
            .deliveries
            .values()
            .filter(|d| {
                d.next_attempt_at.is_some_and(|at| at <= now) && !store.sending.contains(&d.id)
            })
            .map(|d| d.id.clone())
            .collect();
        let mut batch = Vec::new();
        for id in due {
            let mut delivery = store.deliveries[&id].clone();
            let endpoint = store
                .webhook_endpoints
                .get(&delivery.endpoint_id)
                .filter(|w| !w.disabled)
                .cloned();
            let event = store.events.get(&delivery.event_id).cloned();
            let (Some(endpoint), Some(event)) = (endpoint, event) else {
                // A deleted or disabled endpoint gets no more attempts.
                delivery.next_attempt_at = None;
                store.put_delivery(delivery);
                continue;
            };
            let rendered = store.render_event(&event);
            let body = if faults.compact {
                serde_json::to_string(&rendered).unwrap_or_default()
            } else {
                to_pretty(&rendered)
            };
            store.sending.insert(id);
            batch.push(Outgoing {
                delivery,
                event_type: event.kind.clone(),
                event_created: event.created,
                url: endpoint.url,
                secrets: endpoint.secrets,
                body: body.into_bytes(),
            });
        }
        if let Err(error) = store.commit() {
            tracing::error!(%error, "could not write the emulator's journal");
        }
        batch
    })
}

enum AttemptResult {
    Status(u16),
    Failed(&'static str),
    Injected(u16),
}

async fn attempt(
    emulator: &Emulator,
    outgoing: &Outgoing,
    faults: &WebhookFaults,
) -> (AttemptResult, i64, u64) {
    if faults.delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(faults.delay_ms)).await;
    }
    let t = wall_now();
    if faults.drop && outgoing.delivery.attempts == 0 {
        return (AttemptResult::Failed("dropped"), t, 0);
    }
    if let Some(status) = faults.status {
        return (AttemptResult::Injected(status), t, 0);
    }
    let started = Instant::now();
    let result = send(emulator, outgoing, t).await;
    let latency = started.elapsed().as_millis() as u64;
    if faults.duplicate {
        // At least once means sometimes twice: the copy is signed afresh.
        let _ = send(emulator, outgoing, wall_now()).await;
    }
    (result, t, latency)
}

async fn send(emulator: &Emulator, outgoing: &Outgoing, t: i64) -> AttemptResult {
    let signature = signature::header(
        &outgoing.secrets,
        emulator.decoy_secret(),
        t,
        &outgoing.body,
    );
    let request = emulator
        .webhook_client()
        .post(&outgoing.url)
        .header("Content-Type", "application/json; charset=utf-8")
        .header(
            "User-Agent",
            "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        )
        .header("Stripe-Signature", signature)
        .body(outgoing.body.clone());
    match request.send().await {
        Ok(response) => AttemptResult::Status(response.status().as_u16()),
        Err(error) if error.is_timeout() => AttemptResult::Failed("timeout"),
        Err(_) => AttemptResult::Failed("connection_error"),
    }
}

fn record(
    emulator: &Emulator,
    outgoing: Outgoing,
    (result, t, latency_ms): (AttemptResult, i64, u64),
) {
    let schedule = emulator.options().webhook_retries.offsets();
    let succeeded = matches!(result, AttemptResult::Status(200..=299));
    let status = match result {
        AttemptResult::Status(code) => Value::from(code),
        AttemptResult::Failed(reason) => Value::from(reason),
        AttemptResult::Injected(code) => Value::from(format!("injected_{code}")),
    };
    let entry = emulator.with_store(|store| {
        let id = outgoing.delivery.id.clone();
        store.sending.remove(&id);
        // The delivery may have been stopped (endpoint deleted) while this attempt ran.
        let mut delivery = store.deliveries.get(&id).cloned()?;
        delivery.attempts += 1;
        let now = store.clock.now();
        if succeeded {
            delivery.succeeded = true;
            delivery.next_attempt_at = None;
        } else if delivery.next_attempt_at.is_some() {
            delivery.next_attempt_at = schedule
                .get(delivery.attempts as usize)
                .map(|offset| (outgoing.event_created + offset).max(now));
        }
        if succeeded {
            if let Some(mut event) = store.events.get(&delivery.event_id).cloned() {
                event.pending_webhooks = (event.pending_webhooks - 1).max(0);
                store.put_event(event);
            }
        }
        let entry = AttemptRecord {
            event_id: delivery.event_id.clone(),
            event_type: outgoing.event_type.clone(),
            endpoint: outgoing.url.clone(),
            endpoint_id: delivery.endpoint_id.clone(),
            attempt: delivery.attempts,
            t,
            status: status.clone(),
            latency_ms,
            next_retry_at: delivery.next_attempt_at,
        };
        store.put_delivery(delivery);
        if let Err(error) = store.commit() {
            tracing::error!(%error, "could not write the emulator's journal");
        }
        Some(entry)
    });
    if let Some(entry) = entry {
        tracing::info!(event = %entry.event_id, kind = %entry.event_type, endpoint = %entry.endpoint, attempt = entry.attempt, status = %entry.status, "webhook delivery");
        emulator.log_attempt(entry);
    }
}
