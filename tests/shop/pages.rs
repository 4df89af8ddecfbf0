//! Server-rendered pages, the no-JS form round trip and the health check.

use crate::helpers::{cart_count, spawn_app};
use reqwest::{header, StatusCode};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_check_reports_a_live_database() {
    let shop = spawn_app().await;
    let response = shop.get("/healthz").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "ok\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catalog_lists_the_seeded_products_with_prices_and_stock() {
    let shop = spawn_app().await;
    let page = shop.page("/").await;

    assert!(page.matches("class=\"product-card\"").count() >= 8);
    for expected in [
        "Linen Apron",
        "$38.00",
        "Copper Coffee Scoop",
        "Only 3 left",
        "Sold out",
    ] {
        assert!(page.contains(expected), "catalog shows {expected:?}");
    }
    assert!(
        page.contains("action=\"/api/cart/add\""),
        "forms post to the server function"
    );
    assert!(page.contains("src=\"/images/linen-apron.svg\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn header_counts_items_on_every_page() {
    let mut shop = spawn_app().await;
    shop.add("linen-apron", "2").await;
    shop.add("stoneware-mug", "1").await;

    for path in ["/", "/cart", "/checkout"] {
        let page = shop.page(path).await;
        assert_eq!(
            cart_count(&page),
            Some(3),
            "{path} shows 3 items in the header"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cart_page_shows_lines_totals_and_the_way_to_checkout() {
    let mut shop = spawn_app().await;
    assert!(shop.page("/cart").await.contains("Your cart is empty"));

    shop.add("merino-throw", "2").await;
    let page = shop.page("/cart").await;

    assert!(page.contains("Merino Wool Throw"));
    assert!(page.contains("$129.00 each"));
    assert!(page.contains("$258.00"));
    assert!(page.contains("href=\"/checkout\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_no_js_form_post_comes_back_to_the_page_with_its_result() {
    let mut shop = spawn_app().await;

    // Success: back to the catalog, and the cart has the item.
    let response = shop
        .post_form(
            "cart/add",
            &[("product_id", "linen-apron"), ("quantity", "1")],
            "/",
        )
        .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = response.headers()[header::LOCATION].to_str().unwrap();
    assert!(
        location.starts_with(&shop.url("/")) && !location.contains("__err"),
        "{location}"
    );
    assert!(shop.cookie.is_some());

    // Failure: back to the page with the error encoded, which the page renders.
    let response = shop
        .post_form(
            "cart/add",
            &[("product_id", "linen-apron"), ("quantity", "zero")],
            "/",
        )
        .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = response.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    let back = location
        .strip_prefix(&shop.origin())
        .expect("same-origin redirect");
    let page = shop.page(back).await;
    assert!(
        page.contains("Please enter the quantity as a whole number."),
        "{page}"
    );
    assert!(page.contains("role=\"alert\""));
    assert_eq!(cart_count(&page), Some(1), "the cart is unchanged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_paths_get_a_real_404_page() {
    let shop = spawn_app().await;
    let response = shop.get("/no/such/page").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("We couldn't find that page"));
}
