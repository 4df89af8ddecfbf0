//! The standalone binary, driven over HTTP only: help, keys, restarts with `--state`.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};

use serde_json::Value;

const BINARY: &str = env!("CARGO_BIN_EXE_stripe-emulator");

/// A running `stripe-emulator` process and the keys it printed.
struct Process {
    child: Child,
    base_url: String,
    publishable_key: String,
    secret_key: String,
    webhook_secret: String,
}

impl Process {
    fn start(state: &std::path::Path, port: u16) -> Process {
        Process::start_with(state, port, &[])
    }

    fn start_with(state: &std::path::Path, port: u16, extra: &[&str]) -> Process {
        let mut child = Command::new(BINARY)
            .args(["--port", &port.to_string(), "--state"])
            .arg(state)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the binary starts");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut next = || lines.next().expect("a key line").expect("readable");
        let (publishable_key, secret_key, webhook_secret) = (next(), next(), next());
        Process {
            child,
            base_url: format!("http://127.0.0.1:{port}"),
            publishable_key,
            secret_key,
            webhook_secret,
        }
    }

    fn kill(mut self) {
        // SIGKILL: no graceful shutdown, as a crash or `kill -9` would be.
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    async fn post(&self, path: &str, key: Option<&str>, form: &[(&str, &str)]) -> (u16, Value) {
        let mut request = reqwest::Client::new()
            .post(format!("{}{path}", self.base_url))
            .basic_auth(&self.secret_key, Some(""))
            .form(form);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        let response = request.send().await.unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let response = reqwest::Client::new()
            .get(format!("{}{path}", self.base_url))
            .bearer_auth(&self.secret_key)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn help_explains_every_flag() {
    let output = Command::new(BINARY).arg("--help").output().unwrap();
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    for flag in [
        "--port",
        "--host",
        "--state",
        "--secret-key",
        "--publishable-key",
        "--webhook-secret",
        "--control-api",
        "--allow-origin",
        "--allow-raw-card-data",
        "--strict-cards",
        "--log-format",
        "--help",
        "--webhook-url",
        "--webhook-retries",
        "--webhook-timeout-ms",
        "--also-listen",
    ] {
        assert!(help.contains(flag), "--help does not mention {flag}");
    }
    let bad = Command::new(BINARY).arg("--nope").output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown argument"));
}

#[tokio::test]
async fn an_sdk_style_session_survives_kill_and_restart() {
    let state = tempfile::tempdir().unwrap();
    let port = free_port();
    let first = Process::start(state.path(), port);
    assert!(first.publishable_key.starts_with("pk_test_"));
    assert!(first.secret_key.starts_with("sk_test_"));
    assert!(first.webhook_secret.starts_with("whsec_"));

    // As an SDK would: create with an idempotency key, confirm, expand, refund, list.
    let (status, pi) = first
        .post(
            "/v1/payment_intents",
            Some("order-1"),
            &[
                ("amount", "2000"),
                ("currency", "usd"),
                ("automatic_payment_methods[enabled]", "true"),
                ("metadata[order_id]", "1"),
            ],
        )
        .await;
    assert_eq!(status, 200);
    let pi_id = pi["id"].as_str().unwrap().to_string();
    let (status, confirmed) = first
        .post(
            &format!("/v1/payment_intents/{pi_id}/confirm"),
            Some("confirm-1"),
            &[
                ("payment_method", "pm_card_visa"),
                ("expand[0]", "latest_charge"),
            ],
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(confirmed["latest_charge"]["status"], "succeeded");
    let (status, _) = first
        .post(
            "/v1/refunds",
            None,
            &[("payment_intent", &pi_id), ("amount", "500")],
        )
        .await;
    assert_eq!(status, 200);
    let mut seen: Vec<String> = vec![
        pi_id.clone(),
        confirmed["latest_charge"]["id"]
            .as_str()
            .unwrap()
            .to_string(),
        confirmed["payment_method"].as_str().unwrap().to_string(),
    ];
    let first_keys = (
        first.publishable_key.clone(),
        first.secret_key.clone(),
        first.webhook_secret.clone(),
    );
    first.kill();

    let second = Process::start(state.path(), port);
    assert_eq!(
        (
            second.publishable_key.clone(),
            second.secret_key.clone(),
            second.webhook_secret.clone()
        ),
        first_keys,
        "the keys are kept"
    );
    let (status, again) = second
        .get(&format!(
            "/v1/payment_intents/{pi_id}?expand[]=latest_charge"
        ))
        .await;
    assert_eq!(status, 200);
    assert_eq!(again["status"], "succeeded");
    assert_eq!(again["metadata"]["order_id"], "1");
    assert_eq!(again["latest_charge"]["amount_refunded"], 500);
    // The idempotency key still replays after the restart.
    let (_, replay) = second
        .post(
            "/v1/payment_intents",
            Some("order-1"),
            &[
                ("amount", "2000"),
                ("currency", "usd"),
                ("automatic_payment_methods[enabled]", "true"),
                ("metadata[order_id]", "1"),
            ],
        )
        .await;
    assert_eq!(replay["id"], pi_id.as_str());
    // New objects never reuse an id.
    for _ in 0..5 {
        let (_, pi) = second
            .post(
                "/v1/payment_intents",
                None,
                &[
                    ("amount", "2000"),
                    ("currency", "usd"),
                    ("payment_method", "pm_card_visa"),
                    ("confirm", "true"),
                ],
            )
            .await;
        for id in [
            pi["id"].as_str().unwrap(),
            pi["latest_charge"].as_str().unwrap(),
            pi["payment_method"].as_str().unwrap(),
        ] {
            assert!(!seen.contains(&id.to_string()), "{id} issued twice");
            seen.push(id.to_string());
        }
    }
    let (_, list) = second.get("/v1/payment_intents?limit=100").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 6);
    second.kill();
}

#[tokio::test]
async fn pending_deliveries_go_out_after_a_restart() {
    let state = tempfile::tempdir().unwrap();
    let (port, receiver_port) = (free_port(), free_port());
    let url = format!("http://127.0.0.1:{receiver_port}/webhooks/stripe");
    let args = ["--webhook-url", url.as_str(), "--webhook-retries", "fast"];
    let first = Process::start_with(state.path(), port, &args);
    let (status, pi) = first
        .post(
            "/v1/payment_intents",
            None,
            &[("amount", "2000"), ("currency", "usd")],
        )
        .await;
    assert_eq!(status, 200);
    // The receiver is not there yet: the first attempt fails and a retry is pending.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    first.kill();

    let (receiver, _) = crate::webhooks::Receiver::start_on(receiver_port, &[]).await;
    let second = Process::start_with(state.path(), port, &args);
    let got = crate::webhooks::wait_for(&receiver, 1).await;
    let event = got[0].json();
    assert_eq!(event["type"], "payment_intent.created");
    assert_eq!(event["data"]["object"]["id"], pi["id"]);
    assert!(crate::webhooks::verifies(
        got[0].signature(),
        &got[0].body,
        &second.webhook_secret,
        got[0].at,
        300
    ));
    second.kill();
}

#[tokio::test]
async fn a_seeded_emulator_never_reissues_an_id_after_a_restart() {
    let state = tempfile::tempdir().unwrap();
    let port = free_port();
    let first = Process::start_with(state.path(), port, &["--control-api"]);
    let control = |path: &'static str, body: serde_json::Value| {
        let url = format!("http://127.0.0.1:{port}{path}");
        async move {
            reqwest::Client::new()
                .post(url)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(
        control("/_emulator/reset", serde_json::json!({})).await,
        200
    );
    assert_eq!(
        control("/_emulator/seed", serde_json::json!({"seed": "stable"})).await,
        200
    );
    let mut seen = Vec::new();
    for _ in 0..3 {
        seen.push(
            first
                .post(
                    "/v1/payment_intents",
                    None,
                    &[("amount", "2000"), ("currency", "usd")],
                )
                .await
                .1["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    first.kill();
    let second = Process::start_with(state.path(), port, &["--control-api"]);
    for _ in 0..3 {
        let id = second
            .post(
                "/v1/payment_intents",
                None,
                &[("amount", "2000"), ("currency", "usd")],
            )
            .await
            .1["id"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(!seen.contains(&id), "{id} issued twice");
        seen.push(id);
    }
    second.kill();
}

impl Process {
    async fn control(&self, path: &str, body: Value) -> (u16, Value) {
        let response = reqwest::Client::new()
            .post(format!("{}{path}", self.base_url))
            .json(&body)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    async fn confirmed(&self, test_pm: &str) -> String {
        let (status, pi) = self
            .post(
                "/v1/payment_intents",
                None,
                &[
                    ("amount", "2000"),
                    ("currency", "usd"),
                    ("payment_method", test_pm),
                    ("confirm", "true"),
                ],
            )
            .await;
        assert_eq!(status, 200, "{pi}");
        pi["id"].as_str().unwrap().to_string()
    }
}

#[tokio::test]
async fn refunds_disputes_and_the_settlement_delay_survive_kill_and_restart() {
    let state = tempfile::tempdir().unwrap();
    let port = free_port();
    let first = Process::start_with(state.path(), port, &["--control-api"]);
    let (status, _) = first
        .control(
            "/_emulator/refunds/settlement",
            serde_json::json!({"pending_seconds": 3600}),
        )
        .await;
    assert_eq!(status, 200);
    let paid = first.confirmed("pm_card_visa").await;
    let (_, pending) = first
        .post(
            "/v1/refunds",
            Some("refund-1"),
            &[("payment_intent", &paid), ("amount", "700")],
        )
        .await;
    assert_eq!(pending["status"], "pending");
    let disputed = first.confirmed("pm_card_createDispute").await;
    let (_, disputes) = first
        .get(&format!("/v1/disputes?payment_intent={disputed}"))
        .await;
    let dispute = disputes["data"][0].clone();
    let (status, _) = first
        .post(
            &format!("/v1/disputes/{}", dispute["id"].as_str().unwrap()),
            None,
            &[("evidence[customer_name]", "Ada"), ("metadata[case]", "9")],
        )
        .await;
    assert_eq!(status, 200);
    let (_, before) = first
        .get(&format!("/v1/refunds?payment_intent={paid}"))
        .await;
    first.kill();

    let second = Process::start_with(state.path(), port, &["--control-api"]);
    let (_, after) = second
        .get(&format!("/v1/refunds?payment_intent={paid}"))
        .await;
    assert_eq!(after, before, "the refund as it was");
    let (_, kept) = second
        .get(&format!("/v1/disputes/{}", dispute["id"].as_str().unwrap()))
        .await;
    assert_eq!(kept["evidence"]["customer_name"], "Ada");
    assert_eq!(kept["metadata"]["case"], "9");
    assert_eq!(kept["status"], "needs_response");
    let (_, charge) = second
        .get(&format!("/v1/charges/{}", kept["charge"].as_str().unwrap()))
        .await;
    assert_eq!(charge["disputed"], true);
    // The pending refund and the setting are still there: the clock settles it.
    let setting: Value = reqwest::get(format!("{}/_emulator/refunds/settlement", second.base_url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(setting, serde_json::json!({"pending_seconds": 3600}));
    let (status, _) = second
        .control(
            "/_emulator/clock",
            serde_json::json!({"advance_seconds": 3600}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, settled) = second
        .get(&format!("/v1/refunds/{}", pending["id"].as_str().unwrap()))
        .await;
    assert_eq!(settled["status"], "succeeded");
    // The idempotency key still replays the refund as first answered.
    let (_, replay) = second
        .post(
            "/v1/refunds",
            Some("refund-1"),
            &[("payment_intent", &paid), ("amount", "700")],
        )
        .await;
    assert_eq!(replay, pending);
    second.kill();
}
