//! The Stripe objects the emulator keeps, and how each is rendered.

mod charge;
mod payment_intent;
mod payment_method;
mod refund;

pub use charge::{approved_outcome, declined_outcome, Charge, ChargeStatus};
pub use payment_intent::{Audience, PaymentIntent, Status};
pub use payment_method::{billing_details, Card, PaymentMethod};
pub use refund::Refund;
