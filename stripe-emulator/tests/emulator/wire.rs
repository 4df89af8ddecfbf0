//! Contract b.1 and b.2: keys, encoding, headers, versions, CORS, bad input.

use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn keys_are_checked_as_stripe_checks_them() {
    let emu = spawn().await;
    let create = emu.url("/v1/payment_intents");
    let form = [("amount", "2000"), ("currency", "usd")];

    let none = emu.send(emu.http.post(&create).form(&form)).await;
    assert_eq!(none.status, 401);
    assert!(none
        .error("message")
        .starts_with("You did not provide an API key."));

    let wrong = emu
        .send(
            emu.http
                .post(&create)
                .bearer_auth("sk_test_1234567890abcdWXYZ")
                .form(&form),
        )
        .await;
    assert_eq!(
        (wrong.status, wrong.error("type")),
        (401, "invalid_request_error")
    );
    assert_eq!(
        wrong.error("message"),
        "Invalid API Key provided: sk_test_**************WXYZ"
    );
    assert!(wrong.json["error"].get("code").is_none());

    // Assembled, so no live-looking key sits in the source.
    for live in [
        concat!("sk_", "live_", "1234567890abcdef"),
        concat!("pk_", "live_", "1234567890abcdef"),
    ] {
        assert_eq!(
            emu.send(emu.http.post(&create).bearer_auth(live).form(&form))
                .await
                .status,
            401,
            "{live}"
        );
    }

    let publishable = emu
        .send(
            emu.http
                .post(&create)
                .bearer_auth(&emu.keys().publishable_key)
                .form(&form),
        )
        .await;
    assert_eq!(publishable.status, 401);
    assert!(publishable
        .error("message")
        .starts_with("This API call cannot be made with a publishable API key."));

    let basic = emu
        .send(
            emu.http
                .post(&create)
                .basic_auth(&emu.keys().secret_key, Some(""))
                .form(&form),
        )
        .await;
    assert_eq!(
        basic.status, 200,
        "HTTP Basic with the key as user name works: {}",
        basic.text
    );
}

#[tokio::test]
async fn publishable_key_needs_the_client_secret_and_sees_a_subset() {
    let emu = spawn().await;
    let (pi, _) = emu.confirmed_with("pm_card_visa", &[]).await;
    let url = emu.url(&format!("/v1/payment_intents/{}", id(&pi)));
    let pk = &emu.keys().publishable_key;

    let missing = emu.send(emu.http.get(&url).query(&[("key", pk)])).await;
    assert_eq!(
        (missing.status, missing.error("param")),
        (400, "client_secret")
    );
    let mismatched = emu
        .send(
            emu.http
                .get(&url)
                .query(&[("key", pk.as_str()), ("client_secret", "pi_x_secret_nope")]),
        )
        .await;
    assert_eq!(mismatched.error("message"), "The client_secret provided does not match the client_secret associated with the PaymentIntent.");

    let subset = emu
        .send(
            emu.http
                .get(&url)
                .bearer_auth(pk)
                .query(&[("client_secret", pi["client_secret"].as_str().unwrap())]),
        )
        .await;
    assert_eq!(subset.status, 200, "{}", subset.text);
    for hidden in ["metadata", "customer", "latest_charge", "amount_received"] {
        assert!(
            subset.json.get(hidden).is_none(),
            "{hidden} must not reach the browser"
        );
    }
    for shown in [
        "id",
        "status",
        "amount",
        "currency",
        "client_secret",
        "payment_method",
        "last_payment_error",
        "next_action",
    ] {
        assert!(subset.json.get(shown).is_some(), "{shown}");
    }
    for secret_only in ["/v1/charges/ch_1", "/v1/payment_methods/pm_1"] {
        let answer = emu
            .send(emu.http.get(emu.url(secret_only)).bearer_auth(pk))
            .await;
        assert_eq!(answer.status, 401, "{secret_only}");
    }
    let cancel = emu
        .send(emu.http.post(format!("{url}/cancel")).bearer_auth(pk))
        .await;
    assert_eq!(cancel.status, 401);
}

