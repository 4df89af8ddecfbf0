//! The cart's server functions. Arguments arrive as text because they come from forms
//! (with or without JavaScript): they are parsed here, and stock and limits are
//! checked against the database.

use crate::domain::{CartView, ShopError};
use leptos::prelude::*;

/// The shopper's cart, priced from the database now.
#[server(endpoint = "cart")]
pub async fn get_cart() -> Result<CartView, ShopError> {
    use crate::server::shopper::Shopper;
    Shopper::serve(|shopper| async move { shopper.cart_view().await }).await
}

/// Adds `quantity` of a product to the shopper's cart, starting a cart if needed.
#[server(endpoint = "cart/add")]
pub async fn add_to_cart(product_id: String, quantity: String) -> Result<CartView, ShopError> {
    use crate::{
        domain::{ProductId, Quantity},
        server::{shopper::Shopper, store::LineChange},
    };
    Shopper::serve(|shopper| async move {
        let product = ProductId::parse(&product_id).ok_or(ShopError::UnknownProduct)?;
        let quantity = Quantity::parse(&quantity)?;
        let cart = shopper.cart_or_new().await?;
        shopper
            .change_line(&cart, &product, LineChange::Add(quantity))
            .await
    })
    .await
}

/// Sets a line to exactly `quantity`, within the stock and the per-line limit.
#[server(endpoint = "cart/quantity")]
pub async fn set_quantity(product_id: String, quantity: String) -> Result<CartView, ShopError> {
    use crate::{
        domain::{ProductId, Quantity},
        server::{shopper::Shopper, store::LineChange},
    };
    Shopper::serve(|shopper| async move {
        let product = ProductId::parse(&product_id).ok_or(ShopError::UnknownProduct)?;
        let quantity = Quantity::parse(&quantity)?;
        let cart = shopper.existing_cart().await?;
        shopper
            .change_line(&cart, &product, LineChange::Set(quantity))
            .await
    })
    .await
}

/// Takes a product out of the cart altogether.
#[server(endpoint = "cart/remove")]
pub async fn remove_from_cart(product_id: String) -> Result<CartView, ShopError> {
    use crate::{
        domain::ProductId,
        server::shopper::{now, Shopper},
    };
    Shopper::serve(|shopper| async move {
        let product = ProductId::parse(&product_id).ok_or(ShopError::UnknownProduct)?;
        let cart = shopper.existing_cart().await?;
        let store = &shopper.state().store;
        store
            .remove_line(&cart, &product, now(), shopper.expires_at())
            .await?;
        store.cart_view_in(&cart, shopper.locale()).await
    })
    .await
}
