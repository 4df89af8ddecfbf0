//! Which Stripe the shop talks to (DESIGN.md, "Runtime modes"), chosen once at start-up
//! from the environment, with every key checked for shape before anything listens.

use super::client::SecretKey;
use anyhow::{bail, Context};
use std::net::SocketAddr;

/// Stripe's own API and script, for the real mode.
pub const STRIPE_API_BASE: &str = "https://api.stripe.com";
pub const STRIPE_JS_URL: &str = "https://js.stripe.com/v3/";

/// Where the shop's Stripe is.
#[derive(Clone, Debug)]
pub enum StripeMode {
    /// No keys set: the emulator runs in-process on this loopback address, with keys
    /// generated once and kept in the data directory.
    Embedded { addr: SocketAddr },
    /// Test keys plus `STRIPE_API_BASE` and `STRIPE_JS_URL`: a standalone emulator.
    External {
        api_base: String,
        js_url: String,
        keys: StripeKeys,
    },
    /// Keys and nothing else: Stripe itself.
    Stripe { keys: StripeKeys },
}

/// An account's keys, shape-checked.
#[derive(Clone)]
pub struct StripeKeys {
    pub secret_key: SecretKey,
    pub publishable_key: String,
    /// `STRIPE_WEBHOOK_SECRET`: one or more `whsec_...`, comma-separated (rotation,
    /// `stripe listen`).
    pub webhook_secrets: Vec<String>,
    /// `sk_live_`/`pk_live_`: real money.
    pub live: bool,
}

impl std::fmt::Debug for StripeKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeKeys")
            .field("secret_key", &self.secret_key)
            .field("publishable_key", &self.publishable_key)
            .field("webhook_secrets", &self.webhook_secrets.len())
            .field("live", &self.live)
            .finish()
    }
}

impl StripeMode {
    /// Reads the mode from environment variables (`var` returns non-empty values only).
    /// `listen_addr` is where the shop will listen: the embedded emulator is refused on
    /// a non-loopback address, or with a `PUBLIC_URL` that is not loopback, unless
    /// `ALLOW_EMULATOR=1`, so a production deploy that forgot its keys fails loudly
    /// instead of taking pretend payments.
    pub fn from_vars(
        var: impl Fn(&str) -> Option<String>,
        listen_addr: SocketAddr,
    ) -> anyhow::Result<Self> {
        let secret = var("STRIPE_SECRET_KEY");
        let publishable = var("STRIPE_PUBLISHABLE_KEY");
        let api_base = var("STRIPE_API_BASE");
        let js_url = var("STRIPE_JS_URL");
        let (secret, publishable) = match (secret, publishable) {
            (None, None) => {
                if api_base.is_some() || js_url.is_some() {
                    bail!(
                        "STRIPE_API_BASE and STRIPE_JS_URL point at an external Stripe emulator, \
                         which also needs STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY and \
                         STRIPE_WEBHOOK_SECRET (the emulator prints them when it starts)"
                    );
                }
                let allowed = var("ALLOW_EMULATOR").is_some_and(|value| value == "1");
                let addr: SocketAddr = var("EMULATOR_ADDR")
                    .unwrap_or_else(|| "127.0.0.1:12111".to_owned())
                    .parse()
                    .context("EMULATOR_ADDR must be an address and port, like 127.0.0.1:12111")?;
                if !allowed && !(listen_addr.ip().is_loopback() && addr.ip().is_loopback()) {
                    bail!(
                        "no Stripe keys are set, so the shop would take payments through its \
                         built-in Stripe emulator, but it listens on {listen_addr} (emulator \
                         {addr}), which is not a loopback address. Set STRIPE_SECRET_KEY, \
                         STRIPE_PUBLISHABLE_KEY and STRIPE_WEBHOOK_SECRET to take real payments, \
                         or ALLOW_EMULATOR=1 if this really is a test deployment"
                    );
                }
                // Behind a reverse proxy the shop listens on loopback while shoppers
                // reach it at PUBLIC_URL: that address, not the socket, says whether
                // the public can pay here.
                if let Some(public_url) = var("PUBLIC_URL").filter(|url| !is_loopback_url(url)) {
                    if !allowed {
                        bail!(
                            "no Stripe keys are set, so the shop would take payments through \
                             its built-in Stripe emulator, but PUBLIC_URL={public_url} says \
                             shoppers reach it at an address that is not loopback. Set \
                             STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY and STRIPE_WEBHOOK_SECRET \
                             to take real payments, or ALLOW_EMULATOR=1 if this really is a \
                             test deployment"
                        );
                    }
                }
                return Ok(StripeMode::Embedded { addr });
            }
            (Some(secret), Some(publishable)) => (secret, publishable),
            _ => bail!("set both STRIPE_SECRET_KEY and STRIPE_PUBLISHABLE_KEY, or neither"),
        };
        let keys = StripeKeys::parse(&secret, &publishable, var("STRIPE_WEBHOOK_SECRET"))?;
        match (api_base, js_url) {
            (None, None) => Ok(StripeMode::Stripe { keys }),
            (Some(api_base), Some(js_url)) => {
                let api_base = http_url("STRIPE_API_BASE", &api_base)?
                    .trim_end_matches('/')
                    .to_owned();
                // The secret key travels in every request: in clear only to this machine.
                if api_base.starts_with("http://") && !is_loopback_url(&api_base) {
                    bail!(
                        "STRIPE_API_BASE={api_base} would send the secret key unencrypted; use \
                         https://, or http:// only on a loopback address"
                    );
                }
                let js_url = http_url("STRIPE_JS_URL", &js_url)?;
                if api_base == STRIPE_API_BASE {
                    return Ok(StripeMode::Stripe { keys });
                }
                if keys.live {
                    bail!(
                        "live keys (sk_live_/pk_live_) are only used with Stripe itself, never \
                         with STRIPE_API_BASE={api_base}"
                    );
                }
                Ok(StripeMode::External {
                    api_base,
                    js_url,
                    keys,
                })
            }
            _ => bail!("set both STRIPE_API_BASE and STRIPE_JS_URL (an external emulator), or neither (Stripe)"),
        }
    }

