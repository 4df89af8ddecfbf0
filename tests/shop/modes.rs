//! Start-up checks of each payment mode, through the real binary and its environment.

use std::process::{Command, Output};

const SK: &str = "sk_test_51Hexamplekey";
const PK: &str = "pk_test_51Hexamplekey";
const WH: &str = "whsec_examplesecret1";

/// Runs the shop binary with exactly `vars` (plus a private data directory) and
/// returns how it ended; every case here must refuse to start, so it never serves.
fn start(vars: &[(&str, &str)]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_storefront"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATA_DIR", dir.path())
        .env("LISTEN_ADDR", "127.0.0.1:0")
        .current_dir(dir.path());
    for (name, value) in vars {
        command.env(name, value);
    }
    command.output().expect("the binary runs")
}

fn refused(vars: &[(&str, &str)], expected: &str) {
    let output = start(vars);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{vars:?} must refuse to start");
    assert!(stderr.contains(expected), "{vars:?}: {stderr}");
    for secret in [SK, WH, "sk_live_51Hexamplekey"] {
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

#[test]
fn live_keys_never_go_to_an_emulator() {
    refused(
        &[
            ("STRIPE_SECRET_KEY", "sk_live_51Hexamplekey"),
            ("STRIPE_PUBLISHABLE_KEY", "pk_live_51Hexamplekey"),
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
