//! Webhook throughput: verified, durable events per second through the real route with
//! 32 concurrent senders, beside raw insert rates into the same database with the
//! inbox's own writer (SQLite: `synchronous=FULL`; PostgreSQL: the pool), one event per
//! transaction and 100 per transaction, so the ratios show what group commit buys; then
//! p99 time to 2xx at a steady 100/s.
//!
//! SQLite in the bench's directory by default; `BENCH_DATABASE_URL=postgres://…` runs
//! the same on PostgreSQL (`scripts/webhook-bench` runs both, on one machine).
//!
//! `cargo run --release --features ssr --bin webhook-bench` (or `scripts/webhook-bench`).
//! The shop logs as in production, to `shop.log` in the bench's directory.
//! Prints figures; asserts nothing.

use anyhow::Context;
use std::{
    sync::Arc,
    time::{Duration, Instant},
};
use storefront::server::{
    shopper::now,
    store::{insert_events, Engine, InboxEvent, InboxWriter, Store},
    stripe::{StripeKeys, StripeMode},
    webhooks::signature::sign,
    Application, Config,
};

const SENDERS: usize = 32;
const EVENTS: usize = 20_000;
/// Rounds per figure (`BENCH_ROUNDS` overrides).
const ROUNDS: usize = 5;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // The data directory sits where the shop's would: the working directory's disk.
    let dir = tempfile_dir()?;
    println!("disk: {}", dir.display());
    // Logging on, as in production (`RUST_LOG`, default `info`: a line per request
    // and per stored event), written to a file beside the data so the figures stay
    // readable.
    let log = std::fs::File::create(dir.join("shop.log"))?;
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_target(false)
        .compact()
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(log))
        .init();

    let stripe = stripe_emulator::Emulator::open(stripe_emulator::Options::default())?
        .serve(([127, 0, 0, 1], 0).into())
        .await?;
    let secret = stripe.keys.webhook_secret.clone();
    let rounds: usize = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|rounds| rounds.parse().ok())
        .unwrap_or(ROUNDS);
    let database_url = std::env::var("BENCH_DATABASE_URL").ok();
    let engine = match &database_url {
        Some(url) if Engine::of(url) == Engine::Postgres => "PostgreSQL",
        _ => "SQLite",
    };
    println!("engine: {engine}");
    let mut config = Config::for_tests(dir.join("shop"));
    if let Some(url) = &database_url {
        config.database_url = url.clone();
    }
    config.metrics_addr = None;
    config.stripe = StripeMode::External {
        api_base: stripe.base_url.clone(),
        js_url: format!("{}/js.stripe.com/v3/", stripe.base_url),
        keys: StripeKeys::parse(
            &stripe.keys.secret_key,
            &stripe.keys.publishable_key,
            Some(secret.clone()),
        )?,
    };
    let shop = Application::build(config).await?;
    let addr = shop.local_addr();
    let url = format!("http://{addr}/webhooks/stripe");
    let inbox = shop.inbox();
    tokio::spawn(shop.run_until_stopped());

    // This machine's neighbours come and go: every figure is the median of ROUNDS,
    // the route, its ceiling and the raw inserts taking turns.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(SENDERS)
        .build()?;
    let secret = Arc::new(secret);
    let refusing = Arc::new("whsec_not_the_shops".to_owned());
    // On PostgreSQL the raw inserts go to the shop's own database (other event ids).
    let raw_url = database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", dir.join("raw.db").display()));
    let raw_store = Store::open(&raw_url).await?;
    // The inbox's own writer: on SQLite, a connection with `synchronous=FULL`.
    let mut raw = InboxWriter::open(raw_store.pool(), &raw_url).await?;
    let (mut route, mut ceiling, mut single, mut batched) = (vec![], vec![], vec![], vec![]);
    for round in 0..rounds {
        // 1. The route, 32 senders at once.
        route.push(flood(addr, &secret, &format!("evt_bench_{round}"), true).await?);
        // The same requests signed with another secret: verified and refused, nothing
        // parsed or written. What HTTP and HMAC cost on this machine, without the disk.
        ceiling.push(flood(addr, &refusing, "evt_refused", false).await?);
        // 2. Raw inserts on the same disk with the same pragmas, schema and statement.
        let started = Instant::now();
        for n in 0..2_000 {
            let id = format!("evt_single_{round}_{n}");
            insert_events(&mut raw, &[event(&id)], now()).await?;
        }
        single.push(2_000.0 / started.elapsed().as_secs_f64());
        let started = Instant::now();
        for chunk in 0..200 {
            let events: Vec<InboxEvent> = (0..100)
                .map(|n| event(&format!("evt_batch_{round}_{chunk}_{n}")))
                .collect();
            insert_events(&mut raw, &events, now()).await?;
        }
        batched.push(20_000.0 / started.elapsed().as_secs_f64());
    }
    drop(raw);
    let (route_rate, ceiling, single_rate, batch_rate) = (
        median(&mut route),
        median(&mut ceiling),
        median(&mut single),
        median(&mut batched),
    );
    let stats = inbox.stats();
    let (events, commits, commit_micros) = (
        stats.events.load(std::sync::atomic::Ordering::Relaxed),
        stats.commits.load(std::sync::atomic::Ordering::Relaxed),
        stats
            .commit_micros
            .load(std::sync::atomic::Ordering::Relaxed),
    );
    println!("medians of {rounds} rounds:");
    println!(
        "route: {route_rate:>9.0} verified, durable events/s ({EVENTS} events, {SENDERS} senders)"
    );
    println!(
        "       {commits} commits for {events} events: {:.1} events share each fsync; {:.2} ms per commit",
        events as f64 / commits.max(1) as f64,
        commit_micros as f64 / 1000.0 / commits.max(1) as f64
    );
    println!(
        "ceiling: {ceiling:>7.0} requests/s refused at the signature (no disk): the durable route runs at {:.0}% of it",
        100.0 * route_rate / ceiling
    );
    println!("raw {engine}, 1 event per transaction:    {single_rate:>9.0} events/s");
    println!("raw {engine}, 100 events per transaction: {batch_rate:>9.0} events/s");
    println!(
        "route / one-per-transaction: {:.1}x (aim: at least 10x); route / batched: {:.2} (aim: at least 0.5)",
        route_rate / single_rate,
        route_rate / batch_rate
    );

    // 3. A steady 100 events/s for 10 s: time to 2xx.
    let mut latencies = Vec::new();
    let mut pending = Vec::new();
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    for n in 0..1_000 {
        tick.tick().await;
        let (client, url, secret) = (client.clone(), url.clone(), secret.clone());
        pending.push(tokio::spawn(async move {
            let started = Instant::now();
            send(&client, &url, &secret, &format!("evt_steady_{n}"), true).await?;
            anyhow::Ok(started.elapsed())
        }));
    }
    for task in pending {
        latencies.push(task.await??);
    }
    latencies.sort();
    let p50 = latencies[latencies.len() / 2];
    let p99 = latencies[latencies.len() * 99 / 100];
    println!(
        "steady 100 events/s: p50 {:.1} ms, p99 {:.1} ms to 2xx",
        ms(p50),
        ms(p99)
    );
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}

