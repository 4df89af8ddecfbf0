//! `POST /webhooks/stripe` and fulfilment against a real emulator: verification before
//! anything is written, and exactly one fulfilment however events arrive.

use crate::helpers::{
    db, scalar, scalar_becomes, shop_with_webhooks, spawn_app_against, wait_for, TestShop,
    TestStripe, SHIPPING,
};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::AnyPool;
use std::time::Duration;
use storefront::server::{shopper::now, store::Engine, webhooks::signature::sign};

async fn post_webhook(shop: &TestShop, body: &[u8], signature: Option<&str>) -> StatusCode {
    let mut request = shop
        .client
        .post(shop.url("/webhooks/stripe"))
        .header("content-type", "application/json")
        .body(body.to_vec());
    if let Some(signature) = signature {
        request = request.header("stripe-signature", signature);
    }
    request.send().await.unwrap().status()
}

fn event(id: &str, livemode: bool, object: Value) -> Vec<u8> {
    event_of("payment_intent.succeeded", id, livemode, object)
}

fn event_of(kind: &str, id: &str, livemode: bool, object: Value) -> Vec<u8> {
    serde_json::to_vec_pretty(&json!({
        "id": id, "object": "event", "type": kind, "livemode": livemode,
        "api_version": "2026-09-30.endive", "created": now(), "data": {"object": object}
    }))
    .unwrap()
}

/// The events Stripe emitted for PaymentIntent `id`, oldest first.
async fn payment_events(stripe: &TestStripe, id: &str) -> Vec<Value> {
    let listed = stripe.api(Method::GET, "/v1/events?limit=100", &[]).await;
    let mut events: Vec<Value> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["data"]["object"]["id"] == id)
        .cloned()
        .collect();
    // Stripe lists newest first.
    events.reverse();
    events
}

/// A submitted order of 2 × `product`: its PaymentIntent id and order id.
async fn checkout(shop: &mut TestShop, stripe: &TestStripe, product: &str) -> (String, String) {
    let session = shop.submitted_order(product, "2").await;
    let id = session["payment_intent"].as_str().unwrap().to_owned();
    let order = stripe.payment_intent(&id).await["metadata"]["order_id"]
        .as_str()
        .unwrap()
        .to_owned();
    (id, order)
}

/// The invariants of exactly one fulfilment of 2 × `product`.
async fn fulfilled_once(pool: &AnyPool, order: &str, product: &str, stock_before: i64) {
    let stock: i64 = sqlx::query_scalar("SELECT stock FROM products WHERE id = $1")
        .bind(product)
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(stock, stock_before - 2, "stock went down once");
    let mails: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM outbox WHERE order_id = $1 AND kind = 'order_confirmation'",
    )
    .bind(order)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(mails, 1, "one confirmation email");
    let in_cart: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM cart_lines l JOIN orders o ON o.cart_id = l.cart_id WHERE o.id = $1",
    )
    .bind(order)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(in_cart, 0, "the purchased lines left the cart");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_deliveries_are_refused_with_400_and_nothing_is_written() {
    let stripe = TestStripe::start().await;
    let shop = spawn_app_against(&stripe, |_| {}).await;
    let secret = stripe.running.keys.webhook_secret.clone();
    let body = event(
        "evt_1",
        false,
        json!({"id": "pi_1", "object": "payment_intent"}),
    );
    let t = now();
    let good = sign(&secret, t, &body);
    let cases: Vec<(Option<String>, Vec<u8>)> = vec![
        (None, body.clone()),
        (Some(String::new()), body.clone()),
        (Some("nonsense".into()), body.clone()),
        (Some(format!("t={t},v1=")), body.clone()),
        (Some(format!("t={t},v1={}", &good[..40])), body.clone()),
        (
            Some(format!("t={t},v1={}", good.to_uppercase())),
            body.clone(),
        ),
        (Some(format!("t={t},v0={good}")), body.clone()),
        (Some(format!("t=soon,v1={good}")), body.clone()),
        (
            Some(format!(
                "t={},v1={}",
                t - 301,
                sign(&secret, t - 301, &body)
            )),
            body.clone(),
        ),
        (
            Some(format!("t={t},v1={good}")),
            serde_json::to_vec(&serde_json::from_slice::<Value>(&body).unwrap()).unwrap(),
        ),
        (
            Some(format!(
                "t={t},v1={}",
                sign("whsec_wrongwrongwrong", t, &body)
            )),
            body.clone(),
        ),
        (
            Some(format!(
                "t={t},v1={}",
                sign(&secret, t, &vec![b' '; 300_000])
            )),
            vec![b' '; 300_000],
        ),
    ];
    let mut flipped = body.clone();
    flipped[20] ^= 1;
    let mut all = cases;
    all.push((Some(format!("t={t},v1={good}")), flipped));
    for (index, (signature, body)) in all.iter().enumerate() {
        assert_eq!(
            post_webhook(&shop, body, signature.as_deref()).await,
            StatusCode::BAD_REQUEST,
            "case {index}"
        );
    }
    // 301 s ahead, signed the moment it is sent: the shop's clock reads after this
    // one, so the gap cannot shrink to 300 s by a second ticking over meanwhile.
    let ahead = now() + 301;
    let header = format!("t={ahead},v1={}", sign(&secret, ahead, &body));
    assert_eq!(
        post_webhook(&shop, &body, Some(&header)).await,
        StatusCode::BAD_REQUEST,
        "301 s ahead"
    );
    let pool = db(&shop).await;
    assert_eq!(
        scalar(&pool, "SELECT COUNT(*) FROM webhook_events").await,
        0
    );

    // Accepted: a valid v1 after a garbage one, beside a v0; then a duplicate.
    let header = format!(
        "t={t},v1={},v1={good},v0={}",
        "ab".repeat(32),
        "cd".repeat(32)
    );
    assert_eq!(
        post_webhook(&shop, &body, Some(&header)).await,
        StatusCode::OK
    );
    assert_eq!(
        post_webhook(&shop, &body, Some(&header)).await,
        StatusCode::OK
    );
    assert_eq!(
        scalar(&pool, "SELECT COUNT(*) FROM webhook_events").await,
        1
    );
}

