//! The shop's Stripe: which one (the mode), the API client, and the types it reads.
//! The same code talks to the embedded emulator, a standalone one, or Stripe itself;
//! only the base URLs and the keys differ.

mod client;
pub mod commands;
mod mode;
mod types;

pub use client::{
    IdempotencyKey, SecretKey, StripeClient, StripeFailure, CANCEL_PARAMETERS, UPDATE_PARAMETERS,
};
pub use mode::{StripeKeys, StripeMode, STRIPE_API_BASE, STRIPE_JS_URL};
pub use types::{
    Address, ApiError, CreatePaymentIntent, CreateRefund, Dispute, PaymentIntent,
    PaymentIntentStatus, Refund, Shipping, REFUND_STATUSES,
};

use super::security::CspSources;
use anyhow::Context;
use stripe_emulator::{Emulator, Options, RunningEmulator};

/// The API version the shop speaks, sent as `Stripe-Version` on every call. The
/// emulator answers in the same version; a test keeps the two equal.
pub const STRIPE_VERSION: &str = "2026-09-30.endive";

/// The configured Stripe, ready to use.
#[derive(Clone)]
pub struct Payments {
    pub client: StripeClient,
    /// Handed to the browser with each payment session: public by design.
    pub publishable_key: String,
    /// Where the page loads Stripe.js from.
    pub js_url: String,
    pub api_base: String,
    /// Nothing is really charged: the emulator, or Stripe's test mode.
    pub test_mode: bool,
    /// Secrets that sign webhooks to `/webhooks/stripe`.
    pub webhook_secrets: Vec<String>,
}

// The webhook secrets never reach a log through `{:?}`.
impl std::fmt::Debug for Payments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Payments")
            .field("client", &self.client)
            .field("publishable_key", &self.publishable_key)
            .field("js_url", &self.js_url)
            .field("api_base", &self.api_base)
            .field("test_mode", &self.test_mode)
            .field("webhook_secrets", &self.webhook_secrets.len())
            .finish()
    }
}

impl Payments {
    /// Connects to the mode's Stripe, each API call allowed `timeout`. The embedded
    /// mode starts the emulator here, with its keys and state under `data_dir`, so
    /// restarts keep working checkouts.
    pub async fn start(
        mode: &StripeMode,
        data_dir: &std::path::Path,
        timeout: std::time::Duration,
    ) -> anyhow::Result<(Self, Option<RunningEmulator>)> {
        let (api_base, js_url, keys, emulator) = match mode {
            StripeMode::Embedded { addr } => {
                let emulator = Emulator::open(Options {
                    state_dir: Some(data_dir.join("stripe-emulator")),
                    // Loopback callers only, which is where tests and developers are.
                    control_api: true,
                    ..Options::default()
                })
                .context("opening the embedded Stripe emulator")?
                .serve(*addr)
                .await
                .with_context(|| {
                    format!("starting the embedded Stripe emulator on {addr} (EMULATOR_ADDR)")
                })?;
                let keys = emulator.keys.clone();
                let base = emulator.base_url.clone();
                let keys = StripeKeys {
                    secret_key: SecretKey::new(keys.secret_key),
                    publishable_key: keys.publishable_key,
                    webhook_secrets: vec![keys.webhook_secret],
                    live: false,
                };
                (
                    base.clone(),
                    format!("{base}/js.stripe.com/v3/"),
                    keys,
                    Some(emulator),
                )
            }
            StripeMode::External {
                api_base,
                js_url,
                keys,
            } => (api_base.clone(), js_url.clone(), keys.clone(), None),
            StripeMode::Stripe { keys } => (
                STRIPE_API_BASE.to_owned(),
                STRIPE_JS_URL.to_owned(),
                keys.clone(),
                None,
            ),
        };
        let payments = Payments {
            client: StripeClient::new(&api_base, keys.secret_key.clone()).with_timeout(timeout),
            publishable_key: keys.publishable_key,
            js_url,
            api_base,
            test_mode: mode.is_test(),
            webhook_secrets: keys.webhook_secrets,
        };
        Ok((payments, emulator))
    }

    /// The origins the Content-Security-Policy must allow for this Stripe: its script,
    /// its frames (the Payment Element, 3-D Secure) and its API.
    pub fn csp_sources(&self) -> CspSources {
        let origins: Vec<String> = if self.api_base == STRIPE_API_BASE {
            [
                "https://js.stripe.com",
                "https://*.js.stripe.com",
                "https://hooks.stripe.com",
                "https://api.stripe.com",
            ]
            .map(str::to_owned)
            .to_vec()
        } else {
            let mut origins = vec![mode::origin(&self.api_base), mode::origin(&self.js_url)];
            origins.dedup();
            origins
        };
        CspSources {
            script: origins.clone(),
            frame: origins.clone(),
            connect: origins,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payments(api_base: &str, js_url: &str) -> Payments {
        Payments {
            client: StripeClient::new(api_base, SecretKey::new("sk_test_51Habcdefgh")),
            publishable_key: "pk_test_51Habcdefgh".into(),
            js_url: js_url.into(),
            api_base: api_base.into(),
            test_mode: true,
            webhook_secrets: vec![],
        }
    }

    #[test]
    fn stripe_itself_gets_stripes_origins_in_every_directive() {
        let sources = payments(STRIPE_API_BASE, STRIPE_JS_URL).csp_sources();
        for directive in [&sources.script, &sources.frame, &sources.connect] {
            for origin in [
                "https://js.stripe.com",
                "https://*.js.stripe.com",
                "https://hooks.stripe.com",
                "https://api.stripe.com",
            ] {
                assert!(directive.iter().any(|o| o == origin), "{origin}");
            }
        }
    }

    #[test]
    fn webhook_secrets_never_print() {
        let mut payments = payments(STRIPE_API_BASE, STRIPE_JS_URL);
        payments.webhook_secrets = vec!["whsec_donotprint123".into()];
        assert!(!format!("{payments:?}").contains("donotprint"));
    }

    /// reqwest is built with a TLS stack: an https URL fails to connect, not with
    /// "scheme is not http", so Stripe itself is reachable where the network allows.
    #[tokio::test]
    async fn the_client_speaks_https() {
        let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = closed.local_addr().unwrap().port();
        drop(closed);
        let client = reqwest::Client::new();
        let error = client
            .get(format!("https://127.0.0.1:{port}/"))
            .send()
            .await
            .unwrap_err();
        assert!(error.is_connect(), "{error:?}");
        assert!(!error.is_builder(), "{error:?}");
    }

    #[test]
    fn an_emulator_gets_only_its_own_origin() {
        let sources = payments(
            "http://127.0.0.2:12111",
            "http://127.0.0.2:12111/js.stripe.com/v3/",
        )
        .csp_sources();
        assert_eq!(sources.script, vec!["http://127.0.0.2:12111".to_owned()]);
        assert_eq!(sources.frame, sources.connect);
    }
}
