//! Trust boundaries of the parts that are not Stripe's: the control API answers only
//! requests addressed to this machine, and the test page only its own PaymentIntents.

use std::net::SocketAddr;

use serde_json::{json, Value};
use stripe_emulator::{Emulator, Options};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::*;

/// One HTTP/1.1 exchange written by hand, so the `Host` header (or its absence) and
/// the request target are exactly what a proxy or a rebound page would send.
async fn raw(
    addr: SocketAddr,
    method: &str,
    target: &str,
    host: Option<&str>,
    body: &str,
) -> (u16, String) {
    raw_with(addr, method, target, host, &[], body).await
}

/// [`raw`], with `extra` headers after `Host`, as a proxy would add them.
async fn raw_with(
    addr: SocketAddr,
    method: &str,
    target: &str,
    host: Option<&str>,
    extra: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let mut request = format!("{method} {target} HTTP/1.1\r\n");
    if let Some(host) = host {
        request.push_str(&format!("Host: {host}\r\n"));
    }
    for (name, value) in extra {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!(
        "Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ));
    let mut stream = TcpStream::connect(addr).await.expect("connects");
    stream.write_all(request.as_bytes()).await.expect("sends");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("reads");
    let text = String::from_utf8_lossy(&answer).to_string();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// Every control route, with a body that would change or reveal something.
fn control_calls(pi: &str) -> Vec<(&'static str, String, &'static str)> {
    vec![
        (
            "POST",
            format!("/_emulator/payment_intents/{pi}/force"),
            r#"{"status":"succeeded"}"#,
        ),
        ("POST", "/_emulator/reset".into(), "{}"),
        (
            "POST",
            "/_emulator/clock".into(),
            r#"{"advance_seconds":86400}"#,
        ),
        ("GET", "/_emulator/clock".into(), ""),
        ("POST", "/_emulator/seed".into(), r#"{"seed":"rebound"}"#),
        (
            "POST",
            "/_emulator/next_action".into(),
            r#"{"mode":"redirect_to_url","auto":"complete"}"#,
        ),
        (
            "POST",
            "/_emulator/faults".into(),
            r#"{"next_requests":[{"path":"/v1/*","status":500}]}"#,
        ),
        ("DELETE", "/_emulator/faults".into(), ""),
        ("GET", "/_emulator/requests".into(), ""),
        ("GET", "/_emulator/deliveries".into(), ""),
        ("POST", "/_emulator/webhooks/flush".into(), "{}"),
        ("GET", "/_emulator/test-page".into(), ""),
        (
            "POST",
            "/_emulator/test-page/payment_intents".into(),
            r#"{"amount":2000}"#,
        ),
        (
            "POST",
            format!("/_emulator/test-page/payment_intents/{pi}"),
            r#"{"amount":2600}"#,
        ),
    ]
}

fn assert_refused(status: u16, body: &str, what: &str) {
    assert_refused_saying(status, body, "Host", what);
}

/// A 403 in Stripe's error shape whose message contains `says`.
fn assert_refused_saying(status: u16, body: &str, says: &str, what: &str) {
    assert_eq!(status, 403, "{what}: {body}");
    let error: Value = serde_json::from_str(body).expect("a JSON error");
    assert_eq!(error["error"]["type"], "invalid_request_error", "{what}");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains(says),
        "{what}: {body}"
    );
}

/// Nothing the refused control calls would have done was done: the PaymentIntent
/// `pi` was not forced, the store not reset, the clock (read as `clock` before) not
/// moved, no fault queued, 3-D Secure not set to answer itself.
async fn assert_untouched(emu: &TestEmulator, pi: &str, clock: &Value) {
    let now = emu.get(&format!("/v1/payment_intents/{pi}")).await;
    assert_eq!(now.status, 200, "{}", now.text);
    assert_eq!(now.json["status"], "requires_payment_method");
    assert_eq!(now.json["amount"], 2000);
    assert_eq!(
        &emu.send(emu.http.get(emu.url("/_emulator/clock")))
            .await
            .json["now"],
        clock
    );
    let (_, answer) = emu
        .confirmed_with(
            "pm_card_authenticationRequired",
            &[("return_url", "https://shop.test/r")],
        )
        .await;
    assert_eq!(answer.status, 200, "no fault was queued: {}", answer.text);
    assert_eq!(answer.json["status"], "requires_action");
}

#[tokio::test]
async fn control_api_refuses_a_rebound_host_header() {
    let emu = spawn().await;
    let addr = emu.running.addr;
    let pi = id(&emu.payment_intent().await);
    let clock = emu
        .send(emu.http.get(emu.url("/_emulator/clock")))
        .await
        .json["now"]
        .clone();
    let port = addr.port();
    let rebound = [
        "shop.example".to_string(),
        format!("shop.example:{port}"),
        "127.0.0.1.evil.example".to_string(),
        format!("127.0.0.1.evil.example:{port}"),
        format!("localhost.evil.example:{port}"),
        format!("127.0.0.1:{port}.evil.example"),
        format!("127.0.0.1:{port}@evil.example"),
        "evil.example#127.0.0.1".to_string(),
        format!("[::1].evil.example:{port}"),
        format!("::1:{port}"),
        format!("10.0.0.1:{port}"),
        String::new(),
    ];
    for host in &rebound {
        for (method, path, body) in control_calls(&pi) {
            let (status, text) = raw(addr, method, &path, Some(host), body).await;
            assert_refused(
                status,
                &text,
                &format!("{method} {path} with Host {host:?}"),
            );
        }
    }
    // No Host at all (HTTP/1.0 allows it), and a proxy-style absolute target naming
    // another host while the Host header says loopback.
    let loopback = format!("127.0.0.1:{port}");
    for (method, path, body) in control_calls(&pi) {
        let (status, text) = raw(addr, method, &path, None, body).await;
        assert_refused(status, &text, &format!("{method} {path} without Host"));
        let absolute = format!("http://shop.example{path}");
        let (status, text) = raw(addr, method, &absolute, Some(&loopback), body).await;
        assert_refused(status, &text, &format!("{method} {absolute}"));
    }
    assert_untouched(&emu, &pi, &clock).await;
}

#[tokio::test]
async fn control_api_refuses_requests_relayed_by_a_proxy_on_this_machine() {
    // nginx's default `proxy_pass http://127.0.0.1:12111;` connects from loopback and
    // rewrites Host to the emulator's own, so only the headers it adds tell.
    let emu = spawn().await;
    let addr = emu.running.addr;
    let pi = id(&emu.payment_intent().await);
    let clock = emu
        .send(emu.http.get(emu.url("/_emulator/clock")))
        .await
        .json["now"]
        .clone();
    let loopback = format!("127.0.0.1:{}", addr.port());
    let relayed = [
        ("Forwarded", "for=203.0.113.7;host=shop.example;proto=https"),
        ("Forwarded", "for=127.0.0.1"),
        ("X-Forwarded-For", "203.0.113.7"),
        ("X-Forwarded-For", "127.0.0.1"),
        ("X-Forwarded-Host", "shop.example"),
        ("X-Forwarded-Host", loopback.as_str()),
        ("X-Forwarded-Proto", "https"),
        ("X-Real-IP", "203.0.113.7"),
        ("Via", "1.1 nginx"),
        ("via", "1.0 proxy.example"),
        ("x-real-ip", "::1"),
        ("X-Forwarded-For", ""),
    ];
    for (name, value) in relayed {
        for (method, path, body) in control_calls(&pi) {
            let (status, text) =
                raw_with(addr, method, &path, Some(&loopback), &[(name, value)], body).await;
            assert_refused_saying(
                status,
                &text,
                "proxied request",
                &format!("{method} {path} with {name}: {value:?}"),
            );
        }
    }
    assert_untouched(&emu, &pi, &clock).await;
    // The same call straight from this machine, with a header no proxy adds, works.
    let (status, text) = raw_with(
        addr,
        "GET",
        "/_emulator/clock",
        Some(&loopback),
        &[("X-Request-Id", "direct")],
        "",
    )
    .await;
    assert_eq!(status, 200, "{text}");
}

#[tokio::test]
async fn control_api_accepts_loopback_hosts() {
    let emu = spawn().await;
    let addr = emu.running.addr;
    let port = addr.port();
    // Each loopback form, and beside it the same text made into another site's name.
    let pairs = [
        (
            format!("127.0.0.1:{port}"),
            format!("127.0.0.1.evil.example:{port}"),
        ),
        (
            "127.0.0.1".to_string(),
            "127.0.0.1.evil.example".to_string(),
        ),
        (
            "127.0.0.2:12112".to_string(),
            "127.0.0.2.nip.io:12112".to_string(),
        ),
        ("127.255.255.254".to_string(), "127.255.255.256".to_string()),
        (
            format!("localhost:{port}"),
            format!("localhost.evil.example:{port}"),
        ),
        ("LocalHost".to_string(), "evil-localhost".to_string()),
        (
            format!("[::1]:{port}"),
            format!("[::1]:{port}.evil.example"),
        ),
        ("[::1]".to_string(), "[::2]".to_string()),
    ];
    for (good, bad) in &pairs {
        let (status, text) = raw(
            addr,
            "POST",
            "/_emulator/clock",
            Some(good),
            r#"{"advance_seconds":1}"#,
        )
        .await;
        assert_eq!(status, 200, "Host {good}: {text}");
        let (status, text) = raw(addr, "GET", "/_emulator/requests", Some(good), "").await;
        assert_eq!(status, 200, "Host {good}: {text}");
        let (status, text) = raw(
            addr,
            "POST",
            "/_emulator/clock",
            Some(bad),
            r#"{"advance_seconds":1}"#,
        )
        .await;
        assert_refused(status, &text, &format!("Host {bad}"));
    }
    // An emulator on 127.0.0.2, as the browser tests run it, called through its base URL.
    let other = Emulator::open(Options {
        control_api: true,
        ..Options::default()
    })
    .unwrap()
    .serve(SocketAddr::from(([127, 0, 0, 2], 0)))
    .await
    .expect("127.0.0.2 is loopback");
    let reset = reqwest::Client::new()
        .post(format!("{}/_emulator/reset", other.base_url))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 200);
    other.stop().await.unwrap();
}

#[tokio::test]
async fn test_page_never_reveals_a_payment_intent_it_did_not_create() {
    let emu = spawn().await;
    let theirs = emu.payment_intent().await;
    let forged = emu
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "2000"),
                ("currency", "usd"),
                ("metadata[test_page]", "true"),
                ("metadata[created_by]", "test_page"),
            ],
        )
        .await
        .json;
    for pi in [&theirs, &forged] {
        let pi_id = id(pi);
        let secret = pi["client_secret"].as_str().unwrap();
        let answer = emu
            .control(
                &format!("/_emulator/test-page/payment_intents/{pi_id}"),
                json!({ "amount": 2600 }),
            )
            .await;
        assert_eq!(answer.status, 404, "{}", answer.text);
        assert_eq!(answer.error("code"), "resource_missing");
        assert!(!answer.text.contains(secret), "{}", answer.text);
        assert!(!answer.text.contains("_secret_"), "{}", answer.text);
        // Answered exactly as an id that does not exist.
        let missing = emu
            .control(
                "/_emulator/test-page/payment_intents/pi_000000000000000000000000",
                json!({ "amount": 2600 }),
            )
            .await;
        assert_eq!(missing.status, 404);
        assert_eq!(missing.error("type"), answer.error("type"));
        let now = emu.get(&format!("/v1/payment_intents/{pi_id}")).await.json;
        assert_eq!(now["amount"], 2000, "the test page did not change it");
    }
    // Its own PaymentIntents it creates and changes as before.
    let own = emu
        .control(
            "/_emulator/test-page/payment_intents",
            json!({ "amount": 2000 }),
        )
        .await;
    assert_eq!(own.status, 200, "{}", own.text);
    assert!(own.json["client_secret"]
        .as_str()
        .unwrap()
        .starts_with(id(&own.json).as_str()));
    let changed = emu
        .control(
            &format!("/_emulator/test-page/payment_intents/{}", id(&own.json)),
            json!({ "amount": 2600 }),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(changed.json["amount"], 2600);
    // The mark is the emulator's: the API never shows it.
    let rendered = emu
        .get(&format!("/v1/payment_intents/{}", id(&own.json)))
        .await;
    assert!(!rendered.text.contains("test_page"), "{}", rendered.text);
}

