//! Contract b.10: signed deliveries, retries on the emulator clock, and the fault switches.
//! The receiver here checks signatures with its own HMAC, written from the algorithm.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use stripe_emulator::{Options, RetrySchedule};

use crate::helpers::*;

/// One POST the receiver got.
#[derive(Clone, Debug)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Bytes,
    pub at: i64,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    pub fn signature(&self) -> &str {
        self.headers["stripe-signature"].to_str().unwrap()
    }
}

/// A webhook receiver that records every request and answers from a script (then 200).
#[derive(Clone, Default)]
pub struct Receiver {
    pub got: Arc<Mutex<Vec<Received>>>,
    pub answers: Arc<Mutex<VecDeque<u16>>>,
    /// How long each answer takes.
    pub delay: Arc<Mutex<Duration>>,
}

impl Receiver {
    pub async fn start(answers: &[u16]) -> (Receiver, String) {
        Receiver::start_on(0, answers).await
    }

    pub async fn start_on(port: u16, answers: &[u16]) -> (Receiver, String) {
        let receiver = Receiver {
            got: Arc::default(),
            answers: Arc::new(Mutex::new(answers.iter().copied().collect())),
            delay: Arc::default(),
        };
        let app = axum::Router::new()
            .route("/webhooks/stripe", post(receive))
            .with_state(receiver.clone());
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port)))
            .await
            .unwrap();
        let url = format!("http://{}/webhooks/stripe", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (receiver, url)
    }

    pub fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    pub fn event_ids(&self) -> Vec<String> {
        self.received()
            .iter()
            .map(|r| r.json()["id"].as_str().unwrap().to_string())
            .collect()
    }
}

async fn receive(State(receiver): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    receiver
        .got
        .lock()
        .unwrap()
        .push(Received { headers, body, at });
    let status = receiver.answers.lock().unwrap().pop_front().unwrap_or(200);
    let delay = *receiver.delay.lock().unwrap();
    tokio::time::sleep(delay).await;
    StatusCode::from_u16(status).unwrap()
}

/// HMAC-SHA256 (RFC 2104) over SHA-256, independent of the emulator's signing code.
fn hmac_sha256(key: &[u8], message: &[u8]) -> String {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let inner: Vec<u8> = block
        .iter()
        .map(|b| b ^ 0x36)
        .chain(message.iter().copied())
        .collect();
    let inner_hash = Sha256::digest(&inner);
    let outer: Vec<u8> = block
        .iter()
        .map(|b| b ^ 0x5c)
        .chain(inner_hash.iter().copied())
        .collect();
    Sha256::digest(&outer)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Stripe's verification: any `v1` matching the secret, `t` within `tolerance` of `now`.
pub fn verifies(header: &str, body: &[u8], secret: &str, now: i64, tolerance: i64) -> bool {
    let mut t = None;
    let mut v1 = Vec::new();
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", value)) => t = value.parse::<i64>().ok(),
            Some(("v1", value)) => v1.push(value),
            _ => {}
        }
    }
    let Some(t) = t else { return false };
    let mut message = format!("{t}.").into_bytes();
    message.extend_from_slice(body);
    let expected = hmac_sha256(secret.as_bytes(), &message);
    (now - t).abs() <= tolerance
        && v1.iter().any(|candidate| {
            candidate.len() == expected.len()
                && candidate.bytes().zip(expected.bytes()).all(|(a, b)| a == b)
        })
}

#[test]
fn the_test_verifier_agrees_with_the_contracts_fixed_vector() {
    let body = br#"{"id":"evt_test_webhook","object":"event"}"#;
    let header = "t=1700000000,v1=d95c6b7477fbd7e9f90b1b0ef5f9c7ac25abca5382460e0d988c2b2a5b71b990";
    assert!(verifies(
        header,
        body,
        "whsec_test_secret",
        1_700_000_100,
        300
    ));
    assert!(!verifies(header, body, "whsec_other", 1_700_000_100, 300));
    assert!(
        !verifies(header, body, "whsec_test_secret", 1_700_000_301, 300),
        "outside the tolerance"
    );
    assert!(
        !verifies(header, b"{}", "whsec_test_secret", 1_700_000_000, 300),
        "another body"
    );
}

