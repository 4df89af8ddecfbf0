//! Disputes: Stripe's dispute test card, the disputes API (evidence, submit, accept),
//! and the control calls that open and decide them.

use serde_json::{json, Value};

use crate::helpers::*;

async fn disputes_of(emu: &TestEmulator, pi: &str) -> Vec<Value> {
    let answer = emu.get(&format!("/v1/disputes?payment_intent={pi}")).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.json["data"].as_array().unwrap().clone()
}

async fn open(emu: &TestEmulator, pi: &str) -> Value {
    let answer = emu
        .control("/_emulator/disputes", json!({ "payment_intent": pi }))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.json
}

#[tokio::test]
async fn the_dispute_test_card_succeeds_then_is_disputed_as_fraudulent() {
    let emu = spawn().await;
    for test_pm in ["pm_card_createDispute"] {
        let (pi, ch) = emu.paid_with(test_pm).await;
        let found = disputes_of(&emu, &pi).await;
        assert_eq!(found.len(), 1);
        let dispute = &found[0];
        assert!(id(dispute).starts_with("dp_") && id(dispute).len() == 27);
        assert_eq!(dispute["object"], "dispute");
        assert_eq!(dispute["amount"], 2000);
        assert_eq!(dispute["currency"], "usd");
        assert_eq!(dispute["charge"], ch.as_str());
        assert_eq!(dispute["payment_intent"], pi.as_str());
        assert_eq!(dispute["reason"], "fraudulent");
        assert_eq!(dispute["status"], "needs_response");
        assert_eq!(dispute["is_charge_refundable"], false);
        assert_eq!(dispute["livemode"], false);
        let details = &dispute["evidence_details"];
        let created = dispute["created"].as_i64().unwrap();
        let due_by = details["due_by"].as_i64().unwrap();
        assert!(
            due_by > created + 6 * 86_400 && due_by % 86_400 == 86_399,
            "{due_by}"
        );
        assert_eq!(
            (
                &details["has_evidence"],
                &details["past_due"],
                &details["submission_count"]
            ),
            (&json!(false), &json!(false), &json!(0))
        );
        assert_eq!(dispute["evidence"]["customer_name"], Value::Null);
        let funds = dispute["balance_transactions"].as_array().unwrap();
        assert_eq!(funds.len(), 1);
        assert_eq!(
            (&funds[0]["amount"], &funds[0]["fee"]),
            (&json!(-2000), &json!(1500))
        );
        assert_eq!(
            dispute["payment_method_details"]["card"]["network_reason_code"],
            "10.4"
        );
        let charge = emu.get(&format!("/v1/charges/{ch}")).await.json;
        assert_eq!(charge["disputed"], true);
        assert_eq!(
            emu.get(&format!("/v1/disputes/{}", id(dispute))).await.json,
            *dispute
        );
        // After the payment's own events; Stripe's doing, so no request.
        let events = emu.events_about(&pi).await;
        let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
        assert_eq!(
            types,
            [
                "payment_intent.created",
                "charge.succeeded",
                "payment_intent.succeeded",
                "charge.updated",
                "charge.dispute.created",
                "charge.dispute.funds_withdrawn"
            ]
        );
        for event in &events[4..] {
            assert_eq!(event["data"]["object"]["id"], id(dispute).as_str());
            assert_eq!(event["data"]["object"]["payment_intent"], pi.as_str());
            assert_eq!(
                event["request"],
                json!({"id": null, "idempotency_key": null})
            );
        }
        // A chargeback's money is gone: refunding too would pay twice.
        let refund = emu.post("/v1/refunds", &[("payment_intent", &pi)]).await;
        assert_eq!(
            (refund.status, refund.error("code")),
            (400, "charge_disputed")
        );
    }
    let (pi, _) = emu
        .paid_with("pm_card_createDisputeProductNotReceived")
        .await;
    assert_eq!(
        disputes_of(&emu, &pi).await[0]["reason"],
        "product_not_received"
    );
    let (pi, _) = emu.paid_with("pm_card_visa").await;
    assert!(disputes_of(&emu, &pi).await.is_empty());
}

