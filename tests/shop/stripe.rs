//! The shop's Stripe client against the emulator over real HTTP: its production types
//! read every answer, and its retries never pay twice.

use serde_json::json;
use storefront::server::stripe::{
    CreatePaymentIntent, IdempotencyKey, PaymentIntentStatus, SecretKey, StripeClient,
    StripeFailure, STRIPE_VERSION,
};
use stripe_emulator::{Emulator, Options};

async fn emulator() -> (stripe_emulator::RunningEmulator, StripeClient) {
    let running = Emulator::open(Options {
        control_api: true,
        ..Options::default()
    })
    .unwrap()
    .serve(([127, 0, 0, 1], 0).into())
    .await
    .unwrap();
    let client = StripeClient::new(
        &running.base_url,
        SecretKey::new(running.keys.secret_key.clone()),
    );
    (running, client)
}

fn order(amount: i64) -> CreatePaymentIntent {
    CreatePaymentIntent {
        amount,
        currency: "usd".into(),
        order_id: "ord_42".into(),
    }
}

#[test]
fn the_shop_pins_the_version_the_emulator_answers_in() {
    assert_eq!(STRIPE_VERSION, stripe_emulator::API_VERSION);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_update_retrieve_cancel_read_with_production_types() {
    let (_emulator, stripe) = emulator().await;
    let key = IdempotencyKey::new("order-ord_42-gen-1-create").unwrap();
    let created = stripe
        .create_payment_intent(&order(3800), &key)
        .await
        .unwrap();
    assert_eq!(
        (created.amount, created.status),
        (3800, PaymentIntentStatus::RequiresPaymentMethod)
    );
    assert_eq!(created.metadata["order_id"], "ord_42");
    assert!(created
        .client_secret
        .starts_with(&format!("{}_secret_", created.id)));
    assert!(
        !format!("{created:?}").contains(&created.client_secret),
        "the client secret never prints"
    );

    let again = stripe
        .create_payment_intent(&order(3800), &key)
        .await
        .unwrap();
    assert_eq!(
        again.id, created.id,
        "the same key is the same PaymentIntent"
    );

    let updated = stripe
        .update_amount(
            &created.id,
            5600,
            &IdempotencyKey::new("order-ord_42-gen-1-amount-5600").unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(updated.amount, 5600);
    assert_eq!(
        stripe
            .retrieve_payment_intent(&created.id)
            .await
            .unwrap()
            .amount,
        5600
    );

    let canceled = stripe
        .cancel_payment_intent(
            &created.id,
            &IdempotencyKey::new("order-ord_42-gen-1-cancel").unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(canceled.status, PaymentIntentStatus::Canceled);
    match stripe
        .update_amount(&created.id, 100, &IdempotencyKey::new("late").unwrap())
        .await
    {
        Err(StripeFailure::Refused { status: 400, error }) => assert_eq!(
            error.code.as_deref(),
            Some("payment_intent_unexpected_state")
        ),
        other => panic!("expected a refusal, got {other:?}"),
    }
    match stripe.retrieve_payment_intent("pi_missing").await {
        Err(StripeFailure::Refused { status: 404, error }) => {
            assert_eq!(error.code.as_deref(), Some("resource_missing"))
        }
        other => panic!("expected 404, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_after_a_500_and_a_429_create_exactly_one_payment_intent() {
    let (emulator, stripe) = emulator().await;
    let faults = json!({"next_requests": [{"path": "/v1/payment_intents", "status": 500}, {"path": "/v1/payment_intents", "status": 429}]});
    reqwest::Client::new()
        .post(format!("{}/_emulator/faults", emulator.base_url))
        .json(&faults)
        .send()
        .await
        .unwrap();
    let created = stripe
        .create_payment_intent(&order(2000), &IdempotencyKey::new("retry-me").unwrap())
        .await
        .unwrap();
    assert_eq!(created.amount, 2000);
    let list: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/v1/payment_intents", emulator.base_url))
        .bearer_auth(&emulator.keys.secret_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        list["data"].as_array().unwrap().len(),
        1,
        "one PaymentIntent for three attempts"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_key_is_a_refusal_not_a_retry_loop() {
    let (emulator, _) = emulator().await;
    let stranger = StripeClient::new(
        &emulator.base_url,
        SecretKey::new("sk_test_not_this_accounts_key"),
    );
    match stranger.retrieve_payment_intent("pi_1").await {
        Err(StripeFailure::Refused { status: 401, error }) => assert!(error
            .message
            .unwrap()
            .starts_with("Invalid API Key provided: sk_test_")),
        other => panic!("expected 401, got {other:?}"),
    }
}

/// Every parameter the shop's client sends exists in Stripe's own OpenAPI spec for that
/// operation, so what passes against the emulator is what Stripe accepts.
#[test]
fn request_bodies_use_only_parameters_in_stripes_spec() {
    use storefront::server::stripe::{CANCEL_PARAMETERS, UPDATE_PARAMETERS};
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/stripe/openapi/spec3-2023-08-16.json");
    let spec: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("Stripe's spec")).unwrap();
    let schema = |path: &str| {
        spec["paths"][path]["post"]["requestBody"]["content"]["application/x-www-form-urlencoded"]
            ["schema"]
            .clone()
    };
    // `a[b]` is property `b` of object property `a`; metadata takes any key.
    let accepts = |schema: &serde_json::Value, name: &str| {
        let (top, nested) = match name.split_once('[') {
            Some((top, rest)) => (top, Some(rest.trim_end_matches(']'))),
            None => (name, None),
        };
        let property = &schema["properties"][top];
        match nested {
            None => !property.is_null(),
            Some(_) if top == "metadata" => !property.is_null(),
            Some(inner) => {
                let variants = property["anyOf"]
                    .as_array()
                    .cloned()
                    .unwrap_or_else(|| vec![property.clone()]);
                variants.iter().any(|v| !v["properties"][inner].is_null())
            }
        }
    };
    let create = schema("/v1/payment_intents");
    for (name, _) in order(100).form() {
        assert!(
            accepts(&create, name),
            "create sends {name}, which Stripe's spec lacks"
        );
    }
    let update = schema("/v1/payment_intents/{intent}");
    for name in UPDATE_PARAMETERS {
        assert!(accepts(&update, name), "update sends {name}");
    }
    let cancel = schema("/v1/payment_intents/{intent}/cancel");
    for name in CANCEL_PARAMETERS {
        assert!(accepts(&cancel, name), "cancel sends {name}");
    }
    let reasons = &cancel["properties"]["cancellation_reason"]["enum"];
    assert!(reasons.as_array().unwrap().iter().any(|r| r == "abandoned"));
}