async fn emulator_for(url: &str, retries: RetrySchedule) -> TestEmulator {
    spawn_with(Options {
        control_api: true,
        webhook_urls: vec![url.to_string()],
        webhook_retries: retries,
        ..Options::default()
    })
    .await
}

/// Waits (on the wall clock, briefly) until the receiver has `n` requests.
pub async fn wait_for(receiver: &Receiver, n: usize) -> Vec<Received> {
    for _ in 0..200 {
        let got = receiver.received();
        if got.len() >= n {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("expected {n} deliveries, got {}", receiver.received().len());
}

async fn deliveries(emu: &TestEmulator) -> Vec<Value> {
    emu.send(emu.http.get(emu.url("/_emulator/deliveries")))
        .await
        .json["data"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn deliveries_are_signed_bytes_of_the_event() {
    let (receiver, url) = Receiver::start(&[]).await;
    let emu = emulator_for(&url, RetrySchedule::Fast).await;
    let pi = emu.payment_intent().await;
    let got = wait_for(&receiver, 1).await;
    let delivery = &got[0];
    assert_eq!(
        delivery.headers["content-type"],
        "application/json; charset=utf-8"
    );
    assert_eq!(
        delivery.headers["user-agent"],
        "Stripe/1.0 (+https://stripe.com/docs/webhooks)"
    );
    let event = delivery.json();
    assert_eq!(event["type"], "payment_intent.created");
    assert_eq!(event["data"]["object"]["id"], pi["id"]);
    let secret = &emu.keys().webhook_secret;
    assert!(
        verifies(
            delivery.signature(),
            &delivery.body,
            secret,
            delivery.at,
            300
        ),
        "{}",
        delivery.signature()
    );
    assert!(
        delivery.signature().contains(",v0="),
        "test mode also sends a v0 element"
    );
    // The same bytes as the API renders, but for pending_webhooks.
    let api = emu
        .get(&format!("/v1/events/{}", event["id"].as_str().unwrap()))
        .await
        .text;
    let normalise = |text: &str| text.replace("\"pending_webhooks\": 1", "\"pending_webhooks\": 0");
    assert_eq!(
        normalise(std::str::from_utf8(&delivery.body).unwrap()),
        normalise(&api)
    );
    assert!(
        std::str::from_utf8(&delivery.body)
            .unwrap()
            .starts_with("{\n  \"api_version\""),
        "pretty-printed as the API"
    );
    // Once delivered, nothing is pending.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        emu.get(&format!("/v1/events/{}", event["id"].as_str().unwrap()))
            .await
            .json["pending_webhooks"],
        0
    );
}

#[tokio::test]
async fn every_active_secret_signs_and_v0_is_nobodys() {
    let (receiver, url) = Receiver::start(&[]).await;
    let emu = spawn_with(Options {
        control_api: true,
        webhook_urls: vec![url],
        extra_webhook_secrets: vec!["whsec_rolled0000000000000000000000000".into()],
        ..Options::default()
    })
    .await;
    emu.payment_intent().await;
    let delivery = wait_for(&receiver, 1).await.remove(0);
    let header = delivery.signature();
    assert_eq!(header.matches("v1=").count(), 2);
    for secret in [
        emu.keys().webhook_secret.as_str(),
        "whsec_rolled0000000000000000000000000",
    ] {
        assert!(
            verifies(header, &delivery.body, secret, delivery.at, 300),
            "{secret}"
        );
    }
    let v0_only = header
        .split(',')
        .filter(|p| p.starts_with("t=") || p.starts_with("v0="))
        .map(|p| p.replacen("v0=", "v1=", 1))
        .collect::<Vec<_>>()
        .join(",");
    assert!(!verifies(
        &v0_only,
        &delivery.body,
        &emu.keys().webhook_secret,
        delivery.at,
        300
    ));
}

#[tokio::test]
async fn failures_are_retried_with_fresh_signatures_until_a_2xx() {
    let (receiver, url) = Receiver::start(&[500, 500, 200]).await;
    let emu = emulator_for(&url, RetrySchedule::Fast).await;
    // The emulator clock an hour behind the wall clock: a `t` taken from the event's
    // `created` would fail every receiver's 300 s tolerance.
    let wall = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    emu.control("/_emulator/clock", json!({"now": wall - 3600}))
        .await;
    emu.payment_intent().await;
    wait_for(&receiver, 1).await;
    for _ in 0..2 {
        emu.control("/_emulator/clock", json!({"advance_seconds": 10}))
            .await;
        emu.control("/_emulator/webhooks/flush", json!({})).await;
    }
    emu.control("/_emulator/clock", json!({"advance_seconds": 60}))
        .await;
    emu.control("/_emulator/webhooks/flush", json!({})).await;
    let got = receiver.received();
    assert_eq!(got.len(), 3, "three attempts and nothing after the 2xx");
    let ts: Vec<i64> = got
        .iter()
        .map(|r| {
            r.signature().split(',').next().unwrap()[2..]
                .parse()
                .unwrap()
        })
        .collect();
    for r in &got {
        assert!(verifies(
            r.signature(),
            &r.body,
            &emu.keys().webhook_secret,
            r.at,
            300
        ));
        assert_eq!(r.json()["id"], got[0].json()["id"]);
    }
    assert!(ts.windows(2).all(|w| w[0] <= w[1]), "{ts:?}");
    let created = got[0].json()["created"].as_i64().unwrap();
    assert!(
        ts.iter().all(|t| t - created > 3000),
        "t is the wall clock, not the event's created: {ts:?} vs {created}"
    );
    let log = deliveries(&emu).await;
    let statuses: Vec<Value> = log.iter().map(|d| d["status"].clone()).collect();
    assert_eq!(statuses, [json!(500), json!(500), json!(200)]);
    assert_eq!(log[2]["next_retry_at"], Value::Null);
    assert!(log[0]["next_retry_at"].as_i64().is_some());
}

#[tokio::test]
async fn retries_after_a_clock_jump_still_verify() {
    let (receiver, url) = Receiver::start(&[503]).await;
    let emu = emulator_for(&url, RetrySchedule::Realistic).await;
    emu.payment_intent().await;
    wait_for(&receiver, 1).await;
    emu.control("/_emulator/clock", json!({"advance_seconds": 30 * 60}))
        .await;
    emu.control("/_emulator/webhooks/flush", json!({})).await;
    assert_eq!(
        receiver.received().len(),
        1,
        "the next attempt is an hour after the first"
    );
    emu.control("/_emulator/clock", json!({"advance_seconds": 24 * 3600}))
        .await;
    emu.control("/_emulator/webhooks/flush", json!({})).await;
    let got = receiver.received();
    assert_eq!(got.len(), 2);
    // `t` is the wall clock of the attempt, not the emulator clock a day ahead.
    assert!(verifies(
        got[1].signature(),
        &got[1].body,
        &emu.keys().webhook_secret,
        got[1].at,
        300
    ));
}

#[tokio::test]
async fn a_dead_receiver_gets_the_whole_schedule_then_the_event_is_undelivered() {
    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/webhooks/stripe", listener.local_addr().unwrap())
    };
    let emu = emulator_for(&dead, RetrySchedule::Fast).await;
    let pi = id(&emu.payment_intent().await);
    for _ in 0..6 {
        emu.control("/_emulator/clock", json!({"advance_seconds": 40}))
            .await;
        emu.control("/_emulator/webhooks/flush", json!({})).await;
    }
    let log = deliveries(&emu).await;
    assert_eq!(
        log.len(),
        4,
        "+0, +1 s, +5 s, +30 s and then no more: {log:?}"
    );
    assert!(log.iter().all(|d| d["status"] == "connection_error"));
    let undelivered = emu.get("/v1/events?delivery_success=false").await.json;
    assert_eq!(undelivered["data"][0]["data"]["object"]["id"], pi.as_str());
    assert_eq!(undelivered["data"][0]["pending_webhooks"], 1);
    assert_eq!(
        emu.get("/v1/events?delivery_success=true").await.json["data"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

#[tokio::test]
async fn deleting_or_disabling_an_endpoint_stops_its_retries() {
    let (receiver, url) = Receiver::start(&[500, 500, 500, 500]).await;
    let emu = spawn().await;
    let endpoint = emu
        .post(
            "/v1/webhook_endpoints",
            &[
                ("url", &url),
                ("enabled_events[]", "payment_intent.created"),
            ],
        )
        .await
        .json;
    emu.payment_intent().await;
    wait_for(&receiver, 1).await;
    emu.post(
        &format!("/v1/webhook_endpoints/{}", id(&endpoint)),
        &[("disabled", "true")],
    )
    .await;
    emu.control("/_emulator/clock", json!({"advance_seconds": 48 * 3600}))
        .await;
    emu.control("/_emulator/webhooks/flush", json!({})).await;
    assert_eq!(receiver.received().len(), 1);
    // Only the types it asked for: confirming emitted more, none of which went out.
    emu.post(
        &format!("/v1/webhook_endpoints/{}", id(&endpoint)),
        &[("disabled", "false")],
    )
    .await;
    emu.confirmed_with("pm_card_visa", &[]).await;
    let got = wait_for(&receiver, 2).await;
    assert!(got
        .iter()
        .all(|r| r.json()["type"] == "payment_intent.created"));
    emu.send(
        emu.http
            .delete(emu.url(&format!("/v1/webhook_endpoints/{}", id(&endpoint))))
            .bearer_auth(&emu.keys().secret_key),
    )
    .await;
    emu.control("/_emulator/clock", json!({"advance_seconds": 48 * 3600}))
        .await;
    emu.control("/_emulator/webhooks/flush", json!({})).await;
    assert_eq!(receiver.received().len(), 2);
}

/// A receiver keyed on `event.id` has seen every event the emulator made.
async fn assert_every_event_arrived(emu: &TestEmulator, receiver: &Receiver) {
    let made: Vec<String> = emu.get("/v1/events?limit=100").await.json["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    assert!(!made.is_empty());
    let mut seen = receiver.event_ids();
    for _ in 0..100 {
        if made.iter().all(|id| seen.contains(id)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
        seen = receiver.event_ids();
    }
    panic!(
        "events never delivered: {:?}",
        made.iter()
            .filter(|id| !seen.contains(id))
            .collect::<Vec<_>>()
    );
}

/// Every fault, and each event still reaches a receiver keyed on `event.id`.
#[tokio::test]
async fn fault_switches_do_what_they_say() {
    // duplicate: every attempt twice.
    let (receiver, url) = Receiver::start(&[]).await;
    let emu = emulator_for(&url, RetrySchedule::Fast).await;
    emu.control("/_emulator/faults", json!({"webhook": {"duplicate": true}}))
        .await;
    emu.payment_intent().await;
    let got = wait_for(&receiver, 2).await;
    assert_eq!(got[0].json()["id"], got[1].json()["id"]);
    assert_every_event_arrived(&emu, &receiver).await;

    // drop: the first attempt is lost, the retry (an hour later) delivers.
    let (receiver, url) = Receiver::start(&[]).await;
    let emu = emulator_for(&url, RetrySchedule::Realistic).await;
    emu.control("/_emulator/faults", json!({"webhook": {"drop": true}}))
        .await;
    let pi = id(&emu.payment_intent().await);
    emu.control("/_emulator/webhooks/flush", json!({})).await;
    assert!(receiver.received().is_empty());
    emu.control("/_emulator/clock", json!({"advance_seconds": 2 * 3600}))
        .await;
    emu.control("/_emulator/webhooks/flush", json!({})).await;
    assert_eq!(
        receiver.received()[0].json()["data"]["object"]["id"],
        pi.as_str()
    );
    assert_eq!(deliveries(&emu).await[0]["status"], "dropped");
    assert_every_event_arrived(&emu, &receiver).await;

    // compact: one-line JSON, still signed over the exact bytes.
    let (receiver, url) = Receiver::start(&[]).await;
    let emu = emulator_for(&url, RetrySchedule::Fast).await;
    emu.control("/_emulator/faults", json!({"webhook": {"compact": true}}))
        .await;
    emu.payment_intent().await;
    let got = wait_for(&receiver, 1).await;
    assert!(!got[0].body.contains(&b'\n'));
    assert!(verifies(
        got[0].signature(),
        &got[0].body,
        &emu.keys().webhook_secret,
        got[0].at,
        300
    ));
    assert_every_event_arrived(&emu, &receiver).await;

    // delay: attempts wait before going out.
    let (receiver, url) = Receiver::start(&[]).await;
    let emu = emulator_for(&url, RetrySchedule::Fast).await;
    emu.control("/_emulator/faults", json!({"webhook": {"delay_ms": 400}}))
        .await;
    emu.payment_intent().await;
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert!(receiver.received().is_empty(), "still delayed");
    wait_for(&receiver, 1).await;
    assert_every_event_arrived(&emu, &receiver).await;

    // status: attempts fail as if answered 503, without reaching the receiver.
    let (receiver, url) = Receiver::start(&[]).await;
    let emu = emulator_for(&url, RetrySchedule::Realistic).await;
    emu.control("/_emulator/faults", json!({"webhook": {"status": 503}}))
        .await;
    emu.payment_intent().await;
    emu.control("/_emulator/webhooks/flush", json!({})).await;
    assert!(receiver.received().is_empty());
    assert!(deliveries(&emu)
        .await
        .iter()
        .all(|d| d["status"] == "injected_503"));
    emu.control("/_emulator/faults", json!({"webhook": {}}))
        .await;
    emu.control("/_emulator/clock", json!({"advance_seconds": 2 * 3600}))
        .await;
    emu.control("/_emulator/webhooks/flush", json!({})).await;
    assert_every_event_arrived(&emu, &receiver).await;

    // reorder: a real checkout's events arrive newest first.
    let (receiver, url) = Receiver::start(&[]).await;
    let emu = emulator_for(&url, RetrySchedule::Fast).await;
    emu.control("/_emulator/faults", json!({"webhook": {"reorder": true}}))
        .await;
    emu.confirmed_with("pm_card_visa", &[]).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(receiver.received().is_empty(), "held until a flush");
    emu.control("/_emulator/webhooks/flush", json!({})).await;
    let arrived: Vec<String> = receiver
        .received()
        .iter()
        .map(|r| r.json()["type"].as_str().unwrap().to_string())
        .collect();
    let newest_first: Vec<String> = emu.get("/v1/events").await.json["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(arrived, newest_first);
    assert_eq!(
        arrived.last().map(String::as_str),
        Some("payment_intent.created"),
        "payment_intent.created arrives last"
    );
    assert_every_event_arrived(&emu, &receiver).await;
    assert_eq!(
        emu.control("/_emulator/faults", json!({"webhook": {"teleport": true}}))
            .await
            .status,
        400
    );
}

#[tokio::test]
async fn redirects_and_timeouts_are_failures() {
    let (receiver, url) = Receiver::start(&[302]).await;
    let emu = spawn_with(Options {
        control_api: true,
        webhook_urls: vec![url],
        webhook_timeout: Some(Duration::from_millis(300)),
        ..Options::default()
    })
    .await;
    emu.payment_intent().await;
    wait_for(&receiver, 1).await;
    emu.control("/_emulator/webhooks/flush", json!({})).await;
    *receiver.delay.lock().unwrap() = Duration::from_millis(1500);
    emu.control("/_emulator/clock", json!({"advance_seconds": 3600}))
        .await;
    emu.control("/_emulator/webhooks/flush", json!({})).await;
    let statuses: Vec<Value> = deliveries(&emu)
        .await
        .iter()
        .map(|d| d["status"].clone())
        .collect();
    assert_eq!(statuses, [json!(302), json!("timeout")]);
    let event = &emu.get("/v1/events").await.json["data"][0];
    assert_eq!(event["pending_webhooks"], 1);
}

#[tokio::test]
async fn pending_webhooks_counts_each_endpoint() {
    let (good, good_url) = Receiver::start(&[]).await;
    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/webhooks/stripe", listener.local_addr().unwrap())
    };
    let emu = spawn_with(Options {
        control_api: true,
        webhook_urls: vec![good_url, dead],
        ..Options::default()
    })
    .await;
    emu.payment_intent().await;
    wait_for(&good, 1).await;
    emu.control("/_emulator/webhooks/flush", json!({})).await;
    let event = &emu.get("/v1/events").await.json["data"][0];
    assert_eq!(
        event["pending_webhooks"], 1,
        "delivered to one of two endpoints"
    );
    assert_eq!(
        emu.get("/v1/events?delivery_success=false").await.json["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}
