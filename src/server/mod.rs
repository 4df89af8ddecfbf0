//! Server-only code: configuration, state, the database, HTTP layers and start-up.
//! Compiled only with the `ssr` feature, so none of it reaches the wasm bundle.

pub mod accept_encoding;
pub mod cart_cookie;
pub mod config;
pub mod cookies;
pub mod crash_point;
pub mod expired_carts;
pub mod fulfilment;
pub mod health;
pub mod locale;
pub mod logging;
pub mod metrics;
pub mod order_access;
pub mod page_cache;
pub mod rate_limit;
pub mod security;
pub mod server_fn_status;
pub mod shopper;
pub mod startup;
pub mod static_files;
pub mod store;
pub mod stripe;
pub mod webhooks;

pub use config::Config;
pub use startup::{run, Application};

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// Everything a request handler or server function may need, shared by all requests.
///
/// One pointer: axum clones every route's whole service (its layers' states and its
/// handler's) for each request, so a state of many `Arc`s cost a few dozen atomic
/// increments and decrements per request on counters every core shares. Profiled on
/// the cached catalog page, cloning and dropping it was a third of the CPU samples.
#[derive(Clone, Debug)]
pub struct AppState(Arc<Shared>);

/// What [`AppState`] points to; its fields are read through the state (`state.store`).
#[derive(Debug)]
pub struct Shared {
    pub leptos_options: LeptosOptions,
    pub store: store::Store,
    pub config: Arc<Config>,
    /// The Stripe of the active mode.
    pub payments: Arc<stripe::Payments>,
    pub limits: Arc<rate_limit::PaymentLimits>,
    /// One prepare or submit at a time per cart.
    pub cart_locks: Arc<rate_limit::TurnLocks>,
    /// One read-and-apply at a time per PaymentIntent (worker and reconciler).
    pub payment_locks: Arc<rate_limit::TurnLocks>,
    /// Where verified webhook events are written.
    pub inbox: webhooks::inbox::Inbox,
    /// This shop's counters and durations, for `/metrics`.
    pub metrics: Arc<metrics::Metrics>,
}

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// Leptos's handlers read their options from the state.
impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// Lowercase hexadecimal SHA-256 of `data`: how the shop stores bearer tokens and
/// client secrets (never in clear) and derives stable ids and idempotency keys.
pub fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}
