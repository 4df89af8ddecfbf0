//! Contract b.9 and the events API: which events each flow emits, and their snapshots.

use serde_json::{json, Value};

use crate::helpers::*;

/// The types of the events about `pi` (or its charges and refunds), oldest first.
async fn event_types(emu: &TestEmulator, pi: &str) -> Vec<String> {
    let list = emu.get("/v1/events?limit=100").await.json;
    let mut types: Vec<String> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            let object = &e["data"]["object"];
            object["id"] == pi || object["payment_intent"] == pi
        })
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect();
    types.reverse();
    types
}

async fn confirm_3ds(emu: &TestEmulator, outcome: &str) -> String {
    let (pi, _) = emu
        .confirmed_with(
            "pm_card_authenticationRequired",
            &[("use_stripe_sdk", "true")],
        )
        .await;
    emu.control(
        &format!("/_emulator/3ds/{}/result", id(&pi)),
        json!({"client_secret": pi["client_secret"], "outcome": outcome}),
    )
    .await;
    id(&pi)
}

#[tokio::test]
async fn each_flow_emits_stripes_sequence() {
    let emu = spawn().await;
    let (paid, _) = emu.confirmed_with("pm_card_visa", &[]).await;
    assert_eq!(
        event_types(&emu, &id(&paid)).await,
        [
            "payment_intent.created",
            "charge.succeeded",
            "payment_intent.succeeded",
            "charge.updated"
        ]
    );

    let (declined, _) = emu.confirmed_with("pm_card_chargeDeclined", &[]).await;
    assert_eq!(
        event_types(&emu, &id(&declined)).await,
        [
            "payment_intent.created",
            "charge.failed",
            "payment_intent.payment_failed"
        ]
    );

    let completed = confirm_3ds(&emu, "complete").await;
    assert_eq!(
        event_types(&emu, &completed).await,
        [
            "payment_intent.created",
            "payment_intent.requires_action",
            "charge.succeeded",
            "payment_intent.succeeded",
            "charge.updated"
        ]
    );

    let failed = confirm_3ds(&emu, "fail").await;
    assert_eq!(
        event_types(&emu, &failed).await,
        [
            "payment_intent.created",
            "payment_intent.requires_action",
            "payment_intent.payment_failed"
        ]
    );

    for (end, tail) in [
        (
            "succeeded",
            vec![
                "charge.succeeded",
                "payment_intent.succeeded",
                "charge.updated",
            ],
        ),
        ("payment_failed", vec!["payment_intent.payment_failed"]),
    ] {
        let pi = id(&emu.payment_intent().await);
        emu.control(
            &format!("/_emulator/payment_intents/{pi}/force"),
            json!({"status": "processing"}),
        )
        .await;
        emu.control(
            &format!("/_emulator/payment_intents/{pi}/force"),
            json!({"status": end}),
        )
        .await;
        let mut expected = vec!["payment_intent.created", "payment_intent.processing"];
        expected.extend(tail);
        assert_eq!(
            event_types(&emu, &pi).await,
            expected,
            "processing then {end}"
        );
    }

    let held = emu
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "2000"),
                ("currency", "usd"),
                ("capture_method", "manual"),
                ("payment_method", "pm_card_visa"),
                ("confirm", "true"),
            ],
        )
        .await
        .json;
    emu.post(&format!("/v1/payment_intents/{}/capture", id(&held)), &[])
        .await;
    assert_eq!(
        event_types(&emu, &id(&held)).await,
        [
            "payment_intent.created",
            "charge.succeeded",
            "payment_intent.amount_capturable_updated",
            "charge.captured",
            "payment_intent.succeeded"
        ]
    );

    let canceled = id(&emu.payment_intent().await);
    emu.post(&format!("/v1/payment_intents/{canceled}/cancel"), &[])
        .await;
    assert_eq!(
        event_types(&emu, &canceled).await,
        ["payment_intent.created", "payment_intent.canceled"]
    );

    let released = emu
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "2000"),
                ("currency", "usd"),
                ("capture_method", "manual"),
                ("payment_method", "pm_card_visa"),
                ("confirm", "true"),
            ],
        )
        .await
        .json;
    emu.post(
        &format!("/v1/payment_intents/{}/cancel", id(&released)),
        &[],
    )
    .await;
    assert_eq!(
        event_types(&emu, &id(&released)).await,
        [
            "payment_intent.created",
            "charge.succeeded",
            "payment_intent.amount_capturable_updated",
            "payment_intent.canceled",
            "charge.refunded"
        ]
    );

    emu.post("/v1/refunds", &[("payment_intent", &id(&paid))])
        .await;
    let types = event_types(&emu, &id(&paid)).await;
    assert_eq!(&types[4..], ["charge.refunded", "refund.created"]);
}

