//! Conformance with Stripe's own OpenAPI spec (2023-08-16) and today's fixtures.
//!
//! Every object the emulator returns must validate against its schema in the spec and
//! carry exactly the top-level fields of today's fixture; every parameter it accepts
//! must be in the spec's request schema or on the allow-list.

use std::path::PathBuf;
use std::sync::OnceLock;

use serde_json::{json, Map, Value};
use stripe_emulator::wire::schema::{operation_schema, Allowance, ALLOW_LIST};

use crate::helpers::*;

fn openapi_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/stripe/openapi")
}

fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        let text = std::fs::read_to_string(openapi_dir().join("spec3-2023-08-16.json"))
            .expect("shared/stripe/openapi/spec3-2023-08-16.json");
        serde_json::from_str(&text).unwrap()
    })
}

fn fixtures() -> &'static Value {
    static FIXTURES: OnceLock<Value> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let text = std::fs::read_to_string(openapi_dir().join("fixtures3-2026-08.json"))
            .expect("shared/stripe/openapi/fixtures3-2026-08.json");
        serde_json::from_str(&text).unwrap()
    })
}

/// A validator for the parts of OpenAPI 3 that Stripe's spec uses for responses.
fn validate(schema: &Value, value: &Value, path: &str, errors: &mut Vec<String>) {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.trim_start_matches("#/components/schemas/");
        return validate(&spec()["components"]["schemas"][name], value, path, errors);
    }
    if value.is_null() {
        if schema.get("nullable") != Some(&json!(true)) {
            errors.push(format!("{path}: null but not nullable"));
        }
        return;
    }
    if let Some(alternatives) = schema.get("anyOf").and_then(Value::as_array) {
        let fits = alternatives.iter().any(|alternative| {
            let mut inner = Vec::new();
            validate(alternative, value, path, &mut inner);
            inner.is_empty()
        });
        if !fits {
            errors.push(format!(
                "{path}: matches no anyOf alternative: {}",
                short(value)
            ));
        }
        return;
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("object") => {
            let Some(object) = value.as_object() else {
                return errors.push(format!("{path}: expected an object, got {}", short(value)));
            };
            for required in schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let name = required.as_str().unwrap();
                if !object.contains_key(name) {
                    errors.push(format!("{path}.{name}: required but missing"));
                }
            }
            let properties = schema.get("properties").and_then(Value::as_object);
            for (key, field) in object {
                match properties.and_then(|p| p.get(key)) {
                    Some(field_schema) => {
                        validate(field_schema, field, &format!("{path}.{key}"), errors)
                    }
                    None => {
                        if let Some(additional) =
                            schema.get("additionalProperties").filter(|a| a.is_object())
                        {
                            validate(additional, field, &format!("{path}.{key}"), errors);
                        }
                    }
                }
            }
        }
        Some("array") => match value.as_array() {
            Some(items) => {
                for (i, item) in items.iter().enumerate() {
                    validate(&schema["items"], item, &format!("{path}[{i}]"), errors);
                }
            }
            None => errors.push(format!("{path}: expected an array")),
        },
        Some("string") => match value.as_str() {
            Some(text) => {
                let bypass = schema.get("x-stripeBypassValidation") == Some(&json!(true));
                if let (Some(allowed), false) =
                    (schema.get("enum").and_then(Value::as_array), bypass)
                {
                    if !allowed.iter().any(|a| a == text) {
                        errors.push(format!("{path}: {text:?} is not one of {allowed:?}"));
                    }
                }
            }
            None => errors.push(format!("{path}: expected a string, got {}", short(value))),
        },
        Some("integer") if !value.is_i64() => errors.push(format!("{path}: expected an integer")),
        Some("number") if !value.is_number() => errors.push(format!("{path}: expected a number")),
        Some("boolean") if !value.is_boolean() => {
            errors.push(format!("{path}: expected a boolean"))
        }
        _ => {}
    }
}

fn short(value: &Value) -> String {
    value.to_string().chars().take(80).collect()
}

fn assert_valid(schema_name: &str, value: &Value) {
    let mut errors = Vec::new();
    validate(
        &json!({ "$ref": format!("#/components/schemas/{schema_name}") }),
        value,
        schema_name,
        &mut errors,
    );
    assert!(
        errors.is_empty(),
        "{schema_name} does not validate against Stripe's spec:\n{}",
        errors.join("\n")
    );
}

