//! Refunds as Stripe does them: the list, metadata updates, cancel, the life cycle on
//! the emulator clock, forced outcomes, refusals, and refunds made in the Dashboard.

use serde_json::{json, Value};

use stripe_emulator::Options;

use crate::helpers::*;
use crate::webhooks::{wait_for, Receiver};

async fn refund(emu: &TestEmulator, form: &[(&str, &str)]) -> Value {
    let answer = emu.post("/v1/refunds", form).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.json
}

async fn charge(emu: &TestEmulator, charge_id: &str) -> Value {
    emu.get(&format!("/v1/charges/{charge_id}")).await.json
}

async fn ids(emu: &TestEmulator, path: &str) -> Vec<String> {
    let answer = emu.get(path).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.json["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(id)
        .collect()
}

/// Refunds start `pending` and settle after `seconds` of emulator clock.
async fn settle_after(emu: &TestEmulator, seconds: Value) {
    let answer = emu
        .control(
            "/_emulator/refunds/settlement",
            json!({ "pending_seconds": seconds }),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
}

#[tokio::test]
async fn the_list_filters_by_payment_intent_or_charge_newest_first_with_cursors() {
    let emu = spawn().await;
    let (pi, ch) = emu.paid_with("pm_card_visa").await;
    let (other, _) = emu.paid_with("pm_card_visa").await;
    let mut made = Vec::new();
    for amount in ["100", "200", "300"] {
        made.push(id(&refund(
            &emu,
            &[
                ("payment_intent", &pi),
                ("amount", amount),
                ("reason", "requested_by_customer"),
                ("metadata[order]", "7"),
            ],
        )
        .await));
    }
    refund(&emu, &[("payment_intent", &other), ("amount", "50")]).await;
    let newest_first: Vec<String> = made.iter().rev().cloned().collect();

    let page = emu
        .get(&format!("/v1/refunds?payment_intent={pi}&limit=100"))
        .await
        .json;
    assert_eq!(
        (&page["object"], &page["url"], &page["has_more"]),
        (&json!("list"), &json!("/v1/refunds"), &json!(false))
    );
    let data = page["data"].as_array().unwrap();
    assert_eq!(data.iter().map(id).collect::<Vec<_>>(), newest_first);
    // What the shop reads from each.
    let first = &data[2];
    assert_eq!(first["amount"], 100);
    assert_eq!(first["status"], "succeeded");
    assert_eq!(first["reason"], "requested_by_customer");
    assert_eq!(first["metadata"], json!({"order": "7"}));
    assert_eq!(first["currency"], "usd");
    assert_eq!(first["charge"], ch.as_str());
    assert_eq!(first["payment_intent"], pi.as_str());
    assert!(first["created"].is_i64());
    assert!(
        first.get("failure_reason").is_none(),
        "Stripe sends failure_reason only once a refund failed"
    );

    assert_eq!(
        ids(&emu, &format!("/v1/refunds?charge={ch}")).await,
        newest_first
    );
    assert_eq!(ids(&emu, "/v1/refunds?limit=100").await.len(), 4);
    let two = emu
        .get(&format!("/v1/refunds?payment_intent={pi}&limit=2"))
        .await
        .json;
    assert_eq!(two["has_more"], true);
    assert_eq!(
        ids(
            &emu,
            &format!("/v1/refunds?payment_intent={pi}&starting_after={}", made[1])
        )
        .await,
        [made[0].clone()]
    );
    assert_eq!(
        ids(
            &emu,
            &format!("/v1/refunds?payment_intent={pi}&ending_before={}", made[0])
        )
        .await,
        [made[2].clone(), made[1].clone()]
    );
    let now = first["created"].as_i64().unwrap();
    assert_eq!(
        ids(&emu, &format!("/v1/refunds?created[gt]={}", now + 60))
            .await
            .len(),
        0
    );
    let expanded = emu
        .get(&format!(
            "/v1/refunds?payment_intent={pi}&expand[]=data.charge&expand[]=data.payment_intent"
        ))
        .await
        .json;
    assert_eq!(expanded["data"][0]["charge"]["object"], "charge");
    assert_eq!(
        expanded["data"][0]["payment_intent"]["object"],
        "payment_intent"
    );
    assert_eq!(emu.get("/v1/refunds?expand[]=charge").await.status, 400);
    assert_eq!(
        emu.get("/v1/refunds?starting_after=re_nope")
            .await
            .error("code"),
        "resource_missing"
    );
    assert_eq!(emu.get("/v1/refunds?limit=101").await.status, 400);
}

#[tokio::test]
async fn an_update_changes_metadata_only_and_says_so_in_refund_updated() {
    let emu = spawn().await;
    let (pi, _) = emu.paid_with("pm_card_visa").await;
    let re = id(&refund(&emu, &[("payment_intent", &pi), ("metadata[a]", "1")]).await);
    let path = format!("/v1/refunds/{re}");
    let updated = emu
        .post(&path, &[("metadata[a]", ""), ("metadata[b]", "2")])
        .await;
    assert_eq!(updated.status, 200, "{}", updated.text);
    assert_eq!(updated.json["metadata"], json!({"b": "2"}));
    assert_eq!(emu.get(&path).await.json["metadata"], json!({"b": "2"}));
    let event = emu
        .events_about(&re)
        .await
        .into_iter()
        .find(|e| e["type"] == "refund.updated")
        .unwrap();
    assert_eq!(
        event["data"]["previous_attributes"],
        json!({"metadata": {"a": "1", "b": null}})
    );
    assert_eq!(
        event["request"]["id"],
        updated.header("request-id").unwrap()
    );
    for bad in [("amount", "5"), ("reason", "duplicate")] {
        let answer = emu.post(&path, &[bad]).await;
        assert_eq!(answer.error("code"), "parameter_unknown", "{bad:?}");
    }
    assert_eq!(
        emu.post("/v1/refunds/re_nope", &[("metadata[a]", "1")])
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn only_a_refund_in_requires_action_can_be_canceled() {
    let emu = spawn().await;
    let (pi, ch) = emu.paid_with("pm_card_visa").await;
    let done = id(&refund(&emu, &[("payment_intent", &pi), ("amount", "500")]).await);
    let refused = emu.post(&format!("/v1/refunds/{done}/cancel"), &[]).await;
    assert_eq!(refused.status, 400);
    assert_eq!(refused.error("type"), "invalid_request_error");
    assert_eq!(
        refused.error("message"),
        "You cannot cancel this refund because it has a status of succeeded. Only a refund with a status of requires_action may be canceled."
    );

    settle_after(&emu, json!(3600)).await;
    let waiting = id(&refund(&emu, &[("payment_intent", &pi), ("amount", "700")]).await);
    let forced = emu
        .control(
            &format!("/_emulator/refunds/{waiting}/force"),
            json!({"status": "requires_action"}),
        )
        .await;
    assert_eq!(forced.json["status"], "requires_action", "{}", forced.text);
    assert_eq!(forced.json["next_action"]["type"], "display_details");
    assert_eq!(charge(&emu, &ch).await["amount_refunded"], 1200);
    let canceled = emu
        .post(&format!("/v1/refunds/{waiting}/cancel"), &[])
        .await;
    assert_eq!(canceled.status, 200, "{}", canceled.text);
    assert_eq!(canceled.json["status"], "canceled");
    assert_eq!(canceled.json["failure_reason"], "merchant_request");
    assert!(canceled.json["failure_balance_transaction"]
        .as_str()
        .unwrap()
        .starts_with("txn_"));
    assert!(canceled.json.get("next_action").is_none());
    assert_eq!(
        charge(&emu, &ch).await["amount_refunded"],
        500,
        "given back"
    );
    assert_eq!(
        emu.event_types_about(&waiting).await,
        [
            "refund.created",
            "refund.updated",
            "charge.refund.updated",
            "refund.updated",
            "charge.refund.updated"
        ]
    );
    assert_eq!(
        emu.post(&format!("/v1/refunds/{waiting}/cancel"), &[])
            .await
            .status,
        400
    );
    settle_after(&emu, Value::Null).await;
}

#[tokio::test]
async fn with_a_settlement_delay_refunds_are_pending_until_the_clock_passes_it() {
    let emu = spawn().await;
    settle_after(&emu, json!(3600)).await;
    let (pi, ch) = emu.paid_with("pm_card_visa").await;
    let created = emu
        .post_idempotent(
            "/v1/refunds",
            "refund-1",
            &[("payment_intent", &pi), ("amount", "800")],
        )
        .await;
    assert_eq!(created.json["status"], "pending", "{}", created.text);
    assert_eq!(created.json["pending_reason"], "processing");
    let re = id(&created.json);
    let counted = charge(&emu, &ch).await;
    assert_eq!(
        (&counted["amount_refunded"], &counted["refunded"]),
        (&json!(800), &json!(false)),
        "a pending refund counts as refunded"
    );

    // (A margin for the wall clock, which moves the emulator clock too.)
    emu.advance(3590).await;
    assert_eq!(
        emu.get(&format!("/v1/refunds/{re}")).await.json["status"],
        "pending"
    );
    emu.advance(10).await;
    let settled = emu.get(&format!("/v1/refunds/{re}")).await.json;
    assert_eq!(settled["status"], "succeeded");
    assert!(settled.get("pending_reason").is_none());
    assert_eq!(charge(&emu, &ch).await["amount_refunded"], 800);

    let events = emu.events_about(&re).await;
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        ["refund.created", "refund.updated", "charge.refund.updated"]
    );
    assert_eq!(
        events[0]["request"],
        json!({"id": created.header("request-id").unwrap(), "idempotency_key": "refund-1"})
    );
    for update in &events[1..] {
        assert_eq!(
            update["data"]["previous_attributes"],
            json!({"pending_reason": "processing", "status": "pending"})
        );
        assert_eq!(update["data"]["object"]["status"], "succeeded");
        assert_eq!(update["data"]["object"]["payment_intent"], pi.as_str());
        assert_eq!(
            update["request"],
            json!({"id": null, "idempotency_key": null}),
            "the clock's doing, not a request's"
        );
    }

    // Back to Stripe's test-mode default: succeeded at once.
    settle_after(&emu, Value::Null).await;
    let at_once = refund(&emu, &[("payment_intent", &pi), ("amount", "100")]).await;
    assert_eq!(at_once["status"], "succeeded");
    assert_eq!(
        emu.send(emu.http.get(emu.url("/_emulator/refunds/settlement")))
            .await
            .json,
        json!({"pending_seconds": null})
    );
}

#[tokio::test]
async fn the_delivery_worker_settles_refunds_without_any_call() {
    let (receiver, url) = Receiver::start(&[]).await;
    let emu = spawn_with(Options {
        control_api: true,
        webhook_urls: vec![url],
        ..Options::default()
    })
    .await;
    settle_after(&emu, json!(0)).await;
    let (pi, _) = emu.paid_with("pm_card_visa").await;
    let re = id(&refund(&emu, &[("payment_intent", &pi)]).await);
    // No call after the refund: only the worker can settle it and send the events.
    let got = wait_for(&receiver, 8).await;
    let mut types: Vec<String> = got
        .iter()
        .map(|r| r.json())
        .filter(|e| e["data"]["object"]["id"] == re.as_str())
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect();
    types.sort();
    assert_eq!(
        types,
        ["charge.refund.updated", "refund.created", "refund.updated"]
    );
}

#[tokio::test]
async fn a_forced_failure_gives_the_amount_back_with_stripes_events() {
    let emu = spawn().await;
    settle_after(&emu, json!(3600)).await;
    let (pi, ch) = emu.paid_with("pm_card_visa").await;
    let re = id(&refund(&emu, &[("payment_intent", &pi)]).await);
    assert_eq!(charge(&emu, &ch).await["refunded"], true);
    let failed = emu
        .control(
            &format!("/_emulator/refunds/{re}/force"),
            json!({"status": "failed"}),
        )
        .await;
    assert_eq!(failed.status, 200, "{}", failed.text);
    assert_eq!(failed.json["status"], "failed");
    assert_eq!(failed.json["failure_reason"], "lost_or_stolen_card");
    let after = charge(&emu, &ch).await;
    assert_eq!(
        (&after["amount_refunded"], &after["refunded"]),
        (&json!(0), &json!(false))
    );
    assert_eq!(after["refunds"]["data"][0]["status"], "failed");
    let events = emu.events_about(&re).await;
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "refund.created",
            "refund.updated",
            "charge.refund.updated",
            "refund.failed"
        ]
    );
    let previous = &events[3]["data"]["previous_attributes"];
    assert_eq!(previous["status"], "pending");
    assert_eq!(previous["failure_reason"], Value::Null);
    // The amount is refundable again.
    let again = refund(&emu, &[("payment_intent", &pi)]).await;
    assert_eq!(again["amount"], 2000);
    // A final status is final.
    let refused = emu
        .control(
            &format!("/_emulator/refunds/{re}/force"),
            json!({"status": "succeeded"}),
        )
        .await;
    assert_eq!(refused.status, 400);
    for body in [
        json!({"status": "teleported"}),
        json!({"status": "failed", "failure_reason": "bored"}),
        json!({"status": "succeeded", "failure_reason": "declined"}),
    ] {
        let answer = emu
            .control(
                &format!("/_emulator/refunds/{}/force", id(&again)),
                body.clone(),
            )
            .await;
        assert_eq!(answer.status, 400, "{body}");
    }
    let declined = emu
        .control(
            &format!("/_emulator/refunds/{}/force", id(&again)),
            json!({"status": "failed", "failure_reason": "declined"}),
        )
        .await;
    assert_eq!(declined.json["failure_reason"], "declined");
    assert_eq!(
        emu.control(
            "/_emulator/refunds/re_nope/force",
            json!({"status": "failed"})
        )
        .await
        .status,
        404
    );
    settle_after(&emu, Value::Null).await;
}

#[tokio::test]
async fn stripes_asynchronous_refund_test_cards() {
    let emu = spawn().await;
    // 4000000000005126: "its status begins as succeeded. Some time later, its status
    // transitions to failed", with `expired_or_canceled_card`.
    let (pi, ch) = emu.paid_with("pm_card_refundFail").await;
    let re = refund(&emu, &[("payment_intent", &pi), ("amount", "1000")]).await;
    assert_eq!(re["status"], "succeeded");
    emu.advance(50).await;
    assert_eq!(
        emu.get(&format!("/v1/refunds/{}", id(&re))).await.json["status"],
        "succeeded"
    );
    emu.advance(10).await;
    let failed = emu.get(&format!("/v1/refunds/{}", id(&re))).await.json;
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["failure_reason"], "expired_or_canceled_card");
    assert_eq!(charge(&emu, &ch).await["amount_refunded"], 0);
    let failure = emu
        .events_about(&id(&re))
        .await
        .into_iter()
        .find(|e| e["type"] == "refund.failed")
        .expect("refund.failed");
    assert_eq!(
        failure["data"]["previous_attributes"]["status"],
        "succeeded"
    );
    assert_eq!(failure["request"]["id"], Value::Null);

    // 4000000000007726: "its status begins as pending ... transitions to succeeded".
    let (pi, _) = emu.paid_with("pm_card_pendingRefund").await;
    let re = refund(&emu, &[("payment_intent", &pi)]).await;
    assert_eq!(re["status"], "pending");
    emu.advance(60).await;
    assert_eq!(
        emu.get(&format!("/v1/refunds/{}", id(&re))).await.json["status"],
        "succeeded"
    );
}

