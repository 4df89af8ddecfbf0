//! The shop's Stripe API client: the same code talks to the embedded emulator, a
//! standalone one, or Stripe itself; only the base URL and the key differ.

mod client;
mod types;

pub use client::{IdempotencyKey, SecretKey, StripeClient, StripeFailure};
pub use types::{ApiError, CreatePaymentIntent, PaymentIntent, PaymentIntentStatus};

/// The API version the shop speaks, sent as `Stripe-Version` on every call. The
/// emulator answers in the same version; a test keeps the two equal.
pub const STRIPE_VERSION: &str = "2026-09-30.endive";