#[tokio::test]
async fn test_page_keeps_its_own_payment_intents_and_only_those_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let options = || Options {
        control_api: true,
        state_dir: Some(dir.path().to_path_buf()),
        ..Options::default()
    };
    let first = TestEmulator {
        running: Emulator::open(options())
            .unwrap()
            .serve(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap(),
        http: reqwest::Client::new(),
    };
    let theirs = id(&first.payment_intent().await);
    let own = first
        .control(
            "/_emulator/test-page/payment_intents",
            json!({ "amount": 2000 }),
        )
        .await;
    assert_eq!(own.status, 200, "{}", own.text);
    let own = id(&own.json);
    first.running.stop().await.unwrap();

    let again = TestEmulator {
        running: Emulator::open(options())
            .unwrap()
            .serve(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap(),
        http: reqwest::Client::new(),
    };
    let changed = again
        .control(
            &format!("/_emulator/test-page/payment_intents/{own}"),
            json!({ "amount": 2600 }),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(changed.json["amount"], 2600);
    let refused = again
        .control(
            &format!("/_emulator/test-page/payment_intents/{theirs}"),
            json!({ "amount": 2600 }),
        )
        .await;
    assert_eq!(refused.status, 404, "{}", refused.text);
    assert!(!refused.text.contains("_secret_"));
    again.running.stop().await.unwrap();
}

/// Stripe's `shipping` object: every field present, `null` when not given.
fn stripe_shipping(name: &str, line1: &str, line2: Value, city: &str) -> Value {
    json!({
        "address": {
            "city": city,
            "country": "US",
            "line1": line1,
            "line2": line2,
            "postal_code": "62701",
            "state": "IL",
        },
        "carrier": null,
        "name": name,
        "phone": null,
        "tracking_number": null,
    })
}

fn shipping_form<'a>(
    name: &'a str,
    line1: &'a str,
    line2: Option<&'a str>,
    city: &'a str,
) -> Vec<(&'static str, &'a str)> {
    let mut form = vec![
        ("shipping[name]", name),
        ("shipping[address][line1]", line1),
        ("shipping[address][city]", city),
        ("shipping[address][state]", "IL"),
        ("shipping[address][postal_code]", "62701"),
        ("shipping[address][country]", "US"),
    ];
    if let Some(line2) = line2 {
        form.push(("shipping[address][line2]", line2));
    }
    form
}

#[tokio::test]
async fn shipping_and_receipt_email_are_kept_and_rendered_as_stripe_does() {
    let emu = spawn().await;
    // Create with the secret key.
    let mut form = vec![("amount", "2000"), ("currency", "usd")];
    form.extend(shipping_form(
        "Ada Lovelace",
        "1 Main St",
        None,
        "Springfield",
    ));
    form.push(("receipt_email", "ada@example.com"));
    let created = emu.post("/v1/payment_intents", &form).await;
    assert_eq!(created.status, 200, "{}", created.text);
    assert_eq!(
        created.json["shipping"],
        stripe_shipping("Ada Lovelace", "1 Main St", Value::Null, "Springfield")
    );
    let keys: Vec<&String> = created.json["shipping"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(
        keys,
        ["address", "carrier", "name", "phone", "tracking_number"]
    );
    assert_eq!(created.json["receipt_email"], "ada@example.com");
    let pi = id(&created.json);

    // Update with the secret key: the whole hash is replaced.
    let mut form = shipping_form("Ada King", "2 Side St", Some("Flat 3"), "Shelbyville");
    form.push(("receipt_email", "ada.king@example.com"));
    let updated = emu.post(&format!("/v1/payment_intents/{pi}"), &form).await;
    assert_eq!(updated.status, 200, "{}", updated.text);
    assert_eq!(
        updated.json["shipping"],
        stripe_shipping("Ada King", "2 Side St", json!("Flat 3"), "Shelbyville")
    );
    assert_eq!(updated.json["receipt_email"], "ada.king@example.com");

    // Confirm with the publishable key and the client secret, as Stripe.js's
    // confirmPayment sends `confirmParams.shipping` and `receipt_email`.
    let secret = created.json["client_secret"].as_str().unwrap().to_string();
    let mut form = vec![
        ("client_secret", secret.as_str()),
        ("payment_method_data[type]", "card"),
        ("payment_method_data[card][number]", "4242424242424242"),
        ("payment_method_data[card][exp_month]", "12"),
        ("payment_method_data[card][exp_year]", "2040"),
        ("payment_method_data[card][cvc]", "123"),
        ("receipt_email", "shopper@example.com"),
    ];
    form.extend(shipping_form(
        "Grace Hopper",
        "3 Navy Way",
        None,
        "Arlington",
    ));
    let confirmed = emu
        .post_publishable(&format!("/v1/payment_intents/{pi}/confirm"), &form)
        .await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.text);
    assert_eq!(confirmed.json["status"], "succeeded");
    let grace = stripe_shipping("Grace Hopper", "3 Navy Way", Value::Null, "Arlington");
    assert_eq!(confirmed.json["shipping"], grace);
    assert_eq!(confirmed.json["receipt_email"], "shopper@example.com");

    // Retrieve with either key; the charge carries them too.
    let with_sk = emu
        .get(&format!("/v1/payment_intents/{pi}?expand[]=latest_charge"))
        .await;
    assert_eq!(with_sk.json["shipping"], grace);
    assert_eq!(with_sk.json["receipt_email"], "shopper@example.com");
    assert_eq!(with_sk.json["latest_charge"]["shipping"], grace);
    assert_eq!(
        with_sk.json["latest_charge"]["receipt_email"],
        "shopper@example.com"
    );
    let with_pk = emu
        .send(emu.http.get(emu.url(&format!(
            "/v1/payment_intents/{pi}?key={}&client_secret={secret}",
            emu.keys().publishable_key
        ))))
        .await;
    assert_eq!(with_pk.status, 200, "{}", with_pk.text);
    assert_eq!(with_pk.json["shipping"], grace);
    assert_eq!(with_pk.json["receipt_email"], "shopper@example.com");

    // Confirm with the secret key, and unset both with "".
    let other = id(&emu.payment_intent().await);
    let mut form = vec![
        ("payment_method", "pm_card_visa"),
        ("receipt_email", "ops@example.com"),
    ];
    form.extend(shipping_form(
        "Ada Lovelace",
        "1 Main St",
        None,
        "Springfield",
    ));
    let confirmed = emu
        .post(&format!("/v1/payment_intents/{other}/confirm"), &form)
        .await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.text);
    assert_eq!(
        confirmed.json["shipping"],
        stripe_shipping("Ada Lovelace", "1 Main St", Value::Null, "Springfield")
    );
    assert_eq!(confirmed.json["receipt_email"], "ops@example.com");
    let fresh = id(&emu.payment_intent().await);
    let mut form = shipping_form("Ada", "1 Main St", None, "Springfield");
    form.push(("receipt_email", "a@example.com"));
    emu.post(&format!("/v1/payment_intents/{fresh}"), &form)
        .await;
    let unset = emu
        .post(
            &format!("/v1/payment_intents/{fresh}"),
            &[("shipping", ""), ("receipt_email", "")],
        )
        .await;
    assert_eq!(unset.status, 200, "{}", unset.text);
    assert_eq!(unset.json["shipping"], Value::Null);
    assert_eq!(unset.json["receipt_email"], Value::Null);
}
