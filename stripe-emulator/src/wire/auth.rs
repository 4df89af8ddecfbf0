//! Who is calling: the secret key, or the publishable key on the routes that take it.

use axum::http::{header, HeaderMap};

use super::form::Params;
use crate::api::Operation;
use crate::error::ApiError;
use crate::keys::Keys;
use crate::objects::Audience;

/// Checks the credential of a `/v1` call (contract b.2).
///
/// The key comes from `Authorization` (Bearer, or Basic with the key as user name), or
/// from a `key` parameter as Stripe.js sends it. Live keys are refused outright.
pub fn authenticate(
    headers: &HeaderMap,
    params: &Params,
    keys: &Keys,
    operation: &Operation,
) -> Result<Audience, ApiError> {
    let key = key_from_header(headers)?.or_else(|| {
        params
            .get("key")
            .and_then(|k| k.as_str())
            .map(str::to_string)
    });
    let Some(key) = key.filter(|k| !k.is_empty()) else {
        return Err(ApiError::no_api_key());
    };
    if key.starts_with("sk_live_") || key.starts_with("pk_live_") || key.starts_with("rk_live_") {
        return Err(ApiError::live_key(&key));
    }
    if constant_time_eq(&key, &keys.secret_key) {
        return Ok(Audience::Secret);
    }
    if constant_time_eq(&key, &keys.publishable_key) {
        if !operation.accepts_publishable_key() {
            return Err(ApiError::publishable_key_not_allowed());
        }
        return Ok(Audience::Publishable);
    }
    Err(ApiError::invalid_api_key(&key))
}

fn key_from_header(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| ApiError::no_api_key())?.trim();
    if let Some(token) = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
    {
        return Ok(Some(token.trim().to_string()));
    }
    if let Some(encoded) = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))
    {
        let decoded = decode_base64(encoded.trim()).ok_or_else(ApiError::no_api_key)?;
        let text = String::from_utf8(decoded).map_err(|_| ApiError::no_api_key())?;
        return Ok(Some(text.split(':').next().unwrap_or_default().to_string()));
    }
    Err(ApiError::no_api_key())
}

/// Compares secrets without stopping at the first difference, so timing tells an
/// attacker nothing about how much of a guess was right.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Standard base64 with padding, as HTTP Basic uses.
fn decode_base64(input: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let bytes = input.trim_end_matches('=').as_bytes();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut acc = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            acc |= value(*c)? << (18 - 6 * i);
        }
        let produced = match chunk.len() {
            4 => 3,
            3 => 2,
            2 => 1,
            _ => return None,
        };
        out.extend_from_slice(&acc.to_be_bytes()[1..1 + produced]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_auth_decodes() {
        assert_eq!(decode_base64("c2tfdGVzdF8xMjM6").unwrap(), b"sk_test_123:");
        assert_eq!(decode_base64("YQ==").unwrap(), b"a");
        assert!(decode_base64("!!!!").is_none());
    }
}
