//! `Stripe-Version`: every version Stripe released is accepted, the official SDKs'
//! defaults among them; anything else is refused as Stripe refuses it.

use std::path::{Path, PathBuf};

use stripe_emulator::wire::versions::{is_known, RELEASED};

use crate::helpers::*;

/// The official SDKs the project pins (`end2end/package.json`, `scripts/lib.sh`) and
/// the API version each sends by default.
const SDK_DEFAULTS: &[(&str, &str, &str)] = &[
    ("stripe-node", "23.2.0", "2026-11-18.endive"),
    ("stripe-python", "16.1.0", "2026-10-28.endive"),
];

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `2026-11-18.endive` from the first line such as `exports.ApiVersion = '...';`.
fn quoted_after(text: &str, marker: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let rest = &line[line.find(marker)? + marker.len()..];
        let rest = &rest[rest.find(['\'', '"'])? + 1..];
        Some(rest[..rest.find(['\'', '"'])?].to_string())
    })
}

/// The defaults of the SDKs installed here, when they are: the pins above must match.
fn installed_defaults() -> Vec<(&'static str, String, String)> {
    let mut found = Vec::new();
    let node = repo().join("end2end/node_modules/stripe");
    if let (Ok(package), Ok(api)) = (
        std::fs::read_to_string(node.join("package.json")),
        std::fs::read_to_string(node.join("cjs/apiVersion.js")),
    ) {
        let version = serde_json::from_str::<serde_json::Value>(&package).unwrap()["version"]
            .as_str()
            .unwrap()
            .to_string();
        found.push((
            "stripe-node",
            version,
            quoted_after(&api, "exports.ApiVersion =").unwrap(),
        ));
    }
    let python_lib = repo().join("tools/python/lib");
    for entry in std::fs::read_dir(&python_lib)
        .into_iter()
        .flatten()
        .flatten()
    {
        let package = entry.path().join("site-packages/stripe");
        let read = |file: &str| std::fs::read_to_string(package.join(file));
        if let (Ok(api), Ok(version)) = (read("_api_version.py"), read("_version.py")) {
            found.push((
                "stripe-python",
                quoted_after(&version, "VERSION =").unwrap(),
                quoted_after(&api, "CURRENT =").unwrap(),
            ));
        }
    }
    found
}

#[tokio::test]
async fn the_official_sdks_default_versions_are_accepted() {
    let emu = spawn().await;
    for (sdk, _, version) in SDK_DEFAULTS {
        assert!(
            is_known(version),
            "{sdk}'s default {version} is not on the list"
        );
        let answer = emu
            .send(
                emu.http
                    .get(emu.url("/v1/payment_intents"))
                    .bearer_auth(&emu.keys().secret_key)
                    .header("Stripe-Version", *version),
            )
            .await;
        assert_eq!(answer.status, 200, "{sdk} {version}: {}", answer.text);
        assert_eq!(answer.header("stripe-version"), Some(*version));
    }
    for (sdk, installed, default) in installed_defaults() {
        let pinned = SDK_DEFAULTS.iter().find(|(name, ..)| *name == sdk).unwrap();
        assert_eq!(
            (installed.as_str(), default.as_str()),
            (pinned.1, pinned.2),
            "{sdk} installed here differs from the pin: update SDK_DEFAULTS (and versions.rs)"
        );
    }
}

#[tokio::test]
async fn every_released_version_is_accepted_and_others_are_refused_as_today() {
    let emu = spawn().await;
    let ask = |version: &str| {
        emu.http
            .get(emu.url("/v1/payment_intents?limit=1"))
            .bearer_auth(&emu.keys().secret_key)
            .header("Stripe-Version", version)
    };
    for version in [
        "2011-01-01",
        "2020-08-27",
        "2024-09-30.acacia",
        "2025-03-31.basil",
    ] {
        assert_eq!(emu.send(ask(version)).await.status, 200, "{version}");
    }
    assert!(RELEASED.len() > 120);
    for version in ["2026-13-45", "2099-01-01", "banana", "2024-09-30.basil"] {
        let answer = emu.send(ask(version)).await;
        assert_eq!(answer.status, 400, "{version}");
        assert_eq!(answer.error("type"), "invalid_request_error");
        assert_eq!(
            answer.error("message"),
            format!("Invalid Stripe API version: {version}")
        );
        assert_eq!(answer.error("code"), "");
    }
}

/// Up to 2023-08-16 the list is exactly the enum in Stripe's 2023 spec.
#[test]
fn the_list_begins_with_the_2023_specs_enum() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/stripe/openapi/spec3-2023-08-16.json");
    let spec: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let enumerated: Vec<&str> = spec["paths"]["/v1/webhook_endpoints"]["post"]["requestBody"]
        ["content"]["application/x-www-form-urlencoded"]["schema"]["properties"]["api_version"]
        ["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(&RELEASED[..enumerated.len()], enumerated.as_slice());
}
