//! The catalog (`/`), with "Add to cart" on every product.

use crate::{
    cart::use_cart_state,
    components::notices::{ActionOutcome, ErrorNotice},
    domain::{Product, ShopError},
    i18n::{t, td_string, use_i18n},
};
use leptos::{form::ActionForm, prelude::*};
use leptos_meta::Title;

/// Lists every product in display order, priced and stocked from the database.
#[server(endpoint = "catalog/products")]
pub async fn list_products() -> Result<Vec<Product>, ShopError> {
    use crate::server::shopper::Shopper;
    Shopper::serve(|shopper| async move {
        let locale = shopper.locale();
        shopper.state().store.products_in(locale).await
    })
    .await
}

/// The catalog page.
#[component]
pub fn CatalogPage() -> impl IntoView {
    let products = Resource::new(|| (), |_| list_products());
    let add = use_cart_state().add;
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    view! {
        <Title text=td_string!(locale, catalog.title)/>
        <section class="intro">
            <h1>{t!(i18n, catalog.heading)}</h1>
            <p>{t!(i18n, catalog.intro)}</p>
        </section>
        <ActionOutcome outcome=add.value().into() success=td_string!(locale, catalog.added)/>
        <Suspense fallback=move || view! { <p class="loading">{t!(i18n, catalog.loading)}</p> }>
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
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let title_id = format!("product-{}", product.id);
    let quantity_id = format!("quantity-{}", product.id);
    let stock_note = match product.stock {
        0 => td_string!(locale, catalog.sold_out).to_owned(),
        count @ 1..=5 => td_string!(locale, catalog.only_left, count).to_string(),
        _ => td_string!(locale, catalog.in_stock).to_owned(),
    };
    let order_form = if product.in_stock() {
        let max = product.stock.min(crate::domain::Quantity::MAX).to_string();
        view! {
            // `novalidate`: the server's messages are the single source of truth, and
            // they read the same with and without JavaScript.
            <ActionForm action=add attr:class="add-to-cart" attr:novalidate=true>
                <input type="hidden" name="product_id" value=product.id.to_string()/>
                <label for=quantity_id.clone()>{t!(i18n, catalog.quantity)}</label>
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
                    {t!(i18n, catalog.add)}
                </button>
            </ActionForm>
        }
            .into_any()
    } else {
        view! { <p class="sold-out">{t!(i18n, catalog.sold_out)}</p> }.into_any()
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
                        <span class="price">{product.price.format(locale)}</span>
                        <span class="stock">{stock_note}</span>
                    </p>
                    {order_form}
                </div>
            </article>
        </li>
    }
}
