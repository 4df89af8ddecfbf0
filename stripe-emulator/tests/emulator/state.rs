//! Contract b.5 and b.6: the state machine, 3-D Secure, capture, cancel, refunds, lists.

use serde_json::{json, Value};

use crate::helpers::*;

#[tokio::test]
async fn three_d_secure_by_redirect_completes_and_redirects_back() {
    let emu = spawn().await;
    let (pi, answer) = emu
        .confirmed_with(
            "pm_card_authenticationRequired",
            &[("return_url", "https://shop.test/done?x=1")],
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(pi["status"], "requires_action");
    assert_eq!(pi["next_action"]["type"], "redirect_to_url");
    assert_eq!(
        pi["next_action"]["redirect_to_url"]["return_url"],
        "https://shop.test/done?x=1"
    );
    let hosted = pi["next_action"]["redirect_to_url"]["url"]
        .as_str()
        .unwrap();
    assert!(
        hosted.starts_with(&emu.url("/_emulator/3ds/hosted?payment_intent=")),
        "{hosted}"
    );

    // The hosted page posts a form and is sent back to the shop.
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let pi_id = id(&pi);
    let secret = pi["client_secret"].as_str().unwrap();
    let answer = no_redirects
        .post(emu.url(&format!("/_emulator/3ds/{pi_id}/result")))
        .form(&[("client_secret", secret), ("outcome", "complete")])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 302);
    let location = answer.headers()["location"].to_str().unwrap();
    assert_eq!(location, format!("https://shop.test/done?x=1&payment_intent={pi_id}&payment_intent_client_secret={secret}&redirect_status=succeeded"));
    let pi = emu
        .get(&format!(
            "/v1/payment_intents/{pi_id}?expand[]=latest_charge"
        ))
        .await
        .json;
    assert_eq!(pi["status"], "succeeded");
    assert_eq!(pi["next_action"], Value::Null);
    assert_eq!(
        pi["latest_charge"]["payment_method_details"]["card"]["three_d_secure"]["result"],
        "authenticated"
    );
}

#[tokio::test]
async fn three_d_secure_for_stripe_js_and_its_failure() {
    let emu = spawn().await;
    let (pi, _) = emu
        .confirmed_with(
            "pm_card_threeDSecure2Required",
            &[("use_stripe_sdk", "true")],
        )
        .await;
    assert_eq!(pi["next_action"]["type"], "use_stripe_sdk");
    assert_eq!(
        pi["next_action"]["use_stripe_sdk"]["type"],
        "three_d_secure_redirect"
    );
    assert!(pi["next_action"]["use_stripe_sdk"]["stripe_js"]
        .as_str()
        .unwrap()
        .contains("/_emulator/3ds/challenge?payment_intent="));

    let result = emu
        .control(
            &format!("/_emulator/3ds/{}/result", id(&pi)),
            json!({"client_secret": pi["client_secret"], "outcome": "fail"}),
        )
        .await;
    assert_eq!(result.status, 200, "{}", result.text);
    assert_eq!(result.json["status"], "requires_payment_method");
    assert!(
        result.json.get("metadata").is_none(),
        "the browser gets the publishable subset"
    );
    let pi = emu
        .get(&format!("/v1/payment_intents/{}", id(&pi)))
        .await
        .json;
    assert_eq!(pi["status"], "requires_payment_method");
    assert_eq!(pi["payment_method"], Value::Null);
    assert_eq!(
        pi["latest_charge"],
        Value::Null,
        "a failed challenge never reaches the card network"
    );
    let error = &pi["last_payment_error"];
    assert_eq!(error["type"], "invalid_request_error");
    assert_eq!(error["code"], "payment_intent_authentication_failure");
    assert_eq!(
        error["doc_url"],
        "https://stripe.com/docs/error-codes/payment-intent-authentication-failure"
    );
    assert!(error["payment_method"]["id"]
        .as_str()
        .unwrap()
        .starts_with("pm_"));

    // A second answer to the same challenge is refused; so is a wrong secret.
    let again = emu
        .control(
            &format!("/_emulator/3ds/{}/result", id(&pi)),
            json!({"client_secret": pi["client_secret"], "outcome": "complete"}),
        )
        .await;
    assert_eq!(again.status, 400);
    let (other, _) = emu
        .confirmed_with("pm_card_authenticationRequired", &[])
        .await;
    let wrong = emu
        .control(
            &format!("/_emulator/3ds/{}/result", id(&other)),
            json!({"client_secret": "pi_x_secret_y", "outcome": "complete"}),
        )
        .await;
    assert_eq!((wrong.status, wrong.error("param")), (400, "client_secret"));
    assert_eq!(
        other["next_action"]["type"], "use_stripe_sdk",
        "a server confirm without return_url gets use_stripe_sdk"
    );
}

