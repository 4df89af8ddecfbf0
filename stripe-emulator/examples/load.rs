//! Load for `scripts/emulator-bench`: create + confirm PaymentIntents against a running
//! emulator with N concurrent clients, and print requests per second.
//!
//! `cargo run --release -p stripe-emulator --example load -- <base-url> <secret-key> <total> <clients>`

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [base, key, total, clients] = args.as_slice() else {
        eprintln!("usage: load <base-url> <secret-key> <payment-intents> <clients>");
        std::process::exit(2);
    };
    let total: usize = total.parse().expect("a number of PaymentIntents");
    let clients: usize = clients.parse().expect("a number of clients");
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()
        .unwrap();
    let next = Arc::new(AtomicUsize::new(0));
    let failures = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..clients {
        let (http, base, key, next, failures) = (
            http.clone(),
            base.clone(),
            key.clone(),
            next.clone(),
            failures.clone(),
        );
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while next.fetch_add(1, Ordering::Relaxed) < total {
                let t0 = Instant::now();
                let created: serde_json::Value = match http
                    .post(format!("{base}/v1/payment_intents"))
                    .bearer_auth(&key)
                    .form(&[
                        ("amount", "2000"),
                        ("currency", "usd"),
                        ("automatic_payment_methods[enabled]", "true"),
                        ("metadata[order_id]", "bench"),
                    ])
                    .send()
                    .await
                {
                    Ok(r) if r.status().is_success() => r.json().await.unwrap_or_default(),
                    _ => {
                        failures.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                };
                let t1 = Instant::now();
                let id = created["id"].as_str().unwrap_or_default();
                let confirmed = http
                    .post(format!("{base}/v1/payment_intents/{id}/confirm"))
                    .bearer_auth(&key)
                    .form(&[("payment_method", "pm_card_visa")])
                    .send()
                    .await;
                if !confirmed.is_ok_and(|r| r.status().is_success()) {
                    failures.fetch_add(1, Ordering::Relaxed);
                }
                latencies.push((t1 - t0).as_micros() as u64);
                latencies.push(t1.elapsed().as_micros() as u64);
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for worker in workers {
        latencies.extend(worker.await.unwrap());
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    let percentile = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0) as f64
            / 1000.0
    };
    println!("PaymentIntents created and confirmed: {total} with {clients} concurrent clients in {elapsed:.1} s");
    println!(
        "requests per second (create + confirm): {:.0}",
        latencies.len() as f64 / elapsed
    );
    println!(
        "latency per request: p50 {:.2} ms, p99 {:.2} ms",
        percentile(0.50),
        percentile(0.99)
    );
    println!("failed requests: {}", failures.load(Ordering::Relaxed));
}
