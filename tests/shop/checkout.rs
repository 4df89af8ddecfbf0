//! Checkout against a real emulator over HTTP: the PaymentIntent follows the cart, keys
//! make retries safe, generations replace dead PaymentIntents, and submit locks the
//! order only at the price the shopper saw.

use crate::helpers::{
    shop_with_webhooks, spawn_app, spawn_app_against, TestShop, TestStripe, DETAILS,
};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use storefront::{domain::OrderStatus, server::store::Store};

/// Prepares the payment and insists it worked.
async fn prepare(shop: &mut TestShop, shipping: &str) -> Value {
    let response = shop
        .call(
            "checkout/prepare",
            &[("shipping", shipping), ("country", "US"), ("region", "IL")],
        )
        .await;
    let status = response.status();
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(status, StatusCode::OK, "prepare: {body}");
    body
}

/// Prepare fails calmly: Stripe did not answer as it should.
async fn prepare_is_unavailable(shop: &mut TestShop) {
    let response = shop
        .call(
            "checkout/prepare",
            &[
                ("shipping", "standard"),
                ("country", "US"),
                ("region", "IL"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!("PaymentUnavailable")
    );
}

/// The shared valid details, plus what `session`'s page would send.
fn submission(session: &Value) -> Vec<(&'static str, String)> {
    let mut form: Vec<(&'static str, String)> =
        DETAILS.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
    form.extend([
        ("shipping", session["shipping"].as_str().unwrap().to_owned()),
        (
            "payment_intent",
            session["payment_intent"].as_str().unwrap().to_owned(),
        ),
        ("cart_version", session["cart_version"].to_string()),
        ("total", session["totals"]["total"]["minor"].to_string()),
    ]);
    form
}

async fn submit(shop: &mut TestShop, form: &[(&'static str, String)]) -> (StatusCode, Value) {
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let response = shop.call("checkout/submit", &form).await;
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn total(session: &Value) -> i64 {
    session["totals"]["total"]["minor"].as_i64().unwrap()
}

async fn order_status(shop: &TestShop, order_id: &str) -> Option<OrderStatus> {
    let store = Store::open(&shop.database_url).await.unwrap();
    store.order_status(order_id).await.unwrap()
}

/// PaymentIntents created by the emulator (not replays, not refusals).
async fn creations(stripe: &TestStripe) -> usize {
    stripe
        .requests()
        .await
        .iter()
        .filter(|r| {
            r["method"] == "POST"
                && r["path"] == "/v1/payment_intents"
                && r["status"] == 200
                && r["replayed"] == false
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prepare_prices_the_cart_from_the_database_and_creates_one_payment_intent() {
    let stripe = TestStripe::start().await;
    let mut shop = spawn_app_against(&stripe, |_| {}).await;
    shop.add("stoneware-mug", "2").await;
    let session = prepare(&mut shop, "standard").await;
    assert_eq!(total(&session), 2 * 1800 + 500);
    assert_eq!(
        session["publishable_key"],
        stripe.running.keys.publishable_key
    );
    let id = session["payment_intent"].as_str().unwrap();
    assert!(session["client_secret"]
        .as_str()
        .unwrap()
        .starts_with(&format!("{id}_secret_")));

    let intent = stripe.payment_intent(id).await;
    assert_eq!(intent["amount"], 4100);
    assert_eq!(intent["currency"], "usd");
    assert_eq!(intent["automatic_payment_methods"]["enabled"], true);
    let order_id = intent["metadata"]["order_id"].as_str().unwrap();
    assert_eq!(
        order_status(&shop, order_id).await,
        Some(OrderStatus::Draft)
    );

    // Loading the page again reuses everything.
    let again = prepare(&mut shop, "").await;
    assert_eq!(again["payment_intent"], session["payment_intent"]);
    assert_eq!(creations(&stripe).await, 1);
    let log = stripe.requests().await;
    assert!(
        log.iter()
            .all(|r| r["method"] == "GET" || r["idempotency_key"].is_string()),
        "every write carries an idempotency key"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cart_or_shipping_change_updates_the_same_payment_intent() {
    let stripe = TestStripe::start().await;
    let mut shop = spawn_app_against(&stripe, |_| {}).await;
    shop.add("linen-apron", "1").await;
    let first = prepare(&mut shop, "standard").await;
    let id = first["payment_intent"].as_str().unwrap().to_owned();

    shop.call(
        "cart/quantity",
        &[("product_id", "linen-apron"), ("quantity", "3")],
    )
    .await;
    let second = prepare(&mut shop, "").await;
    assert_eq!(second["payment_intent"], id.as_str());
    assert_eq!(total(&second), 3 * 3800 + 500);
    assert_eq!(stripe.payment_intent(&id).await["amount"], 3 * 3800 + 500);

    let express = prepare(&mut shop, "express").await;
    assert_eq!(total(&express), 3 * 3800 + 1500);
    assert_eq!(stripe.payment_intent(&id).await["amount"], 3 * 3800 + 1500);
    // Back to standard is a new cart version, so a new key: the amount really changes
    // back rather than replaying the first update.
    let back = prepare(&mut shop, "standard").await;
    assert_eq!(stripe.payment_intent(&id).await["amount"], total(&back));
    assert_eq!(creations(&stripe).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_prepares_share_one_order_and_one_payment_intent() {
    let stripe = TestStripe::start().await;
    let mut shop = spawn_app_against(&stripe, |_| {}).await;
    shop.add("canvas-tote", "2").await;
    let mut tabs = Vec::new();
    for _ in 0..6 {
        let mut tab = shop.stranger();
        tab.cookie = shop.cookie.clone();
        tabs.push(tokio::spawn(
            async move { prepare(&mut tab, "standard").await },
        ));
    }
    let mut ids = Vec::new();
    for tab in tabs {
        ids.push(
            tab.await.unwrap()["payment_intent"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "one PaymentIntent for every tab");
    assert_eq!(stripe.payment_intents().await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submit_locks_the_order_at_the_price_the_shopper_saw() {
    let stripe = TestStripe::start().await;
    let mut shop = spawn_app_against(&stripe, |_| {}).await;
    shop.add("bud-vase", "1").await;
    let session = prepare(&mut shop, "standard").await;
    let (status, body) = submit(&mut shop, &submission(&session)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let intent = stripe
        .payment_intent(session["payment_intent"].as_str().unwrap())
        .await;
    let order_id = intent["metadata"]["order_id"].as_str().unwrap().to_owned();
    assert_eq!(
        order_status(&shop, &order_id).await,
        Some(OrderStatus::AwaitingPayment)
    );

    // Submitting again (a corrected email after a decline) is fine.
    let mut corrected = submission(&session);
    corrected[0].1 = "ada.lovelace@example.com".into();
    assert_eq!(submit(&mut shop, &corrected).await.0, StatusCode::OK);

    // Another tab changes the cart: this page's price is stale.
    shop.call(
        "cart/quantity",
        &[("product_id", "bud-vase"), ("quantity", "2")],
    )
    .await;
    let (status, body) = submit(&mut shop, &submission(&session)).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        body["CartChanged"]["total"]["minor"],
        2 * 2900 + 500,
        "{body}"
    );

    // The locked order is abandoned for a new draft; its PaymentIntent is cancelled.
    let fresh = prepare(&mut shop, "").await;
    assert_ne!(fresh["payment_intent"], session["payment_intent"]);
    assert_eq!(
        order_status(&shop, &order_id).await,
        Some(OrderStatus::Canceled)
    );
    let old = session["payment_intent"].as_str().unwrap().to_owned();
    let mut canceled = false;
    for _ in 0..50 {
        if stripe.payment_intent(&old).await["status"] == "canceled" {
            canceled = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        canceled,
        "the superseded PaymentIntent is cancelled at Stripe"
    );
    assert_eq!(
        submit(&mut shop, &submission(&fresh)).await.0,
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampered_totals_versions_and_payment_intents_are_refused() {
    let stripe = TestStripe::start().await;
    let mut shop = spawn_app_against(&stripe, |_| {}).await;
    shop.add("merino-throw", "1").await;
    // Extra fields claiming an amount are ignored: the price comes from the database.
    let response = shop
        .call(
            "checkout/prepare",
            &[
                ("shipping", "standard"),
                ("country", "US"),
                ("region", "IL"),
                ("amount", "1"),
                ("currency", "jpy"),
            ],
        )
        .await;
    let session: Value = response.json().await.unwrap();
    assert_eq!(total(&session), 12900 + 500);
    let id = session["payment_intent"].as_str().unwrap().to_owned();

    for (field, value) in [
        ("total", "1"),
        ("total", "-13400"),
        ("cart_version", "999"),
        ("shipping", "express"),
        ("payment_intent", "pi_someoneelse"),
    ] {
        let mut form = submission(&session);
        form.iter_mut().find(|(k, _)| *k == field).unwrap().1 = value.into();
        let (status, body) = submit(&mut shop, &form).await;
        assert_eq!(status, StatusCode::CONFLICT, "{field}={value}: {body}");
        assert_eq!(
            body["CartChanged"]["total"]["minor"], 13400,
            "{field}={value}"
        );
    }
    for (field, value) in [
        ("total", "lots"),
        ("cart_version", "1e9"),
        ("shipping", "teleport"),
        ("payment_intent", "pi_../../v1/charges"),
        ("payment_intent", "ch_123"),
    ] {
        let mut form = submission(&session);
        form.iter_mut().find(|(k, _)| *k == field).unwrap().1 = value.into();
        let (status, body) = submit(&mut shop, &form).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{field}={value}: {body}");
    }
    let bad_shipping = shop
        .call(
            "checkout/prepare",
            &[("shipping", "free"), ("country", "US"), ("region", "IL")],
        )
        .await;
    assert_eq!(bad_shipping.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        stripe.payment_intent(&id).await["amount"],
        13400,
        "nothing changed the amount"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn details_are_validated_again_on_the_server_field_by_field() {
    let stripe = TestStripe::start().await;
    let mut shop = spawn_app_against(&stripe, |_| {}).await;
    shop.add("copper-scoop", "1").await;
    let session = prepare(&mut shop, "standard").await;
    let mut form = submission(&session);
    form[0].1 = "not-an-email".into();
    form[1].1 = "x".repeat(101);
    form[4].1 = "Spring\u{7}field".into();
    form[7].1 = "ZZ".into();
    let (status, body) = submit(&mut shop, &form).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let errors = body["InvalidDetails"].as_array().expect("field errors");
    // Problems, not sentences: the page words them in the shopper's language.
    let problem = |field: &str| errors.iter().find(|e| e[0] == field).map(|e| e[1].clone());
    assert_eq!(problem("email"), Some(json!("invalid_email")));
    assert_eq!(problem("name"), Some(json!({"too_long": 100})));
    assert_eq!(problem("city"), Some(json!("control_characters")));
    assert_eq!(problem("country"), Some(json!("unknown_country")));
    let intent = stripe
        .payment_intent(session["payment_intent"].as_str().unwrap())
        .await;
    let order = intent["metadata"]["order_id"].as_str().unwrap();
    assert_eq!(
        order_status(&shop, order).await,
        Some(OrderStatus::Draft),
        "nothing was locked"
    );
    // A missing field is a typed refusal too, not a 500.
    let (status, _) = submit(&mut shop, &form[..5]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_carts_and_other_shoppers_orders_are_out_of_reach() {
    let stripe = TestStripe::start().await;
    let mut shop = spawn_app_against(&stripe, |_| {}).await;
    let mut nobody = shop.stranger();
    let response = nobody
        .call(
            "checkout/prepare",
            &[
                ("shipping", "standard"),
                ("country", "US"),
                ("region", "IL"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(response.json::<Value>().await.unwrap(), json!("EmptyCart"));

    shop.add("stoneware-mug", "1").await;
    let session = prepare(&mut shop, "standard").await;
    // Another shopper with their own cart tries to lock this shopper's PaymentIntent.
    let mut other = shop.stranger();
    other.add("canvas-tote", "1").await;
    prepare(&mut other, "standard").await;
    let (status, _) = submit(&mut other, &submission(&session)).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let intent = stripe
        .payment_intent(session["payment_intent"].as_str().unwrap())
        .await;
    let order = intent["metadata"]["order_id"].as_str().unwrap();
    assert_eq!(order_status(&shop, order).await, Some(OrderStatus::Draft));

    // Emptying the cart leaves nothing to pay for.
    shop.call("cart/remove", &[("product_id", "stoneware-mug")])
        .await;
    let response = shop
        .call(
            "checkout/prepare",
            &[("shipping", ""), ("country", "US"), ("region", "IL")],
        )
        .await;
    assert_eq!(response.json::<Value>().await.unwrap(), json!("EmptyCart"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stripe_failures_are_calm_and_never_duplicate_a_payment_intent() {
    let stripe = TestStripe::start().await;
    let mut shop = spawn_app_against(&stripe, |config| {
        config.stripe_timeout = std::time::Duration::from_millis(500);
    })
    .await;
    shop.add("beeswax-candle", "1").await;

    // Three 500s: more than the client's retries. The shopper is told calmly.
    let fault = json!({"path": "/v1/payment_intents", "status": 500});
    stripe
        .control("faults", json!({"next_requests": [fault, fault, fault]}))
        .await;
    prepare_is_unavailable(&mut shop).await;
    // The shopper's retry succeeds.
    prepare(&mut shop, "standard").await;
    assert_eq!(stripe.payment_intents().await.len(), 1);

    // 429s and a timeout on an update: calm, and the retry converges on one object.
    shop.call(
        "cart/quantity",
        &[("product_id", "beeswax-candle"), ("quantity", "2")],
    )
    .await;
    let fault = json!({"path": "/v1/payment_intents/*", "status": 429});
    stripe
        .control(
            "faults",
            json!({"next_requests": [fault, fault, fault, fault]}),
        )
        .await;
    let response = shop
        .call(
            "checkout/prepare",
            &[("shipping", ""), ("country", "US"), ("region", "IL")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    stripe.control("faults", json!({"next_requests": []})).await;
    reqwest::Client::new()
        .delete(format!("{}/_emulator/faults", stripe.running.base_url))
        .send()
        .await
        .unwrap();
    let slow = json!({"path": "/v1/payment_intents/*", "delay_ms": 1500});
    stripe
        .control("faults", json!({"next_requests": [slow]}))
        .await;
    let session = prepare(&mut shop, "").await;
    assert_eq!(total(&session), 2 * 2400 + 500);
    let intents = stripe.payment_intents().await;
    assert_eq!(intents.len(), 1, "still one PaymentIntent");
    assert_eq!(intents[0]["amount"], 2 * 2400 + 500);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stripe_500_stored_under_its_key_moves_the_order_to_a_new_key() {
    // A 500 during execution is Stripe's final answer for that Idempotency-Key
    // (Stripe-Should-Retry: false): retrying the key would only replay it, so the
    // order's next attempt must come with a new generation, hence a new key.
    let stripe = TestStripe::start().await;
    let mut shop = spawn_app_against(&stripe, |_| {}).await;
    shop.add("beeswax-candle", "1").await;
    stripe
        .control(
            "faults",
            json!({"next_requests": [{"path": "/v1/payment_intents", "status": 500, "stored": true}]}),
        )
        .await;
    prepare_is_unavailable(&mut shop).await;
    let session = prepare(&mut shop, "standard").await;
    let intents = stripe.payment_intents().await;
    assert_eq!(intents.len(), 1, "one PaymentIntent, made under a new key");
    assert_eq!(intents[0]["id"], session["payment_intent"]);
    let creations: Vec<Value> = stripe
        .requests()
        .await
        .into_iter()
        .filter(|r| r["method"] == "POST" && r["path"] == "/v1/payment_intents")
        .collect();
    assert_eq!(creations.len(), 2, "the failed creation and the new one");
    assert_ne!(
        creations[0]["idempotency_key"], creations[1]["idempotency_key"],
        "a new key after a stored failure"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_payment_intent_is_replaced_in_a_new_generation() {
    let stripe = TestStripe::start().await;
    let mut shop = spawn_app_against(&stripe, |_| {}).await;
    shop.add("olive-wood-board", "1").await;
    let first = prepare(&mut shop, "standard").await;
    let first_id = first["payment_intent"].as_str().unwrap().to_owned();

    // Cancelled behind the shop's back.
    stripe
        .api(
            Method::POST,
            &format!("/v1/payment_intents/{first_id}/cancel"),
            &[],
        )
        .await;
    let second = prepare(&mut shop, "").await;
    let second_id = second["payment_intent"].as_str().unwrap().to_owned();
    assert_ne!(second_id, first_id);
    assert_eq!(
        stripe.payment_intent(&second_id).await["metadata"]["order_id"],
        stripe.payment_intent(&first_id).await["metadata"]["order_id"],
        "same order, new generation"
    );

    // Gone altogether (an emulator reset): a fresh one again.
    stripe.control("reset", json!({})).await;
    let third = prepare(&mut shop, "").await;
    assert_ne!(third["payment_intent"], second_id.as_str());
    assert_eq!(stripe.payment_intents().await.len(), 1);

    // Paid already (in another tab): not reused, not replaced.
    let third_id = third["payment_intent"].as_str().unwrap();
    stripe.confirm(third_id, "pm_card_visa").await;
    let response = shop
        .call(
            "checkout/prepare",
            &[("shipping", ""), ("country", "US"), ("region", "IL")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!("AlreadyPaying")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payment_intent_creation_is_rate_limited_per_cart() {
    let stripe = TestStripe::start().await;
    let mut shop = spawn_app_against(&stripe, |config| {
        config.limits.per_cart = 2;
    })
    .await;
    shop.add("stoneware-mug", "1").await;
    for _ in 0..2 {
        let session = prepare(&mut shop, "standard").await;
        let id = session["payment_intent"].as_str().unwrap();
        stripe
            .api(
                Method::POST,
                &format!("/v1/payment_intents/{id}/cancel"),
                &[],
            )
            .await;
    }
    let response = shop
        .call(
            "checkout/prepare",
            &[("shipping", ""), ("country", "US"), ("region", "IL")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!("TooManyRequests")
    );
    // Another cart is not affected.
    let mut other = shop.stranger();
    other.add("canvas-tote", "1").await;
    prepare(&mut other, "standard").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_mode_runs_the_emulator_in_process_and_keeps_secrets_out_of_pages() {
    let mut shop = spawn_app().await;
    shop.add("stoneware-mug", "1").await;
    let session = prepare(&mut shop, "standard").await;
    assert!(session["publishable_key"]
        .as_str()
        .unwrap()
        .starts_with("pk_test_"));
    let response = shop.get("/checkout").await;
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let page = response.text().await.unwrap();
    let base = &shop.stripe_api_base;
    assert!(
        page.contains(&format!("<script src=\"{base}/js.stripe.com/v3/\"")),
        "stripe.js before the wasm"
    );
    assert!(
        csp.contains(&format!("script-src 'self' 'nonce-")) && csp.contains(&format!(" {base}")),
        "{csp}"
    );
    assert!(csp.contains(&format!("frame-src {base}")), "{csp}");
    assert!(page.contains("Test mode"), "the test-mode ribbon");
    assert!(
        !page.contains("sk_test_") && !page.contains("whsec_"),
        "no secret in the page"
    );
    let intent = reqwest::Client::new()
        .get(format!(
            "{base}/v1/payment_intents/{}",
            session["payment_intent"].as_str().unwrap()
        ))
        .query(&[
            ("key", session["publishable_key"].as_str().unwrap()),
            ("client_secret", session["client_secret"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        intent.status(),
        StatusCode::OK,
        "the browser can read its PaymentIntent with the publishable key"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payment_intent_creation_is_rate_limited_per_client_ip() {
    let stripe = TestStripe::start().await;
    let shop = spawn_app_against(&stripe, |config| {
        config.limits.per_ip = 2;
    })
    .await;
    // Three shoppers from the same address (this test's loopback).
    for (index, product) in ["stoneware-mug", "canvas-tote", "bud-vase"]
        .into_iter()
        .enumerate()
    {
        let mut shopper = shop.stranger();
        shopper.add(product, "1").await;
        let response = shopper
            .call(
                "checkout/prepare",
                &[
                    ("shipping", "standard"),
                    ("country", "US"),
                    ("region", "IL"),
                ],
            )
            .await;
        let expected = if index < 2 {
            StatusCode::OK
        } else {
            StatusCode::TOO_MANY_REQUESTS
        };
        assert_eq!(response.status(), expected, "shopper {index}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overlapping_prepares_for_different_carts_leave_stripe_and_the_order_agreeing() {
    let stripe = TestStripe::start().await;
    let mut shop = spawn_app_against(&stripe, |_| {}).await;
    shop.add("stoneware-mug", "1").await;
    prepare(&mut shop, "standard").await;
    // Two tabs: one keeps changing the quantity, the other keeps re-pricing.
    let mut tasks = Vec::new();
    for round in 0..8u32 {
        let mut tab = shop.stranger();
        tab.cookie = shop.cookie.clone();
        tasks.push(tokio::spawn(async move {
            let quantity = (round % 4 + 1).to_string();
            tab.call(
                "cart/quantity",
                &[("product_id", "stoneware-mug"), ("quantity", &quantity)],
            )
            .await;
            let shipping = if round % 2 == 0 {
                "express"
            } else {
                "standard"
            };
            tab.call(
                "checkout/prepare",
                &[("shipping", shipping), ("country", "US"), ("region", "IL")],
            )
            .await
            .status()
        }));
    }
    for task in tasks {
        let status = task.await.unwrap();
        assert!(
            status == StatusCode::OK || status == StatusCode::CONFLICT,
            "{status}"
        );
    }
    let session = prepare(&mut shop, "").await;
    let intent = stripe
        .payment_intent(session["payment_intent"].as_str().unwrap())
        .await;
    assert_eq!(
        intent["amount"].as_i64().unwrap(),
        total(&session),
        "Stripe charges what the page shows"
    );
    assert_eq!(
        submit(&mut shop, &submission(&session)).await.0,
        StatusCode::OK
    );
}

/// A shop that locks an order after `limit` failed payments, Stripe's webhooks
/// delivered to it, and a prepared checkout of one mug: the shop, the checkout
/// session, its PaymentIntent and the shop's database.
async fn checkout_locking_after(
    limit: u32,
) -> (TestStripe, TestShop, Value, String, sqlx::AnyPool) {
    let (stripe, mut shop) = shop_with_webhooks(|config| {
        config.limits.failures_before_lock = limit;
    })
    .await;
    shop.add("stoneware-mug", "1").await;
    let session = prepare(&mut shop, "standard").await;
    let id = session["payment_intent"].as_str().unwrap().to_owned();
    let pool = crate::helpers::connect(&shop.database_url).await;
    (stripe, shop, session, id, pool)
}

/// Waits (bounded) until the failed order has counted `attempts` failures.
async fn failures_counted(pool: &sqlx::AnyPool, attempts: i64) -> i64 {
    let mut failures = 0;
    for _ in 0..100 {
        // The order may already be cancelled: at the threshold its PaymentIntent is.
        failures = sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(failed_attempts) FROM orders")
            .fetch_one(pool)
            .await
            .unwrap()
            .unwrap_or(0);
        if failures == attempts {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    failures
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_failed_payments_lock_the_order_for_a_while() {
    let (stripe, mut shop, session, id, pool) = checkout_locking_after(2).await;
    for attempt in 1..=2 {
        assert_eq!(
            submit(&mut shop, &submission(&session)).await.0,
            StatusCode::OK,
            "attempt {attempt}"
        );
        stripe.confirm(&id, "pm_card_chargeDeclined").await;
        assert_eq!(failures_counted(&pool, attempt).await, attempt);
    }
    let (status, body) = submit(&mut shop, &submission(&session)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body, json!("TooManyRequests"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_declined_attempt_counts_even_without_a_new_submit() {
    // A card tester holding the client secret confirms the same PaymentIntent again
    // and again, straight at Stripe: the order stays `payment_failed`, yet each decline
    // is an attempt and counts toward the lock.
    let (stripe, mut shop, session, id, pool) = checkout_locking_after(3).await;
    assert_eq!(
        submit(&mut shop, &submission(&session)).await.0,
        StatusCode::OK
    );
    for card in [
        "pm_card_chargeDeclined",
        "pm_card_chargeDeclinedInsufficientFunds",
        "pm_card_chargeDeclined",
    ] {
        stripe.confirm(&id, card).await;
    }
    assert_eq!(
        failures_counted(&pool, 3).await,
        3,
        "each declined confirmation counted once"
    );
    let (status, body) = submit(&mut shop, &submission(&session)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body, json!("TooManyRequests"));
}
