//! Request validation driven by Stripe's own OpenAPI spec.
//!
//! `spec/request-schemas.json` is the request schema of every operation we serve, cut
//! from `shared/stripe/openapi/spec3-2023-08-16.json` (a test keeps it identical). A
//! parameter the spec does not name is refused as Stripe refuses it, except those on
//! [`ALLOW_LIST`]: parameters Stripe accepts that the 2023 spec lacks. Validation
//! also types the values: `"2000"` becomes the integer 2000, `"true"` a boolean, and
//! `expand[0]=a` an array, so handlers read a plain JSON value.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::{json, Map, Value};

use super::form::{Param, Params};
use crate::error::ApiError;

const REQUEST_SCHEMAS: &str = include_str!("../../spec/request-schemas.json");

/// Parameters Stripe accepts that the 2023-08-16 spec does not list, in one place.
///
/// Each is `(operation, bracketed parameter path, what is allowed)`. The tests check that
/// each is really missing from the 2023 spec, and that nothing else outside it gets through.
pub const ALLOW_LIST: &[(&str, &str, Allowance)] = &[
    // Stripe.js authenticates with `key=pk_...` as a form or query field.
    (
        "GET /v1/payment_intents/{intent}",
        "key",
        Parameter(r#"{"type":"string","maxLength":5000}"#),
    ),
    (
        "POST /v1/payment_intents/{intent}/confirm",
        "key",
        Parameter(r#"{"type":"string","maxLength":5000}"#),
    ),
    (
        "POST /v1/payment_methods",
        "key",
        Parameter(r#"{"type":"string","maxLength":5000}"#),
    ),
    // The 2023 spec lists every type but `card` here: cards went through `payment_method`.
    (
        "POST /v1/payment_intents/{intent}/confirm",
        "payment_method_data[type]",
        EnumValue("card"),
    ),
    (
        "POST /v1/payment_intents",
        "payment_method_data[type]",
        EnumValue("card"),
    ),
    // The Payment Element confirms with the raw card inside `payment_method_data`.
    (
        "POST /v1/payment_intents/{intent}/confirm",
        "payment_method_data[card]",
        Parameter(
            r#"{"type":"object","properties":{"number":{"type":"string","maxLength":5000},"exp_month":{"type":"integer"},"exp_year":{"type":"integer"},"cvc":{"type":"string","maxLength":5000}},"required":["number","exp_month","exp_year"]}"#,
        ),
    ),
    (
        "POST /v1/payment_intents",
        "payment_method_data[card]",
        Parameter(
            r#"{"type":"object","properties":{"number":{"type":"string","maxLength":5000},"exp_month":{"type":"integer"},"exp_year":{"type":"integer"},"cvc":{"type":"string","maxLength":5000}},"required":["number","exp_month","exp_year"]}"#,
        ),
    ),
    // Added to PaymentMethods in 2024 (`allow_redisplay`), sent by current Stripe.js.
    (
        "POST /v1/payment_intents/{intent}/confirm",
        "payment_method_data[allow_redisplay]",
        Parameter(r#"{"type":"string","enum":["always","limited","unspecified"]}"#),
    ),
    (
        "POST /v1/payment_methods",
        "allow_redisplay",
        Parameter(r#"{"type":"string","enum":["always","limited","unspecified"]}"#),
    ),
    // An event type added since 2023 ("Occurs whenever a refund has failed"), which
    // the emulator emits.
    (
        "POST /v1/webhook_endpoints",
        "enabled_events",
        EnumValue("refund.failed"),
    ),
    (
        "POST /v1/webhook_endpoints/{webhook_endpoint}",
        "enabled_events",
        EnumValue("refund.failed"),
    ),
];

/// What an allow-list entry opens.
#[derive(Debug, Clone, Copy)]
pub enum Allowance {
    /// A parameter the spec lacks, with its schema.
    Parameter(&'static str),
    /// One more value for a parameter the spec has as an enum.
    EnumValue(&'static str),
}

use Allowance::{EnumValue, Parameter};

fn schemas() -> &'static HashMap<String, Value> {
    static SCHEMAS: OnceLock<HashMap<String, Value>> = OnceLock::new();
    SCHEMAS.get_or_init(|| {
        let mut all: HashMap<String, Value> =
            serde_json::from_str(REQUEST_SCHEMAS).expect("spec/request-schemas.json is valid JSON");
        for (operation, path, allowance) in ALLOW_LIST {
            let root = all
                .get_mut(*operation)
                .expect("allow-list names a served operation");
            match allowance {
                Parameter(schema) => graft(
                    root,
                    path,
                    serde_json::from_str(schema).expect("allow-list schemas are valid JSON"),
                ),
                EnumValue(value) => {
                    let mut node = node_at(root, path);
                    // For an array, the enum is its items'.
                    if node.get("items").is_some() {
                        node = &mut node["items"];
                    }
                    node["enum"]
                        .as_array_mut()
                        .expect("an enum to extend")
                        .push(json!(value));
                }
            }
        }
        all
    })
}

/// The schema at `a[b][c]` inside `root`, through `anyOf` alternatives that are objects.
fn node_at<'v>(root: &'v mut Value, path: &str) -> &'v mut Value {
    let mut node = root;
    for segment in path.split(['[', ']']).filter(|s| !s.is_empty()) {
        node = object_alternative(node)
            .get_mut("properties")
            .and_then(|p| p.get_mut(segment))
            .expect("allow-list path exists");
    }
    node
}

/// Puts `schema` at `a[b][c]` inside `root`.
fn graft(root: &mut Value, path: &str, schema: Value) {
    let (parent, last) = match path.rfind('[') {
        Some(i) => (&path[..i], path[i + 1..].trim_end_matches(']')),
        None => ("", path),
    };
    let node = node_at(root, parent);
    let props = object_alternative(node)
        .as_object_mut()
        .expect("schema node is an object")
        .entry("properties")
        .or_insert_with(|| json!({}));
    props[last] = schema;
}

fn object_alternative(node: &mut Value) -> &mut Value {
    if node.get("anyOf").is_some() {
        let alternatives = node["anyOf"].as_array_mut().expect("anyOf is an array");
        let index = alternatives
            .iter()
            .position(|a| a.get("type") == Some(&json!("object")))
            .expect("anyOf has an object alternative");
        return &mut alternatives[index];
    }
    node
}

/// The served operations' schemas, allow-list included (for conformance tests).
pub fn operation_schema(operation: &str) -> Option<&'static Value> {
    schemas().get(operation)
}

/// Validates and types the parameters of `operation` (`"POST /v1/payment_intents"`).
pub fn validate(operation: &str, params: &Params) -> Result<Map<String, Value>, ApiError> {
    let schema = operation_schema(operation).expect("every routed operation has a schema");
    match coerce_entries(schema, params, "")? {
        Value::Object(typed) => Ok(typed),
        _ => unreachable!("an operation's schema is an object"),
    }
}

fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}[{key}]")
    }
}

