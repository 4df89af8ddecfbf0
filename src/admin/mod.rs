//! The operator's side (DESIGN.md, "Operators"): accounts made on the server with
//! `storefront operator add NAME`, sessions in the database, and `/admin` pages for
//! orders, refunds, disputes, the inbox and the command queue.
//!
//! Server-only, unlike the shop's features: the pages are Leptos views rendered on the
//! server and never hydrated (forms and redirects, no JavaScript), so operators' code
//! adds nothing to the wasm every shopper downloads. The admin is off (its pages
//! answer 404) until an operator account exists.

pub mod cli;
mod pages;
pub mod passwords;
mod routes;
pub mod session;

pub use routes::{parse_amount, router};
