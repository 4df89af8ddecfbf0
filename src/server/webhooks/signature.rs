//! `Stripe-Signature` verification, as Stripe's SDKs do it: HMAC-SHA256 of
//! `"{t}.{raw body}"` keyed by the whole `whsec_...` string, lowercase hex, any `v1`
//! matching any configured secret, within a tolerance of `t` in both directions.
//!
//! It runs before the body is parsed at all, and compares in constant time.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Why a delivery was refused; the messages are those of Stripe's SDKs, so a
/// developer who has met them there recognises them in our log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("No webhook secret is configured, so no signature can be verified")]
    NoSecret,
    #[error("No stripe-signature header value was provided.")]
    MissingHeader,
    #[error("Unable to extract timestamp and signatures from header")]
    Malformed,
    #[error("No signatures found with expected scheme")]
    NoV1,
    #[error("Timestamp outside the tolerance zone")]
    OutsideTolerance,
    #[error("No signatures found matching the expected signature for payload")]
    NoMatch,
}

/// A parsed header: the timestamp and every `v1` (other schemes are ignored).
#[derive(Debug, PartialEq, Eq)]
struct Header<'a> {
    timestamp: i64,
    v1: Vec<&'a str>,
}

fn parse(header: &str) -> Result<Header<'_>, SignatureError> {
    let mut timestamp = None;
    let mut v1 = Vec::new();
    for item in header.split(',') {
        let Some((key, value)) = item.trim().split_once('=') else {
            continue;
        };
        match key {
            // Digits only: no sign, no spaces, no overflow.
            "t" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                timestamp = value.parse::<i64>().ok();
            }
            "t" => return Err(SignatureError::Malformed),
            "v1" => v1.push(value),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if v1.is_empty() {
        return Err(SignatureError::NoV1);
    }
    Ok(Header { timestamp, v1 })
}

/// The `v1` signature of `body` at `timestamp` under `secret`, as lowercase hex.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    mac(secret, timestamp, body)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> [u8; 32] {
    // HMAC takes keys of any length; this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().into()
}

/// The checks that need no body: a secret to verify with, and a header with a
/// timestamp and a `v1`. The route runs them before reading the body, so a request
/// that could never verify costs no memory and no wait for its bytes.
pub fn check_header(header: Option<&str>, secrets: &[String]) -> Result<(), SignatureError> {
    readable_header(header, secrets).map(|_| ())
}

fn readable_header<'a>(
    header: Option<&'a str>,
    secrets: &[String],
) -> Result<Header<'a>, SignatureError> {
    if secrets.is_empty() {
        return Err(SignatureError::NoSecret);
    }
    let header = header
        .filter(|h| !h.trim().is_empty())
        .ok_or(SignatureError::MissingHeader)?;
    parse(header)
}

/// Checks `header` for `body` against `secrets` at time `now` (unix seconds).
pub fn verify(
    header: Option<&str>,
    body: &[u8],
    secrets: &[String],
    now: i64,
    tolerance_secs: i64,
) -> Result<(), SignatureError> {
    let header = readable_header(header, secrets)?;
    let mut matched = false;
    for secret in secrets {
        let expected = sign(secret, header.timestamp, body);
        for candidate in &header.v1 {
            // Every pair is compared in full: no early exit that timing could reveal.
            matched |= constant_time_eq(expected.as_bytes(), candidate.as_bytes());
        }
    }
    if !matched {
        return Err(SignatureError::NoMatch);
    }
    // Checked after the signature, as the SDKs do: an attacker learns nothing from it.
    if (now - header.timestamp).abs() > tolerance_secs {
        return Err(SignatureError::OutsideTolerance);
    }
    Ok(())
}