#[tokio::test]
async fn cards_that_decline_after_authentication() {
    let emu = spawn().await;
    for (number, decline_code) in [
        ("4000008260003178", "insufficient_funds"),
        ("4000008400001629", "generic_decline"),
    ] {
        let pi = emu.payment_intent().await;
        let confirm = emu
            .post_publishable(
                &format!("/v1/payment_intents/{}/confirm", id(&pi)),
                &[
                    ("client_secret", pi["client_secret"].as_str().unwrap()),
                    ("use_stripe_sdk", "true"),
                    ("payment_method_data[type]", "card"),
                    ("payment_method_data[card][number]", number),
                    ("payment_method_data[card][exp_month]", "12"),
                    ("payment_method_data[card][exp_year]", "2034"),
                    ("payment_method_data[card][cvc]", "123"),
                ],
            )
            .await;
        assert_eq!(confirm.json["status"], "requires_action");
        let result = emu
            .control(
                &format!("/_emulator/3ds/{}/result", id(&pi)),
                json!({"client_secret": pi["client_secret"], "outcome": "complete"}),
            )
            .await;
        assert_eq!(result.status, 402, "{}", result.text);
        assert_eq!(result.error("decline_code"), decline_code);
        assert_eq!(
            result.json["error"]["payment_intent"]["status"],
            "requires_payment_method"
        );
    }
}

#[tokio::test]
async fn error_on_requires_action_fails_instead() {
    let emu = spawn().await;
    let (pi, answer) = emu
        .confirmed_with(
            "pm_card_authenticationRequired",
            &[("error_on_requires_action", "true")],
        )
        .await;
    assert_eq!(answer.status, 402);
    assert_eq!(
        (
            answer.error("type"),
            answer.error("code"),
            answer.error("decline_code")
        ),
        (
            "card_error",
            "authentication_required",
            "authentication_not_handled"
        )
    );
    assert_eq!(pi["status"], "requires_payment_method");
    assert_eq!(pi["payment_method"], Value::Null);
}

#[tokio::test]
async fn next_action_mode_sends_stripe_js_to_the_hosted_page() {
    let emu = spawn().await;
    assert_eq!(
        emu.control("/_emulator/next_action", json!({"mode": "redirect_to_url"}))
            .await
            .status,
        200
    );
    let pi = emu.payment_intent().await;
    let answer = emu
        .post_publishable(
            &format!("/v1/payment_intents/{}/confirm", id(&pi)),
            &[
                ("client_secret", pi["client_secret"].as_str().unwrap()),
                ("use_stripe_sdk", "true"),
                ("return_url", "http://127.0.0.1:3000/order-confirmation"),
                ("payment_method_data[type]", "card"),
                ("payment_method_data[card][number]", "4000002760003184"),
                ("payment_method_data[card][exp_month]", "12"),
                ("payment_method_data[card][exp_year]", "2034"),
            ],
        )
        .await;
    assert_eq!(
        answer.json["next_action"]["type"], "redirect_to_url",
        "{}",
        answer.text
    );
    assert_eq!(
        emu.control("/_emulator/next_action", json!({"mode": "sideways"}))
            .await
            .status,
        400
    );
}

