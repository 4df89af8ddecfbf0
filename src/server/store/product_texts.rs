//! Products' names and descriptions in the shopper's language. The catalog's own
//! columns are English; `product_translations` holds any other language, and a
//! product without a translation keeps its English text rather than showing nothing.

use super::{
    database_error,
    engine::{fetch_all, fetch_optional, Tx},
    Store, StoreError,
};
use crate::{
    domain::{CartView, Product, ProductId, ShopError},
    i18n::Locale,
};
use std::collections::HashMap;

/// (name, description) by product id.
type Texts = HashMap<String, (String, String)>;

const TEXTS: &str =
    "SELECT product_id, name, description FROM product_translations WHERE locale = $1";

impl Store {
    /// The catalog in `locale`.
    pub async fn products_in(&self, locale: Locale) -> Result<Vec<Product>, ShopError> {
        let mut products = self.products().await?;
        if locale != Locale::en {
            let texts = self.texts(locale).await?;
            for product in &mut products {
                if let Some((name, description)) = texts.get(product.id.as_str()) {
                    product.name.clone_from(name);
                    product.description.clone_from(description);
                }
            }
        }
        Ok(products)
    }

    /// The cart's lines, their names in `locale`.
    pub async fn cart_view_in(&self, cart_id: &str, locale: Locale) -> Result<CartView, ShopError> {
        let mut view = self.cart_view(cart_id).await?;
        if locale != Locale::en {
            rename(&mut view, &self.texts(locale).await?);
        }
        Ok(view)
    }

    /// A stock refusal for `product`, worded for a shopper reading `locale`: the
    /// store's transactions name products in English, and only a refusal needs the
    /// translation, so it is looked up then.
    pub async fn stock_refusal_in(
        &self,
        error: ShopError,
        product: &ProductId,
        locale: Locale,
    ) -> ShopError {
        if locale == Locale::en
            || !matches!(
                error,
                ShopError::SoldOut { .. } | ShopError::NotEnoughStock { .. }
            )
        {
            return error;
        }
        let name: Result<Option<String>, _> = fetch_optional!(
            self.pool,
            sqlx::query_scalar(
                "SELECT name FROM product_translations WHERE locale = $1 AND product_id = $2"
            )
            .bind(leptos_i18n::Locale::as_str(locale))
            .bind(product.as_str())
        );
        match name {
            Ok(Some(name)) => error.naming(name),
            // No translation, or the database could not say: the English name still
            // explains the refusal, and the refusal is what matters.
            _ => error,
        }
    }

    async fn texts(&self, locale: Locale) -> Result<Texts, ShopError> {
        let rows: Vec<(String, String, String)> = fetch_all!(
            self.pool,
            sqlx::query_as(TEXTS).bind(leptos_i18n::Locale::as_str(locale))
        )
        .map_err(database_error("reading product translations"))?;
        Ok(collect(rows))
    }
}

/// Names the lines of `view` in `locale`, inside `tx` (the lock copies these names into
/// the order, so its page and emails read as the shopper read the cart).
pub(super) async fn rename_in(
    tx: &mut Tx,
    view: &mut CartView,
    locale: &str,
) -> Result<(), StoreError> {
    if locale == "en" {
        return Ok(());
    }
    let rows: Vec<(String, String, String)> = fetch_all!(tx, sqlx::query_as(TEXTS).bind(locale))
        .map_err(database_error("reading product translations"))?;
    rename(view, &collect(rows));
    Ok(())
}

fn collect(rows: Vec<(String, String, String)>) -> Texts {
    rows.into_iter()
        .map(|(id, name, description)| (id, (name, description)))
        .collect()
}

fn rename(view: &mut CartView, texts: &Texts) {
    for line in &mut view.lines {
        if let Some((name, _)) = texts.get(line.product_id.as_str()) {
            line.name.clone_from(name);
        }
    }
}
