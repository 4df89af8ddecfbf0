//! The Stripe objects the emulator keeps, and how each is rendered.

mod charge;
mod dispute;
mod event;
mod payment_intent;
mod payment_method;
mod refund;
mod webhook_endpoint;

pub use charge::{Charge, ChargeStatus};
pub use dispute::{Dispute, DisputeFunds, DisputeStatus, EVIDENCE_FIELDS};
pub use event::{Event, Snapshot};
pub use payment_intent::{Audience, PaymentIntent, Status};
pub use payment_method::{render_billing_details, BillingDetails, Card, PaymentMethod};
pub use refund::{Refund, RefundStatus, ScheduledOutcome};
pub use webhook_endpoint::WebhookEndpoint;
