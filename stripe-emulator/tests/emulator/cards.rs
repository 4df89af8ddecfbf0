//! Contract b.7, row by row: what each test card does at confirm.

use serde_json::Value;

use crate::helpers::*;

/// What a confirm must give: HTTP status, error type/code/decline_code/param, PI status.
struct Row {
    card: &'static str,
    status: u16,
    error: Option<(
        &'static str,
        &'static str,
        Option<&'static str>,
        Option<&'static str>,
    )>,
    pi_status: &'static str,
}

const fn ok(card: &'static str) -> Row {
    Row {
        card,
        status: 200,
        error: None,
        pi_status: "succeeded",
    }
}

const fn decline(
    card: &'static str,
    code: &'static str,
    decline_code: Option<&'static str>,
    param: Option<&'static str>,
) -> Row {
    Row {
        card,
        status: 402,
        error: Some(("card_error", code, decline_code, param)),
        pi_status: "requires_payment_method",
    }
}

const fn three_ds(card: &'static str) -> Row {
    Row {
        card,
        status: 200,
        error: None,
        pi_status: "requires_action",
    }
}

const ROWS: &[Row] = &[
    ok("4242424242424242"),
    ok("4000056655665556"),
    ok("5555555555554444"),
    ok("2223003122003222"),
    ok("5200828282828210"),
    ok("5105105105105100"),
    ok("378282246310005"),
    ok("371449635398431"),
    ok("6011111111111117"),
    ok("3056930009020004"),
    ok("36227206271667"),
    ok("3566002020360505"),
    ok("6200000000000005"),
    ok("4000000000000077"),
    ok("4000000000003055"),
    ok("4111111111111111"),
    decline(
        "4000000000000002",
        "card_declined",
        Some("generic_decline"),
        None,
    ),
    decline(
        "4000000000000341",
        "card_declined",
        Some("generic_decline"),
        None,
    ),
    decline(
        "4000000000009995",
        "card_declined",
        Some("insufficient_funds"),
        None,
    ),
    decline("4000000000009987", "card_declined", Some("lost_card"), None),
    decline(
        "4000000000009979",
        "card_declined",
        Some("stolen_card"),
        None,
    ),
    decline(
        "4100000000000019",
        "card_declined",
        Some("fraudulent"),
        None,
    ),
    decline(
        "4000000000006975",
        "card_declined",
        Some("card_velocity_exceeded"),
        None,
    ),
    decline("4000000000000069", "expired_card", None, Some("exp_month")),
    decline("4000000000000127", "incorrect_cvc", None, Some("cvc")),
    decline("4000000000000119", "processing_error", None, None),
    decline("4242424242424241", "incorrect_number", None, Some("number")),
    three_ds("4000002500003155"),
    three_ds("4000002760003184"),
    three_ds("4000003800000446"),
    three_ds("4000000000003220"),
    three_ds("4000008260003178"),
    three_ds("4000008400001629"),
];

/// Confirms a new PaymentIntent as Stripe.js does: publishable key, client secret, raw card.
async fn confirm_in_browser(emu: &TestEmulator, number: &str) -> (Value, Answer) {
    let pi = emu.payment_intent().await;
    let pi_id = id(&pi);
    let cvc = if number.starts_with("37") {
        "1234"
    } else {
        "123"
    };
    let answer = emu
        .post_publishable(
            &format!("/v1/payment_intents/{pi_id}/confirm"),
            &[
                ("client_secret", pi["client_secret"].as_str().unwrap()),
                ("use_stripe_sdk", "true"),
                ("return_url", "http://127.0.0.1:3000/order-confirmation"),
                ("payment_method_data[type]", "card"),
                ("payment_method_data[card][number]", number),
                ("payment_method_data[card][exp_month]", "12"),
                ("payment_method_data[card][exp_year]", "2034"),
                ("payment_method_data[card][cvc]", cvc),
                (
                    "payment_method_data[billing_details][address][postal_code]",
                    "94103",
                ),
            ],
        )
        .await;
    let now = emu.get(&format!("/v1/payment_intents/{pi_id}")).await.json;
    (now, answer)
}

#[tokio::test]
async fn every_test_card_row_through_stripe_js() {
    let emu = spawn().await;
    for row in ROWS {
        let (pi, answer) = confirm_in_browser(&emu, row.card).await;
        assert_eq!(answer.status, row.status, "{}: {}", row.card, answer.text);
        assert_eq!(pi["status"], row.pi_status, "{}", row.card);
        match row.error {
            None => {
                assert_eq!(answer.json["status"], row.pi_status, "{}", row.card);
                assert!(
                    pi["payment_method"]
                        .as_str()
                        .is_some_and(|pm| pm.starts_with("pm_")),
                    "{}",
                    row.card
                );
            }
            Some((kind, code, decline_code, param)) => {
                assert_eq!(answer.error("type"), kind, "{}", row.card);
                assert_eq!(answer.error("code"), code, "{}", row.card);
                assert_eq!(
                    answer.json["error"]["decline_code"].as_str(),
                    decline_code,
                    "{}",
                    row.card
                );
                assert_eq!(
                    answer.json["error"]["param"].as_str(),
                    param,
                    "{}",
                    row.card
                );
                assert_eq!(
                    answer.json["error"]["payment_intent"]["status"], "requires_payment_method",
                    "{}",
                    row.card
                );
                assert_eq!(
                    pi["payment_method"],
                    Value::Null,
                    "{}: the PM is detached after a failure",
                    row.card
                );
                assert_eq!(pi["last_payment_error"]["code"], code, "{}", row.card);
                assert_eq!(
                    pi["last_payment_error"]["decline_code"].as_str(),
                    decline_code,
                    "{}",
                    row.card
                );
                // A decline at the network leaves a failed charge; a bad number never got there.
                if code == "incorrect_number" {
                    assert_eq!(pi["latest_charge"], Value::Null);
                } else {
                    assert!(
                        pi["last_payment_error"]["payment_method"]["id"]
                            .as_str()
                            .is_some_and(|p| p.starts_with("pm_")),
                        "{}",
                        row.card
                    );
                    let charge = emu
                        .get(&format!(
                            "/v1/charges/{}",
                            pi["latest_charge"].as_str().unwrap()
                        ))
                        .await
                        .json;
                    assert_eq!(charge["status"], "failed", "{}", row.card);
                    assert_eq!(charge["failure_code"], code, "{}", row.card);
                    assert_eq!(answer.error("charge"), charge["id"].as_str().unwrap());
                }
            }
        }
    }
}

