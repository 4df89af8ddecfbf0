//! Card testing over HTTP: submits per cart and per client IP, new carts per client
//! IP, and client IPs told apart behind a trusted proxy and on a dual-stack listener.

use crate::helpers::{spawn_app_with, TestShop, DETAILS};
use reqwest::{header, redirect, Client, Response, StatusCode};
use serde_json::{json, Value};
use std::{net::SocketAddr, time::Duration};

/// Another shopper (no cookie) whose requests reach the shop through its trusted
/// proxy, which forwards them as coming from `ip`.
fn shopper_at(shop: &TestShop, ip: &str) -> TestShop {
    let mut headers = header::HeaderMap::new();
    headers.insert("x-forwarded-for", ip.parse().unwrap());
    let mut shopper = shop.stranger();
    shopper.client = Client::builder()
        .redirect(redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .default_headers(headers)
        .build()
        .unwrap();
    shopper
}

/// Adds a mug and prepares its payment: the payment session.
async fn prepared(shopper: &mut TestShop) -> Value {
    shopper.add("stoneware-mug", "1").await;
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
    assert_eq!(response.status(), StatusCode::OK, "prepare");
    response.json().await.unwrap()
}

/// Presses Pay for `session`, as the hydrated page does.
async fn submit(shopper: &mut TestShop, session: &Value) -> Response {
    let version = session["cart_version"].to_string();
    let total = session["totals"]["total"]["minor"].to_string();
    let mut form: Vec<(&str, &str)> = DETAILS.to_vec();
    form.extend([
        ("shipping", "standard"),
        (
            "payment_intent",
            session["payment_intent"].as_str().unwrap(),
        ),
        ("cart_version", version.as_str()),
        ("total", total.as_str()),
    ]);
    shopper.call("checkout/submit", &form).await
}

/// A refusal by a rate limit: 429, the typed error, and when to come back.
async fn assert_rate_limited(response: Response, what: &str) {
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS, "{what}");
    let retry_after: u64 = response.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (1..=1200).contains(&retry_after),
        "Retry-After {retry_after}"
    );
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!("TooManyRequests")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn card_testing_by_resubmitting_one_cart_is_refused_past_its_limit() {
    let mut shop = spawn_app_with(|config| config.limits.submits_per_cart = 2).await;
    let session = prepared(&mut shop).await;
    for attempt in 0..2 {
        let response = submit(&mut shop, &session).await;
        assert_ne!(
            response.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "attempt {attempt}"
        );
    }
    assert_rate_limited(submit(&mut shop, &session).await, "the third submit").await;

    // Another cart is not affected.
    let mut other = shop.stranger();
    let session = prepared(&mut other).await;
    assert_eq!(submit(&mut other, &session).await.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn card_testing_across_many_carts_from_one_ip_is_refused_at_submit() {
    let shop = spawn_app_with(|config| {
        config.limits.submits_per_ip = 2;
        config.trusted_proxy = Some("127.0.0.1".parse().unwrap());
    })
    .await;
    for cart in 0..3 {
        let mut tester = shopper_at(&shop, "198.51.100.9");
        let session = prepared(&mut tester).await;
        let response = submit(&mut tester, &session).await;
        if cart < 2 {
            assert_eq!(response.status(), StatusCode::OK, "cart {cart}");
        } else {
            assert_rate_limited(response, "a third cart's submit").await;
        }
    }

    // A shopper at another address is not affected.
    let mut shopper = shopper_at(&shop, "198.51.100.10");
    let session = prepared(&mut shopper).await;
    assert_eq!(
        submit(&mut shopper, &session).await.status(),
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn minting_fresh_carts_from_one_ip_is_refused_past_its_limit() {
    let shop = spawn_app_with(|config| {
        config.limits.carts_per_ip = 2;
        config.trusted_proxy = Some("127.0.0.1".parse().unwrap());
    })
    .await;
    let mut first = shopper_at(&shop, "198.51.100.7");
    first.add("stoneware-mug", "1").await;
    shopper_at(&shop, "198.51.100.7")
        .add("canvas-tote", "1")
        .await;

    // A third cart from the same address: refused, with nothing created.
    let mut third = shopper_at(&shop, "198.51.100.7");
    let response = third
        .call("cart/add", &[("product_id", "bud-vase"), ("quantity", "1")])
        .await;
    assert!(
        response.headers().get(header::SET_COOKIE).is_none(),
        "no cart cookie for a refused cart"
    );
    assert_rate_limited(response, "a third cart").await;

    // Without JavaScript, the refusal comes back rendered in the page.
    let response = third
        .post_form(
            "cart/add",
            &[("product_id", "bud-vase"), ("quantity", "1")],
            "/",
        )
        .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = response.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    let back = location
        .strip_prefix(&shop.origin())
        .expect("same-origin redirect");
    let page = shop.page(back).await;
    assert!(page.contains("Too many attempts"), "{page}");

    // Carts that exist keep working, and other addresses are not affected.
    first.add("stoneware-mug", "1").await;
    shopper_at(&shop, "198.51.100.8").add("bud-vase", "1").await;
    let carts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM carts")
        .fetch_one(&crate::helpers::connect(&shop.database_url).await)
        .await
        .unwrap();
    assert_eq!(carts, 3);
}

/// Every IPv4 client of a shop listening on `[::]` arrives as `::ffff:a.b.c.d`. Keyed
/// as one IPv6 /64, one card tester would lock PaymentIntent creation for everyone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_ipv4_client_of_a_dual_stack_listener_cannot_lock_checkout_for_the_others() {
    for proxy in ["127.0.0.1", "::ffff:127.0.0.1"] {
        let mut shop = spawn_app_with(|config| {
            config.listen_addr = "[::]:0".parse().unwrap();
            config.trusted_proxy = Some(proxy.parse().unwrap());
            config.limits.per_ip = 1;
        })
        .await;
        // Reached over IPv4, so the proxy's connections arrive as ::ffff:127.0.0.1.
        shop.addr = SocketAddr::from(([127, 0, 0, 1], shop.addr.port()));

        prepared(&mut shopper_at(&shop, "198.51.100.1")).await;
        let mut again = shopper_at(&shop, "198.51.100.1");
        again.add("canvas-tote", "1").await;
        let response = again
            .call(
                "checkout/prepare",
                &[
                    ("shipping", "standard"),
                    ("country", "US"),
                    ("region", "IL"),
                ],
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "proxy {proxy}: the same client's second PaymentIntent"
        );

        // Another client behind the same proxy still gets its PaymentIntent.
        prepared(&mut shopper_at(&shop, "198.51.100.2")).await;
    }
}