#[tokio::test]
async fn manual_capture_partial_and_cancel_of_a_hold() {
    let emu = spawn().await;
    let pi = emu
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "5000"),
                ("currency", "eur"),
                ("capture_method", "manual"),
                ("payment_method", "pm_card_visa"),
                ("confirm", "true"),
            ],
        )
        .await
        .json;
    assert_eq!(pi["status"], "requires_capture");
    assert_eq!(pi["amount_capturable"], 5000);
    assert_eq!(pi["amount_received"], 0);
    let pi_id = id(&pi);
    let too_much = emu
        .post(
            &format!("/v1/payment_intents/{pi_id}/capture"),
            &[("amount_to_capture", "6000")],
        )
        .await;
    assert_eq!(
        (too_much.status, too_much.error("code")),
        (400, "amount_too_large")
    );
    let captured = emu
        .post(
            &format!("/v1/payment_intents/{pi_id}/capture"),
            &[("amount_to_capture", "3000"), ("expand[]", "latest_charge")],
        )
        .await
        .json;
    assert_eq!(captured["status"], "succeeded");
    assert_eq!(captured["amount_received"], 3000);
    assert_eq!(captured["amount_capturable"], 0);
    assert_eq!(captured["latest_charge"]["amount_captured"], 3000);
    assert_eq!(
        captured["latest_charge"]["amount_refunded"], 2000,
        "the uncaptured rest is released"
    );

    let held = emu
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "5000"),
                ("currency", "usd"),
                ("capture_method", "manual"),
                ("payment_method", "pm_card_visa"),
                ("confirm", "true"),
            ],
        )
        .await
        .json;
    let canceled = emu
        .post(
            &format!("/v1/payment_intents/{}/cancel", id(&held)),
            &[
                ("cancellation_reason", "requested_by_customer"),
                ("expand[]", "latest_charge"),
            ],
        )
        .await
        .json;
    assert_eq!(canceled["status"], "canceled");
    assert_eq!(canceled["cancellation_reason"], "requested_by_customer");
    assert!(canceled["canceled_at"].as_i64().is_some());
    assert_eq!(canceled["latest_charge"]["refunded"], true);
    assert_eq!(
        canceled["latest_charge"]["refunds"]["data"][0]["amount"],
        5000
    );
}

#[tokio::test]
async fn terminal_states_refuse_every_change_but_metadata_and_description() {
    let emu = spawn().await;
    let (succeeded, _) = emu.confirmed_with("pm_card_visa", &[]).await;
    let canceled = emu.payment_intent().await;
    emu.post(
        &format!("/v1/payment_intents/{}/cancel", id(&canceled)),
        &[],
    )
    .await;
    for pi in [succeeded, canceled] {
        let pi_id = id(&pi);
        let status = emu.get(&format!("/v1/payment_intents/{pi_id}")).await.json["status"]
            .as_str()
            .unwrap()
            .to_string();
        for (path, form) in [
            ("", vec![("amount", "3000")]),
            ("", vec![("currency", "eur")]),
            ("", vec![("payment_method", "pm_card_visa")]),
            ("", vec![("receipt_email", "a@example.com")]),
            ("/confirm", vec![("payment_method", "pm_card_visa")]),
            ("/cancel", vec![]),
            ("/capture", vec![]),
        ] {
            let answer = emu
                .post(&format!("/v1/payment_intents/{pi_id}{path}"), &form)
                .await;
            assert_eq!(
                answer.status, 400,
                "{status} {path} {form:?}: {}",
                answer.text
            );
            assert_eq!(
                answer.error("code"),
                "payment_intent_unexpected_state",
                "{status} {path}"
            );
            assert_eq!(answer.json["error"]["payment_intent"]["id"], pi_id.as_str());
            if path.is_empty() {
                assert_eq!(answer.error("param"), form[0].0);
                assert!(answer
                    .error("message")
                    .contains(&format!("has a status of {status}")));
            }
        }
        let tagged = emu
            .post(
                &format!("/v1/payment_intents/{pi_id}"),
                &[("metadata[shipped]", "yes"), ("description", "Order 42")],
            )
            .await;
        assert_eq!(tagged.status, 200, "{}", tagged.text);
        assert_eq!(tagged.json["metadata"]["shipped"], "yes");
    }
    let (succeeded, _) = emu.confirmed_with("pm_card_visa", &[]).await;
    let again = emu
        .post(
            &format!("/v1/payment_intents/{}/confirm", id(&succeeded)),
            &[],
        )
        .await;
    assert_eq!(again.error("message"), "You cannot confirm this PaymentIntent because it has already succeeded after being previously confirmed.");
}