#[tokio::test]
async fn events_carry_snapshots_and_the_request_that_caused_them() {
    let emu = spawn().await;
    let created = emu
        .post_idempotent(
            "/v1/payment_intents",
            "order-7",
            &[("amount", "2000"), ("currency", "usd")],
        )
        .await;
    let pi = id(&created.json);
    let confirm = emu
        .post(
            &format!("/v1/payment_intents/{pi}/confirm"),
            &[("payment_method", "pm_card_visa")],
        )
        .await;
    let events = emu.get("/v1/events?limit=100").await.json;
    let find = |kind: &str| {
        events["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["type"] == kind)
            .unwrap()
            .clone()
    };

    let created_event = find("payment_intent.created");
    assert_eq!(
        created_event["data"]["object"]["status"], "requires_payment_method",
        "a snapshot, not the object as it is now"
    );
    assert_eq!(
        created_event["request"]["id"],
        created.header("request-id").unwrap()
    );
    assert_eq!(created_event["request"]["idempotency_key"], "order-7");
    assert_eq!(created_event["api_version"], stripe_emulator::API_VERSION);
    assert_eq!(created_event["livemode"], false);
    assert!(created_event["id"].as_str().unwrap().starts_with("evt_"));

    let succeeded = find("payment_intent.succeeded");
    assert_eq!(succeeded["data"]["object"]["status"], "succeeded");
    assert_eq!(
        succeeded["request"]["id"],
        confirm.header("request-id").unwrap()
    );
    assert_eq!(succeeded["request"]["idempotency_key"], Value::Null);
    assert_eq!(
        find("charge.succeeded")["data"]["object"]["balance_transaction"],
        Value::Null
    );
    let updated = find("charge.updated");
    assert!(updated["data"]["object"]["balance_transaction"]
        .as_str()
        .unwrap()
        .starts_with("txn_"));
    assert_eq!(
        updated["data"]["previous_attributes"],
        json!({"balance_transaction": null})
    );

    let one = emu
        .get(&format!(
            "/v1/events/{}",
            created_event["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(one.json, created_event);
    assert_eq!(emu.get("/v1/events/evt_nope").await.status, 404);
}

async fn count(emu: &TestEmulator, query: &str) -> usize {
    emu.get(&format!("/v1/events?limit=100&{query}")).await.json["data"]
        .as_array()
        .map(Vec::len)
        .unwrap_or(usize::MAX)
}

#[tokio::test]
async fn the_event_list_filters_pages_and_forgets_after_30_days() {
    let emu = spawn().await;
    emu.confirmed_with("pm_card_visa", &[]).await;
    emu.confirmed_with("pm_card_chargeDeclined", &[]).await;
    assert_eq!(count(&emu, "type=payment_intent.succeeded").await, 1);
    assert_eq!(count(&emu, "type=payment_intent.*").await, 4);
    assert_eq!(
        count(&emu, "types[]=charge.failed&types[]=charge.succeeded").await,
        2
    );
    assert_eq!(
        count(&emu, "delivery_success=true").await,
        7,
        "no endpoints: every event counts as delivered"
    );
    assert_eq!(count(&emu, "delivery_success=false").await, 0);
    let now = emu
        .control("/_emulator/clock", json!({"advance_seconds": 0}))
        .await
        .json["now"]
        .as_i64()
        .unwrap();
    assert_eq!(count(&emu, &format!("created[gt]={}", now + 5)).await, 0);
    assert_eq!(count(&emu, &format!("created[gte]={}", now - 60)).await, 7);
    assert_eq!(emu.get("/v1/events?type=a&types[]=b").await.status, 400);

    let first = emu.get("/v1/events?limit=3").await.json;
    assert_eq!(first["has_more"], true);
    let last_id = first["data"][2]["id"].as_str().unwrap();
    let next = emu
        .get(&format!("/v1/events?limit=10&starting_after={last_id}"))
        .await
        .json;
    assert_eq!(next["data"].as_array().unwrap().len(), 4);

    let some = first["data"][0]["id"].as_str().unwrap().to_string();
    emu.control(
        "/_emulator/clock",
        json!({"advance_seconds": 31 * 24 * 3600}),
    )
    .await;
    assert_eq!(count(&emu, "").await, 0);
    assert_eq!(emu.get(&format!("/v1/events/{some}")).await.status, 404);
}

#[tokio::test]
async fn webhook_endpoints_api() {
    let emu = spawn().await;
    let created = emu
        .post(
            "/v1/webhook_endpoints",
            &[
                ("url", "http://shop.test/webhooks/stripe"),
                ("enabled_events[]", "payment_intent.succeeded"),
                ("enabled_events[]", "payment_intent.payment_failed"),
                ("description", "shop"),
            ],
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.text);
    assert!(created.json["id"].as_str().unwrap().starts_with("we_"));
    let secret = created.json["secret"].as_str().unwrap();
    assert!(secret.starts_with("whsec_") && secret.len() == 38);
    assert_eq!(created.json["status"], "enabled");
    let path = format!("/v1/webhook_endpoints/{}", id(&created.json));
    let fetched = emu.get(&path).await.json;
    assert!(
        fetched.get("secret").is_none(),
        "the secret is shown on create only"
    );
    assert_eq!(
        fetched["enabled_events"],
        json!(["payment_intent.succeeded", "payment_intent.payment_failed"])
    );
    let disabled = emu.post(&path, &[("disabled", "true")]).await.json;
    assert_eq!(disabled["status"], "disabled");
    assert_eq!(
        emu.get("/v1/webhook_endpoints").await.json["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let deleted = emu
        .send(
            emu.http
                .delete(emu.url(&path))
                .bearer_auth(&emu.keys().secret_key),
        )
        .await;
    assert_eq!(
        deleted.json,
        json!({"deleted": true, "id": id(&created.json), "object": "webhook_endpoint"})
    );
    assert_eq!(emu.get(&path).await.status, 404);

    // An event type newer than the 2023 spec, which the emulator emits.
    let refund_failures = emu
        .post(
            "/v1/webhook_endpoints",
            &[
                ("url", "http://shop.test/webhooks/stripe"),
                ("enabled_events[]", "refund.failed"),
                ("enabled_events[]", "charge.refund.updated"),
            ],
        )
        .await;
    assert_eq!(refund_failures.status, 200, "{}", refund_failures.text);

    for bad in [
        vec![("url", "not a url"), ("enabled_events[]", "*")],
        vec![("url", "http://shop.test/w")],
        vec![("url", "https://shop.test/w"), ("enabled_events[]", "*")],
        vec![
            ("url", "http://shop.test/w"),
            ("enabled_events[]", "payment_intent.teleported"),
        ],
    ] {
        let answer = emu.post("/v1/webhook_endpoints", &bad).await;
        assert_eq!(
            (answer.status, answer.error("type")),
            (400, "invalid_request_error"),
            "{bad:?}"
        );
    }
}