/// Sends `EVENTS` events from `SENDERS` concurrent senders; the rate per second.
/// Sends `EVENTS` events from `SENDERS` concurrent senders, each on its own
/// keep-alive connection (as Stripe's deliveries come, over few connections); the
/// rate per second. A bare HTTP/1 client, so the senders, which stand in for Stripe
/// and share this machine's two cores with the shop, take as little of them as they
/// can.
async fn flood(
    addr: std::net::SocketAddr,
    secret: &Arc<String>,
    prefix: &str,
    accepted: bool,
) -> anyhow::Result<f64> {
    let started = Instant::now();
    let mut senders = Vec::new();
    for sender in 0..SENDERS {
        let secret = secret.clone();
        let prefix = prefix.to_owned();
        senders.push(tokio::spawn(async move {
            let stream = tokio::net::TcpStream::connect(addr).await?;
            stream.set_nodelay(true)?;
            let (mut connection, driver) =
                hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
            tokio::spawn(driver);
            for n in (sender..EVENTS).step_by(SENDERS) {
                let id = format!("{prefix}_{n}");
                let body = event_body(&id);
                let t = now();
                let request = hyper::Request::post(storefront::server::security::WEBHOOK_PATH)
                    .header("host", addr.to_string())
                    .header("content-type", "application/json")
                    .header(
                        "stripe-signature",
                        format!("t={t},v1={}", sign(&secret, t, body.as_bytes())),
                    )
                    .body(http_body_util::Full::new(bytes::Bytes::from(body)))?;
                connection.ready().await?;
                let response = connection.send_request(request).await?;
                let status = response.status();
                http_body_util::BodyExt::collect(response.into_body()).await?;
                anyhow::ensure!(status.is_success() == accepted, "{status} for {id}");
            }
            anyhow::Ok(())
        }));
    }
    for sender in senders {
        sender.await??;
    }
    Ok(EVENTS as f64 / started.elapsed().as_secs_f64())
}

/// A charge event: stored (as skipped) like any other, without asking Stripe
/// anything, so the figure is the route and the disk alone.
fn event_body(id: &str) -> String {
    format!(
        "{{\n  \"id\": \"{id}\",\n  \"object\": \"event\",\n  \"type\": \"charge.succeeded\",\n  \"livemode\": false,\n  \"data\": {{\n    \"object\": {{\n      \"id\": \"ch_bench\",\n      \"object\": \"charge\"\n    }}\n  }}\n}}"
    )
}

async fn send(
    client: &reqwest::Client,
    url: &str,
    secret: &str,
    id: &str,
    accepted: bool,
) -> anyhow::Result<()> {
    let body = event_body(id);
    let t = now();
    let signature = format!("t={t},v1={}", sign(secret, t, body.as_bytes()));
    let response = client
        .post(url)
        .header("stripe-signature", signature)
        .body(body)
        .send()
        .await?;
    anyhow::ensure!(
        response.status().is_success() == accepted,
        "{} for {id}",
        response.status()
    );
    Ok(())
}

fn event(id: &str) -> InboxEvent {
    InboxEvent {
        id: id.to_owned(),
        kind: "charge.succeeded".into(),
        livemode: false,
        payment_intent: None,
        payload: format!("{{\"id\":\"{id}\",\"object\":\"event\"}}"),
        skipped: true,
    }
}

fn median(figures: &mut [f64]) -> f64 {
    figures.sort_by(f64::total_cmp);
    figures[figures.len() / 2]
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// A fresh directory under `./target` (the same disk as a developer's `data/`).
fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::current_dir()?
        .join("target")
        .join(format!("webhook-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).context("creating the bench directory")?;
    Ok(dir)
}