    /// Whether payments are pretend: the emulator, or Stripe's test mode.
    pub fn is_test(&self) -> bool {
        match self {
            StripeMode::Embedded { .. } => true,
            StripeMode::External { keys, .. } | StripeMode::Stripe { keys } => !keys.live,
        }
    }
}

impl StripeKeys {
    /// Checks each key's shape and that they belong to the same mode.
    pub fn parse(
        secret: &str,
        publishable: &str,
        webhook_secrets: Option<String>,
    ) -> anyhow::Result<Self> {
        let secret_live = match key_mode(secret, &["sk_", "rk_"]) {
            Some(live) => live,
            None => bail!(
                "STRIPE_SECRET_KEY must look like sk_test_… or sk_live_… (letters and digits)"
            ),
        };
        let publishable_live = match key_mode(publishable, &["pk_"]) {
            Some(live) => live,
            None => bail!(
                "STRIPE_PUBLISHABLE_KEY must look like pk_test_… or pk_live_… (letters and digits)"
            ),
        };
        if secret_live != publishable_live {
            bail!("STRIPE_SECRET_KEY and STRIPE_PUBLISHABLE_KEY must both be test keys or both live keys");
        }
        let Some(webhook_secrets) = webhook_secrets else {
            bail!(
                "STRIPE_WEBHOOK_SECRET is required with Stripe keys: without it no webhook \
                 could be verified, and only webhooks mark orders paid"
            );
        };
        let webhook_secrets: Vec<String> = webhook_secrets
            .split(',')
            .map(|secret| secret.trim().to_owned())
            .filter(|secret| !secret.is_empty())
            .collect();
        let well_formed = |secret: &String| {
            secret.strip_prefix("whsec_").is_some_and(|rest| {
                rest.len() >= 8 && rest.bytes().all(|b| b.is_ascii_alphanumeric())
            })
        };
        if webhook_secrets.is_empty() || !webhook_secrets.iter().all(well_formed) {
            bail!("STRIPE_WEBHOOK_SECRET must be one or more whsec_… secrets, comma-separated");
        }
        Ok(Self {
            secret_key: SecretKey::new(secret),
            publishable_key: publishable.to_owned(),
            webhook_secrets,
            live: secret_live,
        })
    }
}

