//! Adding, changing and removing cart lines, and every way of getting it wrong.

use crate::helpers::{lines, set_cookie, spawn_app, spawn_app_with};
use reqwest::StatusCode;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adding_starts_a_cart_with_an_http_only_lax_cookie() {
    let mut shop = spawn_app().await;

    let response = shop
        .call(
            "cart/add",
            &[("product_id", "linen-apron"), ("quantity", "2")],
        )
        .await;

    assert_eq!(response.status(), StatusCode::OK);
    let cookie = set_cookie(&response).expect("a cart cookie");
    assert!(cookie.starts_with("cart="));
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/")
    );
    assert!(
        !cookie.contains("Secure"),
        "plain http must not mark the cookie Secure"
    );
    let cart: serde_json::Value = response.json().await.unwrap();
    assert_eq!(lines(&cart), vec![("linen-apron".to_owned(), 2)]);
    // Prices come from the database: 2 × $38.00.
    assert_eq!(cart["subtotal"]["minor"], 7600);
    assert_eq!(cart["subtotal"]["currency"], "usd");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cookie_is_secure_when_the_shop_is_served_over_https() {
    let mut shop =
        spawn_app_with(|config| config.public_origin = Some("https://shop.example".into())).await;
    let response = shop
        .call(
            "cart/add",
            &[("product_id", "linen-apron"), ("quantity", "1")],
        )
        .await;
    assert!(set_cookie(&response).unwrap().contains("; Secure"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adding_again_accumulates_and_totals_follow() {
    let mut shop = spawn_app().await;
    shop.add("linen-apron", "1").await;
    shop.add("stoneware-mug", "3").await;
    let cart = shop.add("linen-apron", "1").await;

    assert_eq!(
        lines(&cart),
        vec![
            ("linen-apron".to_owned(), 2),
            ("stoneware-mug".to_owned(), 3)
        ]
    );
    assert_eq!(cart["subtotal"]["minor"], 2 * 3800 + 3 * 1800);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quantities_can_be_set_and_lines_removed() {
    let mut shop = spawn_app().await;
    shop.add("linen-apron", "1").await;
    shop.add("canvas-tote", "1").await;

    let response = shop
        .call(
            "cart/quantity",
            &[("product_id", "linen-apron"), ("quantity", "5")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = shop
        .call("cart/remove", &[("product_id", "canvas-tote")])
        .await;
    assert_eq!(response.status(), StatusCode::OK);

    let cart = shop.cart().await;
    assert_eq!(lines(&cart), vec![("linen-apron".to_owned(), 5)]);
    assert_eq!(cart["subtotal"]["minor"], 5 * 3800);

    // Removing twice is harmless.
    let again = shop
        .call("cart/remove", &[("product_id", "canvas-tote")])
        .await;
    assert_eq!(again.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_quantities_are_refused_with_typed_errors_and_change_nothing() {
    let mut shop = spawn_app().await;
    shop.add("linen-apron", "2").await;

    let cases = [
        ("cart/add", "0", StatusCode::BAD_REQUEST, "InvalidQuantity"),
        ("cart/add", "-3", StatusCode::BAD_REQUEST, "InvalidQuantity"),
        (
            "cart/add",
            "two",
            StatusCode::BAD_REQUEST,
            "InvalidQuantity",
        ),
        (
            "cart/add",
            "100",
            StatusCode::BAD_REQUEST,
            "InvalidQuantity",
        ),
        ("cart/add", "98", StatusCode::CONFLICT, "NotEnoughStock"),
        (
            "cart/quantity",
            "0",
            StatusCode::BAD_REQUEST,
            "InvalidQuantity",
        ),
        (
            "cart/quantity",
            "1.5",
            StatusCode::BAD_REQUEST,
            "InvalidQuantity",
        ),
        (
            "cart/quantity",
            "13",
            StatusCode::CONFLICT,
            "NotEnoughStock",
        ),
    ];
    for (endpoint, quantity, status, kind) in cases {
        let response = shop
            .call(
                endpoint,
                &[("product_id", "linen-apron"), ("quantity", quantity)],
            )
            .await;
        assert_eq!(response.status(), status, "{endpoint} with {quantity:?}");
        let error: serde_json::Value = response.json().await.unwrap();
        let tag = error
            .as_object()
            .map(|o| o.keys().next().unwrap().clone())
            .or_else(|| error.as_str().map(str::to_owned));
        assert_eq!(
            tag.as_deref(),
            Some(kind),
            "{endpoint} with {quantity:?}: {error}"
        );
    }

    assert_eq!(
        lines(&shop.cart().await),
        vec![("linen-apron".to_owned(), 2)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stock_bounds_what_a_cart_can_hold() {
    let mut shop = spawn_app().await;
    // The copper scoop has 3 in stock.
    shop.add("copper-scoop", "2").await;
    let response = shop
        .call(
            "cart/add",
            &[("product_id", "copper-scoop"), ("quantity", "2")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let error: serde_json::Value = response.json().await.unwrap();
    assert_eq!(error["NotEnoughStock"]["available"], 3);

    let sold_out = shop
        .call(
            "cart/add",
            &[("product_id", "clay-teapot"), ("quantity", "1")],
        )
        .await;
    assert_eq!(sold_out.status(), StatusCode::CONFLICT);

    assert_eq!(
        lines(&shop.cart().await),
        vec![("copper-scoop".to_owned(), 2)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_products_and_missing_fields_are_refused() {
    let mut shop = spawn_app().await;
    shop.add("linen-apron", "1").await;

    for product in ["no-such-thing", "DROP TABLE", ""] {
        let response = shop
            .call("cart/add", &[("product_id", product), ("quantity", "1")])
            .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{product:?}");
    }
    let not_in_cart = shop
        .call(
            "cart/quantity",
            &[("product_id", "canvas-tote"), ("quantity", "1")],
        )
        .await;
    assert_eq!(not_in_cart.status(), StatusCode::NOT_FOUND);
    let missing = shop
        .call("cart/add", &[("product_id", "linen-apron")])
        .await;
    assert_eq!(missing.status(), StatusCode::BAD_REQUEST);

    assert_eq!(
        lines(&shop.cart().await),
        vec![("linen-apron".to_owned(), 1)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_adds_never_exceed_the_stock() {
    let mut shop = spawn_app().await;
    shop.add("canvas-tote", "1").await; // start the cart and take its cookie
    let cookie = shop.cookie.clone().unwrap();

    // Twenty tabs race to add the last three copper scoops.
    let attempts = (0..20).map(|_| {
        let client = shop.client.clone();
        let url = shop.url("/api/cart/add");
        let (origin, cookie) = (shop.origin(), cookie.clone());
        tokio::spawn(async move {
            client
                .post(url)
                .header("origin", origin)
                .header("cookie", cookie)
                .header("accept", "application/json")
                .form(&[("product_id", "copper-scoop"), ("quantity", "1")])
                .send()
                .await
                .unwrap()
                .status()
        })
    });
    let mut accepted = 0;
    for attempt in attempts {
        let status = attempt.await.unwrap();
        assert!(
            status == StatusCode::OK || status == StatusCode::CONFLICT,
            "{status}"
        );
        accepted += usize::from(status == StatusCode::OK);
    }

    assert_eq!(accepted, 3);
    let cart = shop.cart().await;
    assert!(lines(&cart).contains(&("copper-scoop".to_owned(), 3)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_cookie_is_treated_as_a_lost_cart() {
    let mut shop = spawn_app().await;
    shop.cookie = Some("cart=not-a-token".into());

    let response = shop
        .call(
            "cart/quantity",
            &[("product_id", "linen-apron"), ("quantity", "2")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::GONE);
    assert!(shop.cookie.is_none(), "the forged cookie is cleared");

    // A well-formed token we never issued is just as lost.
    shop.cookie = Some(format!("cart={}", "A".repeat(43)));
    let page = shop.page("/cart").await;
    assert!(page.contains("Your cart had expired"), "{page}");
    assert!(page.contains("Your cart is empty"));

    // Whichever page the shopper lands on says so.
    shop.cookie = Some("cart=not-a-token".into());
    assert!(shop.page("/").await.contains("Your cart had expired"));

    // Adding starts a fresh cart.
    shop.cookie = Some("cart=not-a-token".into());
    let cart = shop.add("linen-apron", "1").await;
    assert_eq!(lines(&cart), vec![("linen-apron".to_owned(), 1)]);
    assert_ne!(shop.cookie.as_deref(), Some("cart=not-a-token"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_cart_is_reported_once_and_replaced() {
    let mut shop = spawn_app_with(|config| config.cart_lifetime = Duration::ZERO).await;
    shop.add("linen-apron", "1").await;

    let response = shop.get("/cart").await;
    let cleared = set_cookie(&response).expect("the expired cookie is cleared");
    assert!(cleared.starts_with("cart=;") && cleared.contains("Max-Age=0"));
    let page = response.text().await.unwrap();
    assert!(page.contains("Your cart had expired"));
}