/// Validates a list answer against the response schema of `GET path` in the spec.
fn assert_valid_list(path: &str, value: &Value) {
    let schema =
        &spec()["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"];
    assert!(schema.is_object(), "no list schema for {path}");
    let mut errors = Vec::new();
    validate(schema, value, path, &mut errors);
    assert!(
        errors.is_empty(),
        "{path} list does not validate against Stripe's spec:\n{}",
        errors.join("\n")
    );
    assert!(value["url"].as_str().unwrap().starts_with(path));
}

/// Fields Stripe includes only in some states, so a fixture of another state lacks
/// them: neither required nor nullable in its spec (`pending_reason`, added in
/// 2025-04-30.basil, is not in the 2023 spec at all). Each: (resource, field).
const CONDITIONAL_FIELDS: &[(&str, &str)] = &[
    // Once a refund failed or was canceled.
    ("refund", "failure_balance_transaction"),
    ("refund", "failure_reason"),
    // While it waits for the customer.
    ("refund", "next_action"),
    // While it is pending.
    ("refund", "pending_reason"),
];

#[test]
fn conditional_fields_are_optional_in_stripes_spec() {
    for (resource, field) in CONDITIONAL_FIELDS {
        let schema = &spec()["components"]["schemas"][*resource];
        let required = schema["required"].as_array().unwrap();
        assert!(!required.iter().any(|r| r == field), "{resource}.{field}");
        let property = &schema["properties"][*field];
        assert!(
            property.is_null() || property.get("nullable").is_none(),
            "{resource}.{field} is nullable: Stripe would send it as null, not leave it out"
        );
        assert!(
            fixtures()["resources"][*resource].get(*field).is_none(),
            "{resource}.{field} is in today's fixture"
        );
    }
}

/// The top-level fields are exactly today's: none missing, none from older versions
/// (besides the fields Stripe adds only in some states).
fn assert_todays_shape(resource: &str, value: &Value) {
    let fixture: Vec<&String> = fixtures()["resources"][resource]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    let conditional = |key: &String| {
        CONDITIONAL_FIELDS
            .iter()
            .any(|(r, f)| *r == resource && f == key)
    };
    let ours: Vec<&String> = value
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| !conditional(k))
        .collect();
    let missing: Vec<_> = fixture.iter().filter(|k| !ours.contains(k)).collect();
    let extra: Vec<_> = ours.iter().filter(|k| !fixture.contains(k)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{resource}: missing {missing:?}, not in today's shape {extra:?}"
    );
    // Stripe orders fields alphabetically, newer ones appended: the fixture's order.
    assert_eq!(ours, fixture, "{resource}: fields in the fixture's order");
}