#[tokio::test]
async fn a_held_payment_is_disputed_once_captured() {
    let emu = spawn().await;
    let held = emu
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "3000"),
                ("currency", "usd"),
                ("capture_method", "manual"),
                ("payment_method", "pm_card_createDispute"),
                ("confirm", "true"),
            ],
        )
        .await
        .json;
    let pi = id(&held);
    assert!(disputes_of(&emu, &pi).await.is_empty());
    emu.post(
        &format!("/v1/payment_intents/{pi}/capture"),
        &[("amount_to_capture", "2500")],
    )
    .await;
    assert_eq!(disputes_of(&emu, &pi).await[0]["amount"], 2500);
}

#[tokio::test]
async fn the_list_filters_and_pages_newest_first() {
    let emu = spawn().await;
    let mut made = Vec::new();
    let mut charges = Vec::new();
    for _ in 0..3 {
        let (pi, ch) = emu.paid_with("pm_card_createDispute").await;
        made.push(id(&disputes_of(&emu, &pi).await[0]));
        charges.push(ch);
    }
    let page = emu.get("/v1/disputes?limit=2").await.json;
    assert_eq!(page["url"], "/v1/disputes");
    assert_eq!(page["has_more"], true);
    let ids: Vec<String> = page["data"].as_array().unwrap().iter().map(id).collect();
    assert_eq!(ids, [made[2].clone(), made[1].clone()]);
    let rest = emu
        .get(&format!("/v1/disputes?starting_after={}", made[1]))
        .await
        .json;
    assert_eq!(rest["data"][0]["id"], made[0].as_str());
    assert_eq!(rest["has_more"], false);
    let by_charge = emu
        .get(&format!("/v1/disputes?charge={}", charges[1]))
        .await
        .json;
    assert_eq!(by_charge["data"].as_array().unwrap().len(), 1);
    assert_eq!(by_charge["data"][0]["id"], made[1].as_str());
    let expanded = emu
        .get("/v1/disputes?limit=1&expand[]=data.charge&expand[]=data.payment_intent")
        .await
        .json;
    assert_eq!(expanded["data"][0]["charge"]["disputed"], true);
    assert_eq!(expanded["data"][0]["payment_intent"]["status"], "succeeded");
    let one = emu
        .get(&format!("/v1/disputes/{}?expand[]=charge", made[0]))
        .await
        .json;
    assert_eq!(one["charge"]["id"], charges[0].as_str());
    assert_eq!(
        emu.get("/v1/disputes/dp_nope").await.error("code"),
        "resource_missing"
    );
    assert_eq!(
        emu.get("/v1/disputes?ending_before=dp_nope").await.status,
        404
    );
}

