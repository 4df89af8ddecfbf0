//! The shop killed with SIGKILL while payments' events stream in, then restarted, again
//! and again: no event lost, no order fulfilled twice, no second email, no stock taken
//! twice. The emulator runs in this test process, so its pending deliveries (and its
//! retries) outlive every kill, as Stripe's do.

use crate::helpers::{TestShop, TestStripe};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use sqlx::SqlitePool;
use std::{
    net::SocketAddr,
    process::{Child, Command, Stdio},
    time::Duration,
};

struct ShopProcess {
    child: Child,
}

fn start(stripe: &TestStripe, addr: SocketAddr, data_dir: &std::path::Path) -> ShopProcess {
    let keys = &stripe.running.keys;
    let child = Command::new(env!("CARGO_BIN_EXE_storefront"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LISTEN_ADDR", addr.to_string())
        .env("DATA_DIR", data_dir)
        .env("RUST_LOG", "error")
        .env("STRIPE_SECRET_KEY", &keys.secret_key)
        .env("STRIPE_PUBLISHABLE_KEY", &keys.publishable_key)
        .env("STRIPE_WEBHOOK_SECRET", &keys.webhook_secret)
        .env("STRIPE_API_BASE", &stripe.running.base_url)
        .env(
            "STRIPE_JS_URL",
            format!("{}/js.stripe.com/v3/", stripe.running.base_url),
        )
        .env("RECONCILE_AFTER_SECS", "0")
        .env("RECONCILE_EVERY_SECS", "1")
        .env("PAYMENT_INTENTS_PER_IP", "100000")
        .current_dir(data_dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the shop binary starts");
    ShopProcess { child }
}

async fn wait_until_up(addr: SocketAddr) {
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if client
            .get(format!("http://{addr}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == StatusCode::OK)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the shop did not come up");
}

impl ShopProcess {
    /// SIGKILL, by PID: no shutdown, no flush, nothing graceful.
    fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_between_any_two_steps_loses_nothing_and_fulfils_once() {
    let stripe = TestStripe::start().await;
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = free.local_addr().unwrap();
    drop(free);
    let data_dir = tempfile::tempdir().unwrap();
    let database_url = format!("sqlite://{}", data_dir.path().join("shop.db").display());
    stripe
        .running
        .emulator
        .configure_webhook_urls(&[format!("http://{addr}/webhooks/stripe")])
        .unwrap();

    let mut shop = start(&stripe, addr, data_dir.path());
    wait_until_up(addr).await;
    let orders = 6;
    let mut intents = Vec::new();
    for _ in 0..orders {
        let mut shopper = TestShop::attach(addr, database_url.clone());
        let session = shopper.submitted_order("stoneware-mug", "1").await;
        intents.push(session["payment_intent"].as_str().unwrap().to_owned());
    }
    let pool = SqlitePool::connect(&database_url).await.unwrap();
    let stock_before: i64 =
        sqlx::query_scalar("SELECT stock FROM products WHERE id = 'stoneware-mug'")
            .fetch_one(&pool)
            .await
            .unwrap();

    // Pay them all while killing the shop at staggered moments.
    for (round, intent) in intents.iter().enumerate() {
        stripe
            .api(
                Method::POST,
                &format!("/v1/payment_intents/{intent}/confirm"),
                &[
                    ("payment_method", "pm_card_visa"),
                    ("return_url", "http://127.0.0.1/done"),
                ],
            )
            .await;
        tokio::time::sleep(Duration::from_millis(15 * round as u64)).await;
        shop.kill();
        shop = start(&stripe, addr, data_dir.path());
        wait_until_up(addr).await;
    }

    // Everything converges: retried deliveries and the reconciler.
    let mut paid = 0;
    for _ in 0..600 {
        stripe
            .control("webhooks/flush", serde_json::json!({}))
            .await;
        paid = sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM orders WHERE status = 'paid'")
            .fetch_one(&pool)
            .await
            .unwrap();
        let pending: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM webhook_events WHERE status IN ('pending', 'parked')",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        if paid == orders && pending == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(paid, orders, "every order paid");
    let stock: i64 = sqlx::query_scalar("SELECT stock FROM products WHERE id = 'stoneware-mug'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stock, stock_before - orders, "stock taken once per order");
    let emails: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE kind = 'order_confirmation'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(emails, orders, "one confirmation per order");
    let fulfilled: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM orders WHERE fulfilled_at IS NOT NULL")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(fulfilled, orders);
    // Every event the emulator delivered successfully is in the inbox, applied.
    let events: Vec<Value> = stripe.api(Method::GET, "/v1/events?limit=100", &[]).await["data"]
        .as_array()
        .unwrap()
        .clone();
    for event in events.iter().filter(|e| {
        e["type"]
            .as_str()
            .is_some_and(|t| t.starts_with("payment_intent."))
            && e["pending_webhooks"] == 0
    }) {
        let status: Option<String> =
            sqlx::query_scalar("SELECT status FROM webhook_events WHERE id = $1")
                .bind(event["id"].as_str().unwrap())
                .fetch_optional(&pool)
                .await
                .unwrap();
        assert_eq!(status.as_deref(), Some("processed"), "{}", event["id"]);
    }
    shop.kill();
}