/// Equal length and equal bytes, in time that depends only on the length.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";
    const OTHER: &str = "whsec_other_secret";
    const T: i64 = 1_700_000_000;
    const BODY: &[u8] = br#"{"id":"evt_test_webhook","object":"event"}"#;

    fn secrets() -> Vec<String> {
        vec![SECRET.to_owned()]
    }

    fn check(header: &str, body: &[u8], now: i64) -> Result<(), SignatureError> {
        verify(Some(header), body, &secrets(), now, 300)
    }

    fn good() -> String {
        sign(SECRET, T, BODY)
    }

    #[test]
    fn the_fixed_vector_of_the_emulator_contract() {
        assert_eq!(
            good(),
            "d95c6b7477fbd7e9f90b1b0ef5f9c7ac25abca5382460e0d988c2b2a5b71b990"
        );
        assert_eq!(check(&format!("t={T},v1={}", good()), BODY, T), Ok(()));
    }

    #[test]
    fn accepted_headers() {
        let v1 = good();
        let garbage = "0".repeat(64);
        for header in [
            format!("t={T},v1={v1}"),
            format!("t={T},v1={v1},v0={garbage}"),
            format!("t={T},v0={garbage},v1={v1}"),
            format!("t={T},v1={garbage},v1={v1}"),
            format!("t={T},v1={v1},v1={garbage}"),
            format!("v1={v1},t={T}"),
            format!("t={T}, v1={v1}"),
            format!("t={T},v1={v1},scheme=whatever"),
        ] {
            assert_eq!(check(&header, BODY, T), Ok(()), "{header}");
        }
    }

    #[test]
    fn either_of_two_secrets() {
        let both = vec![OTHER.to_owned(), SECRET.to_owned()];
        let header = format!("t={T},v1={}", sign(OTHER, T, BODY));
        assert_eq!(verify(Some(&header), BODY, &both, T, 300), Ok(()));
        let header = format!("t={T},v1={}", good());
        assert_eq!(verify(Some(&header), BODY, &both, T, 300), Ok(()));
    }

    #[test]
    fn tolerance_in_both_directions() {
        let header = format!("t={T},v1={}", good());
        assert_eq!(check(&header, BODY, T + 300), Ok(()));
        assert_eq!(check(&header, BODY, T - 300), Ok(()));
        assert_eq!(
            check(&header, BODY, T + 301),
            Err(SignatureError::OutsideTolerance)
        );
        assert_eq!(
            check(&header, BODY, T - 301),
            Err(SignatureError::OutsideTolerance)
        );
        assert_eq!(
            verify(Some(&header), BODY, &secrets(), T + 1000, 1000),
            Ok(()),
            "the tolerance is configurable"
        );
    }

    #[test]
    fn refused_headers() {
        let v1 = good();
        let cases: Vec<(String, SignatureError)> = vec![
            (String::new(), SignatureError::MissingHeader),
            ("   ".into(), SignatureError::MissingHeader),
            ("garbage".into(), SignatureError::Malformed),
            (format!("v1={v1}"), SignatureError::Malformed),
            (format!("t=abc,v1={v1}"), SignatureError::Malformed),
            (format!("t=-{T},v1={v1}"), SignatureError::Malformed),
            (format!("t=+{T},v1={v1}"), SignatureError::Malformed),
            (format!("t={T}.5,v1={v1}"), SignatureError::Malformed),
            (format!("t=,v1={v1}"), SignatureError::Malformed),
            (
                format!("t=99999999999999999999,v1={v1}"),
                SignatureError::Malformed,
            ),
            (format!("t={T}"), SignatureError::NoV1),
            (format!("t={T},v0={v1}"), SignatureError::NoV1),
            (format!("t={T},V1={v1}"), SignatureError::NoV1),
            (format!("t={T},v1="), SignatureError::NoMatch),
            (format!("t={T},v1={}", &v1[..63]), SignatureError::NoMatch),
            (format!("t={T},v1={}", &v1[..32]), SignatureError::NoMatch),
            (format!("t={T},v1={v1}0"), SignatureError::NoMatch),
            (
                format!("t={T},v1={}", v1.to_uppercase()),
                SignatureError::NoMatch,
            ),
            (format!("t={},v1={v1}", T + 1), SignatureError::NoMatch),
            (format!("t={T},v1= {v1}"), SignatureError::NoMatch),
            (
                format!("t={T},v1={}", sign(OTHER, T, BODY)),
                SignatureError::NoMatch,
            ),
        ];
        for (header, expected) in cases {
            assert_eq!(check(&header, BODY, T), Err(expected), "{header:?}");
        }
        assert_eq!(
            verify(None, BODY, &secrets(), T, 300),
            Err(SignatureError::MissingHeader)
        );
    }

    #[test]
    fn the_signature_covers_the_exact_bytes() {
        let header = format!("t={T},v1={}", good());
        let reserialised = br#"{"id": "evt_test_webhook", "object": "event"}"#;
        assert_eq!(
            check(&header, reserialised, T),
            Err(SignatureError::NoMatch)
        );
        let mut flipped = BODY.to_vec();
        flipped[10] ^= 1;
        assert_eq!(check(&header, &flipped, T), Err(SignatureError::NoMatch));
        let mut longer = BODY.to_vec();
        longer.push(b'\n');
        assert_eq!(check(&header, &longer, T), Err(SignatureError::NoMatch));
        assert_eq!(check(&header, b"", T), Err(SignatureError::NoMatch));
    }

    #[test]
    fn headers_that_could_never_verify_are_known_without_the_body() {
        assert_eq!(
            check_header(None, &secrets()),
            Err(SignatureError::MissingHeader)
        );
        assert_eq!(
            check_header(Some("garbage"), &secrets()),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            check_header(Some(&format!("t={T}")), &secrets()),
            Err(SignatureError::NoV1)
        );
        let header = format!("t={T},v1={}", good());
        assert_eq!(
            check_header(Some(&header), &[]),
            Err(SignatureError::NoSecret)
        );
        assert_eq!(check_header(Some(&header), &secrets()), Ok(()));
    }

    #[test]
    fn no_secret_fails_closed() {
        let header = format!("t={T},v1={}", good());
        assert_eq!(
            verify(Some(&header), BODY, &[], T, 300),
            Err(SignatureError::NoSecret)
        );
    }

    #[test]
    fn the_whole_secret_string_is_the_key() {
        let without_prefix = sign("test_secret", T, BODY);
        assert_ne!(without_prefix, good());
        let header = format!("t={T},v1={without_prefix}");
        assert_eq!(check(&header, BODY, T), Err(SignatureError::NoMatch));
    }
}
