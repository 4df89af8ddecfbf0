//! Build steps: the database migrations are embedded, and the shop's strings in
//! `locales/*.json` become the typed `i18n` module (a missing key fails the build).

use leptos_i18n_build::{Config, ParseOptions, TranslationsInfos};
use std::{error::Error, path::PathBuf};

fn main() -> Result<(), Box<dyn Error>> {
    // sqlx::migrate! embeds migrations at compile time; rebuild when they change.
    println!("cargo:rerun-if-changed=migrations/sqlite");
    println!("cargo:rerun-if-changed=migrations/postgres");
    println!("cargo:rerun-if-changed=build.rs");

    let out = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?).join("i18n");
    // `{{ total }}` and friends are written into strings (emails, attributes, errors).
    let options = ParseOptions::default().interpolate_display(true);
    let config = Config::new("en")?
        .add_locale("zh-CN")?
        // One file per feature module and language: `locales/en/checkout.json`.
        .add_namespaces([
            "site", "catalog", "cart", "checkout", "order", "errors", "emails",
        ])?
        .parse_options(options);
    let translations = TranslationsInfos::parse(config)?;
    translations.emit_diagnostics();
    translations.rerun_if_locales_changed();
    translations.generate_i18n_module(out)?;
    Ok(())
}