#[tokio::test]
async fn updates_move_and_clear_as_stripe_does() {
    let emu = spawn().await;
    let (declined, _) = emu.confirmed_with("pm_card_chargeDeclined", &[]).await;
    let pi_id = id(&declined);
    assert!(declined["last_payment_error"].is_object());
    let updated = emu
        .post(
            &format!("/v1/payment_intents/{pi_id}"),
            &[("amount", "2500"), ("metadata[order_id]", "42")],
        )
        .await
        .json;
    assert_eq!(updated["amount"], 2500);
    assert_eq!(
        updated["last_payment_error"],
        Value::Null,
        "an update clears the last error"
    );
    assert_eq!(updated["status"], "requires_payment_method");
    let with_pm = emu
        .post(
            &format!("/v1/payment_intents/{pi_id}"),
            &[("payment_method", "pm_card_visa")],
        )
        .await
        .json;
    assert_eq!(with_pm["status"], "requires_confirmation");
    let confirmed = emu
        .post(&format!("/v1/payment_intents/{pi_id}/confirm"), &[])
        .await;
    assert_eq!(confirmed.json["status"], "succeeded", "{}", confirmed.text);
    assert_eq!(confirmed.json["amount_received"], 2500);
    let unset = emu
        .post(
            &format!("/v1/payment_intents/{pi_id}"),
            &[("metadata[order_id]", "")],
        )
        .await
        .json;
    assert_eq!(unset["metadata"], json!({}));
}

#[tokio::test]
async fn confirm_without_a_payment_method_says_so() {
    let emu = spawn().await;
    let pi = emu.payment_intent().await;
    let answer = emu
        .post(&format!("/v1/payment_intents/{}/confirm", id(&pi)), &[])
        .await;
    assert_eq!(
        (answer.status, answer.error("code")),
        (400, "payment_intent_unexpected_state")
    );
    assert!(answer.error("message").starts_with(
        "You cannot confirm this PaymentIntent because it's missing a payment method."
    ));
    assert_eq!(
        answer.json["error"]["payment_intent"]["status"],
        "requires_payment_method"
    );
}

#[tokio::test]
async fn forced_asynchronous_outcomes() {
    let emu = spawn().await;
    for (end, final_status) in [
        ("succeeded", "succeeded"),
        ("payment_failed", "requires_payment_method"),
    ] {
        let pi = emu.payment_intent().await;
        let path = format!("/_emulator/payment_intents/{}/force", id(&pi));
        let processing = emu.control(&path, json!({"status": "processing"})).await;
        assert_eq!(
            processing.json["status"], "processing",
            "{}",
            processing.text
        );
        assert_eq!(processing.json["processing"], json!({"type": "card"}));
        let done = emu.control(&path, json!({"status": end})).await;
        assert_eq!(done.json["status"], final_status, "{}", done.text);
    }
    let pi = emu.payment_intent().await;
    let bad = emu
        .control(
            &format!("/_emulator/payment_intents/{}/force", id(&pi)),
            json!({"status": "teleported"}),
        )
        .await;
    assert_eq!(bad.status, 400);
    let missing = emu
        .control(
            "/_emulator/payment_intents/pi_nope/force",
            json!({"status": "processing"}),
        )
        .await;
    assert_eq!(missing.status, 404);
}