fn coerce(schema: &Value, param: &Param, path: &str) -> Result<Value, ApiError> {
    if let Some(alternatives) = schema.get("anyOf").and_then(Value::as_array) {
        return coerce_any_of(alternatives, param, path);
    }
    let kind = schema
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("string");
    match kind {
        "object" => coerce_object(schema, param, path),
        "array" => coerce_array(schema, param, path),
        scalar => {
            let Param::Str(text) = param else {
                return Err(match scalar {
                    "string" => ApiError::expected_string(path),
                    "integer" => ApiError::invalid_integer(path, "a hash or an array"),
                    "boolean" => ApiError::invalid_boolean(path, "a hash or an array"),
                    _ => ApiError::expected_string(path),
                });
            };
            if text.is_empty() && !accepts_empty(schema) {
                return Err(ApiError::empty_string(path));
            }
            coerce_scalar(scalar, schema, text, path)
        }
    }
}

/// `anyOf` is how the spec says "a hash, or `""` to unset it" and "an integer or a range".
fn coerce_any_of(alternatives: &[Value], param: &Param, path: &str) -> Result<Value, ApiError> {
    let mut first_error = None;
    for alternative in alternatives {
        match coerce(alternative, param, path) {
            Ok(value) => return Ok(value),
            Err(error) => {
                // Report the failure of the alternative shaped like what was sent.
                let same_shape = matches!(
                    (param, alternative.get("type").and_then(Value::as_str)),
                    (Param::Map(_), Some("object"))
                        | (Param::List(_), Some("array"))
                        | (Param::Map(_), Some("array"))
                ) || matches!(param, Param::Str(_))
                    && !matches!(
                        alternative.get("type").and_then(Value::as_str),
                        Some("object" | "array")
                    );
                if same_shape && first_error.as_ref().is_none_or(|(shaped, _)| !shaped) {
                    first_error = Some((true, error));
                } else if first_error.is_none() {
                    first_error = Some((false, error));
                }
            }
        }
    }
    Err(first_error
        .map(|(_, e)| e)
        .unwrap_or_else(|| ApiError::expected_object(path)))
}

