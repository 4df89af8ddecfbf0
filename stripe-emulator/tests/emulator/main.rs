//! The emulator's contract tests: they drive it over HTTP only, as a Stripe SDK does.

mod binary;
mod browser;
mod cards;
mod concurrency;
mod conformance;
mod disputes;
mod events;
mod helpers;
mod idempotency;
mod refunds;
mod state;
mod trust;
mod versions;
mod webhooks;
mod wire;