/// Objects in every state the API can leave them in.
async fn sample_objects(emu: &TestEmulator) -> Vec<(&'static str, Value)> {
    let mut objects = Vec::new();
    let fresh = emu.payment_intent().await;
    objects.push(("payment_intent", fresh.clone()));
    let with_everything = emu
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "4200"),
                ("currency", "gbp"),
                ("payment_method", "pm_card_visa"),
                ("description", "Order 42"),
                ("receipt_email", "ada@example.com"),
                ("shipping[name]", "Ada Lovelace"),
                ("shipping[address][line1]", "1 Main St"),
                ("shipping[address][country]", "GB"),
                ("metadata[order_id]", "42"),
                ("statement_descriptor_suffix", "ORDER 42"),
            ],
        )
        .await
        .json;
    objects.push(("payment_intent", with_everything));
    for (card, extra) in [
        ("pm_card_visa", vec![]),
        ("pm_card_chargeDeclinedInsufficientFunds", vec![]),
        (
            "pm_card_authenticationRequired",
            vec![("return_url", "https://shop.test/r")],
        ),
        (
            "pm_card_authenticationRequired",
            vec![("use_stripe_sdk", "true")],
        ),
        ("pm_card_visa", vec![("capture_method", "manual")]),
    ] {
        let (pi, answer) = emu.confirmed_with(card, &extra).await;
        objects.push(("payment_intent", pi.clone()));
        if answer.status != 200 {
            objects.push(("error", answer.json.clone()));
        }
        let expanded = emu
            .get(&format!(
                "/v1/payment_intents/{}?expand[]=latest_charge&expand[]=payment_method",
                id(&pi)
            ))
            .await
            .json;
        if let Some(charge) = expanded["latest_charge"].as_object() {
            objects.push(("charge", Value::Object(charge.clone())));
        }
        if let Some(pm) = expanded["payment_method"].as_object() {
            objects.push(("payment_method", Value::Object(pm.clone())));
        }
        objects.push(("payment_intent", expanded));
    }
    let (paid, _) = emu.confirmed_with("pm_card_visa", &[]).await;
    let refund = emu
        .post(
            "/v1/refunds",
            &[("payment_intent", &id(&paid)), ("amount", "700")],
        )
        .await
        .json;
    objects.push(("refund", refund));
    let refunded = emu
        .get(&format!(
            "/v1/charges/{}",
            paid["latest_charge"].as_str().unwrap()
        ))
        .await
        .json;
    objects.push(("charge", refunded));
    for object in refunds_in_every_status(emu).await {
        let resource = if object["object"] == "charge" {
            "charge"
        } else {
            "refund"
        };
        objects.push((resource, object));
    }
    for object in disputes_in_every_status(emu).await {
        objects.push(("dispute", object));
    }
    let canceled = emu
        .post(
            &format!("/v1/payment_intents/{}/cancel", id(&fresh)),
            &[("cancellation_reason", "abandoned")],
        )
        .await
        .json;
    objects.push(("payment_intent", canceled));
    let processing = emu.payment_intent().await;
    let processing = emu
        .control(
            &format!("/_emulator/payment_intents/{}/force", id(&processing)),
            json!({"status": "processing"}),
        )
        .await
        .json;
    objects.push(("payment_intent", processing));
    for list_item in emu.get("/v1/payment_intents?limit=100").await.json["data"]
        .as_array()
        .unwrap()
    {
        objects.push(("payment_intent", list_item.clone()));
    }
    for error in [
        emu.post("/v1/payment_intents", &[("currency", "usd")])
            .await
            .json,
        emu.get("/v1/payment_intents/pi_missing").await.json,
        emu.send(emu.http.get(emu.url("/v1/payment_intents")))
            .await
            .json,
        emu.post(&format!("/v1/payment_intents/{}/confirm", id(&paid)), &[])
            .await
            .json,
    ] {
        objects.push(("error", error));
    }
    objects
}

async fn settle_refunds_after(emu: &TestEmulator, seconds: Value) {
    emu.control(
        "/_emulator/refunds/settlement",
        json!({ "pending_seconds": seconds }),
    )
    .await;
}

async fn refund_of(emu: &TestEmulator, pi: &str, amount: &str) -> Value {
    emu.post(
        "/v1/refunds",
        &[
            ("payment_intent", pi),
            ("amount", amount),
            ("reason", "requested_by_customer"),
            ("metadata[order_id]", "42"),
        ],
    )
    .await
    .json
}

/// A refund in each status, and the charge that holds them all.
async fn refunds_in_every_status(emu: &TestEmulator) -> Vec<Value> {
    let mut objects = Vec::new();
    settle_refunds_after(emu, json!(3600)).await;
    let (paid, _) = emu.confirmed_with("pm_card_visa", &[]).await;
    let pi = id(&paid);
    let pending = refund_of(emu, &pi, "100").await;
    objects.push(pending.clone());
    for (amount, body) in [
        ("200", json!({"status": "succeeded"})),
        (
            "300",
            json!({"status": "failed", "failure_reason": "lost_or_stolen_card"}),
        ),
        ("400", json!({"status": "requires_action"})),
    ] {
        let re = refund_of(emu, &pi, amount).await;
        let path = format!("/_emulator/refunds/{}/force", id(&re));
        objects.push(emu.control(&path, body).await.json);
    }
    let waiting = objects.last().unwrap().clone();
    objects.push(
        emu.post(&format!("/v1/refunds/{}/cancel", id(&waiting)), &[])
            .await
            .json,
    );
    settle_refunds_after(emu, Value::Null).await;
    objects.push(refund_of(emu, &pi, "500").await);
    objects.push(
        emu.get(&format!(
            "/v1/refunds/{}?expand[]=charge&expand[]=payment_intent",
            id(&pending)
        ))
        .await
        .json,
    );
    let list = emu
        .get(&format!("/v1/refunds?payment_intent={pi}&limit=100"))
        .await
        .json;
    assert_valid_list("/v1/refunds", &list);
    assert_eq!(list["data"].as_array().unwrap().len(), 5);
    objects.extend(list["data"].as_array().unwrap().iter().cloned());
    let charge = emu
        .get(&format!(
            "/v1/charges/{}",
            paid["latest_charge"].as_str().unwrap()
        ))
        .await
        .json;
    objects.push(charge);
    let statuses: Vec<&str> = objects
        .iter()
        .filter(|o| o["object"] == "refund")
        .map(|o| o["status"].as_str().unwrap())
        .collect();
    for status in [
        "pending",
        "succeeded",
        "failed",
        "requires_action",
        "canceled",
    ] {
        assert!(statuses.contains(&status), "no {status} refund sampled");
    }
    objects
}

