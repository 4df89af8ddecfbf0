//! Named crash points, so the crash test can kill the shop between any two steps of
//! taking a webhook in and fulfilling an order, not just wherever a timer lands.
//!
//! `STOREFRONT_CRASH_AT=<point>` makes the process SIGKILL itself the first time it
//! reaches that point: no destructor runs, no buffer is flushed and an open
//! transaction is left for SQLite to roll back, exactly as when the machine's
//! operator (or the OOM killer) kills it. Unset, as always outside that test, a
//! point costs one comparison.

use std::sync::OnceLock;

/// The points, in the order a payment's event passes them.
pub const POINTS: &[&str] = &[
    // The webhook route: the signature checked, nothing stored yet.
    "webhook.verified",
    // The inbox: the batch committed, no 2xx sent yet.
    "inbox.committed",
    // The worker (and the reconciler): the PaymentIntent re-read, nothing applied.
    "worker.read_payment",
    "reconciler.read_payment",
    // A transaction that fulfils an order, step by step (one that changes nothing,
    // or only the status, passes none of them).
    "fulfil.began",
    "fulfil.stock_taken",
    "fulfil.mail_queued",
    "fulfil.before_commit",
    "fulfil.committed",
    // The mail sender: the email handed over, not yet recorded as sent.
    "mail.sent",
];

static ARMED: OnceLock<Option<String>> = OnceLock::new();

/// Dies here, by SIGKILL, when `STOREFRONT_CRASH_AT` names `point`.
pub fn reached(point: &'static str) {
    debug_assert!(POINTS.contains(&point), "unlisted crash point {point}");
    let armed = ARMED.get_or_init(|| std::env::var("STOREFRONT_CRASH_AT").ok());
    if armed.as_deref() == Some(point) {
        eprintln!("crash point {point} reached: SIGKILL");
        // SAFETY: kill(2) takes plain integers and touches no memory of ours.
        unsafe {
            libc::kill(libc::getpid(), libc::SIGKILL);
        }
    }
}
