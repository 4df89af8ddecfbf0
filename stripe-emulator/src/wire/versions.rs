//! `Stripe-Version`: the versions we answer to, and the one we answer with.

/// The version the emulator renders objects in and stamps on events. The shop's
/// Stripe client pins the same one.
pub const PINNED: &str = "2026-09-30.endive";

/// Versions a client may ask for; anything else is refused as Stripe refuses it.
pub const KNOWN: &[&str] = &[
    PINNED,
    "2025-09-30.clover",
    "2025-03-31.basil",
    "2024-09-30.acacia",
    "2024-06-20",
    "2024-04-10",
    "2023-10-16",
    "2023-08-16",
];

/// Whether `version` is on the list.
pub fn is_known(version: &str) -> bool {
    KNOWN.contains(&version)
}