#[tokio::test]
async fn both_array_forms_and_deep_brackets_decode_the_same() {
    let emu = spawn().await;
    let a = emu
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "2000"),
                ("currency", "usd"),
                ("payment_method_types[]", "card"),
                ("shipping[name]", "Ada"),
                ("shipping[address][line1]", "1 Main St"),
                ("metadata[a]", "1"),
            ],
        )
        .await;
    let b = emu
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "2000"),
                ("currency", "usd"),
                ("payment_method_types[0]", "card"),
                ("shipping[name]", "Ada"),
                ("shipping[address][line1]", "1 Main St"),
                ("metadata[a]", "1"),
            ],
        )
        .await;
    for field in ["payment_method_types", "shipping", "metadata"] {
        assert_eq!(a.json[field], b.json[field], "{field}");
    }
    assert_eq!(a.json["shipping"]["address"]["line1"], "1 Main St");
    assert_eq!(a.json["automatic_payment_methods"], Value::Null);
}

#[tokio::test]
async fn bad_input_gets_stripes_errors_never_a_500() {
    let emu = spawn().await;
    let json_body = emu
        .send(
            emu.http
                .post(emu.url("/v1/payment_intents"))
                .bearer_auth(&emu.keys().secret_key)
                .header("content-type", "application/json")
                .body(r#"{"amount":2000,"currency":"usd"}"#),
        )
        .await;
    assert_eq!(json_body.status, 400);
    assert!(json_body.error("message").starts_with(
        "Invalid request (check that your POST content type is application/x-www-form-urlencoded)."
    ));
    assert!(json_body.json["error"].get("code").is_none());

    // (form, status, error.code, error.param)
    type Case = (
        &'static [(&'static str, &'static str)],
        u16,
        &'static str,
        &'static str,
    );
    let cases: &[Case] = &[
        (&[("currency", "usd")], 400, "parameter_missing", "amount"),
        (
            &[("amount", "20.00"), ("currency", "usd")],
            400,
            "parameter_invalid_integer",
            "amount",
        ),
        (
            &[("amount", "2000"), ("currency", "usd"), ("foo", "1")],
            400,
            "parameter_unknown",
            "foo",
        ),
        (
            &[
                ("amount", "2000"),
                ("currency", "usd"),
                ("confirm", "maybe"),
            ],
            400,
            "parameter_invalid_boolean",
            "confirm",
        ),
        (
            &[
                ("amount", "2000"),
                ("currency", "usd"),
                ("capture_method", "later"),
            ],
            400,
            "parameter_invalid_enum",
            "capture_method",
        ),
        (
            &[
                ("amount", "2000"),
                ("currency", "usd"),
                ("metadata[k]", "v"),
                ("metadata[k][x]", "y"),
            ],
            400,
            "",
            "",
        ),
        (
            &[("amount", "2000"), ("currency", "usd"), ("description", "")],
            400,
            "parameter_invalid_empty",
            "description",
        ),
        (
            &[
                ("amount", "2000"),
                ("currency", "usd"),
                ("automatic_payment_methods[enabled]", "true"),
                ("payment_method_types[]", "card"),
            ],
            400,
            "parameters_exclusive",
            "automatic_payment_methods",
        ),
        (
            &[
                ("amount", "2000"),
                ("currency", "usd"),
                ("payment_method_types[]", "ideal"),
            ],
            400,
            "payment_method_invalid_parameter",
            "payment_method_types",
        ),
        (
            &[
                ("amount", "2000"),
                ("currency", "usd"),
                ("return_url", "https://x.test"),
            ],
            400,
            "",
            "return_url",
        ),
        (
            &[
                ("amount", "2000"),
                ("currency", "usd"),
                ("payment_method", "pm_nope"),
            ],
            404,
            "resource_missing",
            "payment_method",
        ),
    ];
    for (form, status, code, param) in cases {
        let answer = emu.post("/v1/payment_intents", form).await;
        assert_eq!(answer.status, *status, "{form:?}: {}", answer.text);
        assert_eq!(answer.error("type"), "invalid_request_error", "{form:?}");
        assert_eq!(answer.error("code"), *code, "{form:?}");
        assert_eq!(answer.error("param"), *param, "{form:?}");
    }

    let missing = emu.get("/v1/payment_intents/pi_123").await;
    assert_eq!(
        (
            missing.status,
            missing.error("code"),
            missing.error("param")
        ),
        (404, "resource_missing", "intent")
    );
    assert_eq!(missing.error("message"), "No such payment_intent: 'pi_123'");
    let unknown_url = emu.get("/v1/coupons").await;
    assert_eq!(unknown_url.status, 404);
    assert!(unknown_url
        .error("message")
        .starts_with("Unrecognized request URL (GET: /v1/coupons)."));

    let huge = "x".repeat(300 * 1024);
    let too_big = emu
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "2000"),
                ("currency", "usd"),
                ("description", &huge),
            ],
        )
        .await;
    assert_eq!(
        (too_big.status, too_big.error("type")),
        (413, "invalid_request_error")
    );
    let long = "x".repeat(6000);
    let too_long = emu
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "2000"),
                ("currency", "usd"),
                ("description", &long),
            ],
        )
        .await;
    assert_eq!(
        (too_long.status, too_long.error("param")),
        (400, "description")
    );
    let key = "k".repeat(256);
    let long_key = emu
        .post_idempotent(
            "/v1/payment_intents",
            &key,
            &[("amount", "2000"), ("currency", "usd")],
        )
        .await;
    assert_eq!(long_key.status, 400);
    let bad_name = emu
        .send(
            emu.http
                .post(emu.url("/v1/payment_intents"))
                .bearer_auth(&emu.keys().secret_key)
                .header("content-type", "application/x-www-form-urlencoded")
                .body("amount=2000&currency=usd&meta[data=1"),
        )
        .await;
    assert_eq!(bad_name.status, 400);
    let binary = emu
        .send(
            emu.http
                .post(emu.url("/v1/payment_intents"))
                .bearer_auth(&emu.keys().secret_key)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(vec![0xff, 0xfe, b'=', 0x00]),
        )
        .await;
    assert_eq!(binary.status, 400, "{}", binary.text);
}