/// Sends the head of a `POST /webhooks/stripe` with `headers` and `first_piece` of a
/// body that never ends, and returns whatever the shop answers meanwhile.
async fn never_ending_delivery(shop: &TestShop, headers: &str, first_piece: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(shop.addr).await.unwrap();
    let head = format!(
        "POST /webhooks/stripe HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n{headers}\r\n",
        shop.addr
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(first_piece).await.unwrap();
    stream.flush().await.unwrap();
    // The connection stays open and the body unfinished; only the shop can end this.
    let mut answer = Vec::new();
    let mut buffer = [0u8; 1024];
    let read = tokio::time::timeout(Duration::from_secs(20), async {
        while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the shop waited for a body that never ends");
    String::from_utf8_lossy(&answer).into_owned()
}

/// Without a `Stripe-Signature` nothing could ever verify: the shop answers at once
/// rather than holding memory and a connection while a stranger's body trickles in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsigned_delivery_is_refused_without_waiting_for_its_body() {
    let stripe = TestStripe::start().await;
    let shop = spawn_app_against(&stripe, |_| {}).await;
    let piece: &[u8] = b"{\"id\": \"evt_";
    let chunk: &[u8] = b"c\r\n{\"id\": \"evt_\r\n";
    for (headers, first_piece) in [
        // A body that claims a gigabyte, and one sent in chunks forever.
        ("Content-Length: 1000000000\r\n", piece),
        ("Transfer-Encoding: chunked\r\n", chunk),
        // A header that is there but could never verify.
        (
            "Content-Length: 1000000000\r\nStripe-Signature: nonsense\r\n",
            piece,
        ),
    ] {
        let answer = never_ending_delivery(&shop, headers, first_piece).await;
        assert!(answer.starts_with("HTTP/1.1 400"), "{headers:?}: {answer}");
    }
    let pool = db(&shop).await;
    assert_eq!(
        scalar(&pool, "SELECT COUNT(*) FROM webhook_events").await,
        0
    );
}

/// Verified bytes are Stripe's, whatever their shape: a thin event, an event without
/// `data`, a body that is not JSON. A 400 would have Stripe retry them for days; they
/// are acknowledged, kept as skipped, and never applied.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verified_events_the_shop_cannot_read_are_acknowledged_and_skipped() {
    let stripe = TestStripe::start().await;
    let shop = spawn_app_against(&stripe, |_| {}).await;
    let secret = stripe.running.keys.webhook_secret.clone();
    let pool = db(&shop).await;
    let thin = serde_json::to_vec(&json!({
        "id": "evt_thin1", "object": "v2.core.event",
        "type": "v1.billing.meter.error_report_triggered", "livemode": false,
        "created": "2026-11-27T00:00:00.000Z",
        "related_object": {"id": "mtr_1", "type": "billing.meter", "url": "/v1/billing/meters/mtr_1"}
    }))
    .unwrap();
    let no_data = serde_json::to_vec(&json!({
        "id": "evt_nodata1", "object": "event", "type": "payment_intent.succeeded",
        "livemode": false, "created": now()
    }))
    .unwrap();
    let not_json = b"this is not JSON \xff".to_vec();
    let deliver = |body: &[u8]| {
        let t = now();
        let header = format!("t={t},v1={}", sign(&secret, t, body));
        let body = body.to_vec();
        let shop = &shop;
        async move { post_webhook(shop, &body, Some(&header)).await }
    };
    for (name, body) in [
        ("thin", &thin),
        ("no data", &no_data),
        ("not JSON", &not_json),
    ] {
        assert_eq!(deliver(body.as_slice()).await, StatusCode::OK, "{name}");
    }
    // Stripe's retry of the unreadable body is the same row.
    assert_eq!(deliver(not_json.as_slice()).await, StatusCode::OK, "retry");
    let status = |id: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, String>("SELECT status FROM webhook_events WHERE id = $1")
                .bind(id)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    assert_eq!(status("evt_thin1").await, "skipped");
    assert_eq!(status("evt_nodata1").await, "skipped");
    let kind: String = sqlx::query_scalar("SELECT type FROM webhook_events WHERE id = 'evt_thin1'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(kind, "v1.billing.meter.error_report_triggered");
    assert_eq!(
        scalar(
            &pool,
            "SELECT COUNT(*) FROM webhook_events WHERE id LIKE 'unreadable_%' AND status = 'skipped'"
        )
        .await,
        1,
        "the body that is not JSON is kept once, as skipped"
    );
    assert_eq!(
        scalar(&pool, "SELECT COUNT(*) FROM webhook_events").await,
        3
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_duplicates_are_stored_once_and_all_acknowledged() {
    let stripe = TestStripe::start().await;
    let shop = spawn_app_against(&stripe, |_| {}).await;
    let secret = stripe.running.keys.webhook_secret.clone();
    let foreign = json!({"id": "pi_foreign", "object": "payment_intent", "metadata": {}});
    // 48 deliveries at once: 16 distinct events, each sent three times, so copies of
    // one event meet in the same shared commit as well as in different ones.
    let mut deliveries = tokio::task::JoinSet::new();
    for n in 0..48 {
        let body = event(
            &format!("evt_concurrent_{}", n % 16),
            false,
            foreign.clone(),
        );
        let t = now();
        let header = format!("t={t},v1={}", sign(&secret, t, &body));
        let request = shop
            .client
            .post(shop.url("/webhooks/stripe"))
            .header("stripe-signature", header)
            .body(body);
        deliveries.spawn(async move { request.send().await.unwrap().status() });
    }
    while let Some(status) = deliveries.join_next().await {
        assert_eq!(status.unwrap(), StatusCode::OK);
    }
    let pool = db(&shop).await;
    assert_eq!(
        scalar(&pool, "SELECT COUNT(*) FROM webhook_events").await,
        16,
        "each event stored once"
    );
    // Group commit: deliveries arriving together shared fsyncs.
    let stats = shop.inbox.as_ref().unwrap().stats();
    let (written, commits) = (
        stats.events.load(std::sync::atomic::Ordering::Relaxed),
        stats.commits.load(std::sync::atomic::Ordering::Relaxed),
    );
    assert_eq!(written, 48, "every delivery went through the writer");
    assert!(
        commits < written,
        "{commits} commits for {written} deliveries"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_that_cannot_be_stored_gets_a_5xx_and_its_retry_is_kept() {
    let stripe = TestStripe::start().await;
    let shop = spawn_app_against(&stripe, |_| {}).await;
    let secret = stripe.running.keys.webhook_secret.clone();
    let pool = db(&shop).await;
    // The disk refuses the write (a trigger stands in for a full or failing disk).
    let (refuse, allow): (&[&str], &str) = match crate::database::engine() {
        Engine::Sqlite => (
            &["CREATE TRIGGER refuse BEFORE INSERT ON webhook_events
               BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END"],
            "DROP TRIGGER refuse",
        ),
        Engine::Postgres => (
            &[
                "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql
                 AS $$ BEGIN RAISE EXCEPTION 'disk I/O error'; END $$",
                "CREATE TRIGGER refuse BEFORE INSERT ON webhook_events
                 FOR EACH ROW EXECUTE FUNCTION refuse()",
            ],
            "DROP TRIGGER refuse ON webhook_events",
        ),
    };
    for statement in refuse {
        sqlx::query(statement).execute(&pool).await.unwrap();
    }
    let body = event(
        "evt_unstored",
        false,
        json!({"id": "pi_1", "object": "payment_intent"}),
    );
    let deliver = || async {
        let t = now();
        let header = format!("t={t},v1={}", sign(&secret, t, &body));
        post_webhook(&shop, &body, Some(&header)).await
    };
    assert_eq!(
        deliver().await,
        StatusCode::INTERNAL_SERVER_ERROR,
        "not stored: Stripe must try again"
    );
    assert_eq!(
        scalar(&pool, "SELECT COUNT(*) FROM webhook_events").await,
        0
    );
    // Stripe's retry, once the disk is back, is stored.
    sqlx::query(allow).execute(&pool).await.unwrap();
    assert_eq!(deliver().await, StatusCode::OK);
    assert_eq!(
        scalar(
            &pool,
            "SELECT COUNT(*) FROM webhook_events WHERE id = 'evt_unstored'"
        )
        .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_mode_unknown_and_foreign_events_are_acknowledged_and_skipped() {
    // No deliveries from the emulator and no reconciling: only this test's events
    // reach the shop.
    let stripe = TestStripe::start().await;
    let mut shop = spawn_app_against(&stripe, |config| {
        config.reconcile_after = Duration::from_secs(3600);
    })
    .await;
    let secret = stripe.running.keys.webhook_secret.clone();
    let pool = db(&shop).await;
    let stock = scalar(
        &pool,
        "SELECT stock FROM products WHERE id = 'stoneware-mug'",
    )
    .await;
    // One of our orders, really paid at Stripe, and a real PaymentIntent not ours.
    let (ours, order) = checkout(&mut shop, &stripe, "stoneware-mug").await;
    stripe.confirm(&ours, "pm_card_visa").await;
    let foreign = stripe
        .api(
            Method::POST,
            "/v1/payment_intents",
            &[("amount", "1000"), ("currency", "usd")],
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    stripe.confirm(&foreign, "pm_card_visa").await;
    let intent = |id: &str| json!({"id": id, "object": "payment_intent"});
    let skipped = [
        // A live-mode event in a test-mode shop, for our paid PaymentIntent.
        event_of("payment_intent.succeeded", "evt_live", true, intent(&ours)),
        // A type the worker does not apply, for the same PaymentIntent.
        event_of(
            "payment_intent.amount_capturable_updated",
            "evt_unknown_type",
            false,
            intent(&ours),
        ),
        // Not about a PaymentIntent at all.
        event_of(
            "charge.succeeded",
            "evt_charge",
            false,
            json!({"id": "ch_1", "object": "charge"}),
        ),
        // A PaymentIntent without our metadata.order_id.
        event_of(
            "payment_intent.succeeded",
            "evt_foreign",
            false,
            intent(&foreign),
        ),
    ];
    let deliver = |body: Vec<u8>| {
        let t = now();
        let header = format!("t={t},v1={}", sign(&secret, t, &body));
        let shop = &shop;
        async move { post_webhook(shop, &body, Some(&header)).await }
    };
    for body in skipped {
        assert_eq!(deliver(body).await, StatusCode::OK, "acknowledged");
    }
    assert_eq!(
        scalar_becomes(
            &pool,
            "SELECT COUNT(*) FROM webhook_events WHERE status = 'skipped'",
            4
        )
        .await,
        4,
        "every one of them ends skipped"
    );
    let status: String = sqlx::query_scalar("SELECT status FROM orders WHERE id = $1")
        .bind(&order)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(status, "awaiting_payment", "none of them moved the order");
    assert_eq!(scalar(&pool, "SELECT COUNT(*) FROM outbox").await, 0);

    // The same PaymentIntent in a proper test-mode event pays it: the ones above
    // were skipped for what they were, not for what they named.
    let proper = event_of(
        "payment_intent.succeeded",
        "evt_proper",
        false,
        intent(&ours),
    );
    assert_eq!(deliver(proper).await, StatusCode::OK);
    wait_for(&pool, &order, "paid").await;
    fulfilled_once(&pool, &order, "stoneware-mug", stock).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_is_fulfilled_once_however_its_events_arrive() {
    let (stripe, mut shop) = shop_with_webhooks(|_| {}).await;
    let pool = db(&shop).await;
    let stock = scalar(
        &pool,
        "SELECT stock FROM products WHERE id = 'stoneware-mug'",
    )
    .await;
    // Every delivery twice, held and then sent newest first.
    stripe
        .control(
            "faults",
            json!({"webhook": {"duplicate": true, "reorder": true}}),
        )
        .await;
    let (id, order) = checkout(&mut shop, &stripe, "stoneware-mug").await;
    assert_eq!(
        stripe.confirm(&id, "pm_card_visa").await["status"],
        "succeeded"
    );
    stripe.control("webhooks/flush", json!({})).await;
    wait_for(&pool, &order, "paid").await;
    // Flush again (anything retried), then check nothing moved twice.
    stripe.control("webhooks/flush", json!({})).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    fulfilled_once(&pool, &order, "stoneware-mug", stock).await;
    let processed = scalar(
        &pool,
        "SELECT COUNT(*) FROM webhook_events WHERE status = 'processed'",
    )
    .await;
    assert!(processed >= 2, "created and succeeded at least");
    assert_eq!(
        scalar(
            &pool,
            "SELECT COUNT(*) FROM webhook_events WHERE status = 'pending'"
        )
        .await,
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_and_first_attempt_dropped_deliveries_converge() {
    let (stripe, mut shop) = shop_with_webhooks(|_| {}).await;
    let pool = db(&shop).await;
    let stock = scalar(
        &pool,
        "SELECT stock FROM products WHERE id = 'enamel-kettle'",
    )
    .await;
    // Each delivery waits, and its first attempt is dropped: only the retry arrives.
    stripe
        .control(
            "faults",
            json!({"webhook": {"delay_ms": 200, "drop": true}}),
        )
        .await;
    let (id, order) = checkout(&mut shop, &stripe, "enamel-kettle").await;
    stripe.confirm(&id, "pm_card_visa").await;
    for _ in 0..40 {
        stripe.control("webhooks/flush", json!({})).await;
        let status: String = sqlx::query_scalar("SELECT status FROM orders WHERE id = $1")
            .bind(&order)
            .fetch_one(&pool)
            .await
            .unwrap();
        if status == "paid" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    wait_for(&pool, &order, "paid").await;
    fulfilled_once(&pool, &order, "enamel-kettle", stock).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_webhooks_heal_through_the_reconciler() {
    let (stripe, mut shop) = shop_with_webhooks(|config| {
        config.reconcile_after = Duration::ZERO;
        config.reconcile_every = Duration::from_millis(200);
    })
    .await;
    let pool = db(&shop).await;
    let stock = scalar(&pool, "SELECT stock FROM products WHERE id = 'canvas-tote'").await;
    // No delivery ever arrives.
    stripe
        .control("faults", json!({"webhook": {"status": 500}}))
        .await;
    let (id, order) = checkout(&mut shop, &stripe, "canvas-tote").await;
    stripe.confirm(&id, "pm_card_visa").await;
    wait_for(&pool, &order, "paid").await;
    fulfilled_once(&pool, &order, "canvas-tote", stock).await;
    assert_eq!(
        scalar(&pool, "SELECT COUNT(*) FROM webhook_events").await,
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decline_marks_the_order_failed_with_one_email_and_a_retry_pays() {
    let (stripe, mut shop) = shop_with_webhooks(|_| {}).await;
    let pool = db(&shop).await;
    let (id, order) = checkout(&mut shop, &stripe, "beeswax-candle").await;
    stripe
        .confirm(&id, "pm_card_chargeDeclinedInsufficientFunds")
        .await;
    wait_for(&pool, &order, "payment_failed").await;
    stripe.confirm(&id, "pm_card_chargeDeclined").await;
    // Both declines applied (each counts toward the lock) before counting emails.
    assert_eq!(
        scalar_becomes(&pool, "SELECT MAX(failed_attempts) FROM orders", 2).await,
        2,
        "both declines applied"
    );
    let failures: Vec<String> = sqlx::query_scalar(
        "SELECT body FROM outbox WHERE order_id = $1 AND kind = 'payment_failed'",
    )
    .bind(&order)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(failures.len(), 1, "one failure email per order");
    // An email's link must work from a mail client: absolute, to this shop.
    let link = format!("http://{}/checkout", shop.addr);
    assert!(failures[0].contains(&link), "{link} in {:?}", failures[0]);
    stripe.confirm(&id, "pm_card_visa").await;
    wait_for(&pool, &order, "paid").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_amount_mismatch_is_flagged_for_review_and_never_fulfilled() {
    let (stripe, mut shop) = shop_with_webhooks(|_| {}).await;
    let pool = db(&shop).await;
    let stock = scalar(&pool, "SELECT stock FROM products WHERE id = 'bud-vase'").await;
    let (id, order) = checkout(&mut shop, &stripe, "bud-vase").await;
    // Someone changed the amount behind the shop's back.
    stripe
        .api(
            Method::POST,
            &format!("/v1/payment_intents/{id}"),
            &[("amount", "100")],
        )
        .await;
    stripe.confirm(&id, "pm_card_visa").await;
    wait_for(&pool, &order, "needs_review").await;
    assert_eq!(
        scalar(&pool, "SELECT stock FROM products WHERE id = 'bud-vase'").await,
        stock
    );
    assert_eq!(scalar(&pool, "SELECT COUNT(*) FROM outbox").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shop_serves_and_stores_webhooks_while_stripe_is_unreachable() {
    // Keys for a Stripe that is not there: nothing listens on this port.
    let gone = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = gone.local_addr().unwrap();
    drop(gone);
    let secret = "whsec_unreachable1234";
    let mode = storefront::server::stripe::StripeMode::External {
        api_base: format!("http://{addr}"),
        js_url: format!("http://{addr}/js.stripe.com/v3/"),
        keys: storefront::server::stripe::StripeKeys::parse(
            "sk_test_51Hunreachable",
            "pk_test_51Hunreachable",
            Some(secret.into()),
        )
        .unwrap(),
    };
    let shop = crate::helpers::spawn_app_with(move |config| config.stripe = mode).await;
    assert_eq!(
        shop.get("/").await.status(),
        StatusCode::OK,
        "pages are served"
    );
    let body = event(
        "evt_offline",
        false,
        json!({"id": "pi_1", "object": "payment_intent"}),
    );
    let t = now();
    let header = format!("t={t},v1={}", sign(secret, t, &body));
    assert_eq!(
        post_webhook(&shop, &body, Some(&header)).await,
        StatusCode::OK
    );
    let pool = db(&shop).await;
    let attempts_after = |at_least: i64| {
        let pool = pool.clone();
        async move {
            for _ in 0..100 {
                let (status, attempts): (String, i64) = sqlx::query_as(
                    "SELECT status, attempts FROM webhook_events WHERE id = 'evt_offline'",
                )
                .fetch_one(&pool)
                .await
                .unwrap();
                assert_eq!(status, "pending", "kept for a later attempt");
                if attempts >= at_least {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            panic!("the worker never tried");
        }
    };
    attempts_after(1).await;
    // However long the outage lasts (time fast-forwarded past the attempts that
    // would park a failing event), an unreachable Stripe never parks it.
    sqlx::query(
        "UPDATE webhook_events SET attempts = 20, next_attempt_at = 0 WHERE id = 'evt_offline'",
    )
    .execute(&pool)
    .await
    .unwrap();
    attempts_after(21).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_that_keeps_failing_backs_off_then_is_parked_with_its_error() {
    // Stripe refuses the shop's reads (a revoked key, say): every attempt fails, and
    // not because Stripe is down, so the event must end up parked, never dropped.
    let stripe = TestStripe::start().await;
    let keys = stripe.running.keys.clone();
    let revoked = storefront::server::stripe::StripeMode::External {
        api_base: stripe.running.base_url.clone(),
        js_url: format!("{}/js.stripe.com/v3/", stripe.running.base_url),
        keys: storefront::server::stripe::StripeKeys::parse(
            &format!("{}revoked", keys.secret_key),
            &keys.publishable_key,
            Some(keys.webhook_secret.clone()),
        )
        .unwrap(),
    };
    let shop = spawn_app_against(&stripe, move |config| config.stripe = revoked).await;
    let body = event(
        "evt_keeps_failing",
        false,
        json!({"id": "pi_keeps_failing", "object": "payment_intent"}),
    );
    let t = now();
    let header = format!("t={t},v1={}", sign(&keys.webhook_secret, t, &body));
    assert_eq!(
        post_webhook(&shop, &body, Some(&header)).await,
        StatusCode::OK
    );
    let pool = db(&shop).await;
    let row = |pool: AnyPool| async move {
        sqlx::query_as::<_, (String, i64, i64, Option<String>)>(
            "SELECT status, attempts, next_attempt_at, last_error FROM webhook_events
             WHERE id = 'evt_keeps_failing'",
        )
        .fetch_one(&pool)
        .await
        .unwrap()
    };
    let mut first = row(pool.clone()).await;
    for _ in 0..100 {
        if first.1 >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        first = row(pool.clone()).await;
    }
    let (status, attempts, next_attempt_at, last_error) = first;
    assert_eq!((status.as_str(), attempts), ("pending", 1), "retried later");
    assert!(
        next_attempt_at >= t + 2,
        "backed off: next at {next_attempt_at}, now {t}"
    );
    assert!(
        last_error.is_some_and(|e| !e.is_empty()),
        "the error is kept"
    );

    // Eleven failures later (time fast-forwarded, the backoff being hours by then),
    // the twelfth attempt parks it.
    sqlx::query(
        "UPDATE webhook_events SET attempts = 11, next_attempt_at = 0 WHERE id = 'evt_keeps_failing'",
    )
    .execute(&pool)
    .await
    .unwrap();
    for _ in 0..100 {
        let (status, attempts, _, last_error) = row(pool.clone()).await;
        if status == "parked" {
            assert_eq!(attempts, 12);
            assert!(
                last_error.is_some_and(|e| !e.is_empty()),
                "parked with its error"
            );
            return;
        }
        assert_eq!(status, "pending", "never dropped");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the event was never parked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_order_of_a_payments_events_ends_in_one_fulfilment() {
    // A declined card, then a good one: created, payment_failed, succeeded. Each of
    // the six orders of those three events is delivered for its own order (signed by
    // this test, as Stripe signs), each as soon as it exists and is next, and applied
    // before the payment moves on: so the worker's re-read sees the payment as it is
    // at that moment. Then each event again. Every order ends paid and fulfilled
    // once; a failure email goes out exactly when a delivery came while the payment
    // stood declined.
    let (stripe, shop) = shop_with_webhooks(|config| {
        // No healing behind the test's back: only the deliveries move the orders.
        config.reconcile_after = Duration::from_secs(3600);
    })
    .await;
    stripe.running.emulator.configure_webhook_urls(&[]).unwrap();
    let secret = stripe.running.keys.webhook_secret.clone();
    let pool = db(&shop).await;
    let deliver = |event: &Value| {
        let body = serde_json::to_vec(event).unwrap();
        let t = now();
        let header = format!("t={t},v1={}", sign(&secret, t, &body));
        let shop = &shop;
        async move { post_webhook(shop, &body, Some(&header)).await }
    };
    let permutations: [[usize; 3]; 6] = [
        [0, 1, 2],
        [0, 2, 1],
        [1, 0, 2],
        [1, 2, 0],
        [2, 0, 1],
        [2, 1, 0],
    ];
    let mut applied = 0;
    for permutation in permutations {
        let stock = scalar(
            &pool,
            "SELECT stock FROM products WHERE id = 'stoneware-mug'",
        )
        .await;
        let mut shopper = TestShop::attach(shop.addr, shop.database_url.clone());
        let (id, order) = checkout(&mut shopper, &stripe, "stoneware-mug").await;
        let (mut declined, mut paid) = (false, false);
        let mut events = Vec::new();
        for &index in &permutation {
            // The payment moves on only when the next event to deliver needs it to.
            if index >= 1 && !declined {
                stripe.confirm(&id, "pm_card_chargeDeclined").await;
                declined = true;
            }
            if index == 2 && !paid {
                stripe.confirm(&id, "pm_card_visa").await;
                paid = true;
            }
            events = payment_events(&stripe, &id).await;
            assert_eq!(deliver(&events[index]).await, StatusCode::OK);
            applied += 1;
            assert_eq!(
                scalar_becomes(
                    &pool,
                    "SELECT COUNT(*) FROM webhook_events WHERE status = 'processed'",
                    applied
                )
                .await,
                applied,
                "applied before the payment moves on"
            );
        }
        for event in &events {
            assert_eq!(deliver(event).await, StatusCode::OK, "a duplicate");
        }
        wait_for(&pool, &order, "paid").await;
        fulfilled_once(&pool, &order, "stoneware-mug", stock).await;
        let failure_mails: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM outbox WHERE order_id = $1 AND kind = 'payment_failed'",
        )
        .bind(&order)
        .fetch_one(&pool)
        .await
        .unwrap();
        let seen_declined =
            permutation.iter().position(|&i| i == 1) < permutation.iter().position(|&i| i == 2);
        assert_eq!(failure_mails, i64::from(seen_declined), "{permutation:?}");
        let failures: i64 = sqlx::query_scalar("SELECT failed_attempts FROM orders WHERE id = $1")
            .bind(&order)
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(failures, 1, "one declined attempt counted: {permutation:?}");
    }
    assert_eq!(
        scalar_becomes(
            &pool,
            "SELECT COUNT(*) FROM webhook_events WHERE status = 'processed'",
            18
        )
        .await,
        18,
        "every event applied once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_for_stock_sold_meanwhile_is_flagged_for_review_and_takes_nothing() {
    let (stripe, mut shop) = shop_with_webhooks(|_| {}).await;
    let pool = db(&shop).await;
    let (id, order) = checkout(&mut shop, &stripe, "bud-vase").await;
    // Between submit and payment, the last vases but one went elsewhere.
    sqlx::query("UPDATE products SET stock = 1 WHERE id = 'bud-vase'")
        .execute(&pool)
        .await
        .unwrap();
    stripe.confirm(&id, "pm_card_visa").await;
    wait_for(&pool, &order, "needs_review").await;
    assert_eq!(
        scalar(&pool, "SELECT stock FROM products WHERE id = 'bud-vase'").await,
        1,
        "stock never goes below what there is"
    );
    assert_eq!(
        scalar(&pool, "SELECT COUNT(*) FROM outbox").await,
        0,
        "no confirmation"
    );
    let fulfilled: Option<i64> =
        sqlx::query_scalar("SELECT fulfilled_at FROM orders WHERE id = $1")
            .bind(&order)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(fulfilled, None);
    let notes: Vec<String> =
        sqlx::query_scalar("SELECT entry FROM order_timeline WHERE order_id = $1 ORDER BY id")
            .bind(&order)
            .fetch_all(&pool)
            .await
            .unwrap();
    assert!(
        notes.iter().any(|note| note.contains("sold out meanwhile")),
        "the timeline says why: {notes:?}"
    );
    // Every event applied, none stuck (the earlier ones may still be arriving).
    assert_eq!(
        scalar_becomes(
            &pool,
            "SELECT COUNT(*) FROM webhook_events WHERE status IN ('pending', 'parked')",
            0
        )
        .await,
        0,
        "applied, not stuck"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reconciler_waits_for_its_age_then_heals_a_draft_paid_without_submit() {
    let (stripe, mut shop) = shop_with_webhooks(|config| {
        config.reconcile_after = Duration::from_secs(5);
        config.reconcile_every = Duration::from_millis(200);
    })
    .await;
    let pool = db(&shop).await;
    // No delivery ever arrives.
    stripe
        .control("faults", json!({"webhook": {"status": 500}}))
        .await;
    // Paid straight at Stripe from the checkout page's PaymentIntent, never submitted.
    shop.add("canvas-tote", "1").await;
    let response = shop
        .call(
            "checkout/prepare",
            &[
                ("shipping", "standard"),
                // Where SHIPPING goes: the draft's tax is for Virginia.
                ("country", "US"),
                ("region", "VA"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let session: Value = response.json().await.unwrap();
    let id = session["payment_intent"].as_str().unwrap().to_owned();
    let order = stripe.payment_intent(&id).await["metadata"]["order_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // With the address and email Stripe.js's confirmPayment can carry: shippable.
    stripe.confirm_with(&id, "pm_card_visa", &SHIPPING).await;
    // Younger than RECONCILE_AFTER (ages are whole seconds: 4 s at the least): left
    // alone, however many passes run.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let status: String = sqlx::query_scalar("SELECT status FROM orders WHERE id = $1")
        .bind(&order)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(status, "draft", "not re-read before its age");
    // Then healed: paid, with the cart's lines locked into the order.
    wait_for(&pool, &order, "paid").await;
    let lines: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM order_lines WHERE order_id = $1")
        .bind(&order)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(lines, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_configured_secrets_and_a_configured_tolerance_hold_at_the_route() {
    // Rotation (or `stripe listen` beside the dashboard endpoint): either secret of
    // STRIPE_WEBHOOK_SECRET signs; and STRIPE_WEBHOOK_TOLERANCE_SECS narrows the window.
    let stripe = TestStripe::start().await;
    let keys = stripe.running.keys.clone();
    let (old, new) = ("whsec_oldoldoldold", "whsec_newnewnewnew");
    let rotated = storefront::server::stripe::StripeMode::External {
        api_base: stripe.running.base_url.clone(),
        js_url: format!("{}/js.stripe.com/v3/", stripe.running.base_url),
        keys: storefront::server::stripe::StripeKeys::parse(
            &keys.secret_key,
            &keys.publishable_key,
            Some(format!("{old}, {new}")),
        )
        .unwrap(),
    };
    let shop = spawn_app_against(&stripe, move |config| {
        config.stripe = rotated;
        config.webhook_tolerance_secs = 10;
    })
    .await;
    let delivery = |id: &str, secret: &str, age: i64| {
        let body = event_of(
            "charge.succeeded",
            id,
            false,
            json!({"id": "ch_1", "object": "charge"}),
        );
        let t = now() - age;
        let header = format!("t={t},v1={}", sign(secret, t, &body));
        (body, header)
    };
    for (id, secret, age, expected) in [
        ("evt_old_secret", old, 0, StatusCode::OK),
        ("evt_new_secret", new, 0, StatusCode::OK),
        (
            "evt_other_secret",
            keys.webhook_secret.as_str(),
            0,
            StatusCode::BAD_REQUEST,
        ),
        ("evt_within_tolerance", new, 5, StatusCode::OK),
        ("evt_past_tolerance", new, 60, StatusCode::BAD_REQUEST),
        ("evt_ahead_of_tolerance", new, -60, StatusCode::BAD_REQUEST),
    ] {
        let (body, header) = delivery(id, secret, age);
        assert_eq!(
            post_webhook(&shop, &body, Some(&header)).await,
            expected,
            "{id}"
        );
    }
    let pool = db(&shop).await;
    assert_eq!(
        scalar(&pool, "SELECT COUNT(*) FROM webhook_events").await,
        3,
        "only the accepted ones are stored"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stripe_answering_5xx_is_an_outage_and_never_parks_an_event() {
    let stripe = TestStripe::start().await;
    let shop = spawn_app_against(&stripe, |config| {
        config.stripe_timeout = Duration::from_secs(2);
    })
    .await;
    let secret = stripe.running.keys.webhook_secret.clone();
    let pool = db(&shop).await;
    // Every read of a PaymentIntent fails with a 503 (more than the client retries).
    let fault = json!({"path": "/v1/payment_intents/*", "status": 503});
    stripe
        .control("faults", json!({"next_requests": vec![fault; 60]}))
        .await;
    let body = event(
        "evt_during_incident",
        false,
        json!({"id": "pi_during_incident", "object": "payment_intent"}),
    );
    let t = now();
    let header = format!("t={t},v1={}", sign(&secret, t, &body));
    assert_eq!(
        post_webhook(&shop, &body, Some(&header)).await,
        StatusCode::OK
    );
    let sql = "SELECT attempts FROM webhook_events WHERE id = 'evt_during_incident'";
    assert_eq!(scalar_becomes(&pool, sql, 1).await, 1, "tried and failed");
    // Past the attempts that park an event that keeps failing: still kept.
    sqlx::query(
        "UPDATE webhook_events SET attempts = 20, next_attempt_at = 0 WHERE id = 'evt_during_incident'",
    )
    .execute(&pool)
    .await
    .unwrap();
    assert_eq!(scalar_becomes(&pool, sql, 21).await, 21, "tried again");
    let (status, error): (String, Option<String>) = sqlx::query_as(
        "SELECT status, last_error FROM webhook_events WHERE id = 'evt_during_incident'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(status, "pending", "an outage never parks an event");
    assert!(error.is_some_and(|e| e.contains("503")));
}
