//! The confirmation page's server functions and its ownership rule: the client secret
//! of the order's current PaymentIntent, or a cookie that owns the order; anyone else
//! gets the same "not found".

use crate::helpers::{shop_with_webhooks, spawn_app_against, TestShop, TestStripe};
use reqwest::{header, Method, Response, StatusCode};
use serde_json::{json, Value};
use std::time::Duration;

/// Calls `order/confirmation` with exactly these cookies.
async fn confirmation(shop: &TestShop, cookies: &str, form: &[(&str, &str)]) -> Response {
    let mut request = shop
        .client
        .post(shop.url("/api/order/confirmation"))
        .header(header::ORIGIN, shop.origin())
        .header(header::ACCEPT, "application/json")
        .form(form);
    if !cookies.is_empty() {
        request = request.header(header::COOKIE, cookies);
    }
    request.send().await.unwrap()
}

fn by_secret<'a>(pi: &'a str, secret: &'a str) -> [(&'static str, &'a str); 3] {
    [
        ("payment_intent", pi),
        ("client_secret", secret),
        ("order", ""),
    ]
}

fn by_reference(reference: &str) -> [(&'static str, &str); 3] {
    [
        ("payment_intent", ""),
        ("client_secret", ""),
        ("order", reference),
    ]
}

async fn prepared(shop: &mut TestShop) -> Value {
    shop.add("stoneware-mug", "1").await;
    shop.call(
        "checkout/prepare",
        &[
            ("shipping", "standard"),
            ("country", "US"),
            ("region", "IL"),
        ],
    )
    .await
    .json()
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_current_client_secret_opens_the_order_and_grants_a_cookie() {
    let stripe = TestStripe::start().await;
    let mut shop = spawn_app_against(&stripe, |_| {}).await;
    let session = prepared(&mut shop).await;
    let (pi, secret) = (
        session["payment_intent"].as_str().unwrap(),
        session["client_secret"].as_str().unwrap(),
    );
    let response = confirmation(&shop, "", &by_secret(pi, secret)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.starts_with("order_access=") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    let body: Value = response.json().await.unwrap();
    let reference = body["order"]["reference"].as_str().unwrap().to_owned();
    assert_eq!(body["order"]["status"], "draft");
    assert_eq!(body["order"]["total"]["minor"], 2300);
    assert!(
        !body.to_string().contains(secret),
        "the secret is not echoed"
    );

    // Later visits: the access cookie, or the cart cookie, opens it by reference.
    let access = cookie.split(';').next().unwrap().to_owned();
    let cart = shop.cookie.clone().unwrap();
    for cookies in [access.as_str(), cart.as_str()] {
        let response = confirmation(&shop, cookies, &by_reference(&reference)).await;
        assert_eq!(response.status(), StatusCode::OK, "{cookies}");
    }
    // Nobody else: no cookie, another shopper's cart, a forged access token.
    let mut stranger = shop.stranger();
    stranger.add("canvas-tote", "1").await;
    let forged = format!("order_access={}", "A".repeat(43));
    for cookies in ["", stranger.cookie.as_deref().unwrap(), forged.as_str()] {
        let response = confirmation(&shop, cookies, &by_reference(&reference)).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{cookies}");
        assert_eq!(
            response.json::<Value>().await.unwrap(),
            json!("OrderNotFound")
        );
    }
    // The page itself, as Stripe.js's redirect reaches it.
    let page = shop
        .client
        .get(shop.url(&format!(
            "/order-confirmation?payment_intent={pi}&payment_intent_client_secret={secret}&redirect_status=succeeded"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(page.headers()["referrer-policy"], "no-referrer");
    let html = page.text().await.unwrap();
    assert!(
        html.contains(&reference),
        "the order is rendered by the server"
    );
    assert!(html.contains("Waiting for the payment to be confirmed."));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_superseded_unknown_and_malformed_secrets_open_nothing() {
    let stripe = TestStripe::start().await;
    let mut shop = spawn_app_against(&stripe, |_| {}).await;
    let first = prepared(&mut shop).await;
    let (old_pi, old_secret) = (
        first["payment_intent"].as_str().unwrap().to_owned(),
        first["client_secret"].as_str().unwrap().to_owned(),
    );
    // Wrong secret of the right shape.
    let wrong = format!("{old_pi}_secret_notthesecret");
    let response = confirmation(&shop, "", &by_secret(&old_pi, &wrong)).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    // Superseded: the PaymentIntent is cancelled and replaced.
    stripe
        .api(
            Method::POST,
            &format!("/v1/payment_intents/{old_pi}/cancel"),
            &[],
        )
        .await;
    let second: Value = shop
        .call(
            "checkout/prepare",
            &[("shipping", ""), ("country", "US"), ("region", "IL")],
        )
        .await
        .json()
        .await
        .unwrap();
    assert_ne!(second["payment_intent"], first["payment_intent"]);
    let response = confirmation(&shop, "", &by_secret(&old_pi, &old_secret)).await;
    assert_eq!(
        response.status(),
        StatusCode::NOT_FOUND,
        "a superseded secret opens nothing"
    );
    let response = confirmation(
        &shop,
        "",
        &by_secret(
            second["payment_intent"].as_str().unwrap(),
            second["client_secret"].as_str().unwrap(),
        ),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);

    // Unknown PaymentIntent.
    let response = confirmation(
        &shop,
        "",
        &by_secret("pi_unknown123", "pi_unknown123_secret_abc"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    // Malformed, or nothing at all: a clear 400, never a lookup.
    for form in [
        by_secret("pi_1", "pi_2_secret_abc"),
        by_secret("ch_1", "ch_1_secret_abc"),
        by_secret("pi_1'--", "pi_1'--_secret_a"),
        by_secret("", ""),
    ] {
        let response = confirmation(&shop, "", &form).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{form:?}");
    }
    let response = confirmation(&shop, "", &by_reference("../../etc")).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

/// The `name=value` pair of a response's `Set-Cookie`, as the browser sends it back.
fn cookie_pair(response: &Response) -> Option<String> {
    let set_cookie = response.headers().get(header::SET_COOKIE)?.to_str().ok()?;
    set_cookie.split(';').next().map(str::to_owned)
}

/// A client secret lingers in the return address (history, a shared link, a
/// screenshot): after an hour it opens nothing by itself, while the cookies of the
/// shopper who came back with it still do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leaked_client_secret_stops_opening_the_order_after_an_hour() {
    let stripe = TestStripe::start().await;
    let mut shop = spawn_app_against(&stripe, |_| {}).await;
    let session = prepared(&mut shop).await;
    let (pi, secret) = (
        session["payment_intent"].as_str().unwrap(),
        session["client_secret"].as_str().unwrap(),
    );
    // Fresh from Stripe's redirect, the secret opens the order and hands out a cookie.
    let response = confirmation(&shop, "", &by_secret(pi, secret)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let access = cookie_pair(&response).expect("an order-access cookie");
    let body: Value = response.json().await.unwrap();
    let reference = body["order"]["reference"].as_str().unwrap().to_owned();

    // An hour and a minute on: the PaymentIntent's record is moved back in time.
    let pool = crate::helpers::connect(&shop.database_url).await;
    let moved = sqlx::query(
        "UPDATE order_payment_intents SET created_at = created_at - 3660 WHERE id = $1",
    )
    .bind(pi)
    .execute(&pool)
    .await
    .unwrap();
    assert_eq!(moved.rows_affected(), 1);

    // The secret alone, in the server function and in the page.
    let response = confirmation(&shop, "", &by_secret(pi, secret)).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(
        response.headers().get(header::SET_COOKIE).is_none(),
        "no cookie for a stale secret"
    );
    let page = shop
        .client
        .get(shop.url(&format!(
            "/order-confirmation?payment_intent={pi}&payment_intent_client_secret={secret}&redirect_status=succeeded"
        )))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Order not found"), "{page}");
    assert!(!page.contains(&reference), "the order is not shown");

    // The shopper's own browser still gets in: its order-access or cart cookie.
    let cart = shop.cookie.clone().unwrap();
    for cookies in [access.as_str(), cart.as_str()] {
        let response = confirmation(&shop, cookies, &by_secret(pi, secret)).await;
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "{cookies} with the secret"
        );
        let response = confirmation(&shop, cookies, &by_reference(&reference)).await;
        assert_eq!(response.status(), StatusCode::OK, "{cookies} by reference");
    }
}

/// One browser, two purchases: the second order's cookie must not push out the
/// first's, even once the cart (whose cookie also opens them) has expired.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_purchase_does_not_lose_access_to_the_first() {
    let (stripe, mut shop) = shop_with_webhooks(|_| {}).await;
    let pool = crate::helpers::connect(&shop.database_url).await;
    // The browser's order-access cookie, as it holds it after each return.
    let mut access: Option<String> = None;
    let jar = |shop: &TestShop, access: &Option<String>| {
        [shop.cookie.clone(), access.clone()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("; ")
    };
    let mut references = Vec::new();
    for product in ["stoneware-mug", "canvas-tote"] {
        let session = shop.submitted_order(product, "1").await;
        let (pi, secret) = (
            session["payment_intent"].as_str().unwrap(),
            session["client_secret"].as_str().unwrap(),
        );
        stripe.confirm(pi, "pm_card_visa").await;
        // Stripe.js's redirect back, with every cookie the browser holds.
        let response = confirmation(&shop, &jar(&shop, &access), &by_secret(pi, secret)).await;
        assert_eq!(response.status(), StatusCode::OK, "{product}");
        if let Some(pair) = cookie_pair(&response) {
            access = Some(pair);
        }
        let body: Value = response.json().await.unwrap();
        let reference = body["order"]["reference"].as_str().unwrap().to_owned();
        // Paid (the webhook has landed) before the next purchase starts.
        let mut status = String::new();
        for _ in 0..200 {
            status = sqlx::query_scalar("SELECT status FROM orders WHERE reference = $1")
                .bind(&reference)
                .fetch_one(&pool)
                .await
                .unwrap();
            if status == "paid" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(status, "paid", "{product}");
        references.push(reference);
    }
    assert_ne!(references[0], references[1], "two orders");

    // A month on, the cart has expired; only the order-access cookie is left.
    sqlx::query("UPDATE carts SET expires_at = 0")
        .execute(&pool)
        .await
        .unwrap();
    let cookies = jar(&shop, &access);
    for reference in &references {
        let response = confirmation(&shop, &cookies, &by_reference(reference)).await;
        assert_eq!(response.status(), StatusCode::OK, "order {reference}");
        let page = shop
            .client
            .get(shop.url(&format!("/order-confirmation?order={reference}")))
            .header(header::COOKIE, &cookies)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains(reference.as_str()), "the page of {reference}");
        assert!(
            page.contains("Thank you for your order"),
            "{reference} is paid"
        );
    }
    // Another shopper still gets nowhere with either reference.
    for reference in &references {
        let response = confirmation(&shop, "", &by_reference(reference)).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }
}
