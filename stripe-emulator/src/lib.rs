//! An offline Stripe for development and tests.
//!
//! It serves the PaymentIntents API, refunds and disputes with Stripe's wire rules
//! (keys, form encoding, idempotency, errors, every released API version), Stripe's
//! test cards and state machines (`machine`, `refunds`, `disputes`; asynchronous
//! outcomes run on the emulator clock), and a test-only control API. Its contract is
//! `shared/stripe/EMULATOR.md`; the request schemas come from Stripe's own OpenAPI
//! spec, and Stripe's official SDKs (stripe-node, stripe-python) drive it unchanged.
//!
//! Embedding it (the shop's default mode):
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use stripe_emulator::{Emulator, Options};
//! let emulator = Emulator::open(Options { control_api: true, ..Options::default() })?;
//! let running = emulator.serve("127.0.0.1:0".parse().unwrap()).await?;
//! println!("{} accepts {}", running.base_url, running.keys.secret_key);
//! # Ok(()) }
//! ```

// Stripe's objects are large `json!` literals.
#![recursion_limit = "256"]
// `ApiError` is the API's answer, built at most once per failed request; boxing it
// would buy nothing measurable.
#![allow(clippy::result_large_err)]

pub mod api;
mod browser;
pub mod cards;
pub mod clock;
mod control;
pub mod currency;
pub mod disputes;
mod due;
mod emulator;
pub mod error;
mod events;
pub mod ids;
mod keys;
pub mod locale;
pub mod machine;
pub mod objects;
pub mod refunds;
pub mod store;
pub mod webhooks;
pub mod wire;

pub use emulator::{Emulator, LoggedRequest, Options, RequestFault, RunningEmulator};
pub use keys::Keys;
pub use webhooks::RetrySchedule;
pub use wire::versions::PINNED as API_VERSION;
