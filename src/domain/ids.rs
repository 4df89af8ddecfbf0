//! Ids that arrive from outside (a form, a return address, a webhook), parsed once at
//! the edge: past it, a value of one of these types has the shape Stripe or the shop
//! gives it, so nothing malformed reaches the database, a log line or a Stripe URL.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Stripe's ids and secrets are short; anything longer is not one.
const MAX_LEN: usize = 255;

fn alphanumeric(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Letters, digits and underscores: what follows the prefix of Stripe's object ids.
fn word(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// A Stripe PaymentIntent id: `pi_` then letters, digits or underscores.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PaymentIntentId(String);

impl PaymentIntentId {
    /// The id, if `raw` has the shape of one.
    pub fn parse(raw: &str) -> Option<Self> {
        (raw.len() <= MAX_LEN && raw.strip_prefix("pi_").is_some_and(word))
            .then(|| Self(raw.to_owned()))
    }

    /// Whether `secret` has the shape of a client secret Stripe issued for this
    /// PaymentIntent: `{id}_secret_` then letters and digits. (Only the stored hash
    /// says whether it is the real one.)
    pub fn issued(&self, secret: &str) -> bool {
        secret.len() <= MAX_LEN
            && secret
                .strip_prefix(self.0.as_str())
                .and_then(|rest| rest.strip_prefix("_secret_"))
                .is_some_and(alphanumeric)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A Stripe event id: `evt_` then letters, digits or underscores.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EventId(String);

impl EventId {
    /// The id, if `raw` has the shape of one.
    pub fn parse(raw: &str) -> Option<Self> {
        (raw.len() <= MAX_LEN && raw.strip_prefix("evt_").is_some_and(word))
            .then(|| Self(raw.to_owned()))
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// The reference a shopper sees for an order (`R…`): letters and digits.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OrderReference(String);

impl OrderReference {
    /// The reference, if `raw` has the shape of one.
    pub fn parse(raw: &str) -> Option<Self> {
        (raw.len() <= 64 && alphanumeric(raw)).then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! display_as_str {
    ($($id:ty),*) => {$(
        impl fmt::Display for $id {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    )*};
}
display_as_str!(PaymentIntentId, EventId, OrderReference);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payment_intent_ids_have_stripes_shape() {
        assert!(PaymentIntentId::parse("pi_3NabcDEF123").is_some());
        assert!(PaymentIntentId::parse("pi_made_by_a_test").is_some());
        for bad in [
            "",
            "pi_",
            "pi_abc def",
            "pi_abc/../x",
            "pm_abc",
            "pi_abc-def",
            "PI_abc",
        ] {
            assert!(PaymentIntentId::parse(bad).is_none(), "{bad:?}");
        }
        assert!(PaymentIntentId::parse(&format!("pi_{}", "a".repeat(300))).is_none());
    }

    #[test]
    fn a_client_secret_must_name_its_own_payment_intent() {
        let id = PaymentIntentId::parse("pi_abc123").unwrap();
        assert!(id.issued("pi_abc123_secret_XYZ789"));
        for bad in [
            "pi_other_secret_XYZ789",
            "pi_abc123_secret_",
            "pi_abc123_secret_XY Z",
            "pi_abc123_XYZ789",
            "",
        ] {
            assert!(!id.issued(bad), "{bad:?}");
        }
    }

    #[test]
    fn stripes_return_parameters_must_have_stripes_shapes() {
        let returned =
            |id: &str, secret: &str| PaymentIntentId::parse(id).is_some_and(|id| id.issued(secret));
        assert!(returned("pi_123abc", "pi_123abc_secret_XyZ9"));
        for (id, secret) in [
            ("", "pi_1_secret_a"),
            ("pi_1", ""),
            ("pi_", "pi__secret_a"),
            ("ch_1", "ch_1_secret_a"),
            ("pi_1", "pi_2_secret_a"),
            ("pi_1", "pi_1_secret_"),
            ("pi_1", "pi_1_secret_a<script>"),
            ("pi_1'--", "pi_1'--_secret_a"),
        ] {
            assert!(!returned(id, secret), "{id} {secret}");
        }
        let long = format!("pi_{}", "a".repeat(300));
        assert!(!returned(&long, &format!("{long}_secret_a")));
    }

    #[test]
    fn event_ids_and_order_references_have_their_shapes() {
        assert!(EventId::parse("evt_1Nabc_def").is_some());
        for bad in ["", "evt_", "evt_a b", "evt_a\"b", "pi_abc"] {
            assert!(EventId::parse(bad).is_none(), "{bad:?}");
        }
        assert!(OrderReference::parse("R7K2Q9").is_some());
        for bad in ["", "R 7", "R-7", &"R".repeat(65)] {
            assert!(OrderReference::parse(bad).is_none(), "{bad:?}");
        }
    }
}