#[tokio::test]
async fn over_refunds_are_refused_and_pending_refunds_count() {
    let emu = spawn().await;
    settle_after(&emu, json!(3600)).await;
    let (pi, ch) = emu.paid_with("pm_card_visa").await;
    let pending = refund(&emu, &[("payment_intent", &pi), ("amount", "1500")]).await;
    let too_much = emu
        .post("/v1/refunds", &[("charge", &ch), ("amount", "600")])
        .await;
    assert_eq!(
        (
            too_much.status,
            too_much.error("code"),
            too_much.error("param")
        ),
        (400, "amount_too_large", "amount")
    );
    assert_eq!(
        too_much.error("message"),
        "Refund amount ($6.00 usd) is greater than unrefunded amount on charge ($5.00 usd)"
    );
    emu.control(
        &format!("/_emulator/refunds/{}/force", id(&pending)),
        json!({"status": "failed"}),
    )
    .await;
    refund(&emu, &[("charge", &ch), ("amount", "600")]).await;
    refund(&emu, &[("payment_intent", &pi)]).await;
    let nothing_left = emu.post("/v1/refunds", &[("payment_intent", &pi)]).await;
    assert_eq!(
        (nothing_left.status, nothing_left.error("code")),
        (400, "charge_already_refunded")
    );
    for amount in ["0", "-5"] {
        assert_eq!(
            emu.post(
                "/v1/refunds",
                &[("payment_intent", &pi), ("amount", amount)]
            )
            .await
            .status,
            400
        );
    }
    let (other, _) = emu.paid_with("pm_card_visa").await;
    assert_eq!(
        emu.post(
            "/v1/refunds",
            &[("payment_intent", &other), ("charge", &ch)]
        )
        .await
        .error("param"),
        "payment_intent"
    );
    assert_eq!(
        emu.post("/v1/refunds", &[("payment_intent", "pi_nope")])
            .await
            .status,
        404
    );
    assert_eq!(
        emu.post(
            "/v1/refunds",
            &[("payment_intent", &pi), ("reason", "bored")]
        )
        .await
        .error("code"),
        "parameter_invalid_enum"
    );
    settle_after(&emu, Value::Null).await;
}

