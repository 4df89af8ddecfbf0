//! Settings, read once at start-up from the environment (and `.env`).
//!
//! Every variable is documented in `README.md` and `.env.example`.

use super::{security::CspSources, stripe::StripeMode};
use anyhow::{bail, Context};
use std::{
    env,
    net::{IpAddr, SocketAddr},
    path::PathBuf,
    time::Duration,
};

/// The shop's configuration. Built from the environment by [`Config::from_env`], or
/// field by field in tests.
#[derive(Clone, Debug)]
pub struct Config {
    /// Where the HTTP server listens (`LISTEN_ADDR`, else cargo-leptos's
    /// `LEPTOS_SITE_ADDR`, else `127.0.0.1:3000`). Port 0 picks a free port.
    pub listen_addr: SocketAddr,
    /// Directory for the SQLite database and other local state (`DATA_DIR`, default
    /// `data`). Created on first run.
    pub data_dir: PathBuf,
    /// sqlx database URL (`DATABASE_URL`, default `sqlite://<DATA_DIR>/shop.db`).
    pub database_url: String,
    /// The origin shoppers reach the shop at, such as `https://shop.example` behind a
    /// TLS proxy (`PUBLIC_URL`). When it is https, cookies are `Secure` and named
    /// `__Host-…`, and every response carries HSTS. Read again by the Stripe mode: a
    /// non-loopback one refuses the embedded emulator.
    pub public_origin: Option<String>,
    /// `tracing` filter directives (`RUST_LOG`, default `info`).
    pub log_filter: String,
    /// Log lines as JSON objects instead of text (`LOG_FORMAT=json`).
    pub log_json: bool,
    /// How long a cart lives after its last change (`CART_TTL_DAYS`, default 30).
    pub cart_lifetime: Duration,
    /// Extra origins for the Content-Security-Policy (the dev reload socket); the
    /// active Stripe mode adds its own at start-up.
    pub csp_sources: CspSources,
    /// Which Stripe takes the payments (DESIGN.md, "Runtime modes").
    pub stripe: StripeMode,
    /// How long one Stripe API call may take (`STRIPE_TIMEOUT_SECS`, default 20).
    pub stripe_timeout: Duration,
    /// Rate limits: PaymentIntent creation, re-pricing, submits and new carts.
    pub limits: RateLimits,
    /// The reverse proxy whose `X-Forwarded-For` names the client (`TRUSTED_PROXY`, an
    /// IP address). Without it the peer address is the client.
    pub trusted_proxy: Option<IpAddr>,
    /// How far a webhook's signed timestamp may be from now, either way
    /// (`STRIPE_WEBHOOK_TOLERANCE_SECS`, default 300, as Stripe's SDKs).
    pub webhook_tolerance_secs: i64,
    /// How often the reconciler looks for orders stuck waiting on Stripe
    /// (`RECONCILE_EVERY_SECS`, default 60).
    pub reconcile_every: Duration,
    /// How old an order's PaymentIntent must be before the reconciler re-reads it
    /// (`RECONCILE_AFTER_SECS`, default 600).
    pub reconcile_after: Duration,
    /// How long an instance's claim on an inbox event, an email or a Stripe command
    /// lasts before another instance may take the work over (`WORK_LEASE_SECS`,
    /// default 120: longer than a Stripe call's or an SMTP send's timeout, so work is
    /// taken over only from an instance that died).
    pub work_lease: Duration,
    /// This instance's name in its claims on shared work (`INSTANCE_NAME`, such as a
    /// host or pod name: letters, digits, `.`, `_`, `-`; default a random
    /// `inst_…`), so a person reading the database sees which instance holds what.
    pub instance_name: Option<String>,
    /// Where `GET /metrics` is served (`METRICS_ADDR`, such as `127.0.0.1:9090`; off
    /// when unset). Never the shoppers' address: keep it on a private network.
    pub metrics_addr: Option<SocketAddr>,
    /// How often expired carts are deleted (`EXPIRED_CARTS_EVERY_SECS`, default 600).
    pub expired_carts_every: Duration,
    /// How long a submitted order's units stay held for it before they go back on
    /// the shelf and its PaymentIntent is cancelled (`STOCK_HOLD_MINUTES`, default 30).
    pub stock_hold: Duration,
    /// Where email goes (`SMTP_URL`); unset, emails are written to the log.
    pub smtp_url: Option<String>,
    /// The sender of the shop's emails (`MAIL_FROM`).
    pub mail_from: String,
    /// Operators' sessions: idle (`ADMIN_IDLE_MINUTES`, default 30) and absolute
    /// (`ADMIN_SESSION_HOURS`, default 12) timeouts.
    pub admin_sessions: crate::server::store::SessionTimeouts,
    /// Sign-in attempts allowed per client IP and per operator name in 15 minutes,
    /// counted before the password is checked so guessing costs the same either way
    /// (`ADMIN_LOGIN_ATTEMPTS`, default 10).
    pub admin_login_attempts: u32,
}

