//! The order-access cookie: random bearer tokens that let the shopper who paid come
//! back to their confirmation pages without the client secret. Only their hashes are
//! stored. One cookie holds a token per order, newest first, so a second purchase
//! from the same browser does not lose the first.

use super::cookies;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use http::{HeaderMap, HeaderValue};
use rand::RngCore;

/// The cookie's name (`__Host-order_access` when the shop is served over https).
pub const ORDER_COOKIE: &str = "order_access";

/// Ninety days: long enough to check on a delivery.
pub const LIFETIME_SECS: u64 = 90 * 24 * 60 * 60;

/// How many orders one browser's cookie opens; the oldest token goes first. Twenty
/// tokens of 43 characters keep the cookie under 900 bytes, far inside the 4 KB a
/// browser keeps per cookie, and bound the lookup each visit makes.
pub const MAX_ORDERS: usize = 20;

/// How long after the shop recorded a PaymentIntent its client secret still opens the
/// order's confirmation page. Stripe.js puts the secret in the return address, where
/// history, screenshots and shared links keep it; the page hands out the cookie on the
/// first return, so the secret is only needed for that return. An hour covers a slow
/// bank's 3-D Secure redirect with room to spare; after it, the cookie (or the cart's)
/// is what opens the page.
pub const CLIENT_SECRET_OPENS_FOR_SECS: i64 = 60 * 60;

/// Token length: 256 random bits, base64url without padding.
const TOKEN_LEN: usize = 43;

/// Between tokens in the cookie: not in the base64url alphabet, allowed in a cookie.
const SEPARATOR: &str = ".";

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

/// The order-access tokens a browser holds, newest first, at most [`MAX_ORDERS`].
#[derive(Clone, Default, PartialEq, Eq)]
pub struct AccessTokens(Vec<String>);

impl AccessTokens {
    /// The tokens of the request's cookie, under the name `secure` gives it. Anything
    /// not of the shape [`generate`] makes is dropped; a cookie with none is empty.
    pub fn in_request(headers: &HeaderMap, secure: bool) -> Self {
        let Some(value) = cookies::value(headers, &cookies::name(ORDER_COOKIE, secure)) else {
            return Self::default();
        };
        let mut tokens: Vec<String> = Vec::new();
        for token in value.split(SEPARATOR).filter(|token| well_formed(token)) {
            if tokens.len() == MAX_ORDERS {
                break;
            }
            if !tokens.iter().any(|held| held == token) {
                tokens.push(token.to_owned());
            }
        }
        Self(tokens)
    }

    /// Whether the browser holds no token at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The hashes to look the tokens up by.
    pub fn hashes(&self) -> Vec<String> {
        self.0.iter().map(|token| hash(token)).collect()
    }

    /// These tokens with `token` added as the newest, the oldest dropped beyond
    /// [`MAX_ORDERS`].
    pub fn with(&self, token: String) -> Self {
        let older = self
            .0
            .iter()
            .filter(|held| **held != token)
            .take(MAX_ORDERS - 1)
            .cloned();
        Self(std::iter::once(token.clone()).chain(older).collect())
    }

    /// `Set-Cookie` holding every token, HttpOnly and SameSite=Lax (see
    /// [`cookies::set_cookie`]).
    pub fn set_cookie(&self, secure: bool) -> Option<HeaderValue> {
        let value = self.0.join(SEPARATOR);
        cookies::set_cookie(ORDER_COOKIE, &value, LIFETIME_SECS, secure)
    }
}

impl std::fmt::Debug for AccessTokens {
    /// Tokens are bearer secrets: never print them.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AccessTokens({} held)", self.0.len())
    }
}

/// The shape [`generate`] makes.
fn well_formed(token: &str) -> bool {
    token.len() == TOKEN_LEN
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header::COOKIE;

    fn request(cookie: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, HeaderValue::from_str(cookie).unwrap());
        headers
    }

    /// The cookie pair a `Set-Cookie` value carries, as the browser sends it back.
    fn sent_back(set_cookie: &HeaderValue) -> String {
        let set_cookie = set_cookie.to_str().unwrap();
        set_cookie.split(';').next().unwrap().to_owned()
    }

    #[test]
    fn tokens_round_trip_through_the_cookie() {
        let token = generate();
        let tokens = AccessTokens::default().with(token.clone());
        let header = tokens.set_cookie(true).unwrap();
        let value = header.to_str().unwrap();
        assert!(value.contains("HttpOnly") && value.contains("Secure"));
        assert!(value.starts_with("__Host-order_access="));
        let back = request(&format!("cart=x; {}", sent_back(&header)));
        assert_eq!(AccessTokens::in_request(&back, true), tokens);
        assert_eq!(tokens.hashes(), vec![hash(&token)]);
        assert_ne!(hash(&token), token);
        assert!(AccessTokens::in_request(&request("order_access=short"), false).is_empty());
        assert!(
            !format!("{tokens:?}").contains(&token),
            "tokens never print"
        );
    }

    #[test]
    fn a_new_order_joins_the_ones_already_held_newest_first() {
        let first = AccessTokens::default().with(generate());
        let second_token = generate();
        let both = first.with(second_token.clone());
        assert_eq!(both.0.len(), 2);
        assert_eq!(both.0[0], second_token);
        let back = request(&sent_back(&both.set_cookie(false).unwrap()));
        assert_eq!(AccessTokens::in_request(&back, false), both);
    }

    #[test]
    fn the_cookie_keeps_the_newest_orders_only() {
        let mut tokens = AccessTokens::default();
        let mut issued = Vec::new();
        for _ in 0..MAX_ORDERS + 5 {
            let token = generate();
            issued.push(token.clone());
            tokens = tokens.with(token);
        }
        assert_eq!(tokens.0.len(), MAX_ORDERS);
        assert_eq!(tokens.0[0], issued[issued.len() - 1]);
        assert!(!tokens.0.contains(&issued[4]), "the oldest are dropped");
        let header = tokens.set_cookie(true).unwrap();
        assert!(header.len() < 1024, "{} bytes", header.len());
        // A forged cookie with more tokens, duplicates and junk is cut to size.
        let forged = format!(
            "order_access={}.{}.junk..{}",
            issued[0],
            issued[0],
            issued.join(".")
        );
        let read = AccessTokens::in_request(&request(&forged), false);
        assert_eq!(read.0.len(), MAX_ORDERS);
        assert_eq!(read.0[0], issued[0]);
        assert_eq!(read.0[1], issued[1]);
    }

    #[test]
    fn behind_https_only_the_host_prefixed_cookie_counts() {
        let token = generate();
        let plain = request(&format!("order_access={token}"));
        assert!(AccessTokens::in_request(&plain, true).is_empty());
        assert!(!AccessTokens::in_request(&plain, false).is_empty());
    }
}
