//! Start-up checks of each payment mode, through the real binary and its environment.

use std::{
    process::{Command, Output, Stdio},
    time::{Duration, Instant},
};

const SK: &str = "sk_test_51Hexamplekey";
const PK: &str = "pk_test_51Hexamplekey";
const WH: &str = "whsec_examplesecret1";
// Live-shaped keys are assembled, so no live-looking secret sits in the source.
const LIVE_SK: &str = concat!("sk_", "live_", "51Hexamplekey");
const LIVE_PK: &str = concat!("pk_", "live_", "51Hexamplekey");

/// Runs the shop binary with exactly `vars` (plus a private data directory) and
/// returns how it ended; every case here must refuse to start. A shop that starts
/// instead is stopped and the test fails, rather than waiting on it forever.
fn start(vars: &[(&str, &str)]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_storefront"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATA_DIR", dir.path())
        .env("LISTEN_ADDR", "127.0.0.1:0")
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in vars {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("the binary runs");
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().expect("waiting on the shop").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let output = child.wait_with_output().expect("the shop's output");
            panic!(
                "{vars:?} started instead of refusing:\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().expect("the shop's output")
}

fn refused(vars: &[(&str, &str)], expected: &str) {
    let output = start(vars);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{vars:?} must refuse to start");
    assert!(stderr.contains(expected), "{vars:?}: {stderr}");
    for secret in [SK, WH, LIVE_SK] {
        assert!(
            !stderr.contains(secret),
            "a secret reached the log: {stderr}"
        );
    }
}

#[test]
fn the_embedded_emulator_refuses_a_public_address() {
    refused(&[("LISTEN_ADDR", "0.0.0.0:0")], "ALLOW_EMULATOR=1");
}

/// Behind a TLS proxy the shop listens on loopback, so the address alone cannot tell
/// that shoppers are paying; `PUBLIC_URL` does.
#[test]
fn a_public_shop_behind_a_proxy_that_forgot_its_keys_refuses_pretend_payments() {
    let behind_a_proxy = [
        ("PUBLIC_URL", "https://shop.example"),
        ("EMULATOR_ADDR", "127.0.0.1:0"),
    ];
    refused(&behind_a_proxy, "PUBLIC_URL=https://shop.example");
    refused(&behind_a_proxy, "ALLOW_EMULATOR=1");
}

#[test]
fn live_keys_never_go_to_an_emulator() {
    refused(
        &[
            ("STRIPE_SECRET_KEY", LIVE_SK),
            ("STRIPE_PUBLISHABLE_KEY", LIVE_PK),
            ("STRIPE_WEBHOOK_SECRET", WH),
            ("STRIPE_API_BASE", "http://127.0.0.1:12111"),
            ("STRIPE_JS_URL", "http://127.0.0.1:12111/js.stripe.com/v3/"),
        ],
        "live keys",
    );
}

#[test]
fn malformed_or_partial_keys_are_refused_by_name() {
    refused(
        &[
            ("STRIPE_SECRET_KEY", "sk_oops"),
            ("STRIPE_PUBLISHABLE_KEY", PK),
            ("STRIPE_WEBHOOK_SECRET", WH),
        ],
        "STRIPE_SECRET_KEY must look like",
    );
    refused(
        &[("STRIPE_SECRET_KEY", SK)],
        "set both STRIPE_SECRET_KEY and STRIPE_PUBLISHABLE_KEY",
    );
    refused(
        &[("STRIPE_SECRET_KEY", SK), ("STRIPE_PUBLISHABLE_KEY", PK)],
        "STRIPE_WEBHOOK_SECRET is required",
    );
    refused(
        &[("STRIPE_API_BASE", "http://127.0.0.1:12111")],
        "also needs STRIPE_SECRET_KEY",
    );
}

/// The client secret in the confirmation page's address never reaches the log, not
/// even with request logging on at `info`.
#[test]
fn client_secrets_never_reach_the_log() {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = free.local_addr().unwrap();
    drop(free);
    let mut child = Command::new(env!("CARGO_BIN_EXE_storefront"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATA_DIR", dir.path())
        .env("LISTEN_ADDR", addr.to_string())
        .env("EMULATOR_ADDR", "127.0.0.1:0")
        .env("RUST_LOG", "debug")
        .current_dir(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Read as the shop writes: its log is written by a thread of its own, so a line
    // can arrive after the request it records has been answered.
    let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let readers: Vec<_> = [
        Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
        Box::new(child.stderr.take().unwrap()),
    ]
    .into_iter()
    .map(|mut pipe| {
        let log = log.clone();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 8192];
            while let Ok(read @ 1..) = pipe.read(&mut buffer) {
                log.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buffer[..read]));
            }
        })
    })
    .collect();
    let secret = "pi_abc123_secret_SENSITIVEvalue42";
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::new();
        for _ in 0..200 {
            if client.get(format!("http://{addr}/healthz")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let page = client
            .get(format!(
                "http://{addr}/order-confirmation?payment_intent=pi_abc123&payment_intent_client_secret={secret}&redirect_status=succeeded"
            ))
            .send()
            .await
            .unwrap();
        assert!(page.status().is_success());
        client
            .post(format!("http://{addr}/api/order/confirmation"))
            .header("accept", "application/json")
            .form(&[("payment_intent", "pi_abc123"), ("client_secret", secret), ("order", "")])
            .send()
            .await
            .unwrap();
    });
    for _ in 0..100 {
        if log.lock().unwrap().contains("/api/order/confirmation") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    for reader in readers {
        reader.join().unwrap();
    }
    let log = log.lock().unwrap().clone();
    assert!(
        log.contains("/order-confirmation"),
        "the request was logged: {log}"
    );
    assert!(
        !log.contains("SENSITIVE"),
        "the client secret reached the log:\n{log}"
    );
}
