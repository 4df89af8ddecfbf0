//! Three shop processes on one PostgreSQL database, as a shop behind a load balancer
//! runs: one standalone emulator delivers every event to all three at once, with its
//! duplicate and reorder faults on; ~30 checkouts run concurrently (successes,
//! declines, 3-D Secure, a race for the last unit); one instance is SIGKILLed holding
//! claimed work and restarted. Then the database must show every promise kept.
//! PostgreSQL only (the point is a database several instances share): the SQLite pass
//! of the README's test command skips it.

use crate::{
    crash::{start_with, wait_until_up, ShopProcess},
    database,
    helpers::{as_pairs, connect, submission, TestShop, TestStripe},
};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::AnyPool;
use std::{net::SocketAddr, time::Duration, time::Instant};

/// PaymentIntents one client IP may create per window, across all instances.
const PAYMENT_INTENTS_PER_IP: i64 = 45;
/// The product the race is for: one unit left.
const LAST_UNIT: &str = "copper-scoop";

/// How a shopper of the storm pays.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Shopper {
    Pays,
    Declined,
    ThreeDSecure,
    RacesForTheLastUnit,
}

fn storm() -> Vec<Shopper> {
    let mut shoppers = Vec::new();
    shoppers.extend([Shopper::Pays; 20]);
    shoppers.extend([Shopper::Declined; 4]);
    shoppers.extend([Shopper::ThreeDSecure; 3]);
    shoppers.extend([Shopper::RacesForTheLastUnit; 3]);
    shoppers
}

fn free_addr() -> SocketAddr {
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    free.local_addr().unwrap()
}

struct Instance {
    name: String,
    addr: SocketAddr,
    dir: tempfile::TempDir,
}

/// Instances named `names`, each with a free address and a data directory, and the
/// emulator delivering every event to all of them.
fn instances_delivered_to(
    stripe: &TestStripe,
    names: impl IntoIterator<Item = impl Into<String>>,
) -> Vec<Instance> {
    let instances: Vec<Instance> = names
        .into_iter()
        .map(|name| Instance {
            name: name.into(),
            addr: free_addr(),
            dir: tempfile::tempdir().unwrap(),
        })
        .collect();
    let urls: Vec<String> = instances
        .iter()
        .map(|i| format!("http://{}/webhooks/stripe", i.addr))
        .collect();
    stripe
        .running
        .emulator
        .configure_webhook_urls(&urls)
        .unwrap();
    instances
}

