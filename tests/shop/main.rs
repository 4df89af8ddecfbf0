//! Integration tests: each spawns the real shop on port 0 with its own database and
//! talks to it over HTTP, as a browser or a hydrated page would.

mod admin;
mod cart;
mod checkout;
mod compression;
mod confirmation;
mod crash;
mod database;
mod expired_carts;
mod helpers;
mod instances;
mod languages;
mod mail;
mod metrics;
mod modes;
mod money_safety;
mod pages;
mod rate_limits;
mod refunds;
mod schema;
mod security;
mod stripe;
mod tax;
mod webhooks;
