//! The API keys and webhook secret the emulator accepts.

use serde::{Deserialize, Serialize};

use crate::ids::IdSource;

/// One account's credentials, in Stripe's test-mode formats.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Keys {
    /// `pk_test_...`: for Stripe.js in the browser.
    pub publishable_key: String,
    /// `sk_test_...`: for the shop's server.
    pub secret_key: String,
    /// `whsec_...`: signs webhook deliveries.
    pub webhook_secret: String,
}

// Secrets never reach a log through `{:?}`.
impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys")
            .field("publishable_key", &self.publishable_key)
            .field("secret_key", &crate::error::mask_key(&self.secret_key))
            .field("webhook_secret", &"whsec_…")
            .finish()
    }
}

impl Keys {
    /// New random keys.
    pub fn generate() -> Keys {
        let mut ids = IdSource::default();
        Keys {
            publishable_key: format!("pk_test_{}", ids.token(99)),
            secret_key: format!("sk_test_{}", ids.token(99)),
            webhook_secret: format!("whsec_{}", ids.token(32)),
        }
    }

    pub(crate) fn placeholder() -> Keys {
        Keys {
            publishable_key: String::new(),
            secret_key: String::new(),
            webhook_secret: String::new(),
        }
    }

    /// Checks that each key has the shape Stripe gives it.
    pub fn validate(&self) -> Result<(), String> {
        let ok = |value: &str, prefix: &str| {
            value.len() > prefix.len() + 8
                && value.starts_with(prefix)
                && value[prefix.len()..]
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        };
        if !ok(&self.publishable_key, "pk_test_") {
            return Err(
                "the publishable key must look like pk_test_ followed by letters and digits".into(),
            );
        }
        if !ok(&self.secret_key, "sk_test_") {
            return Err(
                "the secret key must look like sk_test_ followed by letters and digits".into(),
            );
        }
        if !ok(&self.webhook_secret, "whsec_") {
            return Err(
                "the webhook secret must look like whsec_ followed by letters and digits".into(),
            );
        }
        Ok(())
    }
}
