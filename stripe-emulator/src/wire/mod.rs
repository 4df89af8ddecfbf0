//! Stripe's wire rules: form encoding, request validation, keys and API versions.

pub mod auth;
pub mod form;
pub mod schema;
pub mod versions;
