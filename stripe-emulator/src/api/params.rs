//! Reading validated parameters, and the context every endpoint gets.

use serde_json::{Map, Value};

use crate::emulator::Options;
use crate::error::ApiError;
use crate::objects::Audience;

/// One API call, as an endpoint sees it.
pub struct Call<'a> {
    /// Parameters already checked and typed against Stripe's spec.
    pub params: Map<String, Value>,
    pub audience: Audience,
    /// The emulator's own origin, for URLs it hands out (3-D Secure pages).
    pub emulator_url: &'a str,
    pub options: &'a Options,
}

impl Call<'_> {
    /// A string parameter; `Some("")` when it was sent empty (an unset).
    pub fn str(&self, name: &str) -> Option<&str> {
        self.params.get(name).and_then(Value::as_str)
    }

    /// A non-empty string parameter.
    pub fn text(&self, name: &str) -> Option<String> {
        self.str(name).filter(|s| !s.is_empty()).map(str::to_string)
    }

    pub fn int(&self, name: &str) -> Option<i64> {
        self.params.get(name).and_then(Value::as_i64)
    }

    pub fn bool(&self, name: &str) -> bool {
        self.params
            .get(name)
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    pub fn has(&self, name: &str) -> bool {
        self.params.contains_key(name)
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.params.get(name)
    }
}

/// Applies `metadata` as Stripe does: `""` clears it, `key=""` removes one key, others merge.
pub fn apply_metadata(
    metadata: &mut Map<String, Value>,
    update: Option<&Value>,
) -> Result<(), ApiError> {
    match update {
        None => return Ok(()),
        Some(Value::String(s)) if s.is_empty() => metadata.clear(),
        Some(Value::Object(entries)) => {
            for (key, value) in entries {
                match value.as_str() {
                    Some("") => {
                        metadata.shift_remove(key);
                    }
                    Some(v) => {
                        metadata.insert(key.clone(), Value::String(v.to_string()));
                    }
                    None => {
                        return Err(ApiError::metadata(format!(
                            "Invalid metadata[{key}]: metadata values must be strings."
                        )))
                    }
                }
            }
        }
        Some(_) => {
            return Err(ApiError::metadata(
                "Invalid metadata: must be a hash of strings.",
            ))
        }
    }
    // Stripe's limits [docs*].
    if metadata.len() > 50 {
        return Err(ApiError::metadata(
            "You can have at most 50 keys in metadata.",
        ));
    }
    for (key, value) in metadata.iter() {
        if key.chars().count() > 40 {
            return Err(ApiError::metadata(format!(
                "Metadata keys can have up to 40 characters; '{}…' is longer.",
                key.chars().take(40).collect::<String>()
            )));
        }
        if value.as_str().is_some_and(|v| v.chars().count() > 500) {
            return Err(ApiError::metadata(format!(
                "Metadata values can have up to 500 characters; the value of '{key}' is longer."
            )));
        }
    }
    Ok(())
}

/// A `shipping`-like hash, or `None` when it was unset with `""`.
pub fn optional_hash(value: Option<&Value>) -> Option<Option<Value>> {
    match value {
        None => None,
        Some(Value::String(s)) if s.is_empty() => Some(None),
        Some(v) => Some(Some(v.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn metadata_merges_unsets_and_clears() {
        let mut m = Map::new();
        apply_metadata(&mut m, Some(&json!({"a": "1", "b": "2"}))).unwrap();
        apply_metadata(&mut m, Some(&json!({"a": "", "c": "3"}))).unwrap();
        assert_eq!(Value::Object(m.clone()), json!({"b": "2", "c": "3"}));
        apply_metadata(&mut m, Some(&json!(""))).unwrap();
        assert!(m.is_empty());
    }

    #[test]
    fn metadata_limits() {
        let mut m = Map::new();
        let many: Map<String, Value> = (0..51).map(|i| (format!("k{i}"), json!("v"))).collect();
        assert!(apply_metadata(&mut m, Some(&Value::Object(many))).is_err());
        let mut m = Map::new();
        assert!(apply_metadata(&mut m, Some(&json!({"k".repeat(41): "v"}))).is_err());
        let mut m = Map::new();
        assert!(apply_metadata(&mut m, Some(&json!({"k": "v".repeat(501)}))).is_err());
    }
}