#[tokio::test]
async fn refunds_full_partial_and_too_much() {
    let emu = spawn().await;
    let (pi, _) = emu.confirmed_with("pm_card_visa", &[]).await;
    let pi_id = id(&pi);
    let partial = emu
        .post(
            "/v1/refunds",
            &[
                ("payment_intent", &pi_id),
                ("amount", "500"),
                ("reason", "requested_by_customer"),
            ],
        )
        .await;
    assert_eq!(partial.status, 200, "{}", partial.text);
    assert_eq!(
        (
            partial.json["amount"].as_i64(),
            partial.json["status"].as_str()
        ),
        (Some(500), Some("succeeded"))
    );
    assert!(partial.json["id"].as_str().unwrap().starts_with("re_"));
    let too_much = emu
        .post(
            "/v1/refunds",
            &[
                ("charge", pi["latest_charge"].as_str().unwrap()),
                ("amount", "1600"),
            ],
        )
        .await;
    assert_eq!(
        (too_much.status, too_much.error("code")),
        (400, "amount_too_large")
    );
    let rest = emu.post("/v1/refunds", &[("payment_intent", &pi_id)]).await;
    assert_eq!(rest.json["amount"], 1500);
    let charge = emu
        .get(&format!(
            "/v1/charges/{}",
            pi["latest_charge"].as_str().unwrap()
        ))
        .await
        .json;
    assert_eq!(
        (
            charge["amount_refunded"].as_i64(),
            charge["refunded"].as_bool()
        ),
        (Some(2000), Some(true))
    );
    let again = emu.post("/v1/refunds", &[("payment_intent", &pi_id)]).await;
    assert_eq!(
        (again.status, again.error("code")),
        (400, "charge_already_refunded")
    );
    let unpaid = emu.payment_intent().await;
    let nothing = emu
        .post("/v1/refunds", &[("payment_intent", &id(&unpaid))])
        .await;
    assert_eq!(nothing.status, 400);
    let neither = emu.post("/v1/refunds", &[]).await;
    assert_eq!(neither.status, 400);
}

#[tokio::test]
async fn lists_are_newest_first_with_cursors() {
    let emu = spawn().await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(id(&emu.payment_intent().await));
    }
    let page = emu.get("/v1/payment_intents?limit=2").await.json;
    assert_eq!(page["object"], "list");
    assert_eq!(page["url"], "/v1/payment_intents");
    assert_eq!(page["has_more"], true);
    assert!(page.get("total_count").is_none());
    let got: Vec<&str> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, [ids[2].as_str(), ids[1].as_str()]);
    let next = emu
        .get(&format!(
            "/v1/payment_intents?limit=2&starting_after={}",
            ids[1]
        ))
        .await
        .json;
    assert_eq!(next["data"][0]["id"], ids[0].as_str());
    assert_eq!(next["has_more"], false);
    let before = emu
        .get(&format!(
            "/v1/payment_intents?limit=1&ending_before={}",
            ids[0]
        ))
        .await
        .json;
    assert_eq!(before["data"][0]["id"], ids[1].as_str());
    assert_eq!(before["has_more"], true);
    for bad in [
        "limit=0",
        "limit=101",
        "limit=ten",
        "starting_after=pi_missing",
    ] {
        assert_eq!(
            emu.get(&format!("/v1/payment_intents?{bad}")).await.status,
            if bad.contains("missing") { 404 } else { 400 },
            "{bad}"
        );
    }
    let expanded = emu
        .get("/v1/payment_intents?limit=1&expand[]=data.latest_charge")
        .await;
    assert_eq!(expanded.status, 200, "{}", expanded.text);
    assert_eq!(
        emu.get("/v1/payment_intents?expand[]=latest_charge")
            .await
            .status,
        400
    );
}