#[tokio::test]
async fn declines_carry_stripes_messages() {
    let emu = spawn().await;
    for (card, message) in [
        ("pm_card_visa_chargeDeclined", "Your card was declined."),
        (
            "pm_card_visa_chargeDeclinedInsufficientFunds",
            "Your card has insufficient funds.",
        ),
        (
            "pm_card_chargeDeclinedExpiredCard",
            "Your card has expired.",
        ),
        (
            "pm_card_chargeDeclinedIncorrectCvc",
            "Your card's security code is incorrect.",
        ),
        (
            "pm_card_chargeDeclinedProcessingError",
            "An error occurred while processing your card. Try again in a little bit.",
        ),
    ] {
        let (_, answer) = emu.confirmed_with(card, &[]).await;
        assert_eq!(answer.status, 402);
        assert_eq!(answer.error("message"), message, "{card}");
        assert_eq!(
            answer.error("doc_url"),
            format!(
                "https://stripe.com/docs/error-codes/{}",
                answer.error("code").replace('_', "-")
            )
        );
        assert!(answer
            .error("request_log_url")
            .contains("/_emulator/requests/req_"));
    }
}

#[tokio::test]
async fn test_payment_method_ids_become_fresh_payment_methods() {
    let emu = spawn().await;
    let (pi, answer) = emu.confirmed_with("pm_card_visa", &[]).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let pm = pi["payment_method"].as_str().unwrap();
    assert!(
        pm.starts_with("pm_")
            && pm.len() == 27
            && pm[3..].bytes().all(|b| b.is_ascii_alphanumeric()),
        "{pm}"
    );
    let (again, _) = emu.confirmed_with("pm_card_visa", &[]).await;
    assert_ne!(
        again["payment_method"], pi["payment_method"],
        "each use makes a new PaymentMethod"
    );
    let fetched = emu.get(&format!("/v1/payment_methods/{pm}")).await;
    assert_eq!(fetched.json["card"]["last4"], "4242");
    assert_eq!(fetched.json["card"]["brand"], "visa");
}

#[tokio::test]
async fn raw_card_numbers_with_the_secret_key_are_refused() {
    let emu = spawn().await;
    let pi = emu.payment_intent().await;
    let answer = emu
        .post(
            &format!("/v1/payment_intents/{}/confirm", id(&pi)),
            &[
                ("payment_method_data[type]", "card"),
                ("payment_method_data[card][number]", "4242424242424242"),
                ("payment_method_data[card][exp_month]", "12"),
                ("payment_method_data[card][exp_year]", "2034"),
            ],
        )
        .await;
    assert_eq!(answer.status, 402, "{}", answer.text);
    assert_eq!(answer.error("type"), "invalid_request_error");
    assert!(answer.error("message").starts_with(
        "Sending credit card numbers directly to the Stripe API is generally unsafe."
    ));
    let answer = emu
        .post(
            "/v1/payment_methods",
            &[
                ("type", "card"),
                ("card[number]", "4242424242424242"),
                ("card[exp_month]", "12"),
                ("card[exp_year]", "2034"),
            ],
        )
        .await;
    assert_eq!(answer.status, 402);
    // Stripe.js may create one with the publishable key; the number never comes back.
    let answer = emu
        .post_publishable(
            "/v1/payment_methods",
            &[
                ("type", "card"),
                ("card[number]", "4242424242424242"),
                ("card[exp_month]", "12"),
                ("card[exp_year]", "2034"),
                ("card[cvc]", "123"),
            ],
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert!(!answer.text.contains("4242424242424242"));
    assert_eq!(answer.json["card"]["last4"], "4242");
}

#[tokio::test]
async fn strict_cards_decline_numbers_that_are_not_test_cards() {
    let emu = spawn_with(stripe_emulator::Options {
        strict_cards: true,
        ..Default::default()
    })
    .await;
    let (_, answer) = confirm_in_browser(&emu, "4111111111111111").await;
    assert_eq!(answer.status, 402);
    assert_eq!(answer.error("decline_code"), "test_mode_live_card");
    let (pi, answer) = confirm_in_browser(&emu, "4242424242424242").await;
    assert_eq!(
        (answer.status, pi["status"].as_str()),
        (200, Some("succeeded"))
    );
}