/// A dispute in each status the API and control API lead to.
async fn disputes_in_every_status(emu: &TestEmulator) -> Vec<Value> {
    let mut objects = Vec::new();
    let mut open = Vec::new();
    for _ in 0..4 {
        let (pi, _) = emu.confirmed_with("pm_card_createDispute", &[]).await;
        let list = emu
            .get(&format!("/v1/disputes?payment_intent={}", id(&pi)))
            .await
            .json;
        assert_valid_list("/v1/disputes", &list);
        open.push(list["data"][0].clone());
    }
    objects.push(open[0].clone());
    let path = |d: &Value| format!("/v1/disputes/{}", id(d));
    objects.push(
        emu.post(
            &path(&open[1]),
            &[
                ("evidence[customer_name]", "Ada Lovelace"),
                ("evidence[uncategorized_text]", "Delivered"),
                ("metadata[case]", "1"),
                ("submit", "true"),
            ],
        )
        .await
        .json,
    );
    objects.push(
        emu.post(&format!("{}/close", path(&open[2])), &[])
            .await
            .json,
    );
    let won = emu
        .control(
            &format!("/_emulator/disputes/{}/close", id(&open[3])),
            json!({"outcome": "won"}),
        )
        .await
        .json;
    objects.push(won);
    objects.push(
        emu.get(&format!(
            "{}?expand[]=charge&expand[]=payment_intent",
            path(&open[0])
        ))
        .await
        .json,
    );
    let (paid, _) = emu.confirmed_with("pm_card_visa", &[]).await;
    objects.push(
        emu.control("/_emulator/disputes", json!({"payment_intent": id(&paid)}))
            .await
            .json,
    );
    let list = emu.get("/v1/disputes?limit=100").await.json;
    assert_valid_list("/v1/disputes", &list);
    objects.extend(list["data"].as_array().unwrap().iter().cloned());
    let statuses: Vec<&str> = objects
        .iter()
        .map(|o| o["status"].as_str().unwrap())
        .collect();
    for status in ["needs_response", "under_review", "lost", "won"] {
        assert!(statuses.contains(&status), "no {status} dispute sampled");
    }
    objects
}

#[tokio::test]
async fn every_object_validates_against_stripes_spec_and_has_todays_fields() {
    let emu = spawn().await;
    let objects = sample_objects(&emu).await;
    assert!(objects.len() > 20);
    for (resource, value) in &objects {
        assert_valid(resource, value);
        if *resource != "error" {
            assert_todays_shape(resource, value);
        }
    }
    // Every event, and the object it carries, as of the sampled flows.
    let mut events = Vec::new();
    let mut path = "/v1/events?limit=100".to_string();
    loop {
        let page = emu.get(&path).await.json;
        assert_valid_list("/v1/events", &page);
        events.extend(page["data"].as_array().unwrap().iter().cloned());
        if page["has_more"] != true {
            break;
        }
        path = format!(
            "/v1/events?limit=100&starting_after={}",
            id(events.last().unwrap())
        );
    }
    let mut kinds = std::collections::BTreeSet::new();
    for event in &events {
        assert_valid("event", event);
        let object = &event["data"]["object"];
        let resource = object["object"].as_str().unwrap();
        assert_valid(resource, object);
        assert_todays_shape(resource, object);
        kinds.insert(event["type"].as_str().unwrap().to_string());
    }
    for kind in [
        "charge.refunded",
        "refund.created",
        "refund.updated",
        "refund.failed",
        "charge.refund.updated",
        "charge.dispute.created",
        "charge.dispute.closed",
    ] {
        assert!(kinds.contains(kind), "no {kind} event sampled");
    }
    // Errors nest the full PaymentIntent and PaymentMethod, which must validate too.
    for (_, error) in objects.iter().filter(|(r, _)| *r == "error") {
        if error["error"]["payment_intent"].is_object() {
            assert_valid("payment_intent", &error["error"]["payment_intent"]);
        }
        if error["error"]["payment_method"].is_object() {
            assert_valid("payment_method", &error["error"]["payment_method"]);
        }
    }
}