/// How many PaymentIntents may be created per client IP and per cart in each window,
/// how often a cart may be re-priced and submitted, how many carts a client IP may
/// start, and how many failed payments lock an order.
#[derive(Clone, Copy, Debug)]
pub struct RateLimits {
    /// `PAYMENT_INTENTS_PER_IP`, default 30.
    pub per_ip: u32,
    /// `PAYMENT_INTENTS_PER_CART`, default 10.
    pub per_cart: u32,
    /// `PREPARES_PER_CART`, default 120: each one may call Stripe.
    pub prepares_per_cart: u32,
    /// `SUBMITS_PER_IP`, default 60 checkout submits per client IP.
    pub submits_per_ip: u32,
    /// `SUBMITS_PER_CART`, default 20 checkout submits per cart: a card tester
    /// retrying one cart with card after card.
    pub submits_per_cart: u32,
    /// `CARTS_PER_IP`, default 60 new carts per client IP (each cart brings a fresh
    /// allowance of the per-cart limits).
    pub carts_per_ip: u32,
    /// `RATE_LIMIT_KEYS`, default 50,000: the most clients (IPs, carts) each limit
    /// counts per window. IPv6 networks crowding it are counted as one client per
    /// /48 or /32; past the bound, clients not yet counted are refused until the
    /// window ends.
    pub keys_per_window: usize,
    /// `PAYMENT_FAILURES_BEFORE_LOCK`, default 5 failed attempts on one order within
    /// `failure_window` lock it until the window has passed.
    pub failures_before_lock: u32,
    /// Fifteen minutes.
    pub failure_window: Duration,
    /// Ten minutes.
    pub window: Duration,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            per_ip: 30,
            per_cart: 10,
            prepares_per_cart: 120,
            submits_per_ip: 60,
            submits_per_cart: 20,
            carts_per_ip: 60,
            keys_per_window: 50_000,
            failures_before_lock: 5,
            failure_window: Duration::from_secs(15 * 60),
            window: Duration::from_secs(10 * 60),
        }
    }
}

