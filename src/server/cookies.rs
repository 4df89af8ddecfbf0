//! The shop's cookies on the wire: their names, their attributes, and how a request's
//! are read. Every cookie the shop sets goes through here, so all of them follow the
//! same rules.
//!
//! Behind https every cookie is named `__Host-…`. Browsers accept such a cookie only
//! with `Secure`, `Path=/` and no `Domain`, so neither a sibling subdomain nor a
//! man-in-the-middle on plain http can plant or overwrite one (cookie tossing, session
//! fixation of the cart). The name is read back the same way: behind https a cookie
//! without the prefix is ignored, since anyone could have set it.

use http::{header::COOKIE, HeaderMap, HeaderValue};
use std::borrow::Cow;

/// The prefix browsers reserve for host-only, secure, whole-site cookies.
pub const HOST_PREFIX: &str = "__Host-";

/// A cookie's name as the browser holds it: `base`, or `__Host-{base}` when the shop
/// is served over https.
pub fn name(base: &'static str, secure: bool) -> Cow<'static, str> {
    if secure {
        Cow::Owned(format!("{HOST_PREFIX}{base}"))
    } else {
        Cow::Borrowed(base)
    }
}

/// The value of the first cookie the request sends under exactly this `name`.
pub fn value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|header| header.to_str().ok())
        .flat_map(|header| header.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(found, _)| *found == name)
        .map(|(_, value)| value.trim_matches('"'))
}

/// `Set-Cookie` for one of the shop's cookies. HttpOnly keeps it from scripts;
/// SameSite=Lax keeps it off cross-site POSTs; over https it is `Secure` and carries
/// the `__Host-` name (whose rules `Path=/` and the absent `Domain` already meet).
/// `None` only if `value` holds bytes no header may carry.
pub fn set_cookie(
    base: &'static str,
    value: &str,
    max_age_secs: u64,
    secure: bool,
) -> Option<HeaderValue> {
    let name = name(base, secure);
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; Max-Age={max_age_secs}; HttpOnly; SameSite=Lax{secure}"
    ))
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(cookie: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, HeaderValue::from_str(cookie).unwrap());
        headers
    }

    #[test]
    fn https_names_carry_the_host_prefix() {
        assert_eq!(name("cart", false), "cart");
        assert_eq!(name("cart", true), "__Host-cart");
    }

    #[test]
    fn a_cookie_is_read_by_its_exact_name() {
        let sent = headers("cart=plain; __Host-cart=prefixed; x=\"quoted\"");
        assert_eq!(value(&sent, "cart"), Some("plain"));
        assert_eq!(value(&sent, "__Host-cart"), Some("prefixed"));
        assert_eq!(value(&sent, "x"), Some("quoted"));
        assert_eq!(value(&sent, "__Host-x"), None);
    }

    #[test]
    fn secure_cookies_meet_the_host_prefix_rules() {
        let secure = set_cookie("cart", "abc", 60, true).unwrap();
        let secure = secure.to_str().unwrap();
        assert!(secure.starts_with("__Host-cart=abc;"), "{secure}");
        assert!(secure.contains("; Path=/;") && secure.ends_with("; Secure"));
        assert!(!secure.to_ascii_lowercase().contains("domain"));
        let plain = set_cookie("cart", "abc", 60, false).unwrap();
        let plain = plain.to_str().unwrap();
        assert!(plain.starts_with("cart=abc;") && !plain.contains("Secure"));
        assert!(plain.contains("HttpOnly") && plain.contains("SameSite=Lax"));
    }
}