/// `Some(live)` for `{prefix}test_…`/`{prefix}live_…` followed by at least eight
/// letters, digits or underscores.
fn key_mode(key: &str, prefixes: &[&str]) -> Option<bool> {
    prefixes.iter().find_map(|prefix| {
        let rest = key.strip_prefix(prefix)?;
        let (live, tail) = if let Some(tail) = rest.strip_prefix("live_") {
            (true, tail)
        } else {
            (false, rest.strip_prefix("test_")?)
        };
        (tail.len() >= 8 && tail.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
            .then_some(live)
    })
}

/// Checks that `url` is an absolute http(s) URL with a host.
fn http_url(name: &str, url: &str) -> anyhow::Result<String> {
    let url = url.trim();
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(rest) if !rest.is_empty() && !rest.starts_with('/') => Ok(url.to_owned()),
        _ => bail!("{name} must be an http:// or https:// URL, not {url:?}"),
    }
}

/// Whether an http(s) URL's host is a loopback address (or `localhost`). Anything it
/// cannot read is not loopback: the callers refuse what is not.
fn is_loopback_url(url: &str) -> bool {
    let rest = url.trim().split_once("://").map_or("", |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    // `user@host`: the host is what follows the last `@`.
    let host_port = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let host = match host_port.strip_prefix('[') {
        Some(bracketed) => bracketed.split_once(']').map_or("", |(host, _)| host),
        None => host_port.split(':').next().unwrap_or(""),
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `scheme://host[:port]` of a URL already checked by [`http_url`].
pub fn origin(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("https", url));
    let host = rest.split('/').next().unwrap_or_default();
    format!("{scheme}://{host}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const SK: &str = "sk_test_51Habcdefgh";
    const PK: &str = "pk_test_51Habcdefgh";
    const WH: &str = "whsec_abcdefgh1234";
    // Live-shaped keys are assembled, so no live-looking secret sits in the source.
    const LIVE_SK: &str = concat!("sk_", "live_", "51Habcdefgh");
    const LIVE_PK: &str = concat!("pk_", "live_", "51Habcdefgh");

    fn mode(vars: &[(&str, &str)], listen: &str) -> anyhow::Result<StripeMode> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        StripeMode::from_vars(|name| vars.get(name).cloned(), listen.parse().unwrap())
    }

    #[test]
    fn no_keys_is_the_embedded_emulator_on_loopback_only() {
        let embedded = mode(&[], "127.0.0.1:3000").unwrap();
        assert!(matches!(embedded, StripeMode::Embedded { addr } if addr.port() == 12111));
        assert!(embedded.is_test());
        let refused = mode(&[], "0.0.0.0:3000").unwrap_err().to_string();
        assert!(refused.contains("ALLOW_EMULATOR=1"), "{refused}");
        assert!(mode(&[("EMULATOR_ADDR", "0.0.0.0:12111")], "127.0.0.1:3000").is_err());
        assert!(mode(&[("ALLOW_EMULATOR", "1")], "0.0.0.0:3000").is_ok());
        assert!(mode(&[("EMULATOR_ADDR", "nowhere")], "127.0.0.1:3000").is_err());
    }

    #[test]
    fn the_embedded_emulator_refuses_a_public_url_behind_a_proxy() {
        for public in [
            "https://shop.example",
            "http://shop.example:3000",
            "http://10.0.0.5:3000",
            "http://127.0.0.1.nip.io",
            "http://localhost.shop.example",
            "http://127.0.0.1@shop.example",
            "http://[::ffff:127.0.0.1]:3000",
        ] {
            let refused = mode(&[("PUBLIC_URL", public)], "127.0.0.1:3000")
                .unwrap_err()
                .to_string();
            assert!(
                refused.contains("PUBLIC_URL") && refused.contains("ALLOW_EMULATOR=1"),
                "{public}: {refused}"
            );
            assert!(
                mode(
                    &[("PUBLIC_URL", public), ("ALLOW_EMULATOR", "1")],
                    "127.0.0.1:3000"
                )
                .is_ok(),
                "{public} with ALLOW_EMULATOR=1"
            );
        }
        for public in [
            "http://127.0.0.1:3000",
            "http://localhost:3000",
            "http://LOCALHOST:3000/",
            "http://[::1]:3000",
            "http://[::1]",
            "http://127.0.0.2",
            "https://localhost/shop",
        ] {
            assert!(
                mode(&[("PUBLIC_URL", public)], "127.0.0.1:3000").is_ok(),
                "{public} is loopback"
            );
        }
    }

    #[test]
    fn keys_alone_are_stripe_itself() {
        let vars = [
            ("STRIPE_SECRET_KEY", SK),
            ("STRIPE_PUBLISHABLE_KEY", PK),
            ("STRIPE_WEBHOOK_SECRET", WH),
        ];
        let real = mode(&vars, "0.0.0.0:3000").unwrap();
        assert!(matches!(real, StripeMode::Stripe { .. }));
        let live = [
            ("STRIPE_SECRET_KEY", LIVE_SK),
            ("STRIPE_PUBLISHABLE_KEY", LIVE_PK),
            ("STRIPE_WEBHOOK_SECRET", WH),
        ];
        let live = mode(&live, "0.0.0.0:3000").unwrap();
        assert!(!live.is_test());
    }

    #[test]
    fn an_external_emulator_takes_test_keys_only() {
        let mut vars = vec![
            ("STRIPE_SECRET_KEY", SK),
            ("STRIPE_PUBLISHABLE_KEY", PK),
            ("STRIPE_WEBHOOK_SECRET", WH),
            ("STRIPE_API_BASE", "http://127.0.0.2:12111/"),
            ("STRIPE_JS_URL", "http://127.0.0.2:12111/js.stripe.com/v3/"),
        ];
        match mode(&vars, "127.0.0.1:3000").unwrap() {
            StripeMode::External {
                api_base, js_url, ..
            } => {
                assert_eq!(api_base, "http://127.0.0.2:12111");
                assert_eq!(js_url, "http://127.0.0.2:12111/js.stripe.com/v3/");
            }
            other => panic!("{other:?}"),
        }
        vars[0] = ("STRIPE_SECRET_KEY", LIVE_SK);
        vars[1] = ("STRIPE_PUBLISHABLE_KEY", LIVE_PK);
        let refused = mode(&vars, "127.0.0.1:3000").unwrap_err().to_string();
        assert!(refused.contains("live keys"), "{refused}");
        assert!(
            mode(&vars[..4], "127.0.0.1:3000").is_err(),
            "the script URL is required too"
        );
    }

    #[test]
    fn malformed_or_mismatched_keys_are_refused_at_start() {
        for (secret, publishable, webhook) in [
            ("sk_test_", PK, WH),
            ("pk_test_51Habcdefgh", PK, WH),
            (SK, "sk_test_51Habcdefgh", WH),
            (SK, LIVE_PK, WH),
            (SK, PK, "secret"),
            (SK, PK, "whsec_"),
            ("sk_test_51H abc defgh", PK, WH),
        ] {
            assert!(
                StripeKeys::parse(secret, publishable, Some(webhook.into())).is_err(),
                "{secret} {publishable} {webhook}"
            );
        }
        assert!(
            StripeKeys::parse(SK, PK, None).is_err(),
            "webhook secret required"
        );
        let keys = StripeKeys::parse(SK, PK, Some(format!("{WH}, whsec_zyxwvuts9876"))).unwrap();
        assert_eq!(keys.webhook_secrets.len(), 2);
        assert!(
            !format!("{keys:?}").contains("abcdefgh1234"),
            "secrets never print"
        );
        assert!(mode(&[("STRIPE_SECRET_KEY", SK)], "127.0.0.1:3000").is_err());
    }

    #[test]
    fn the_secret_key_goes_in_clear_only_to_this_machine() {
        let vars = |base: &'static str| {
            vec![
                ("STRIPE_SECRET_KEY", SK),
                ("STRIPE_PUBLISHABLE_KEY", PK),
                ("STRIPE_WEBHOOK_SECRET", WH),
                ("STRIPE_API_BASE", base),
                ("STRIPE_JS_URL", "http://127.0.0.1:12111/js.stripe.com/v3/"),
            ]
        };
        assert!(mode(&vars("http://emulator.internal:12111"), "127.0.0.1:3000").is_err());
        assert!(mode(&vars("https://emulator.internal:12111"), "127.0.0.1:3000").is_ok());
        assert!(mode(&vars("http://localhost:12111"), "127.0.0.1:3000").is_ok());
        assert!(mode(&vars("http://[::1]:12111"), "127.0.0.1:3000").is_ok());
    }

    #[test]
    fn origins_are_scheme_and_host() {
        assert_eq!(
            origin("http://127.0.0.2:12111/js.stripe.com/v3/"),
            "http://127.0.0.2:12111"
        );
        assert_eq!(origin(STRIPE_JS_URL), "https://js.stripe.com");
    }
}