#[tokio::test]
async fn evidence_is_merged_then_submitted_once() {
    let emu = spawn().await;
    let (pi, _) = emu.paid_with("pm_card_createDispute").await;
    let dp = id(&disputes_of(&emu, &pi).await[0]);
    let path = format!("/v1/disputes/{dp}");
    let saved = emu
        .post(
            &path,
            &[
                ("evidence[customer_name]", "Ada Lovelace"),
                ("evidence[product_description]", "A teapot"),
                ("metadata[case]", "42"),
            ],
        )
        .await;
    assert_eq!(saved.status, 200, "{}", saved.text);
    assert_eq!(saved.json["status"], "needs_response");
    assert_eq!(saved.json["evidence"]["customer_name"], "Ada Lovelace");
    assert_eq!(saved.json["evidence_details"]["has_evidence"], true);
    assert_eq!(saved.json["metadata"], json!({"case": "42"}));
    let updated = emu
        .events_about(&dp)
        .await
        .into_iter()
        .find(|e| e["type"] == "charge.dispute.updated")
        .unwrap();
    assert_eq!(
        updated["data"]["previous_attributes"],
        json!({
            "evidence": {"customer_name": null, "product_description": null},
            "evidence_details": {"has_evidence": false},
            "metadata": {"case": null}
        })
    );
    assert_eq!(
        updated["request"]["id"],
        saved.header("request-id").unwrap()
    );

    let submitted = emu
        .post(
            &path,
            &[
                ("evidence[uncategorized_text]", "Signed for"),
                ("submit", "true"),
            ],
        )
        .await
        .json;
    assert_eq!(submitted["status"], "under_review");
    assert_eq!(submitted["evidence_details"]["submission_count"], 1);
    assert_eq!(
        submitted["evidence"]["customer_name"], "Ada Lovelace",
        "merged"
    );

    let late = emu.post(&path, &[("evidence[customer_name]", "Bob")]).await;
    assert_eq!(late.status, 400);
    assert_eq!(emu.post(&format!("{path}/close"), &[]).await.status, 400);
    // Metadata can still change.
    assert_eq!(
        emu.post(&path, &[("metadata[case]", "43")]).await.status,
        200
    );
    let unknown = emu
        .post(&path, &[("evidence[favourite_colour]", "red")])
        .await;
    assert_eq!(unknown.error("code"), "parameter_unknown");

    let won = emu
        .control(
            &format!("/_emulator/disputes/{dp}/close"),
            json!({"outcome": "won"}),
        )
        .await;
    assert_eq!(won.status, 200, "{}", won.text);
    assert_eq!(won.json["status"], "won");
    let funds = won.json["balance_transactions"].as_array().unwrap();
    assert_eq!(funds.len(), 2);
    assert_eq!(funds[1]["amount"], 2000);
    let types = emu.event_types_about(&dp).await;
    assert_eq!(
        types,
        [
            "charge.dispute.created",
            "charge.dispute.funds_withdrawn",
            "charge.dispute.updated",
            "charge.dispute.updated",
            "charge.dispute.updated",
            "charge.dispute.closed",
            "charge.dispute.funds_reinstated"
        ]
    );
    let closed = emu
        .events_about(&dp)
        .await
        .into_iter()
        .find(|e| e["type"] == "charge.dispute.closed")
        .unwrap();
    assert_eq!(
        closed["data"]["previous_attributes"]["status"],
        "under_review"
    );
    assert_eq!(closed["request"]["id"], Value::Null);
    let again = emu
        .control(
            &format!("/_emulator/disputes/{dp}/close"),
            json!({"outcome": "lost"}),
        )
        .await;
    assert_eq!(again.status, 400);
}

#[tokio::test]
async fn accepting_a_dispute_loses_it() {
    let emu = spawn().await;
    let (pi, _) = emu.paid_with("pm_card_createDispute").await;
    let dp = id(&disputes_of(&emu, &pi).await[0]);
    let closed = emu
        .post_idempotent(&format!("/v1/disputes/{dp}/close"), "accept-1", &[])
        .await;
    assert_eq!(closed.status, 200, "{}", closed.text);
    assert_eq!(closed.json["status"], "lost");
    let event = emu
        .events_about(&dp)
        .await
        .into_iter()
        .find(|e| e["type"] == "charge.dispute.closed")
        .unwrap();
    assert_eq!(event["request"]["idempotency_key"], "accept-1");
    assert_eq!(event["data"]["object"]["status"], "lost");
    assert_eq!(
        emu.post(&format!("/v1/disputes/{dp}/close"), &[])
            .await
            .status,
        400
    );
    assert_eq!(
        emu.post("/v1/disputes/dp_nope/close", &[]).await.status,
        404
    );
}