#[tokio::test]
async fn headers_ids_and_pretty_json() {
    let emu = spawn().await;
    let answer = emu
        .post(
            "/v1/payment_intents",
            &[("amount", "2000"), ("currency", "usd")],
        )
        .await;
    assert_eq!(answer.header("content-type"), Some("application/json"));
    let request_id = answer.header("request-id").unwrap();
    assert!(
        request_id.starts_with("req_") && request_id.len() == 18,
        "{request_id}"
    );
    assert_eq!(
        answer.header("stripe-version"),
        Some(stripe_emulator::API_VERSION)
    );
    assert!(
        answer.text.starts_with("{\n  \"amount\": 2000,\n"),
        "two-space pretty JSON in the fixture's order"
    );
    assert_eq!(
        answer.text,
        format!("{}\n", serde_json::to_string_pretty(&answer.json).unwrap())
    );
    let pi_id = id(&answer.json);
    assert!(pi_id.len() == 27 && pi_id[3..].bytes().all(|b| b.is_ascii_alphanumeric()));
    let secret = answer.json["client_secret"].as_str().unwrap();
    let tail = secret
        .strip_prefix(&format!("{pi_id}_secret_"))
        .expect("pi_..._secret_...");
    assert!(tail.len() == 25 && tail.bytes().all(|b| b.is_ascii_alphanumeric()));
    assert!(answer.header("access-control-allow-origin").is_none());

    let versioned = emu
        .send(
            emu.http
                .get(emu.url(&format!("/v1/payment_intents/{pi_id}")))
                .bearer_auth(&emu.keys().secret_key)
                .header("Stripe-Version", "2023-08-16"),
        )
        .await;
    assert_eq!(versioned.header("stripe-version"), Some("2023-08-16"));
    let bad = emu
        .send(
            emu.http
                .get(emu.url(&format!("/v1/payment_intents/{pi_id}")))
                .bearer_auth(&emu.keys().secret_key)
                .header("Stripe-Version", "2099-01-01.nope"),
        )
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(
        bad.error("message"),
        "Invalid Stripe API version: 2099-01-01.nope"
    );
    assert_eq!(bad.header("stripe-should-retry"), Some("false"));

    let log = emu
        .send(emu.http.get(emu.url("/_emulator/requests")))
        .await
        .json;
    let logged = log["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["request_id"] == request_id)
        .expect("logged");
    assert_eq!(logged["path"], "/v1/payment_intents");
    assert_eq!(logged["status"], 200);
}

#[tokio::test]
async fn cors_only_on_publishable_key_routes() {
    let emu = spawn_with(stripe_emulator::Options {
        control_api: true,
        allowed_origins: vec!["http://127.0.0.1:3000".into()],
        ..Default::default()
    })
    .await;
    let pi = emu.payment_intent().await;
    let confirm = emu.url(&format!("/v1/payment_intents/{}/confirm", id(&pi)));
    let preflight = |url: String, origin: &'static str| {
        emu.http
            .request(reqwest::Method::OPTIONS, url)
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
    };
    let ok = emu
        .send(preflight(confirm.clone(), "http://127.0.0.1:3000"))
        .await;
    assert_eq!(ok.status, 204);
    assert_eq!(
        ok.header("access-control-allow-origin"),
        Some("http://127.0.0.1:3000")
    );
    let stranger = emu
        .send(preflight(confirm.clone(), "http://evil.test"))
        .await;
    assert!(stranger.header("access-control-allow-origin").is_none());
    let secret_route = emu
        .send(preflight(
            emu.url("/v1/payment_intents"),
            "http://127.0.0.1:3000",
        ))
        .await;
    assert!(secret_route.header("access-control-allow-origin").is_none());

    let get = emu
        .send(
            emu.http
                .get(emu.url(&format!("/v1/payment_intents/{}", id(&pi))))
                .header("Origin", "http://127.0.0.1:3000")
                .query(&[
                    ("key", emu.keys().publishable_key.as_str()),
                    ("client_secret", pi["client_secret"].as_str().unwrap()),
                ]),
        )
        .await;
    assert_eq!(
        get.header("access-control-allow-origin"),
        Some("http://127.0.0.1:3000")
    );
    let create = emu
        .send(
            emu.http
                .post(emu.url("/v1/payment_intents"))
                .header("Origin", "http://127.0.0.1:3000")
                .bearer_auth(&emu.keys().secret_key)
                .form(&[("amount", "2000"), ("currency", "usd")]),
        )
        .await;
    assert!(create.header("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn control_api_takes_only_json_so_no_web_page_can_drive_it() {
    let emu = spawn().await;
    // What a cross-site form or `fetch` without a preflight can send.
    let simple = emu
        .send(
            emu.http
                .post(emu.url("/_emulator/reset"))
                .header("content-type", "text/plain")
                .body("{}"),
        )
        .await;
    assert_eq!(simple.status, 415);
    let form = emu
        .send(
            emu.http
                .post(emu.url("/_emulator/next_action"))
                .form(&[("mode", "redirect_to_url")]),
        )
        .await;
    assert_eq!(form.status, 415);
    assert_eq!(
        emu.control("/_emulator/reset", serde_json::json!({}))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn control_api_is_off_unless_asked_for() {
    let emu = spawn_with(stripe_emulator::Options::default()).await;
    let answer = emu.control("/_emulator/reset", serde_json::json!({})).await;
    assert_eq!(answer.status, 404);
    assert!(answer.error("message").contains("--control-api"));
}

#[tokio::test]
async fn injected_faults_answer_before_the_endpoint_runs() {
    let emu = spawn().await;
    emu.control("/_emulator/faults", serde_json::json!({"next_requests": [{"path": "/v1/payment_intents", "status": 429}, {"path": "/v1/payment_intents", "status": 500}]})).await;
    let limited = emu
        .post(
            "/v1/payment_intents",
            &[("amount", "2000"), ("currency", "usd")],
        )
        .await;
    assert_eq!((limited.status, limited.error("code")), (429, "rate_limit"));
    assert_eq!(limited.header("stripe-should-retry"), Some("true"));
    let broken = emu
        .post(
            "/v1/payment_intents",
            &[("amount", "2000"), ("currency", "usd")],
        )
        .await;
    assert_eq!((broken.status, broken.error("type")), (500, "api_error"));
    assert_eq!(
        emu.get("/v1/payment_intents").await.json["data"]
            .as_array()
            .unwrap()
            .len(),
        0,
        "nothing was created"
    );
    assert_eq!(
        emu.post(
            "/v1/payment_intents",
            &[("amount", "2000"), ("currency", "usd")]
        )
        .await
        .status,
        200
    );
    let bad = emu
        .control(
            "/_emulator/faults",
            serde_json::json!({"next_requests": [{"path": "/v1/x", "status": 200}]}),
        )
        .await;
    assert_eq!(bad.status, 400);
    let unknown = emu
        .control("/_emulator/faults", serde_json::json!({"nope": 1}))
        .await;
    assert_eq!(unknown.status, 400);
}
