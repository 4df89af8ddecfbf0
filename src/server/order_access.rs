//! The order-access cookie: a random bearer token that lets the shopper who paid come
//! back to their confirmation page without the client secret. Only its hash is stored.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use http::{header::COOKIE, HeaderMap, HeaderValue};
use rand::RngCore;

/// The cookie's name.
pub const ORDER_COOKIE: &str = "order_access";

/// Ninety days: long enough to check on a delivery.
pub const LIFETIME_SECS: u64 = 90 * 24 * 60 * 60;

/// A new token: 256 random bits, base64url (43 characters).
pub fn generate() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The hash the database keeps.
pub fn hash(token: &str) -> String {
    super::sha256_hex(token.as_bytes())
}

/// The request's token, if it has one of the shape [`generate`] makes.
pub fn token_in(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|header| header.to_str().ok())
        .flat_map(|header| header.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == ORDER_COOKIE)
        .map(|(_, value)| value.trim_matches('"'))
        .filter(|value| {
            value.len() == 43
                && value
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map(str::to_owned)
}

/// `Set-Cookie` for `token`: HttpOnly (no script reads it), SameSite=Lax.
pub fn set_cookie(token: &str, secure: bool) -> Option<HeaderValue> {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{ORDER_COOKIE}={token}; Path=/; Max-Age={LIFETIME_SECS}; HttpOnly; SameSite=Lax{secure}"
    ))
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_through_the_cookie() {
        let token = generate();
        let header = set_cookie(&token, true).unwrap();
        let header = header.to_str().unwrap();
        assert!(header.contains("HttpOnly") && header.contains("Secure"));
        let mut headers = HeaderMap::new();
        headers.insert(
            COOKIE,
            HeaderValue::from_str(&format!("cart=x; {ORDER_COOKIE}={token}")).unwrap(),
        );
        assert_eq!(token_in(&headers), Some(token.clone()));
        assert_ne!(hash(&token), token);
        let mut forged = HeaderMap::new();
        forged.insert(COOKIE, HeaderValue::from_static("order_access=short"));
        assert_eq!(token_in(&forged), None);
    }
}
