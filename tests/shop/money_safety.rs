//! Every path where a shopper could be charged and the shop not tell: each test is
//! named for the attack or fault it stops, and drives the real shop over HTTP against
//! a standalone emulator that delivers its webhooks.

use crate::helpers::{
    db, scalar, scalar_becomes, shop_with_webhooks, wait_for, TestShop, TestStripe, DETAILS,
    SHIPPING,
};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::AnyPool;
use std::time::Duration;

/// The session `prepare` answers, insisting it worked.
async fn prepare(shop: &mut TestShop) -> Value {
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
    let status = response.status();
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(status, StatusCode::OK, "prepare: {body}");
    body
}

/// What `prepare` answers: its status and JSON body.
async fn try_prepare(shop: &mut TestShop) -> (StatusCode, Value) {
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
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Submits `session` as its page would, naming `payment_intent`.
async fn submit_naming(
    shop: &mut TestShop,
    session: &Value,
    payment_intent: &str,
) -> (StatusCode, Value) {
    let version = session["cart_version"].to_string();
    let total = session["totals"]["total"]["minor"].to_string();
    let mut form: Vec<(&str, &str)> = DETAILS.to_vec();
    form.extend([
        ("shipping", "standard"),
        ("payment_intent", payment_intent),
        ("cart_version", version.as_str()),
        ("total", total.as_str()),
    ]);
    let response = shop.call("checkout/submit", &form).await;
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn order_of(stripe: &TestStripe, payment_intent: &str) -> String {
    stripe.payment_intent(payment_intent).await["metadata"]["order_id"]
        .as_str()
        .expect("metadata.order_id")
        .to_owned()
}

/// Waits (bounded: 20 s, room for the command queue's backoff) until Stripe reports
/// `status` for `payment_intent`.
async fn stripe_reports(stripe: &TestStripe, payment_intent: &str, status: &str) {
    let mut last = Value::Null;
    for _ in 0..200 {
        last = stripe.payment_intent(payment_intent).await["status"].clone();
        if last == status {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{payment_intent} is {last}, never {status}");
}

/// The last scoops went to one paid order: none left, and no hold outlives it.
async fn all_scoops_sold_nothing_held(pool: &AnyPool) {
    let stock = "SELECT stock FROM products WHERE id = 'copper-scoop'";
    assert_eq!(scalar(pool, stock).await, 0);
    assert_eq!(scalar(pool, "SELECT COUNT(*) FROM stock_holds").await, 0);
}

async fn text(pool: &AnyPool, sql: &str, bind: &str) -> String {
    sqlx::query_scalar(sql)
        .bind(bind)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_processing_payment_is_never_charged_again_and_its_failure_applies_cleanly() {
    let (stripe, mut shop) = shop_with_webhooks(|_| {}).await;
    let pool = db(&shop).await;
    let session = shop.submitted_order("stoneware-mug", "1").await;
    let id = session["payment_intent"].as_str().unwrap().to_owned();
    let order = order_of(&stripe, &id).await;
    // A delayed method (SEPA, ACH): the bank decides days later.
    stripe.force(&id, "processing").await;
    wait_for(&pool, &order, "processing").await;

    // A second attempt, as it stands and after a cart change: "a payment is under way".
    assert_eq!(
        try_prepare(&mut shop).await,
        (StatusCode::CONFLICT, json!("AlreadyPaying"))
    );
    shop.add("canvas-tote", "1").await;
    assert_eq!(
        try_prepare(&mut shop).await,
        (StatusCode::CONFLICT, json!("AlreadyPaying"))
    );
    let (status, body) = submit_naming(&mut shop, &session, &id).await;
    assert_eq!(
        (status, body),
        (StatusCode::CONFLICT, json!("AlreadyPaying"))
    );
    let page = shop.page("/checkout").await;
    assert!(
        page.contains("data-testid=\"payment-under-way\"")
            && page.contains("A payment is under way"),
        "the server-rendered checkout says so, for shoppers without JavaScript"
    );
    assert_eq!(
        scalar(&pool, "SELECT COUNT(*) FROM orders").await,
        1,
        "no second order"
    );
    assert_eq!(
        stripe.payment_intents().await.len(),
        1,
        "no second PaymentIntent"
    );

    // The bank says no: `processing -> payment_failed` applies, nothing is parked.
    stripe.force(&id, "payment_failed").await;
    wait_for(&pool, &order, "payment_failed").await;
    assert_eq!(
        scalar_becomes(
            &pool,
            "SELECT COUNT(*) FROM webhook_events WHERE status IN ('pending', 'parked')",
            0
        )
        .await,
        0,
        "every event applied"
    );
    // And the shopper can pay again, for the cart as it is now.
    prepare(&mut shop).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draft_paid_without_submit_and_without_an_address_goes_to_review() {
    let (stripe, mut shop) = shop_with_webhooks(|_| {}).await;
    let pool = db(&shop).await;
    shop.add("canvas-tote", "1").await;
    let session = prepare(&mut shop).await;
    let id = session["payment_intent"].as_str().unwrap().to_owned();
    let order = order_of(&stripe, &id).await;
    let stock = scalar(&pool, "SELECT stock FROM products WHERE id = 'canvas-tote'").await;

    let paid = stripe.confirm(&id, "pm_card_visa").await;
    assert_eq!(paid["status"], "succeeded");
    wait_for(&pool, &order, "needs_review").await;
    assert_eq!(
        scalar(&pool, "SELECT stock FROM products WHERE id = 'canvas-tote'").await,
        stock,
        "nothing shipped to nowhere"
    );
    assert_eq!(scalar(&pool, "SELECT COUNT(*) FROM outbox").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draft_paid_without_submit_ships_to_the_address_given_to_stripe() {
    let (stripe, mut shop) = shop_with_webhooks(|_| {}).await;
    let pool = db(&shop).await;
    shop.add("canvas-tote", "1").await;
    // Priced for where SHIPPING goes (Virginia), as the page does once the address
    // is typed.
    let session: Value = shop
        .call(
            "checkout/prepare",
            &[
                ("shipping", "standard"),
                ("country", "US"),
                ("region", "VA"),
            ],
        )
        .await
        .json()
        .await
        .unwrap();
    let id = session["payment_intent"].as_str().unwrap().to_owned();
    let order = order_of(&stripe, &id).await;

    let paid = stripe.confirm_with(&id, "pm_card_visa", &SHIPPING).await;
    assert_eq!(paid["status"], "succeeded", "{paid}");
    wait_for(&pool, &order, "paid").await;
    let select = "SELECT email || '|' || address_line1 FROM orders WHERE id = $1";
    assert_eq!(
        text(&pool, select, &order).await,
        "grace@example.com|2 Harbour Road"
    );
    let recipient =
        "SELECT recipient FROM outbox WHERE order_id = $1 AND kind = 'order_confirmation'";
    assert_eq!(text(&pool, recipient, &order).await, "grace@example.com");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draft_paid_at_stripe_for_an_address_its_tax_was_not_for_goes_to_a_person() {
    let (stripe, shop) = shop_with_webhooks(|_| {}).await;
    let pool = db(&shop).await;
    for region in ["", "CA"] {
        let mut shopper = shop.stranger();
        shopper.add("canvas-tote", "1").await;
        // Priced with no state yet (no tax), or for California (7.25%); Stripe is then
        // told to ship to Virginia.
        let session: Value = shopper
            .call(
                "checkout/prepare",
                &[
                    ("shipping", "standard"),
                    ("country", "US"),
                    ("region", region),
                ],
            )
            .await
            .json()
            .await
            .unwrap();
        let id = session["payment_intent"].as_str().unwrap().to_owned();
        let order = order_of(&stripe, &id).await;
        let paid = stripe.confirm_with(&id, "pm_card_visa", &SHIPPING).await;
        assert_eq!(paid["status"], "succeeded", "{paid}");
        wait_for(&pool, &order, "needs_review").await;
        let shipped = "SELECT COUNT(*) FROM outbox WHERE order_id = $1";
        let count: i64 = sqlx::query_scalar(shipped)
            .bind(&order)
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(count, 0, "{region:?}: nothing confirmed, nothing shipped");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn card_testing_straight_at_stripe_stops_when_the_lock_cancels_the_payment_intent() {
    let (stripe, mut shop) = shop_with_webhooks(|config| {
        config.limits.failures_before_lock = 3;
    })
    .await;
    let pool = db(&shop).await;
    let session = shop.submitted_order("stoneware-mug", "1").await;
    let id = session["payment_intent"].as_str().unwrap().to_owned();
    let order = order_of(&stripe, &id).await;

    // The tester holds the page's client secret and publishable key, and never comes
    // back to the shop: straight at Stripe, as Stripe.js would.
    let secret = session["client_secret"].as_str().unwrap().to_owned();
    for _ in 0..3 {
        let declined = stripe
            .confirm_in_browser(&id, &secret, "4000000000000002")
            .await;
        assert_eq!(declined["error"]["code"], "card_declined", "{declined}");
    }
    stripe_reports(&stripe, &id, "canceled").await;
    let good = stripe
        .confirm_in_browser(&id, &secret, "4242424242424242")
        .await;
    assert_eq!(
        good["error"]["code"], "payment_intent_unexpected_state",
        "a good card no longer pays: {good}"
    );
    wait_for(&pool, &order, "canceled").await;
    // And the shop refuses new attempts for the window.
    assert_eq!(
        try_prepare(&mut shop).await,
        (StatusCode::TOO_MANY_REQUESTS, json!("TooManyRequests"))
    );
    let (status, _) = submit_naming(&mut shop, &session, &id).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        stripe.payment_intents().await.len(),
        1,
        "no fresh PaymentIntent to test with"
    );
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
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (1..=15 * 60).contains(&retry_after),
        "says when the pause ends: {retry_after}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_decline_after_the_window_starts_the_count_again() {
    let (stripe, mut shop) = shop_with_webhooks(|config| {
        config.limits.failures_before_lock = 2;
    })
    .await;
    let pool = db(&shop).await;
    let session = shop.submitted_order("stoneware-mug", "1").await;
    let id = session["payment_intent"].as_str().unwrap().to_owned();
    stripe.confirm(&id, "pm_card_chargeDeclined").await;
    assert_eq!(
        scalar_becomes(&pool, "SELECT MAX(failed_attempts) FROM orders", 1).await,
        1
    );
    // That decline was long ago: outside the 15-minute window.
    sqlx::query("UPDATE orders SET last_failed_at = last_failed_at - 3600")
        .execute(&pool)
        .await
        .unwrap();
    stripe.confirm(&id, "pm_card_chargeDeclined").await;
    assert_eq!(
        scalar_becomes(
            &pool,
            "SELECT COUNT(*) FROM webhook_events WHERE type = 'payment_intent.payment_failed' AND status = 'processed'",
            2
        )
        .await,
        2
    );
    assert_eq!(
        scalar(&pool, "SELECT MAX(failed_attempts) FROM orders").await,
        1
    );
    assert_eq!(
        stripe.payment_intent(&id).await["status"],
        "requires_payment_method"
    );
    prepare(&mut shop).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_payment_intent_id_never_reaches_stripe() {
    let (stripe, mut shop) = shop_with_webhooks(|_| {}).await;
    shop.add("stoneware-mug", "1").await;
    let session = prepare(&mut shop).await;
    // Another shopper's PaymentIntent, or one made up.
    let other = stripe
        .api(
            Method::POST,
            "/v1/payment_intents",
            &[("amount", "2300"), ("currency", "usd")],
        )
        .await;
    let other = other["id"].as_str().unwrap().to_owned();
    for forged in [other.as_str(), "pi_forgedforgedforged"] {
        let (status, body) = submit_naming(&mut shop, &session, forged).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert!(body.get("CartChanged").is_some(), "{body}");
        let asked: Vec<Value> = stripe
            .requests()
            .await
            .into_iter()
            .filter(|request| {
                request["path"]
                    .as_str()
                    .unwrap_or_default()
                    .contains(forged)
            })
            .collect();
        assert_eq!(
            asked,
            Vec::<Value>::new(),
            "the shop never asked Stripe about {forged}"
        );
    }
    // The page's own PaymentIntent still submits.
    let own = session["payment_intent"].as_str().unwrap();
    assert_eq!(
        submit_naming(&mut shop, &session, own).await.0,
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_last_units_go_to_the_first_to_submit_and_nobody_pays_for_goods_that_are_gone() {
    let (stripe, mut first) = shop_with_webhooks(|_| {}).await;
    let pool = db(&first).await;
    let mut second = first.stranger();
    // Both want the last three scoops; the second has them in the cart already.
    second.add("copper-scoop", "3").await;
    let session = first.submitted_order("copper-scoop", "3").await;
    let id = session["payment_intent"].as_str().unwrap().to_owned();
    let order = order_of(&stripe, &id).await;

    // Held: the second shopper can neither pay for them nor add more.
    let (status, body) = try_prepare(&mut second).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body, json!({"SoldOut": {"product": "Copper Coffee Scoop"}}));
    let response = second
        .call(
            "cart/add",
            &[("product_id", "copper-scoop"), ("quantity", "1")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let catalog = second.stranger().page("/").await;
    let scoop = &catalog[catalog.find("Copper Coffee Scoop").unwrap()..];
    assert!(
        scoop[..scoop.find("</article>").unwrap()].contains("Sold out"),
        "the catalog shows held units as unavailable"
    );

    // The first shopper's payment fails: the units are back for everyone.
    stripe.confirm(&id, "pm_card_chargeDeclined").await;
    wait_for(&pool, &order, "payment_failed").await;
    assert_eq!(scalar(&pool, "SELECT COUNT(*) FROM stock_holds").await, 0);
    let theirs = prepare(&mut second).await;
    let their_id = theirs["payment_intent"].as_str().unwrap().to_owned();
    assert_eq!(
        submit_naming(&mut second, &theirs, &their_id).await.0,
        StatusCode::OK
    );
    // Now the first shopper's retry finds them held by the second.
    let (status, _) = submit_naming(&mut first, &session, &id).await;
    assert_eq!(status, StatusCode::CONFLICT);
    stripe.confirm(&their_id, "pm_card_visa").await;
    let second_order = order_of(&stripe, &their_id).await;
    wait_for(&pool, &second_order, "paid").await;
    all_scoops_sold_nothing_held(&pool).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn units_held_at_submit_are_sold_out_on_the_cached_catalog_at_once() {
    let (_stripe, mut shop) = shop_with_webhooks(|_| {}).await;
    let scoops = |page: &str| {
        let scoop = &page[page.find("Copper Coffee Scoop").unwrap()..];
        scoop[..scoop.find("</article>").unwrap()].to_owned()
    };
    // A visitor's page is rendered and kept for everyone without a cart.
    assert!(scoops(&shop.stranger().page("/").await).contains("Only 3 left"));
    shop.submitted_order("copper-scoop", "3").await;
    // Within the cache's second: the hold's commit dropped the kept page.
    assert!(
        scoops(&shop.stranger().page("/").await).contains("Sold out"),
        "the next visitor sees the held units as gone"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lapsed_stock_hold_returns_the_units_and_cancels_the_payment_intent() {
    let (stripe, mut shop) = shop_with_webhooks(|_| {}).await;
    let pool = db(&shop).await;
    let session = shop.submitted_order("copper-scoop", "3").await;
    let id = session["payment_intent"].as_str().unwrap().to_owned();
    let order = order_of(&stripe, &id).await;
    assert_eq!(
        scalar(
            &pool,
            "SELECT CAST(SUM(quantity) AS BIGINT) FROM stock_holds"
        )
        .await,
        3
    );
    // STOCK_HOLD_MINUTES passed without a payment.
    sqlx::query("UPDATE stock_holds SET expires_at = expires_at - 3600")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(
        scalar_becomes(&pool, "SELECT COUNT(*) FROM stock_holds", 0).await,
        0
    );
    stripe_reports(&stripe, &id, "canceled").await;
    wait_for(&pool, &order, "canceled").await;
    assert_eq!(
        stripe.confirm(&id, "pm_card_visa").await["error"]["code"],
        "payment_intent_unexpected_state",
        "no payment arrives for goods no longer held"
    );
}

/// Queues `count` failures (never stored) for the next calls to `path`.
async fn fail_next(stripe: &TestStripe, path: &str, status: u16, count: usize) {
    let faults: Vec<Value> = (0..count)
        .map(|_| json!({"path": path, "status": status}))
        .collect();
    stripe
        .control("faults", json!({"next_requests": faults}))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_superseded_payment_intent_whose_cancel_fails_is_cancelled_once_stripe_answers() {
    let (stripe, mut shop) = shop_with_webhooks(|_| {}).await;
    let pool = db(&shop).await;
    let session = shop.submitted_order("stoneware-mug", "1").await;
    let old = session["payment_intent"].as_str().unwrap().to_owned();
    // Stripe fails the cancel more often than one call's retries cover.
    fail_next(
        &stripe,
        &format!("/v1/payment_intents/{old}/cancel"),
        500,
        4,
    )
    .await;
    // The cart changes after submit: a new order and PaymentIntent replace the old.
    shop.add("canvas-tote", "1").await;
    let new = prepare(&mut shop).await;
    assert_ne!(new["payment_intent"].as_str().unwrap(), old);
    stripe_reports(&stripe, &old, "canceled").await;
    assert_eq!(
        scalar(
            &pool,
            "SELECT COUNT(*) FROM stripe_commands WHERE status = 'done' AND attempts >= 2"
        )
        .await,
        1,
        "retried after failing, then done"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_on_an_abandoned_payment_intent_is_noticed_by_the_reconciler() {
    let (stripe, mut shop) = shop_with_webhooks(|config| {
        config.reconcile_after = Duration::from_secs(0);
        config.reconcile_every = Duration::from_millis(200);
    })
    .await;
    let pool = db(&shop).await;
    // No webhook reaches the shop: only the reconciler can notice.
    stripe
        .control("faults", json!({"webhook": {"status": 500}}))
        .await;
    let session = shop.submitted_order("stoneware-mug", "1").await;
    let old = session["payment_intent"].as_str().unwrap().to_owned();
    let old_order = order_of(&stripe, &old).await;
    // Its cancel keeps failing, and the shopper pays it from an old tab meanwhile.
    fail_next(
        &stripe,
        &format!("/v1/payment_intents/{old}/cancel"),
        400,
        50,
    )
    .await;
    shop.add("canvas-tote", "1").await;
    prepare(&mut shop).await;
    wait_for(&pool, &old_order, "canceled").await;
    assert_eq!(
        stripe.confirm(&old, "pm_card_visa").await["status"],
        "succeeded"
    );
    wait_for(&pool, &old_order, "needs_review").await;
    let notes: Vec<String> =
        sqlx::query_scalar("SELECT entry FROM order_timeline WHERE order_id = $1 ORDER BY id")
            .bind(&old_order)
            .fetch_all(&pool)
            .await
            .unwrap();
    assert!(
        notes.iter().any(|note| note.contains("refund")),
        "the timeline says what to do: {notes:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_that_beat_the_lapse_of_its_hold_keeps_its_goods() {
    let (stripe, mut shop) = shop_with_webhooks(|_| {}).await;
    let pool = db(&shop).await;
    // The bank's word is slow to arrive: every webhook is held for now.
    stripe
        .control("faults", json!({"webhook": {"reorder": true}}))
        .await;
    let session = shop.submitted_order("copper-scoop", "3").await;
    let id = session["payment_intent"].as_str().unwrap().to_owned();
    let order = order_of(&stripe, &id).await;
    assert_eq!(
        stripe.confirm(&id, "pm_card_visa").await["status"],
        "succeeded"
    );
    // The hold lapses before the shop has heard: its cancel comes too late.
    sqlx::query("UPDATE stock_holds SET expires_at = expires_at - 3600")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(
        scalar_becomes(
            &pool,
            "SELECT COUNT(*) FROM stripe_commands WHERE status = 'done'",
            1
        )
        .await,
        1,
        "the cancel was answered"
    );
    assert_eq!(
        scalar(
            &pool,
            "SELECT CAST(SUM(quantity) AS BIGINT) FROM stock_holds"
        )
        .await,
        3,
        "the units stay held for the payment that went through"
    );
    // The shopper comes back to the checkout: the paid PaymentIntent is not replaced
    // by a second one to pay.
    assert_eq!(
        try_prepare(&mut shop).await,
        (StatusCode::CONFLICT, json!("AlreadyPaying"))
    );
    let mut other = shop.stranger();
    let response = other
        .call(
            "cart/add",
            &[("product_id", "copper-scoop"), ("quantity", "1")],
        )
        .await;
    assert_eq!(
        response.status(),
        StatusCode::CONFLICT,
        "nobody else gets them"
    );
    // The webhook arrives at last: paid, with its goods.
    stripe.control("faults", json!({"webhook": {}})).await;
    stripe.control("webhooks/flush", json!({})).await;
    wait_for(&pool, &order, "paid").await;
    all_scoops_sold_nothing_held(&pool).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_stripe_failed_and_stored_is_sent_again_under_a_new_key() {
    let (stripe, mut shop) = shop_with_webhooks(|_| {}).await;
    let session = shop.submitted_order("stoneware-mug", "1").await;
    let old = session["payment_intent"].as_str().unwrap().to_owned();
    // Stripe fails the cancel during execution and keeps that answer under its
    // Idempotency-Key, replaying it (Stripe-Should-Retry: false) for a day.
    stripe
        .control(
            "faults",
            json!({"next_requests": [{
                "path": format!("/v1/payment_intents/{old}/cancel"), "status": 500, "stored": true
            }]}),
        )
        .await;
    shop.add("canvas-tote", "1").await;
    prepare(&mut shop).await;
    stripe_reports(&stripe, &old, "canceled").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_on_a_superseded_payment_intent_of_an_unpaid_order_is_noticed() {
    let (stripe, mut shop) = shop_with_webhooks(|config| {
        config.limits.failures_before_lock = 2;
        config.limits.failure_window = Duration::from_secs(2);
        config.reconcile_after = Duration::from_secs(0);
        config.reconcile_every = Duration::from_millis(200);
    })
    .await;
    let pool = db(&shop).await;
    let session = shop.submitted_order("stoneware-mug", "1").await;
    let old = session["payment_intent"].as_str().unwrap().to_owned();
    let order = order_of(&stripe, &old).await;
    // Card testing pauses the checkout and retires the PaymentIntent, but Stripe keeps
    // refusing its cancel.
    fail_next(
        &stripe,
        &format!("/v1/payment_intents/{old}/cancel"),
        400,
        50,
    )
    .await;
    for _ in 0..2 {
        stripe.confirm(&old, "pm_card_chargeDeclined").await;
    }
    assert_eq!(
        scalar_becomes(
            &pool,
            "SELECT COUNT(*) FROM stripe_commands WHERE attempts > 0",
            1
        )
        .await,
        1,
        "the cancel was tried"
    );
    // After the pause the shopper gets a new PaymentIntent on the same order...
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let new = prepare(&mut shop).await;
    assert_ne!(new["payment_intent"].as_str().unwrap(), old);
    assert_eq!(
        order_of(&stripe, new["payment_intent"].as_str().unwrap()).await,
        order
    );
    // ...while the old one, still confirmable, is paid, and no webhook says so.
    stripe
        .control("faults", json!({"webhook": {"status": 500}}))
        .await;
    assert_eq!(
        stripe.confirm(&old, "pm_card_visa").await["status"],
        "succeeded"
    );
    wait_for(&pool, &order, "needs_review").await;
}