#[tokio::test]
async fn amounts_and_currencies() {
    let emu = spawn().await;
    let too_small = emu
        .post(
            "/v1/payment_intents",
            &[("amount", "49"), ("currency", "usd")],
        )
        .await;
    assert_eq!(
        (
            too_small.status,
            too_small.error("code"),
            too_small.error("param")
        ),
        (400, "amount_too_small", "amount")
    );
    assert_eq!(
        too_small.error("message"),
        "Amount must be at least $0.50 usd"
    );
    let too_large = emu
        .post(
            "/v1/payment_intents",
            &[("amount", "100000000"), ("currency", "usd")],
        )
        .await;
    assert_eq!(too_large.error("code"), "amount_too_large");
    let absurd = emu
        .post(
            "/v1/payment_intents",
            &[("amount", "99999999999999999999999"), ("currency", "usd")],
        )
        .await;
    assert_eq!(absurd.error("code"), "parameter_invalid_integer");
    let negative = emu
        .post(
            "/v1/payment_intents",
            &[("amount", "-5"), ("currency", "usd")],
        )
        .await;
    assert_eq!(negative.error("code"), "amount_too_small");
    let unknown = emu
        .post(
            "/v1/payment_intents",
            &[("amount", "2000"), ("currency", "xyz")],
        )
        .await;
    assert_eq!((unknown.status, unknown.error("param")), (400, "currency"));
    let upper = emu
        .post(
            "/v1/payment_intents",
            &[("amount", "2000"), ("currency", "USD")],
        )
        .await;
    assert_eq!(upper.json["currency"], "usd");
    let yen = emu
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "500"),
                ("currency", "jpy"),
                ("payment_method", "pm_card_visa"),
                ("confirm", "true"),
                ("expand[]", "latest_charge"),
            ],
        )
        .await;
    assert_eq!(
        yen.json["latest_charge"]["amount"], 500,
        "zero-decimal currencies are not scaled"
    );
}

#[tokio::test]
async fn expansion_turns_ids_into_objects_only_when_asked() {
    let emu = spawn().await;
    let (pi, _) = emu.confirmed_with("pm_card_visa", &[]).await;
    assert!(pi["latest_charge"].is_string());
    assert!(pi["payment_method"].is_string());
    let pi_id = id(&pi);
    for query in [
        "expand[]=latest_charge&expand[]=payment_method",
        "expand[0]=latest_charge&expand[1]=payment_method",
    ] {
        let expanded = emu
            .get(&format!("/v1/payment_intents/{pi_id}?{query}"))
            .await
            .json;
        assert_eq!(expanded["latest_charge"]["object"], "charge", "{query}");
        assert_eq!(
            expanded["payment_method"]["object"], "payment_method",
            "{query}"
        );
    }
    let bad = emu
        .get(&format!(
            "/v1/payment_intents/{pi_id}?expand[]=customer.nope"
        ))
        .await;
    assert_eq!(bad.status, 400);
    let charge = emu
        .get(&format!(
            "/v1/charges/{}?expand[]=payment_intent",
            pi["latest_charge"].as_str().unwrap()
        ))
        .await
        .json;
    assert_eq!(charge["payment_intent"]["object"], "payment_intent");
}