#[tokio::test]
async fn creating_emits_charge_refunded_then_refund_created_and_replays_by_key() {
    let emu = spawn().await;
    let (pi, ch) = emu.paid_with("pm_card_visa").await;
    let form = [("payment_intent", pi.as_str()), ("amount", "300")];
    let first = emu.post_idempotent("/v1/refunds", "r-300", &form).await;
    let replay = emu.post_idempotent("/v1/refunds", "r-300", &form).await;
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(replay.text, first.text);
    assert_eq!(
        ids(&emu, &format!("/v1/refunds?payment_intent={pi}"))
            .await
            .len(),
        1
    );
    let events = emu.events_about(&ch).await;
    let refunded = events
        .iter()
        .find(|e| e["type"] == "charge.refunded")
        .unwrap();
    assert_eq!(refunded["data"]["object"]["id"], ch.as_str());
    assert_eq!(refunded["data"]["object"]["payment_intent"], pi.as_str());
    assert_eq!(refunded["data"]["object"]["amount_refunded"], 300);
    assert_eq!(
        refunded["data"]["previous_attributes"],
        json!({"amount_refunded": 0})
    );
    assert_eq!(refunded["request"]["idempotency_key"], "r-300");
    let types: Vec<String> = emu.event_types_about(&pi).await;
    assert_eq!(
        &types[types.len() - 2..],
        ["charge.refunded", "refund.created"]
    );
}

