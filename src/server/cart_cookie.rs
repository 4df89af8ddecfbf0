//! The cart cookie: a random bearer token naming one cart.

use super::cookies;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use http::{HeaderMap, HeaderValue};
use rand::RngCore;
use std::time::Duration;

/// The cookie's name (`__Host-cart` when the shop is served over https).
pub const CART_COOKIE: &str = "cart";

/// A cart token: 256 random bits, base64url without padding (43 characters).
#[derive(Clone, PartialEq, Eq)]
pub struct CartToken(String);

/// What the request's cookie says about its cart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CookieToken {
    /// No cart cookie: a first visit, or the cart was never started.
    Absent,
    /// A well-formed token (which may still name no live cart).
    Present(CartToken),
    /// A cookie that is not a token we could have issued.
    Forged,
}

impl CartToken {
    const LEN: usize = 43;

    /// Draws a new token from `rand`'s thread-local CSPRNG (ChaCha, seeded and
    /// periodically reseeded from the operating system).
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Accepts only the exact shape [`CartToken::generate`] produces.
    pub fn parse(value: &str) -> Option<Self> {
        let well_formed = value.len() == Self::LEN
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        well_formed.then(|| Self(value.to_owned()))
    }

    /// The hash the database stores instead of the token itself.
    pub fn hash(&self) -> String {
        super::sha256_hex(self.0.as_bytes())
    }

    /// The `Set-Cookie` value that hands this token to the browser. HttpOnly keeps it
    /// from scripts; SameSite=Lax keeps it off cross-site POSTs.
    pub fn set_cookie(&self, lifetime: Duration, secure: bool) -> HeaderValue {
        cookie_header(&self.0, lifetime.as_secs(), secure)
    }
}

impl std::fmt::Debug for CartToken {
    /// Tokens are bearer secrets: never print them.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CartToken(..)")
    }
}

/// The `Set-Cookie` value that deletes the cart cookie.
pub fn clear_cookie(secure: bool) -> HeaderValue {
    cookie_header("", 0, secure)
}

/// Reads the cart cookie from the request headers, under the name `secure` gives it
/// (behind https only the `__Host-` cookie counts).
pub fn token_in(headers: &HeaderMap, secure: bool) -> CookieToken {
    match cookies::value(headers, &cookies::name(CART_COOKIE, secure)) {
        None => CookieToken::Absent,
        Some(value) => CartToken::parse(value).map_or(CookieToken::Forged, CookieToken::Present),
    }
}

fn cookie_header(value: &str, max_age_secs: u64, secure: bool) -> HeaderValue {
    cookies::set_cookie(CART_COOKIE, value, max_age_secs, secure)
        .expect("cookie values are base64url, always a valid header")
}

#[cfg(test)]
mod tests {
    use super::*;

    use http::header::COOKIE;

    fn headers(cookie: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, HeaderValue::from_str(cookie).unwrap());
        headers
    }

    #[test]
    fn generated_tokens_parse_and_differ() {
        let a = CartToken::generate();
        let b = CartToken::generate();
        assert_ne!(a, b);
        assert_eq!(CartToken::parse(&a.0), Some(a.clone()));
        assert_eq!(a.hash().len(), 64);
    }

    #[test]
    fn reads_the_cart_cookie_among_others() {
        let token = CartToken::generate();
        let found = token_in(
            &headers(&format!("theme=dark; cart={}; x=1", token.0)),
            false,
        );
        assert_eq!(found, CookieToken::Present(token));
        assert_eq!(token_in(&HeaderMap::new(), false), CookieToken::Absent);
        assert_eq!(token_in(&headers("theme=dark"), false), CookieToken::Absent);
    }

    #[test]
    fn behind_https_only_the_host_prefixed_cookie_counts() {
        let token = CartToken::generate();
        let prefixed = headers(&format!("__Host-cart={}", token.0));
        assert_eq!(
            token_in(&prefixed, true),
            CookieToken::Present(token.clone())
        );
        assert_eq!(token_in(&prefixed, false), CookieToken::Absent);
        // A plain `cart` cookie could have been planted over http or by a subdomain.
        let plain = headers(&format!("cart={}", token.0));
        assert_eq!(token_in(&plain, true), CookieToken::Absent);
        let set = token.set_cookie(Duration::from_secs(60), true);
        assert!(set.to_str().unwrap().starts_with("__Host-cart="));
        assert!(clear_cookie(true)
            .to_str()
            .unwrap()
            .starts_with("__Host-cart=;"));
    }

    #[test]
    fn anything_else_is_forged() {
        for forged in [
            "cart=abc",
            "cart=",
            "cart=../../etc/passwd",
            &format!("cart={}", "a".repeat(44)),
        ] {
            assert_eq!(
                token_in(&headers(forged), false),
                CookieToken::Forged,
                "{forged}"
            );
        }
    }

    #[test]
    fn cookie_attributes_follow_the_scheme() {
        let token = CartToken::generate();
        let plain = token.set_cookie(Duration::from_secs(60), false);
        let plain = plain.to_str().unwrap();
        assert!(plain.contains("HttpOnly") && plain.contains("SameSite=Lax"));
        assert!(!plain.contains("Secure"));
        let secure = token.set_cookie(Duration::from_secs(60), true);
        assert!(secure.to_str().unwrap().ends_with("; Secure"));
        assert!(clear_cookie(false).to_str().unwrap().contains("Max-Age=0"));
    }
}