#[tokio::test]
async fn the_control_api_opens_a_dispute_on_a_succeeded_payment_only() {
    let emu = spawn().await;
    let (pi, ch) = emu.paid_with("pm_card_visa").await;
    emu.post("/v1/refunds", &[("payment_intent", &pi), ("amount", "500")])
        .await;
    let dispute = emu
        .control(
            "/_emulator/disputes",
            json!({"payment_intent": pi, "reason": "product_not_received"}),
        )
        .await;
    assert_eq!(dispute.status, 200, "{}", dispute.text);
    assert_eq!(dispute.json["reason"], "product_not_received");
    assert_eq!(dispute.json["amount"], 1500, "what was not refunded");
    assert_eq!(dispute.json["charge"], ch.as_str());
    let lost = emu
        .control(
            &format!("/_emulator/disputes/{}/close", id(&dispute.json)),
            json!({"outcome": "lost"}),
        )
        .await;
    assert_eq!(lost.json["status"], "lost");
    assert_eq!(
        lost.json["balance_transactions"].as_array().unwrap().len(),
        1
    );

    let already = emu
        .control("/_emulator/disputes", json!({"payment_intent": pi}))
        .await;
    assert_eq!(already.status, 400);
    let unpaid = emu.payment_intent().await;
    assert_eq!(
        emu.control(
            "/_emulator/disputes",
            json!({"payment_intent": id(&unpaid)})
        )
        .await
        .status,
        400
    );
    let (refunded, _) = emu.paid_with("pm_card_visa").await;
    emu.post("/v1/refunds", &[("payment_intent", &refunded)])
        .await;
    assert_eq!(
        emu.control("/_emulator/disputes", json!({"payment_intent": refunded}))
            .await
            .status,
        400,
        "a fully refunded charge cannot be disputed"
    );
    let (fresh, _) = emu.paid_with("pm_card_visa").await;
    for body in [
        json!({"payment_intent": fresh, "reason": "boredom"}),
        json!({"payment_intent": fresh, "amount": 5}),
        json!({}),
    ] {
        assert_eq!(
            emu.control("/_emulator/disputes", body.clone())
                .await
                .status,
            400,
            "{body}"
        );
    }
    assert_eq!(
        emu.control("/_emulator/disputes", json!({"payment_intent": "pi_nope"}))
            .await
            .status,
        404
    );
    assert_eq!(
        emu.control(
            "/_emulator/disputes/dp_nope/close",
            json!({"outcome": "won"})
        )
        .await
        .status,
        404
    );
    let dp = id(&open(&emu, &fresh).await);
    assert_eq!(
        emu.control(
            &format!("/_emulator/disputes/{dp}/close"),
            json!({"outcome": "draw"})
        )
        .await
        .status,
        400
    );
}

#[tokio::test]
async fn a_dispute_fails_the_pending_refunds_of_its_charge() {
    let emu = spawn().await;
    emu.control(
        "/_emulator/refunds/settlement",
        json!({"pending_seconds": 3600}),
    )
    .await;
    let (pi, ch) = emu.paid_with("pm_card_visa").await;
    let pending = emu
        .post("/v1/refunds", &[("payment_intent", &pi), ("amount", "700")])
        .await
        .json;
    assert_eq!(pending["status"], "pending");
    let dispute = open(&emu, &pi).await;
    assert_eq!(dispute["amount"], 2000);
    let refund = emu.get(&format!("/v1/refunds/{}", id(&pending))).await.json;
    assert_eq!(refund["status"], "failed");
    assert_eq!(
        refund["failure_reason"],
        "charge_for_pending_refund_disputed"
    );
    assert_eq!(
        emu.get(&format!("/v1/charges/{ch}")).await.json["amount_refunded"],
        0
    );
    assert!(emu
        .event_types_about(&id(&pending))
        .await
        .contains(&"refund.failed".to_string()));
}

#[tokio::test]
async fn stripes_test_evidence_decides_the_dispute_a_minute_later() {
    let emu = spawn().await;
    for (evidence, outcome) in [("winning_evidence", "won"), ("losing_evidence", "lost")] {
        let (pi, _) = emu.paid_with("pm_card_createDispute").await;
        let dp = id(&disputes_of(&emu, &pi).await[0]);
        let submitted = emu
            .post(
                &format!("/v1/disputes/{dp}"),
                &[
                    ("evidence[uncategorized_text]", evidence),
                    ("submit", "true"),
                ],
            )
            .await
            .json;
        assert_eq!(submitted["status"], "under_review");
        emu.advance(50).await;
        assert_eq!(
            emu.get(&format!("/v1/disputes/{dp}")).await.json["status"],
            "under_review"
        );
        emu.advance(10).await;
        assert_eq!(
            emu.get(&format!("/v1/disputes/{dp}")).await.json["status"],
            outcome,
            "{evidence}"
        );
        let events = emu.events_about(&dp).await;
        let closed = events
            .iter()
            .find(|e| e["type"] == "charge.dispute.closed")
            .unwrap();
        assert_eq!(closed["request"]["id"], Value::Null);
        assert_eq!(
            events
                .iter()
                .any(|e| e["type"] == "charge.dispute.funds_reinstated"),
            outcome == "won"
        );
    }
}
