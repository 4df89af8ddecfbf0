//! Operators' sessions on the wire: a random token in an HttpOnly, `SameSite=Strict`
//! cookie (`__Host-` and `Secure` behind https); the database keeps only its SHA-256.
//! Strict keeps the cookie off every request another site starts, links included, so
//! no cross-site page can act as a signed-in operator.

use crate::server::{cookies, sha256_hex, shopper::now, store::SessionOperator, AppState};
use base64::Engine;
use http::{HeaderMap, HeaderValue};

/// The cookie's base name.
pub const COOKIE: &str = "storefront_admin";

/// A signed-in operator, as a request carries them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operator {
    pub id: String,
    pub name: String,
}

/// A new session token and the hash the database keeps of it.
pub fn new_token() -> (String, String) {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let hash = sha256_hex(token.as_bytes());
    (token, hash)
}

/// The hash of the session token the request carries, if it carries one.
pub fn token_hash(state: &AppState, headers: &HeaderMap) -> Option<String> {
    let name = cookies::name(COOKIE, state.config.serves_https());
    cookies::value(headers, &name)
        .filter(|token| token.len() <= 128)
        .map(|token| sha256_hex(token.as_bytes()))
}

/// The operator whose live session the request carries (which counts as activity).
pub async fn current(state: &AppState, headers: &HeaderMap) -> Option<Operator> {
    let hash = token_hash(state, headers)?;
    match state
        .store
        .session(&hash, state.config.admin_sessions, now())
        .await
    {
        Ok(Some(SessionOperator { operator_id, name })) => Some(Operator {
            id: operator_id,
            name,
        }),
        Ok(None) => None,
        Err(error) => {
            tracing::error!(%error, "could not read an operator's session");
            None
        }
    }
}

/// `Set-Cookie` for a new session (its absolute lifetime as Max-Age), or, with
/// `None`, the header that removes the cookie.
pub fn set_cookie(state: &AppState, token: Option<&str>) -> Option<HeaderValue> {
    let secure = state.config.serves_https();
    let name = cookies::name(COOKIE, secure);
    let max_age = match token {
        Some(_) => state.config.admin_sessions.absolute_secs,
        None => 0,
    };
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}",
        token.unwrap_or("")
    ))
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_only_their_hash_is_kept() {
        let (token, hash) = new_token();
        let (other, _) = new_token();
        assert_eq!(token.len(), 43);
        assert_ne!(token, other);
        assert_eq!(hash, sha256_hex(token.as_bytes()));
        assert!(!hash.contains(&token));
    }
}
