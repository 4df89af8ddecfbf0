//! The catalog (`/`), with "Add to cart" on every product.

use crate::{
    cart::use_cart_state,
    components::notices::{ActionOutcome, ErrorNotice},
    domain::{Product, ShopError},
};
use leptos::{form::ActionForm, prelude::*};
use leptos_meta::Title;

/// Lists every product in display order, priced and stocked from the database.
#[server(endpoint = "catalog/products")]
pub async fn list_products() -> Result<Vec<Product>, ShopError> {
    use crate::server::shopper::Shopper;
    Shopper::serve(|shopper| async move { shopper.state().store.products().await }).await
}

/// The catalog page.
#[component]
pub fn CatalogPage() -> impl IntoView {
    let products = Resource::new(|| (), |_| list_products());
    let add = use_cart_state().add;
    view! {
        <Title text="Shop"/>
        <section class="intro">
            <h1>"Goods for the kitchen and home"</h1>
            <p>"Made in small batches by people who care. Free returns within 30 days."</p>
        </section>
        <ActionOutcome outcome=add.value().into() success="Added to your cart."/>
        <Suspense fallback=|| view! { <p class="loading">"Loading the catalog…"</p> }>
            {move || Suspend::new(async move {
                match products.await {
                    Ok(products) => {
                        view! {
                            <ul class="product-grid" role="list">
                                {products
                                    .into_iter()
                                    .map(|product| view! { <ProductCard product/> })
                                    .collect_view()}
                            </ul>
                        }
                            .into_any()
                    }
                    Err(error) => {
                        view! { <ErrorNotice error/> }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// One product: picture, name, description, price, stock and the add form.
#[component]
fn ProductCard(product: Product) -> impl IntoView {
    let add = use_cart_state().add;
    let title_id = format!("product-{}", product.id);
    let quantity_id = format!("quantity-{}", product.id);
    let stock_note = match product.stock {
        0 => "Sold out".to_owned(),
        1..=5 => format!("Only {} left", product.stock),
        _ => "In stock".to_owned(),
    };
    let order_form = if product.in_stock() {
        let max = product.stock.min(crate::domain::Quantity::MAX).to_string();
        view! {
            // `novalidate`: the server's messages are the single source of truth, and
            // they read the same with and without JavaScript.
            <ActionForm action=add attr:class="add-to-cart" attr:novalidate=true>
                <input type="hidden" name="product_id" value=product.id.to_string()/>
                <label for=quantity_id.clone()>"Quantity"</label>
                <input
                    id=quantity_id
                    type="number"
                    name="quantity"
                    value="1"
                    min="1"
                    max=max
                    inputmode="numeric"
                    class="quantity-input"
                />
                <button type="submit" class="button button-primary" disabled=move || add.pending().get()>
                    "Add to cart"
                </button>
            </ActionForm>
        }
            .into_any()
    } else {
        view! { <p class="sold-out">"Sold out"</p> }.into_any()
    };
    let labelled_by = title_id.clone();
    view! {
        <li class="product-card">
            <article aria-labelledby=labelled_by>
                <img src=product.image alt="" width="480" height="360" loading="lazy"/>
                <div class="product-body">
                    <h2 id=title_id>{product.name}</h2>
                    <p class="description">{product.description}</p>
                    <p class="price-line">
                        <span class="price">{product.price.to_string()}</span>
                        <span class="stock">{stock_note}</span>
                    </p>
                    {order_form}
                </div>
            </article>
        </li>
    }
}
