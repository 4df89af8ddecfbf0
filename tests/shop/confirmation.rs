//! The confirmation page's server functions and its ownership rule: the client secret
//! of the order's current PaymentIntent, or a cookie that owns the order; anyone else
//! gets the same "not found".

use crate::helpers::{spawn_app_against, TestShop, TestStripe};
use reqwest::{header, Method, Response, StatusCode};
use serde_json::{json, Value};

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
    shop.call("checkout/prepare", &[("shipping", "standard")])
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
        .call("checkout/prepare", &[("shipping", "")])
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
