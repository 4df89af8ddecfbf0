//! Contract b.3: Idempotency-Key.

use serde_json::json;

use crate::helpers::*;

const CREATE: &[(&str, &str)] = &[
    ("amount", "2000"),
    ("currency", "usd"),
    ("metadata[order_id]", "42"),
];

#[tokio::test]
async fn a_replay_is_the_first_answer_byte_for_byte() {
    let emu = spawn().await;
    let first = emu
        .post_idempotent("/v1/payment_intents", "order-42-v1", CREATE)
        .await;
    assert_eq!(first.status, 200);
    assert_eq!(first.header("idempotency-key"), Some("order-42-v1"));
    assert_eq!(first.header("original-request"), first.header("request-id"));
    assert!(first.header("idempotent-replayed").is_none());

    // Same parameters in another order are the same request.
    let replay = emu
        .post_idempotent(
            "/v1/payment_intents",
            "order-42-v1",
            &[
                ("metadata[order_id]", "42"),
                ("currency", "usd"),
                ("amount", "2000"),
            ],
        )
        .await;
    assert_eq!(replay.text, first.text);
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(
        replay.header("original-request"),
        first.header("request-id")
    );
    assert_ne!(replay.header("request-id"), first.header("request-id"));
    assert_eq!(
        emu.get("/v1/payment_intents").await.json["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // GET ignores the header.
    let get = emu
        .send(
            emu.http
                .get(emu.url("/v1/payment_intents"))
                .bearer_auth(&emu.keys().secret_key)
                .header("Idempotency-Key", "order-42-v1"),
        )
        .await;
    assert_eq!(get.status, 200);
}

#[tokio::test]
async fn a_key_is_bound_to_its_parameters_and_endpoint() {
    let emu = spawn().await;
    let first = emu
        .post_idempotent("/v1/payment_intents", "k1", CREATE)
        .await;
    let changed = emu
        .post_idempotent(
            "/v1/payment_intents",
            "k1",
            &[("amount", "2500"), ("currency", "usd")],
        )
        .await;
    assert_eq!(
        (changed.status, changed.error("type")),
        (400, "idempotency_error")
    );
    assert_eq!(changed.error("message"), "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than 'k1' if you meant to execute a different request.");
    let pi_path = format!("/v1/payment_intents/{}", id(&first.json));
    let elsewhere = emu
        .post_idempotent(&pi_path, "k1", &[("description", "x")])
        .await;
    assert_eq!(elsewhere.error("type"), "idempotency_error");
    assert_eq!(
        elsewhere.error("message"),
        format!("Keys for idempotent requests can only be used for the same endpoint they were first used for ('{pi_path}' vs '/v1/payment_intents'). Try using a key other than 'k1' if you meant to execute a different request.")
    );
}

#[tokio::test]
async fn a_concurrent_request_with_the_same_key_is_told_to_wait() {
    let emu = spawn().await;
    emu.control(
        "/_emulator/faults",
        json!({"next_requests": [{"path": "/v1/payment_intents", "delay_ms": 1500}]}),
    )
    .await;
    let slow = emu.post_idempotent("/v1/payment_intents", "double-click", CREATE);
    let quick = async {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        emu.post_idempotent("/v1/payment_intents", "double-click", CREATE)
            .await
    };
    let (slow, quick) = tokio::join!(slow, quick);
    assert_eq!(slow.status, 200);
    assert_eq!(
        (quick.status, quick.error("code")),
        (409, "idempotency_key_in_use")
    );
    assert!(quick
        .error("message")
        .starts_with("There is currently another in-progress request using this Idempotent Key"));
    assert_eq!(quick.header("stripe-should-retry"), Some("true"));
    let retried = emu
        .post_idempotent("/v1/payment_intents", "double-click", CREATE)
        .await;
    assert_eq!(retried.text, slow.text);
}

#[tokio::test]
async fn keys_expire_after_a_day_on_the_emulator_clock() {
    let emu = spawn().await;
    let first = emu
        .post_idempotent("/v1/payment_intents", "daily", CREATE)
        .await;
    emu.control("/_emulator/clock", json!({"advance_seconds": 23 * 3600}))
        .await;
    assert_eq!(
        emu.post_idempotent("/v1/payment_intents", "daily", CREATE)
            .await
            .text,
        first.text
    );
    emu.control("/_emulator/clock", json!({"advance_seconds": 3600}))
        .await;
    let later = emu
        .post_idempotent("/v1/payment_intents", "daily", CREATE)
        .await;
    assert_eq!(later.status, 200);
    assert_ne!(
        id(&later.json),
        id(&first.json),
        "an expired key runs a new request"
    );
    assert!(later.header("idempotent-replayed").is_none());
    assert!(
        later.json["created"].as_i64().unwrap()
            >= first.json["created"].as_i64().unwrap() + 24 * 3600
    );
}

#[tokio::test]
async fn a_stored_fault_is_final_for_its_key_and_creates_nothing() {
    let emu = spawn().await;
    emu.control(
        "/_emulator/faults",
        json!({"next_requests": [{"path": "/v1/payment_intents", "status": 500, "stored": true}]}),
    )
    .await;
    let broken = emu
        .post_idempotent("/v1/payment_intents", "failed-mid-way", CREATE)
        .await;
    assert_eq!((broken.status, broken.error("type")), (500, "api_error"));
    assert_eq!(broken.header("stripe-should-retry"), Some("false"));
    // The same key replays the failure byte for byte; only a new key gets through.
    let replayed = emu
        .post_idempotent("/v1/payment_intents", "failed-mid-way", CREATE)
        .await;
    assert_eq!((replayed.status, &replayed.text), (500, &broken.text));
    assert_eq!(replayed.header("idempotent-replayed"), Some("true"));
    assert_eq!(replayed.header("stripe-should-retry"), Some("false"));
    assert_eq!(
        emu.get("/v1/payment_intents").await.json["data"]
            .as_array()
            .unwrap()
            .len(),
        0,
        "nothing was created"
    );
    let fresh = emu
        .post_idempotent("/v1/payment_intents", "a-new-key", CREATE)
        .await;
    assert_eq!(fresh.status, 200, "{}", fresh.text);
    // A stored fault is a failure during execution: a 5xx, nothing else.
    for fault in [
        json!({"path": "/v1/payment_intents", "stored": true}),
        json!({"path": "/v1/payment_intents", "stored": true, "status": 429}),
        json!({"path": "/v1/payment_intents", "stored": true, "status": 409}),
    ] {
        assert_eq!(
            emu.control("/_emulator/faults", json!({ "next_requests": [fault] }))
                .await
                .status,
            400
        );
    }
}

#[tokio::test]
async fn faults_and_refusals_before_execution_are_not_kept() {
    let emu = spawn().await;
    emu.control(
        "/_emulator/faults",
        json!({"next_requests": [{"path": "/v1/payment_intents", "status": 500}]}),
    )
    .await;
    let broken = emu
        .post_idempotent("/v1/payment_intents", "retry-me", CREATE)
        .await;
    assert_eq!(broken.status, 500);
    assert_eq!(broken.header("stripe-should-retry"), Some("true"));
    let retry = emu
        .post_idempotent("/v1/payment_intents", "retry-me", CREATE)
        .await;
    assert_eq!(retry.status, 200, "the retry runs for real: {}", retry.text);

    let invalid = emu
        .post_idempotent(
            "/v1/payment_intents",
            "fix-me",
            &[("amount", "abc"), ("currency", "usd")],
        )
        .await;
    assert_eq!(invalid.status, 400);
    let fixed = emu
        .post_idempotent("/v1/payment_intents", "fix-me", CREATE)
        .await;
    assert_eq!(fixed.status, 200, "{}", fixed.text);
}

#[tokio::test]
async fn a_decline_is_kept_and_replayed() {
    let emu = spawn().await;
    let pi = emu.payment_intent().await;
    let path = format!("/v1/payment_intents/{}/confirm", id(&pi));
    let declined = emu
        .post_idempotent(
            &path,
            "confirm-1",
            &[("payment_method", "pm_card_chargeDeclined")],
        )
        .await;
    assert_eq!(declined.status, 402);
    assert_eq!(declined.header("stripe-should-retry"), Some("false"));
    let replay = emu
        .post_idempotent(
            &path,
            "confirm-1",
            &[("payment_method", "pm_card_chargeDeclined")],
        )
        .await;
    assert_eq!(
        (replay.status, replay.text.as_str()),
        (402, declined.text.as_str())
    );
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
}