/// The embedded request schemas are Stripe's, cut exactly as `spec/request-schemas.json` says.
#[test]
fn embedded_request_schemas_are_stripes() {
    const KEEP: &[&str] = &[
        "type",
        "properties",
        "required",
        "items",
        "enum",
        "anyOf",
        "additionalProperties",
        "maxLength",
        "format",
    ];
    fn strip(value: &Value) -> Value {
        match value {
            Value::Object(map) => Value::Object(
                map.iter()
                    .filter(|(k, _)| KEEP.contains(&k.as_str()))
                    .map(|(k, v)| {
                        let v = if k == "properties" {
                            Value::Object(
                                v.as_object()
                                    .unwrap()
                                    .iter()
                                    .map(|(pk, pv)| (pk.clone(), strip(pv)))
                                    .collect(),
                            )
                        } else {
                            strip(v)
                        };
                        (k.clone(), v)
                    })
                    .collect(),
            ),
            Value::Array(items) => Value::Array(items.iter().map(strip).collect()),
            other => other.clone(),
        }
    }
    let embedded: Map<String, Value> =
        serde_json::from_str(include_str!("../../spec/request-schemas.json")).unwrap();
    for (operation, schema) in &embedded {
        let (method, path) = operation.split_once(' ').unwrap();
        let op = &spec()["paths"][path][method.to_lowercase()];
        let expected = if method == "GET" {
            let params: Vec<&Value> = op["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| p["in"] == "query")
                .collect();
            json!({
                "additionalProperties": false,
                "properties": params.iter().map(|p| (p["name"].as_str().unwrap().to_string(), p["schema"].clone())).collect::<Map<_, _>>(),
                "required": params.iter().filter(|p| p["required"] == json!(true)).map(|p| p["name"].clone()).collect::<Vec<_>>(),
                "type": "object",
            })
        } else {
            op["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"].clone()
        };
        assert_eq!(
            &strip(&expected),
            schema,
            "{operation} differs from Stripe's spec"
        );
    }
}

/// Every parameter the emulator accepts is in Stripe's spec or on the allow-list, and
/// every allow-listed one really is missing from the 2023 spec.
#[test]
fn accepted_parameters_are_stripes_or_allow_listed() {
    fn paths(schema: &Value, prefix: &str, out: &mut Vec<String>) {
        let objects: Vec<&Value> = match schema.get("anyOf").and_then(Value::as_array) {
            Some(alternatives) => alternatives.iter().collect(),
            None => vec![schema],
        };
        for object in objects {
            for (key, child) in object
                .get("properties")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}[{key}]")
                };
                out.push(path.clone());
                paths(child, &path, out);
            }
        }
    }
    let embedded: Map<String, Value> =
        serde_json::from_str(include_str!("../../spec/request-schemas.json")).unwrap();
    for operation in embedded.keys() {
        let mut stripes = Vec::new();
        paths(&embedded[operation], "", &mut stripes);
        let mut accepted = Vec::new();
        paths(operation_schema(operation).unwrap(), "", &mut accepted);
        for path in &accepted {
            let allowed = ALLOW_LIST.iter().any(|(op, allowed, a)| {
                matches!(a, Allowance::Parameter(_))
                    && op == operation
                    && (path == allowed || path.starts_with(&format!("{allowed}[")))
            });
            assert!(
                stripes.contains(path) || allowed,
                "{operation} accepts {path}, which is neither Stripe's nor allow-listed"
            );
        }
    }
    for (operation, path, allowance) in ALLOW_LIST {
        let mut stripes = Vec::new();
        paths(&embedded[*operation], "", &mut stripes);
        match allowance {
            Allowance::Parameter(_) => assert!(
                !stripes.iter().any(|p| p == path),
                "{operation} {path} is in the 2023 spec: drop it from the allow-list"
            ),
            Allowance::EnumValue(value) => {
                let mut node = &embedded[*operation];
                for segment in path.split(['[', ']']).filter(|s| !s.is_empty()) {
                    node = &node["properties"][segment];
                }
                if node.get("items").is_some() {
                    node = &node["items"];
                }
                let values = node["enum"].as_array().expect("an enum in the spec");
                assert!(
                    !values.iter().any(|v| v == value),
                    "{operation} {path} already allows {value}: drop it from the allow-list"
                );
            }
        }
    }
}