fn launch(
    stripe: &TestStripe,
    instance: &Instance,
    database_url: &str,
    crash_at: Option<&str>,
    payment_intents_per_ip: i64,
) -> ShopProcess {
    let limit = payment_intents_per_ip.to_string();
    start_with(
        stripe,
        instance.addr,
        instance.dir.path(),
        database_url,
        crash_at,
        &[
            ("INSTANCE_NAME", instance.name.as_str()),
            ("WORK_LEASE_SECS", "3"),
            ("PAYMENT_INTENTS_PER_IP", limit.as_str()),
        ],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_instances_share_one_database_and_lose_no_payment() {
    let stripe = TestStripe::start().await;
    let database_url = database::fresh_postgres_database().await;
    let mut instances = instances_delivered_to(&stripe, ["shop-a", "shop-b", "shop-c"]);
    stripe
        .control(
            "faults",
            json!({"webhook": {"duplicate": true, "reorder": true}}),
        )
        .await;

    // shop-c dies the first time its worker has read a payment: mid-storm, holding
    // the events it claimed.
    let a = launch(
        &stripe,
        &instances[0],
        &database_url,
        None,
        PAYMENT_INTENTS_PER_IP,
    );
    let b = launch(
        &stripe,
        &instances[1],
        &database_url,
        None,
        PAYMENT_INTENTS_PER_IP,
    );
    let c = launch(
        &stripe,
        &instances[2],
        &database_url,
        Some("worker.read_payment"),
        PAYMENT_INTENTS_PER_IP,
    );
    for instance in &instances {
        wait_until_up(instance.addr).await;
    }
    // The limits count in windows aligned to the clock: start well inside one, so the
    // whole test (a few seconds) counts in a single window.
    let window = storefront::server::config::RateLimits::default()
        .window
        .as_secs();
    let into_window = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        % window;
    if into_window + 60 > window {
        tokio::time::sleep(Duration::from_secs(window - into_window + 1)).await;
    }
    let pool = connect(&database_url).await;
    sqlx::query("UPDATE products SET stock = 1 WHERE id = $1")
        .bind(LAST_UNIT)
        .execute(&pool)
        .await
        .unwrap();
    let stock_before = stocks(&pool).await;

    // The storm: every shopper at once, spread over the three instances; a shopper
    // whose instance is down (shop-c, killed mid-storm) carries on at the next one,
    // as a load balancer would send it there.
    let started = Instant::now();
    let shoppers = storm();
    let addrs: Vec<SocketAddr> = instances.iter().map(|i| i.addr).collect();
    let checkouts: Vec<_> = shoppers
        .iter()
        .enumerate()
        .map(|(n, kind)| {
            let addr = Balanced::starting_at(&addrs, n);
            let (url, stripe_base, keys) = (
                database_url.clone(),
                stripe.running.base_url.clone(),
                stripe.running.keys.secret_key.clone(),
            );
            let kind = *kind;
            tokio::spawn(async move { checkout(addr, url, &stripe_base, &keys, kind).await })
        })
        .collect();

    c.dies_at("worker.read_payment", &stripe).await;
    let killed = instances[2].name.clone();
    let held: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM webhook_events WHERE claimed_by = $1 AND status = 'pending'",
    )
    .bind(&killed)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(!held.is_empty(), "{killed} died holding claimed events");
    let killed = killed.as_str();
    // Restarted under a new name: what the dead one held is taken over when its
    // leases expire, by whichever instance claims it first.
    instances[2].name = "shop-c-restarted".to_owned();
    let c = launch(
        &stripe,
        &instances[2],
        &database_url,
        None,
        PAYMENT_INTENTS_PER_IP,
    );
    wait_until_up(instances[2].addr).await;

    let mut results = Vec::new();
    for checkout in checkouts {
        results.push(checkout.await.expect("a shopper's task"));
    }
    let checkout_secs = started.elapsed().as_secs_f64();
    println!(
        "{} checkouts over 3 instances (one killed and restarted) in {checkout_secs:.2} s: {:.1} checkouts/s",
        results.len(),
        results.len() as f64 / checkout_secs
    );
    let race_winners = results
        .iter()
        .zip(&shoppers)
        .filter(|(paid, kind)| **kind == Shopper::RacesForTheLastUnit && paid.is_some())
        .count();
    assert_eq!(race_winners, 1, "the last unit is sold once");
    let paid_orders: Vec<String> = results.into_iter().flatten().collect();
    // (Their PaymentIntents: one paid order each.)
    assert_eq!(paid_orders.len(), 20 + 3 + 1);

    settles(&stripe, &pool, paid_orders.len() as i64).await;

    // Every event processed or skipped: none pending, none parked.
    assert_eq!(
        scalar(
            &pool,
            "SELECT COUNT(*) FROM webhook_events WHERE status IN ('pending', 'parked')"
        )
        .await,
        0
    );
    // The dead instance's claims were taken over and finished.
    for event in &held {
        let (status, by): (String, Option<String>) =
            sqlx::query_as("SELECT status, claimed_by FROM webhook_events WHERE id = $1")
                .bind(event)
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_ne!(status, "pending", "{event}");
        assert_ne!(by.as_deref(), Some(killed), "{event} was taken over");
    }
    // Stock is the initial stock less what was sold, never negative; the last unit
    // went once.
    let stock_after = stocks(&pool).await;
    let sold = sold(&pool).await;
    for (product, before) in &stock_before {
        let after = stock_after.iter().find(|(p, _)| p == product).unwrap().1;
        let units = sold.iter().find(|(p, _)| p == product).map_or(0, |s| s.1);
        assert!(after >= 0, "{product}");
        assert_eq!(after, before - units, "{product}");
    }
    assert_eq!(
        sold.iter().find(|(p, _)| p == LAST_UNIT).map(|s| s.1),
        Some(1)
    );
    // Exactly one confirmation per paid order, each sent once.
    assert_eq!(
        scalar(
            &pool,
            "SELECT COUNT(*) FROM outbox WHERE kind = 'order_confirmation'
               AND sent_at IS NOT NULL AND attempts = 1"
        )
        .await,
        paid_orders.len() as i64
    );
    assert_eq!(
        scalar(
            &pool,
            "SELECT COUNT(*) FROM outbox WHERE kind = 'order_confirmation'"
        )
        .await,
        paid_orders.len() as i64
    );
    assert_eq!(
        scalar(&pool, "SELECT COUNT(*) FROM orders WHERE status = 'paid'").await,
        paid_orders.len() as i64
    );

    // The per-IP PaymentIntent limit holds across the three together: new carts, each
    // asking for a PaymentIntent, round-robin over the instances, are served until the
    // one limit is spent, then refused by every instance alike. (It counts attempts:
    // a storm request cut off by the kill and repeated elsewhere counted twice.)
    let per_ip = "SELECT CAST(COALESCE(SUM(hits), 0) AS BIGINT) FROM rate_limit_hits
                  WHERE limiter = 'PaymentIntents per IP'";
    let spent_in_storm = scalar(&pool, per_ip).await;
    assert!(spent_in_storm >= scalar(&pool, "SELECT COUNT(*) FROM order_payment_intents").await);
    let mut served = 0;
    let mut refused_by = Vec::new();
    for n in 0.. {
        let instance = &instances[n % 3];
        let mut shopper = TestShop::attach(instance.addr, database_url.clone());
        shopper.add("canvas-tote", "1").await;
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
        match response.status() {
            StatusCode::OK => served += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                assert!(response.headers().contains_key("retry-after"));
                refused_by.push(instance.name.clone());
                if refused_by.len() == 3 {
                    break;
                }
            }
            other => panic!("prepare answered {other}"),
        }
        assert!(n < 200, "the limit never refused");
    }
    assert_eq!(
        spent_in_storm + served,
        PAYMENT_INTENTS_PER_IP,
        "one allowance for all three"
    );
    assert_eq!(scalar(&pool, per_ip).await, PAYMENT_INTENTS_PER_IP);

    a.kill();
    b.kill();
    c.kill();
}

