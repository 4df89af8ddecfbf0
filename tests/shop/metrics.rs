//! `/metrics`: Prometheus text on its own address, from a registry per shop.

use crate::helpers::{db, scalar_becomes, shop_with_webhooks, spawn_app, TestShop};
use reqwest::StatusCode;

async fn scrape(shop: &TestShop) -> String {
    let addr = shop.metrics_addr.expect("tests serve /metrics on loopback");
    let response = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/openmetrics-text"));
    response.text().await.unwrap()
}

/// The value of the sample named exactly `sample` (labels included), if present.
fn sample(text: &str, sample: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(sample)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paid_order_shows_in_the_counters_and_the_queues_drain() {
    let (stripe, mut shop) = shop_with_webhooks(|_| {}).await;
    let other = spawn_app().await;
    let session = shop.submitted_order("stoneware-mug", "1").await;
    let payment_intent = session["payment_intent"].as_str().unwrap();
    stripe.confirm(payment_intent, "pm_card_visa").await;
    let pool = db(&shop).await;
    scalar_becomes(
        &pool,
        "SELECT COUNT(*) FROM orders WHERE status = 'paid'",
        1,
    )
    .await;
    scalar_becomes(
        &pool,
        "SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL",
        0,
    )
    .await;
    scalar_becomes(
        &pool,
        "SELECT COUNT(*) FROM webhook_events WHERE status = 'pending'",
        0,
    )
    .await;
    // A delivery that does not verify is refused, and counted so.
    let refused = shop
        .client
        .post(shop.url("/webhooks/stripe"))
        .header("stripe-signature", "t=1,v1=00")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);

    let text = scrape(&shop).await;
    let at_least_one = |name: &str| {
        let value = sample(&text, name).unwrap_or_else(|| panic!("{name} missing:\n{text}"));
        assert!(value >= 1.0, "{name} = {value}");
    };
    at_least_one("storefront_webhook_deliveries_total{outcome=\"stored\"}");
    at_least_one("storefront_webhook_deliveries_total{outcome=\"refused\"}");
    at_least_one(
        "storefront_stripe_requests_total{operation=\"create_payment_intent\",outcome=\"ok\"}",
    );
    at_least_one(
        "storefront_stripe_requests_total{operation=\"retrieve_payment_intent\",outcome=\"ok\"}",
    );
    at_least_one("storefront_stripe_request_seconds_count{operation=\"retrieve_payment_intent\"}");
    at_least_one("storefront_order_transitions_total{from=\"draft\",to=\"awaiting_payment\"}");
    at_least_one("storefront_order_transitions_total{from=\"awaiting_payment\",to=\"paid\"}");
    at_least_one("storefront_webhook_delivery_lag_seconds_count");
    at_least_one("storefront_webhook_apply_lag_seconds_count");
    // The queues, read from the database: drained.
    for queue in [
        "storefront_inbox_pending",
        "storefront_inbox_parked",
        "storefront_outbox_pending",
        "storefront_inbox_oldest_pending_seconds",
    ] {
        assert_eq!(sample(&text, queue), Some(0.0), "{queue}");
    }
    assert!(text.trim_end().ends_with("# EOF"));

    // Another shop in the same process has a registry of its own.
    let others = scrape(&other).await;
    assert_eq!(
        sample(
            &others,
            "storefront_webhook_deliveries_total{outcome=\"stored\"}"
        ),
        None
    );
    // And the shoppers' port never serves it.
    assert_eq!(shop.get("/metrics").await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_refused_request_is_counted_by_its_limit() {
    let mut shop = crate::helpers::spawn_app_with(|config| config.limits.carts_per_ip = 1).await;
    shop.add("stoneware-mug", "1").await;
    let mut second = shop.stranger();
    let response = second
        .call(
            "cart/add",
            &[("product_id", "canvas-tote"), ("quantity", "1")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let text = scrape(&shop).await;
    assert_eq!(
        sample(
            &text,
            "storefront_rate_limit_refusals_total{limit=\"new carts per IP\"}"
        ),
        Some(1.0)
    );
}