impl Config {
    /// Reads the configuration from the process environment after loading `.env`
    /// (variables already set win over the file).
    pub fn from_env() -> anyhow::Result<Self> {
        if let Err(error) = dotenvy::dotenv() {
            if !error.not_found() {
                return Err(error).context("reading .env");
            }
        }
        let listen_addr = var("LISTEN_ADDR")
            .or_else(|| var("LEPTOS_SITE_ADDR"))
            .unwrap_or_else(|| "127.0.0.1:3000".to_owned());
        let listen_addr: SocketAddr = listen_addr
            .parse()
            .with_context(|| format!("LISTEN_ADDR {listen_addr:?} is not a socket address"))?;
        let data_dir = PathBuf::from(var("DATA_DIR").unwrap_or_else(|| "data".to_owned()));
        let database_url = var("DATABASE_URL")
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("shop.db").display()));
        let public_origin = var("PUBLIC_URL").map(|url| origin_of(&url)).transpose()?;
        let cart_days: u64 = match var("CART_TTL_DAYS") {
            Some(days) => days
                .parse()
                .ok()
                .filter(|days| (1..=365).contains(days))
                .with_context(|| {
                    format!("CART_TTL_DAYS {days:?} must be a whole number of days from 1 to 365")
                })?,
            None => 30,
        };
        let mut csp_sources = CspSources::default();
        // In `cargo leptos watch` the page opens a websocket to the reload server, on
        // whichever host name the developer typed.
        if var("LEPTOS_WATCH").is_some() {
            let port = var("LEPTOS_RELOAD_PORT").unwrap_or_else(|| "3001".to_owned());
            for host in ["127.0.0.1", "localhost"] {
                csp_sources.connect.push(format!("ws://{host}:{port}"));
            }
        }
        let stripe = StripeMode::from_vars(var, listen_addr)?;
        let stripe_timeout =
            Duration::from_secs(number("STRIPE_TIMEOUT_SECS", 20, 1..=120)?.into());
        let limits = RateLimits {
            per_ip: number("PAYMENT_INTENTS_PER_IP", 30, 1..=1_000_000)?,
            per_cart: number("PAYMENT_INTENTS_PER_CART", 10, 1..=1_000_000)?,
            prepares_per_cart: number("PREPARES_PER_CART", 120, 1..=1_000_000)?,
            submits_per_ip: number("SUBMITS_PER_IP", 60, 1..=1_000_000)?,
            submits_per_cart: number("SUBMITS_PER_CART", 20, 1..=1_000_000)?,
            carts_per_ip: number("CARTS_PER_IP", 60, 1..=1_000_000)?,
            keys_per_window: number("RATE_LIMIT_KEYS", 50_000, 1_000..=10_000_000)?
                .try_into()
                .unwrap_or(usize::MAX),
            failures_before_lock: number("PAYMENT_FAILURES_BEFORE_LOCK", 5, 1..=1_000)?,
            ..RateLimits::default()
        };
        let trusted_proxy = var("TRUSTED_PROXY")
            .map(|ip| {
                ip.parse::<IpAddr>()
                    .with_context(|| format!("TRUSTED_PROXY {ip:?} must be an IP address"))
            })
            .transpose()?;
        let webhook_tolerance_secs =
            i64::from(number("STRIPE_WEBHOOK_TOLERANCE_SECS", 300, 1..=86_400)?);
        let reconcile_every =
            Duration::from_secs(number("RECONCILE_EVERY_SECS", 60, 1..=86_400)?.into());
        let reconcile_after =
            Duration::from_secs(number("RECONCILE_AFTER_SECS", 600, 0..=30 * 86_400)?.into());
        let expired_carts_every =
            Duration::from_secs(number("EXPIRED_CARTS_EVERY_SECS", 600, 1..=86_400)?.into());
        let work_lease = Duration::from_secs(number("WORK_LEASE_SECS", 120, 1..=86_400)?.into());
        let metrics_addr = var("METRICS_ADDR")
            .map(|addr| {
                addr.parse::<SocketAddr>().with_context(|| {
                    format!("METRICS_ADDR {addr:?} must be an address such as 127.0.0.1:9090")
                })
            })
            .transpose()?;
        let instance_name = var("INSTANCE_NAME")
            .map(|name| {
                let fits = (1..=64).contains(&name.len())
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
                anyhow::ensure!(
                    fits,
                    "INSTANCE_NAME {name:?} must be 1 to 64 letters, digits, '.', '_' or '-'"
                );
                Ok(name)
            })
            .transpose()?;
        let stock_hold =
            Duration::from_secs(u64::from(number("STOCK_HOLD_MINUTES", 30, 1..=7 * 24 * 60)?) * 60);
        let admin_sessions = crate::server::store::SessionTimeouts {
            idle_secs: i64::from(number("ADMIN_IDLE_MINUTES", 30, 1..=24 * 60)?) * 60,
            absolute_secs: i64::from(number("ADMIN_SESSION_HOURS", 12, 1..=24 * 30)?) * 3600,
        };
        let admin_login_attempts = number("ADMIN_LOGIN_ATTEMPTS", 10, 1..=10_000)?;
        Ok(Self {
            admin_sessions,
            admin_login_attempts,
            work_lease,
            instance_name,
            metrics_addr,
            expired_carts_every,
            stock_hold,
            smtp_url: var("SMTP_URL"),
            mail_from: var("MAIL_FROM")
                .unwrap_or_else(|| "Storefront <orders@localhost>".to_owned()),
            webhook_tolerance_secs,
            reconcile_every,
            reconcile_after,
            stripe,
            stripe_timeout,
            limits,
            trusted_proxy,
            listen_addr,
            data_dir,
            database_url,
            public_origin,
            log_filter: var("RUST_LOG").unwrap_or_else(|| "info".to_owned()),
            log_json: var("LOG_FORMAT").is_some_and(|format| format == "json"),
            cart_lifetime: Duration::from_secs(cart_days * 24 * 60 * 60),
            csp_sources,
        })
    }

    /// A configuration for tests: a free loopback port and a database in `data_dir`.
    pub fn for_tests(data_dir: PathBuf) -> Self {
        Self {
            listen_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: format!("sqlite://{}", data_dir.join("shop.db").display()),
            data_dir,
            public_origin: None,
            log_filter: "warn".to_owned(),
            log_json: false,
            cart_lifetime: Duration::from_secs(30 * 24 * 60 * 60),
            csp_sources: CspSources::default(),
            // The emulator in-process on a free port, as a developer's run has it.
            stripe: StripeMode::Embedded {
                addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            },
            stripe_timeout: Duration::from_secs(5),
            limits: RateLimits {
                per_ip: 100_000,
                per_cart: 100_000,
                prepares_per_cart: 100_000,
                submits_per_ip: 100_000,
                submits_per_cart: 100_000,
                carts_per_ip: 100_000,
                ..RateLimits::default()
            },
            trusted_proxy: None,
            webhook_tolerance_secs: 300,
            reconcile_every: Duration::from_secs(60),
            reconcile_after: Duration::from_secs(600),
            work_lease: Duration::from_secs(120),
            instance_name: None,
            // On in tests, on loopback: they scrape it.
            metrics_addr: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
            expired_carts_every: Duration::from_secs(600),
            stock_hold: Duration::from_secs(30 * 60),
            smtp_url: None,
            mail_from: "Storefront <orders@localhost>".to_owned(),
            admin_sessions: crate::server::store::SessionTimeouts {
                idle_secs: 30 * 60,
                absolute_secs: 12 * 3600,
            },
            admin_login_attempts: 10,
        }
    }

    /// Whether shoppers reach the shop over https, so cookies must be `Secure` (and
    /// `__Host-` named) and responses carry HSTS.
    pub fn serves_https(&self) -> bool {
        serves_https(self.public_origin.as_deref())
    }
}