#[tokio::test]
async fn a_seed_makes_ids_repeat_run_after_run() {
    let emu = spawn().await;
    let mut runs = Vec::new();
    for _ in 0..2 {
        assert_eq!(emu.control("/_emulator/reset", json!({})).await.status, 200);
        assert_eq!(
            emu.control("/_emulator/seed", json!({"seed": "checkout-snapshots"}))
                .await
                .status,
            200
        );
        let (pi, _) = emu.confirmed_with("pm_card_visa", &[]).await;
        runs.push((
            id(&pi),
            pi["client_secret"].clone(),
            pi["latest_charge"].clone(),
            pi["payment_method"].clone(),
        ));
    }
    assert_eq!(runs[0], runs[1]);
    assert_eq!(
        emu.get("/v1/payment_intents").await.json["data"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "reset emptied the account"
    );
    let refused = emu.control("/_emulator/seed", json!({"seed": 7})).await;
    assert_eq!(refused.status, 409, "seeding needs an empty store");
    let clock = emu
        .control("/_emulator/clock", json!({"now": 1_900_000_000}))
        .await;
    assert_eq!(clock.json["now"], 1_900_000_000);
    let created = emu.payment_intent().await["created"].as_i64().unwrap();
    assert!(
        (1_900_000_000..=1_900_000_001).contains(&created),
        "created follows the emulator clock: {created}"
    );
    assert_eq!(
        emu.control("/_emulator/clock", json!({"now": 1, "advance_seconds": 1}))
            .await
            .status,
        400
    );
}

#[tokio::test]
async fn a_partial_capture_leaves_exactly_the_captured_amount_to_refund() {
    let emu = spawn().await;
    let pi = emu
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "5000"),
                ("currency", "usd"),
                ("capture_method", "manual"),
                ("payment_method", "pm_card_visa"),
                ("confirm", "true"),
            ],
        )
        .await
        .json;
    let failed = emu
        .post(
            &format!("/v1/payment_intents/{}/capture", id(&pi)),
            &[("amount_to_capture", "9000"), ("metadata[note]", "x")],
        )
        .await;
    assert_eq!(failed.status, 400);
    assert!(
        emu.get(&format!("/v1/payment_intents/{}", id(&pi)))
            .await
            .json["metadata"]
            .get("note")
            .is_none(),
        "a failed capture changes nothing"
    );
    emu.post(
        &format!("/v1/payment_intents/{}/capture", id(&pi)),
        &[("amount_to_capture", "3000")],
    )
    .await;
    let refund = emu
        .post("/v1/refunds", &[("payment_intent", &id(&pi))])
        .await;
    assert_eq!(refund.json["amount"], 3000, "{}", refund.text);
    let charge = emu
        .get(&format!(
            "/v1/charges/{}",
            pi["latest_charge"].as_str().unwrap()
        ))
        .await
        .json;
    assert_eq!(
        (
            charge["amount_refunded"].as_i64(),
            charge["refunded"].as_bool()
        ),
        (Some(5000), Some(true))
    );
    assert_eq!(
        emu.post("/v1/refunds", &[("payment_intent", &id(&pi))])
            .await
            .error("code"),
        "charge_already_refunded"
    );

    // Forcing success on a hold captures it; no second charge.
    let held = emu
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "5000"),
                ("currency", "usd"),
                ("capture_method", "manual"),
                ("payment_method", "pm_card_visa"),
                ("confirm", "true"),
            ],
        )
        .await
        .json;
    let forced = emu
        .control(
            &format!("/_emulator/payment_intents/{}/force", id(&held)),
            json!({"status": "succeeded"}),
        )
        .await
        .json;
    assert_eq!(forced["status"], "succeeded");
    assert_eq!(forced["latest_charge"], held["latest_charge"]);
}

#[tokio::test]
async fn list_expansion_and_a_wrong_client_secret_on_confirm() {
    let emu = spawn().await;
    let (pi, _) = emu.confirmed_with("pm_card_visa", &[]).await;
    let listed = emu
        .get("/v1/payment_intents?limit=1&expand[]=data.latest_charge")
        .await
        .json;
    assert_eq!(
        listed["data"][0]["latest_charge"]["id"],
        pi["latest_charge"]
    );
    let fresh = emu.payment_intent().await;
    let wrong = emu
        .post_publishable(
            &format!("/v1/payment_intents/{}/confirm", id(&fresh)),
            &[
                ("client_secret", pi["client_secret"].as_str().unwrap()),
                ("payment_method", "pm_card_visa"),
            ],
        )
        .await;
    assert_eq!((wrong.status, wrong.error("param")), (400, "client_secret"));
    assert_eq!(
        emu.get(&format!("/v1/payment_intents/{}", id(&fresh)))
            .await
            .json["status"],
        "requires_payment_method"
    );
}