fn accepts_empty(schema: &Value) -> bool {
    schema
        .get("enum")
        .and_then(Value::as_array)
        .is_some_and(|values| values.iter().any(|v| v == ""))
}

fn coerce_object(schema: &Value, param: &Param, path: &str) -> Result<Value, ApiError> {
    match param {
        Param::Map(entries) => coerce_entries(schema, entries, path),
        _ => Err(ApiError::expected_object(path)),
    }
}

fn coerce_entries(schema: &Value, entries: &Params, path: &str) -> Result<Value, ApiError> {
    let properties = schema.get("properties").and_then(Value::as_object);
    let additional = schema.get("additionalProperties");
    let mut typed = Map::new();
    for (key, value) in entries {
        let name = child(path, key);
        let property = properties.and_then(|p| p.get(key));
        let value_schema = match (property, additional) {
            (Some(s), _) => s,
            // A free-form hash (`metadata`): `metadata[key]=` removes that key.
            (None, Some(_)) if *value == Param::Str(String::new()) => {
                typed.insert(key.clone(), Value::String(String::new()));
                continue;
            }
            (None, Some(s)) if s.is_object() => s,
            _ => return Err(ApiError::unknown_param(&name)),
        };
        typed.insert(key.clone(), coerce(value_schema, value, &name)?);
    }
    for required in schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let required = required.as_str().unwrap_or_default();
        if !typed.contains_key(required) {
            return Err(ApiError::missing_param(&child(path, required)));
        }
    }
    Ok(Value::Object(typed))
}

fn coerce_array(schema: &Value, param: &Param, path: &str) -> Result<Value, ApiError> {
    let items_schema = schema.get("items").unwrap_or(&Value::Null);
    let items: Vec<&Param> = match param {
        Param::List(items) => items.iter().collect(),
        // `expand[0]=a&expand[1]=b`: an array in indexed form, ordered by index.
        Param::Map(entries) => {
            let mut indexed = Vec::with_capacity(entries.len());
            for (key, value) in entries {
                let index: usize = key.parse().map_err(|_| ApiError::expected_array(path))?;
                indexed.push((index, value));
            }
            indexed.sort_by_key(|(index, _)| *index);
            indexed.into_iter().map(|(_, v)| v).collect()
        }
        Param::Str(_) => return Err(ApiError::expected_array(path)),
    };
    let mut typed = Vec::with_capacity(items.len());
    for (index, item) in items.into_iter().enumerate() {
        typed.push(coerce(
            items_schema,
            item,
            &child(path, &index.to_string()),
        )?);
    }
    Ok(Value::Array(typed))
}