#[tokio::test]
async fn a_dashboard_refund_is_checked_and_evented_as_the_apis_with_no_request() {
    let emu = spawn().await;
    let (pi, ch) = emu.paid_with("pm_card_visa").await;
    let made = emu
        .control(
            "/_emulator/refunds",
            json!({"payment_intent": pi, "amount": 123, "reason": "requested_by_customer"}),
        )
        .await;
    assert_eq!(made.status, 200, "{}", made.text);
    assert_eq!(made.json["object"], "refund");
    assert_eq!(made.json["amount"], 123);
    assert_eq!(made.json["reason"], "requested_by_customer");
    assert_eq!(made.json["status"], "succeeded");
    let re = id(&made.json);
    assert_eq!(
        ids(&emu, &format!("/v1/refunds?payment_intent={pi}&limit=100")).await,
        [re.as_str()]
    );
    let events = emu.events_about(&ch).await;
    let ours: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "charge.refunded" || e["type"] == "refund.created")
        .collect();
    assert_eq!(ours.len(), 2);
    for event in ours {
        assert_eq!(
            event["request"],
            json!({"id": null, "idempotency_key": null})
        );
    }
    // The rest, in full, by default.
    let rest = emu
        .control("/_emulator/refunds", json!({"payment_intent": pi}))
        .await;
    assert_eq!(rest.json["amount"], 1877, "{}", rest.text);
    assert_eq!(rest.json["reason"], Value::Null);
    // The API's own refusals, in Stripe's envelope.
    let again = emu
        .control(
            "/_emulator/refunds",
            json!({"payment_intent": pi, "amount": 1}),
        )
        .await;
    assert_eq!(
        (again.status, again.error("code")),
        (400, "charge_already_refunded")
    );
    let (fresh, _) = emu.paid_with("pm_card_visa").await;
    let too_much = emu
        .control(
            "/_emulator/refunds",
            json!({"payment_intent": fresh, "amount": 2001}),
        )
        .await;
    assert_eq!(
        (too_much.status, too_much.error("code")),
        (400, "amount_too_large")
    );
    assert_eq!(
        emu.control("/_emulator/refunds", json!({"payment_intent": "pi_nope"}))
            .await
            .status,
        404
    );
    for body in [
        json!({"payment_intent": fresh, "reason": "bored"}),
        json!({}),
        json!({"payment_intent": fresh, "colour": "red"}),
        json!({"payment_intent": fresh, "metadata": {"k": 1}}),
    ] {
        assert_eq!(
            emu.control("/_emulator/refunds", body.clone()).await.status,
            400,
            "{body}"
        );
    }
}
