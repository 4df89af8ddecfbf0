//! The shop killed with SIGKILL while payments' events stream in, then restarted, again
//! and again: at each of its named crash points in turn, and at staggered moments. No
//! event lost, no order fulfilled twice, no second email, no stock taken twice. The
//! emulator runs in this test process, so its pending deliveries (and its retries)
//! outlive every kill, as Stripe's do.

use crate::helpers::{TestShop, TestStripe};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use sqlx::AnyPool;
use std::{
    io::Read,
    net::SocketAddr,
    os::unix::process::ExitStatusExt,
    process::{Child, Command, Stdio},
    time::Duration,
};
use storefront::server::crash_point::POINTS;

pub struct ShopProcess {
    child: Child,
}

/// Starts the shop binary; with `crash_at`, it SIGKILLs itself at that crash point.
fn start(
    stripe: &TestStripe,
    addr: SocketAddr,
    data_dir: &std::path::Path,
    database_url: &str,
    crash_at: Option<&str>,
) -> ShopProcess {
    start_with(stripe, addr, data_dir, database_url, crash_at, &[])
}

/// [`start`], with `extra` environment variables on top (later ones win).
pub fn start_with(
    stripe: &TestStripe,
    addr: SocketAddr,
    data_dir: &std::path::Path,
    database_url: &str,
    crash_at: Option<&str>,
    extra: &[(&str, &str)],
) -> ShopProcess {
    let keys = &stripe.running.keys;
    let mut command = Command::new(env!("CARGO_BIN_EXE_storefront"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LISTEN_ADDR", addr.to_string())
        .env("DATA_DIR", data_dir)
        .env("DATABASE_URL", database_url)
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
        // A killed run's claims on PostgreSQL pass to the next run when they expire.
        .env("WORK_LEASE_SECS", "2")
        .env("RECONCILE_EVERY_SECS", "1")
        .env("PAYMENT_INTENTS_PER_IP", "100000")
        .env("SUBMITS_PER_IP", "100000")
        .env("CARTS_PER_IP", "100000")
        .current_dir(data_dir)
        .stdout(Stdio::null())
        // SHOP_STDERR=1 shows the shops' logs while debugging a test.
        .stderr(if std::env::var_os("SHOP_STDERR").is_some() {
            Stdio::inherit()
        } else {
            Stdio::piped()
        });
    if let Some(point) = crash_at {
        command.env("STOREFRONT_CRASH_AT", point);
    }
    command.envs(extra.iter().copied());
    let child = command.spawn().expect("the shop binary starts");
    ShopProcess { child }
}

pub async fn wait_until_up(addr: SocketAddr) {
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

impl Drop for ShopProcess {
    /// A test that fails midway leaves no shop running.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ShopProcess {
    /// SIGKILL, by PID: no shutdown, no flush, nothing graceful.
    pub fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }

    /// Waits for the shop to kill itself at `point`, pushing the emulator's pending
    /// deliveries (and retries) at it meanwhile; panics if it never gets there.
    pub async fn dies_at(mut self, point: &str, stripe: &TestStripe) {
        for _ in 0..300 {
            if let Some(status) = self.child.try_wait().expect("waiting on the shop") {
                assert_eq!(status.signal(), Some(9), "killed by SIGKILL at {point}");
                // (With SHOP_STDERR set, the log went to the terminal instead.)
                if let Some(mut stderr) = self.child.stderr.take() {
                    let mut said = String::new();
                    stderr.read_to_string(&mut said).unwrap();
                    assert!(
                        said.contains(&format!("crash point {point} reached")),
                        "the shop died, but not at {point}: {said}"
                    );
                }
                return;
            }
            stripe
                .control("webhooks/flush", serde_json::json!({}))
                .await;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.kill();
        panic!("the shop never reached crash point {point}");
    }
}

async fn stock(pool: &AnyPool) -> i64 {
    sqlx::query_scalar("SELECT stock FROM products WHERE id = 'stoneware-mug'")
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Submits `orders` one-mug orders through the running shop: their PaymentIntents.
async fn submit_orders(addr: SocketAddr, database_url: &str, orders: usize) -> Vec<String> {
    let mut intents = Vec::new();
    for _ in 0..orders {
        let mut shopper = TestShop::attach(addr, database_url.to_owned());
        let session = shopper.submitted_order("stoneware-mug", "1").await;
        intents.push(session["payment_intent"].as_str().unwrap().to_owned());
    }
    intents
}

/// Lets retried deliveries and the reconciler finish, then checks the invariants: every
/// order paid and fulfilled once, stock taken once each, one confirmation each (sent),
/// and every event the emulator delivered in the inbox, applied.
async fn converges(stripe: &TestStripe, pool: &AnyPool, orders: i64, stock_before: i64) {
    let mut paid = 0;
    for _ in 0..600 {
        stripe
            .control("webhooks/flush", serde_json::json!({}))
            .await;
        paid = sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM orders WHERE status = 'paid'")
            .fetch_one(pool)
            .await
            .unwrap();
        let pending: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM webhook_events WHERE status IN ('pending', 'parked')",
        )
        .fetch_one(pool)
        .await
        .unwrap();
        let unsent: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL")
            .fetch_one(pool)
            .await
            .unwrap();
        if paid == orders && pending == 0 && unsent == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(paid, orders, "every order paid");
    assert_eq!(
        stock(pool).await,
        stock_before - orders,
        "stock taken once per order"
    );
    let emails: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM outbox WHERE kind = 'order_confirmation' AND sent_at IS NOT NULL",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(emails, orders, "one confirmation per order, sent");
    let total_emails: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(total_emails, orders, "no other email");
    let fulfilled: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM orders WHERE fulfilled_at IS NOT NULL")
            .fetch_one(pool)
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
                .fetch_optional(pool)
                .await
                .unwrap();
        assert_eq!(status.as_deref(), Some("processed"), "{}", event["id"]);
    }
}

/// A fresh data directory and a free port, with the emulator delivering there.
async fn fresh_shop_site(stripe: &TestStripe) -> (SocketAddr, tempfile::TempDir, String) {
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = free.local_addr().unwrap();
    drop(free);
    let data_dir = tempfile::tempdir().unwrap();
    let database_url = crate::database::fresh_database_url(data_dir.path()).await;
    stripe
        .running
        .emulator
        .configure_webhook_urls(&[format!("http://{addr}/webhooks/stripe")])
        .unwrap();
    (addr, data_dir, database_url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_every_step_loses_nothing_and_fulfils_once() {
    let stripe = TestStripe::start().await;
    let (addr, data_dir, database_url) = fresh_shop_site(&stripe).await;
    let shop = start(&stripe, addr, data_dir.path(), &database_url, None);
    wait_until_up(addr).await;
    let intents = submit_orders(addr, &database_url, POINTS.len()).await;
    let pool = crate::helpers::connect(&database_url).await;
    let stock_before = stock(&pool).await;
    shop.kill();

    // One payment per crash point, in the order a payment passes them: each run of the
    // shop dies at its point, and the next run picks up whatever it left.
    for (point, intent) in POINTS.iter().zip(&intents) {
        let shop = start(&stripe, addr, data_dir.path(), &database_url, Some(point));
        stripe.confirm(intent, "pm_card_visa").await;
        shop.dies_at(point, &stripe).await;
    }

    let shop = start(&stripe, addr, data_dir.path(), &database_url, None);
    wait_until_up(addr).await;
    converges(&stripe, &pool, intents.len() as i64, stock_before).await;
    shop.kill();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_staggered_moments_loses_nothing_and_fulfils_once() {
    let stripe = TestStripe::start().await;
    let (addr, data_dir, database_url) = fresh_shop_site(&stripe).await;
    let mut shop = start(&stripe, addr, data_dir.path(), &database_url, None);
    wait_until_up(addr).await;
    let intents = submit_orders(addr, &database_url, 6).await;
    let pool = crate::helpers::connect(&database_url).await;
    let stock_before = stock(&pool).await;

    // Pay them all while killing the shop at staggered moments.
    for (round, intent) in intents.iter().enumerate() {
        stripe.confirm(intent, "pm_card_visa").await;
        tokio::time::sleep(Duration::from_millis(15 * round as u64)).await;
        shop.kill();
        shop = start(&stripe, addr, data_dir.path(), &database_url, None);
        wait_until_up(addr).await;
    }

    converges(&stripe, &pool, intents.len() as i64, stock_before).await;
    shop.kill();
}