/// Which instance a shopper's requests go to: the one it started at, until that one
/// does not answer (killed), then the next.
#[derive(Clone, Debug)]
struct Balanced {
    instances: Vec<SocketAddr>,
    at: usize,
}

impl Balanced {
    fn starting_at(instances: &[SocketAddr], n: usize) -> Self {
        Balanced {
            instances: instances.to_vec(),
            at: n % instances.len(),
        }
    }
}

/// A shopper behind the load balancer.
struct Shopping {
    shopper: TestShop,
    route: Balanced,
}

impl Shopping {
    /// `TestShop::call` at the shopper's instance, or, while it is down, the next:
    /// the cart lives in the shared database, so the checkout carries on there. (A
    /// request cut off mid-way may have been done: a repeated prepare or submit is
    /// harmless, and a repeated first add, which had no cart cookie yet, starts a new
    /// cart.)
    async fn call(&mut self, endpoint: &str, form: &[(&str, &str)]) -> reqwest::Response {
        for _ in 0..50 {
            self.shopper.addr = self.route.instances[self.route.at];
            match self.shopper.try_call(endpoint, form).await {
                Ok(response) => return response,
                Err(_) => {
                    self.route.at = (self.route.at + 1) % self.route.instances.len();
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }
        panic!("no instance answered {endpoint}");
    }
}

/// One shopper's checkout through the load balancer: its PaymentIntent when it
/// paid, `None` when it was declined or lost the race.
async fn checkout(
    route: Balanced,
    database_url: String,
    stripe_base: &str,
    secret_key: &str,
    kind: Shopper,
) -> Option<String> {
    let first = route.instances[route.at];
    let mut shopper = Shopping {
        shopper: TestShop::attach(first, database_url),
        route,
    };
    let product = match kind {
        Shopper::RacesForTheLastUnit => LAST_UNIT,
        _ => "stoneware-mug",
    };
    let added = shopper
        .call("cart/add", &[("product_id", product), ("quantity", "1")])
        .await;
    if kind == Shopper::RacesForTheLastUnit && added.status() == StatusCode::CONFLICT {
        // Another shopper submitted first: the unit is held for them.
        return None;
    }
    assert_eq!(added.status(), StatusCode::OK, "add");
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
    if kind == Shopper::RacesForTheLastUnit && response.status() == StatusCode::CONFLICT {
        // Someone submitted first: the checkout already says it is sold out.
        return None;
    }
    assert_eq!(response.status(), StatusCode::OK, "prepare");
    let session: Value = response.json().await.unwrap();
    let payment_intent = session["payment_intent"].as_str().unwrap().to_owned();
    let form = submission(&session);
    let submitted = shopper.call("checkout/submit", &as_pairs(&form)).await;
    if kind == Shopper::RacesForTheLastUnit && submitted.status() != StatusCode::OK {
        // Someone else holds the last unit: refused before any money moves.
        assert_eq!(submitted.status(), StatusCode::CONFLICT, "lost the race");
        return None;
    }
    assert_eq!(submitted.status(), StatusCode::OK, "submit");
    let stripe = reqwest::Client::new();
    let confirm = |payment_method: &'static str| {
        stripe
            .post(format!(
                "{stripe_base}/v1/payment_intents/{payment_intent}/confirm"
            ))
            .bearer_auth(secret_key)
            .form(&[
                ("payment_method", payment_method),
                ("return_url", "http://127.0.0.1/done"),
            ])
            .send()
    };
    match kind {
        Shopper::Pays | Shopper::RacesForTheLastUnit => {
            confirm("pm_card_visa").await.unwrap();
        }
        Shopper::Declined => {
            confirm("pm_card_chargeDeclined").await.unwrap();
            return None;
        }
        Shopper::ThreeDSecure => {
            let intent: Value = confirm("pm_card_threeDSecure2Required")
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(intent["status"], "requires_action");
            // The shopper passes the bank's challenge.
            stripe
                .post(format!(
                    "{stripe_base}/_emulator/payment_intents/{payment_intent}/force"
                ))
                .json(&json!({"status": "succeeded"}))
                .send()
                .await
                .unwrap();
        }
    }
    Some(payment_intent)
}

/// Waits (bounded) until every paid order is paid and confirmed, pushing the
/// emulator's deliveries meanwhile.
async fn settles(stripe: &TestStripe, pool: &AnyPool, paid: i64) {
    for _ in 0..600 {
        let done = scalar(pool, "SELECT COUNT(*) FROM orders WHERE status = 'paid'").await == paid
            && scalar(
                pool,
                "SELECT COUNT(*) FROM outbox WHERE sent_at IS NOT NULL AND kind = 'order_confirmation'",
            )
            .await
                == paid
            && scalar(
                pool,
                "SELECT COUNT(*) FROM webhook_events WHERE status IN ('pending', 'parked')",
            )
            .await
                == 0;
        if done {
            return;
        }
        stripe.control("webhooks/flush", json!({})).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the instances never settled");
}

async fn scalar(pool: &AnyPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

async fn stocks(pool: &AnyPool) -> Vec<(String, i64)> {
    sqlx::query_as("SELECT id, stock FROM products ORDER BY id")
        .fetch_all(pool)
        .await
        .unwrap()
}

async fn sold(pool: &AnyPool) -> Vec<(String, i64)> {
    sqlx::query_as(
        "SELECT l.product_id, CAST(SUM(l.quantity) AS BIGINT) FROM order_lines l
         JOIN orders o ON o.id = l.order_id
         WHERE o.status = 'paid' GROUP BY l.product_id",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

/// Checkouts per second, paid and confirmed end to end (webhooks, fulfilment, email),
/// through `count` instances on one PostgreSQL database: 240 shoppers at once, spread
/// over them. A figure, printed; `scripts/checkout-rate` runs it with 1 and with 3.
async fn checkout_rate(count: usize) {
    let stripe = TestStripe::start().await;
    let database_url = database::fresh_postgres_database().await;
    let instances = instances_delivered_to(&stripe, (0..count).map(|n| format!("shop-{n}")));
    let _running: Vec<ShopProcess> = instances
        .iter()
        .map(|instance| launch(&stripe, instance, &database_url, None, 100_000))
        .collect();
    for instance in &instances {
        wait_until_up(instance.addr).await;
    }
    let pool = connect(&database_url).await;
    sqlx::query("UPDATE products SET stock = 1000")
        .execute(&pool)
        .await
        .unwrap();
    const SHOPPERS: usize = 240;
    let started = Instant::now();
    let checkouts: Vec<_> = (0..SHOPPERS)
        .map(|n| {
            let addrs: Vec<SocketAddr> = instances.iter().map(|i| i.addr).collect();
            let addr = Balanced::starting_at(&addrs, n);
            let (url, stripe_base, keys) = (
                database_url.clone(),
                stripe.running.base_url.clone(),
                stripe.running.keys.secret_key.clone(),
            );
            tokio::spawn(
                async move { checkout(addr, url, &stripe_base, &keys, Shopper::Pays).await },
            )
        })
        .collect();
    for checkout in checkouts {
        checkout.await.unwrap().expect("paid");
    }
    settles(&stripe, &pool, SHOPPERS as i64).await;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{count} instance(s): {SHOPPERS} checkouts paid and confirmed in {secs:.2} s: {:.1} checkouts/s",
        SHOPPERS as f64 / secs
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "a figure, not a check: scripts/checkout-rate"]
async fn checkout_rate_with_one_instance() {
    checkout_rate(1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "a figure, not a check: scripts/checkout-rate"]
async fn checkout_rate_with_three_instances() {
    checkout_rate(3).await;
}