fn coerce_scalar(kind: &str, schema: &Value, text: &str, path: &str) -> Result<Value, ApiError> {
    match kind {
        "integer" => text
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| ApiError::invalid_integer(path, text)),
        "number" => text
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .map(Value::from)
            .ok_or_else(|| ApiError::invalid_number(path, text)),
        "boolean" => match text {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            other => Err(ApiError::invalid_boolean(path, other)),
        },
        _ => {
            if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
                if !allowed.iter().any(|v| v == text) {
                    let names: Vec<String> = allowed
                        .iter()
                        .filter_map(Value::as_str)
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect();
                    return Err(ApiError::invalid_enum(path, &names));
                }
            }
            if let Some(max) = schema.get("maxLength").and_then(Value::as_u64) {
                if text.chars().count() as u64 > max {
                    return Err(ApiError::string_too_long(path, max));
                }
            }
            Ok(Value::String(text.to_string()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::form::decode;

    fn check(operation: &str, body: &str) -> Result<Map<String, Value>, ApiError> {
        validate(operation, &decode(body.as_bytes()).unwrap())
    }

    const CREATE: &str = "POST /v1/payment_intents";

    #[test]
    fn types_values_from_the_spec() {
        let p = check(CREATE, "amount=2000&currency=usd&automatic_payment_methods[enabled]=true&metadata[order_id]=42&expand[0]=latest_charge").unwrap();
        assert_eq!(p["amount"], 2000);
        assert_eq!(p["automatic_payment_methods"]["enabled"], true);
        assert_eq!(p["metadata"]["order_id"], "42");
        assert_eq!(p["expand"], json!(["latest_charge"]));
    }

    #[test]
    fn refusals_name_the_parameter() {
        let e = check(CREATE, "currency=usd").unwrap_err();
        assert_eq!(
            (e.code.as_deref(), e.param.as_deref()),
            (Some("parameter_missing"), Some("amount"))
        );
        assert_eq!(e.message, "Missing required param: amount.");
        let e = check(CREATE, "amount=20.00&currency=usd").unwrap_err();
        assert_eq!(e.message, "Invalid integer: 20.00");
        let e = check(CREATE, "amount=1&currency=usd&foo=1").unwrap_err();
        assert_eq!(
            (e.code.as_deref(), e.message.as_str()),
            (Some("parameter_unknown"), "Received unknown parameter: foo")
        );
        let e = check(
            CREATE,
            "amount=1&currency=usd&shipping[address][planet]=mars&shipping[name]=x",
        )
        .unwrap_err();
        assert_eq!(e.param.as_deref(), Some("shipping[address][planet]"));
        let e = check(CREATE, "amount=1&currency=usd&confirm=yes").unwrap_err();
        assert_eq!(e.message, "Invalid boolean: yes");
        let e = check(CREATE, "amount=1&currency=usd&capture_method=later").unwrap_err();
        assert_eq!(e.param.as_deref(), Some("capture_method"));
        let e = check(CREATE, "amount=1&currency=usd&metadata=oops").unwrap_err();
        assert_eq!(e.param.as_deref(), Some("metadata"));
        let e = check(CREATE, "amount=1&currency=usd&description[a]=b").unwrap_err();
        assert_eq!(e.param.as_deref(), Some("description"));
    }

    #[test]
    fn empty_values_unset_only_where_the_spec_allows() {
        let p = check("POST /v1/payment_intents/{intent}", "metadata=").unwrap();
        assert_eq!(p["metadata"], "");
        let e = check("POST /v1/payment_intents/{intent}", "description=").unwrap_err();
        assert_eq!(e.code.as_deref(), Some("parameter_invalid_empty"));
        let e = check(CREATE, "amount=&currency=usd").unwrap_err();
        assert_eq!(e.code.as_deref(), Some("parameter_invalid_empty"));
    }

    #[test]
    fn allow_list_opens_exactly_its_parameters() {
        let confirm = "POST /v1/payment_intents/{intent}/confirm";
        check(confirm, "key=pk_test_x&client_secret=s&payment_method_data[type]=card&payment_method_data[card][number]=4242424242424242&payment_method_data[card][exp_month]=12&payment_method_data[card][exp_year]=2034&payment_method_data[card][cvc]=123").unwrap();
        let e = check(
            confirm,
            "payment_method_data[type]=card&payment_method_data[card][pin]=1234",
        )
        .unwrap_err();
        assert_eq!(e.param.as_deref(), Some("payment_method_data[card][pin]"));
        assert!(check("POST /v1/payment_intents/{intent}/cancel", "key=pk_test_x").is_err());
    }
}
