//! `Stripe-Signature`: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "{t}.{body}")>`.
//!
//! The key is the whole secret string, `whsec_` included, as Stripe's SDKs use it.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The lowercase hex HMAC-SHA256 of `"{t}.{body}"` keyed by `secret`.
pub fn sign(secret: &str, t: i64, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The header for one attempt: one `v1` per active secret, and a `v0` from a secret
/// no receiver knows (receivers must ignore every scheme but `v1`).
pub fn header(secrets: &[String], decoy_secret: &str, t: i64, body: &[u8]) -> String {
    let mut header = format!("t={t}");
    for secret in secrets {
        header.push_str(",v1=");
        header.push_str(&sign(secret, t, body));
    }
    header.push_str(",v0=");
    header.push_str(&sign(decoy_secret, t, body));
    header
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contracts_fixed_vector() {
        assert_eq!(
            sign(
                "whsec_test_secret",
                1_700_000_000,
                br#"{"id":"evt_test_webhook","object":"event"}"#
            ),
            "d95c6b7477fbd7e9f90b1b0ef5f9c7ac25abca5382460e0d988c2b2a5b71b990"
        );
    }

    #[test]
    fn one_v1_per_secret_then_v0() {
        let h = header(
            &["whsec_a".into(), "whsec_b".into()],
            "whsec_decoy",
            10,
            b"{}",
        );
        let parts: Vec<&str> = h.split(',').collect();
        assert_eq!(parts[0], "t=10");
        assert_eq!(parts[1], format!("v1={}", sign("whsec_a", 10, b"{}")));
        assert_eq!(parts[2], format!("v1={}", sign("whsec_b", 10, b"{}")));
        assert!(parts[3].starts_with("v0="));
    }
}