/// Whether a shop at `public_origin` is served over https (its cookies then get the
/// `__Host-` prefix and `Secure`).
pub fn serves_https(public_origin: Option<&str>) -> bool {
    public_origin.is_some_and(|origin| origin.starts_with("https://"))
}

/// A whole number from the environment within `range`, or `default` when unset.
fn number(name: &str, default: u32, range: std::ops::RangeInclusive<u32>) -> anyhow::Result<u32> {
    match var(name) {
        None => Ok(default),
        Some(value) => value
            .trim()
            .parse()
            .ok()
            .filter(|n| range.contains(n))
            .with_context(|| {
                format!(
                    "{name} {value:?} must be a whole number from {} to {}",
                    range.start(),
                    range.end()
                )
            }),
    }
}

/// A non-empty environment variable.
fn var(name: &str) -> Option<String> {
    env::var(name).ok().filter(|value| !value.trim().is_empty())
}

/// Reduces a URL to its origin (`scheme://host[:port]`), the form browsers send in
/// the `Origin` header.
fn origin_of(url: &str) -> anyhow::Result<String> {
    let url = url.trim().trim_end_matches('/');
    let Some((scheme, rest)) = url.split_once("://") else {
        bail!("PUBLIC_URL {url:?} must start with http:// or https://");
    };
    if scheme != "http" && scheme != "https" {
        bail!("PUBLIC_URL {url:?} must start with http:// or https://");
    }
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() {
        bail!("PUBLIC_URL {url:?} has no host");
    }
    Ok(format!("{scheme}://{}", host.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_url_is_reduced_to_its_origin() {
        assert_eq!(
            origin_of("https://Shop.Example/store/").unwrap(),
            "https://shop.example"
        );
        assert_eq!(
            origin_of("http://127.0.0.1:3000").unwrap(),
            "http://127.0.0.1:3000"
        );
        assert!(origin_of("shop.example").is_err());
        assert!(origin_of("ftp://shop.example").is_err());
        assert!(origin_of("https://").is_err());
    }

    #[test]
    fn https_origins_make_cookies_secure() {
        let mut config = Config::for_tests(PathBuf::from("unused"));
        assert!(!config.serves_https());
        config.public_origin = Some("https://shop.example".to_owned());
        assert!(config.serves_https());
    }
}
