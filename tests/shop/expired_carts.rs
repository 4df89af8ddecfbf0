//! Carts nobody comes back to (a bot mints them by the thousand) are deleted once
//! expired, with their lines, in pages; a cart an order refers to keeps its row.

use crate::helpers::{lines, spawn_app, spawn_app_with, TestShop};
use reqwest::StatusCode;
use sqlx::AnyPool;
use std::time::Duration;
use storefront::server::{
    expired_carts,
    shopper::now,
    store::{CartKey, Store},
};

/// Long enough ago that the deletion's grace period has passed too.
const TWO_DAYS_AGO: i64 = 2 * 24 * 3600;

async fn count(pool: &AnyPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

/// Moves the expiry of the cart holding `product` into the past: its id.
async fn expire_cart_holding(pool: &AnyPool, product: &str) -> String {
    let id: String = sqlx::query_scalar("SELECT cart_id FROM cart_lines WHERE product_id = $1")
        .bind(product)
        .fetch_one(pool)
        .await
        .unwrap();
    sqlx::query("UPDATE carts SET expires_at = $2 WHERE id = $1")
        .bind(&id)
        .bind(now() - TWO_DAYS_AGO)
        .execute(pool)
        .await
        .unwrap();
    id
}

async fn cart_exists(pool: &AnyPool, id: &str) -> bool {
    sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM carts WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
        == 1
}

async fn lines_of(pool: &AnyPool, id: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM cart_lines WHERE cart_id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_abandoned_carts_is_deleted_once_expired() {
    let shop = spawn_app().await;
    let pool = crate::helpers::connect(&shop.database_url).await;
    let mut live = shop.stranger();
    live.add("linen-apron", "1").await;
    let mut abandoned = shop.stranger();
    abandoned.add("stoneware-mug", "2").await;
    let mut ordered = shop.stranger();
    ordered.add("canvas-tote", "1").await;
    let response = ordered
        .call(
            "checkout/prepare",
            &[
                ("shipping", "standard"),
                ("country", "US"),
                ("region", "IL"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK, "an order for the cart");
    // A bot's carts, more than one page of them, each with a line.
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1234)
         INSERT INTO carts (id, token_hash, version, created_at, updated_at, expires_at)
         SELECT 'bot-' || i, 'bot-token-' || i, 1, 0, 0, $1 FROM n",
    )
    .bind(now() - TWO_DAYS_AGO)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO cart_lines (cart_id, product_id, quantity, added_at)
         SELECT id, 'bud-vase', 1, 0 FROM carts WHERE id LIKE 'bot-%'",
    )
    .execute(&pool)
    .await
    .unwrap();
    let abandoned_id = expire_cart_holding(&pool, "stoneware-mug").await;
    let ordered_id = expire_cart_holding(&pool, "canvas-tote").await;
    let live_id: String =
        sqlx::query_scalar("SELECT cart_id FROM cart_lines WHERE product_id = 'linen-apron'")
            .fetch_one(&pool)
            .await
            .unwrap();

    let store = Store::open(&shop.database_url).await.unwrap();
    expired_carts::pass(&store, now(), CartKey::first()).await;

    assert_eq!(
        count(&pool, "SELECT COUNT(*) FROM carts WHERE id LIKE 'bot-%'").await,
        0
    );
    assert!(
        !cart_exists(&pool, &abandoned_id).await,
        "the abandoned cart is gone"
    );
    assert_eq!(lines_of(&pool, &abandoned_id).await, 0);
    assert!(cart_exists(&pool, &live_id).await, "a live cart stays");
    assert_eq!(lines_of(&pool, &live_id).await, 1);
    assert!(
        cart_exists(&pool, &ordered_id).await,
        "an order's cart keeps its row"
    );
    assert_eq!(lines_of(&pool, &ordered_id).await, 0, "but not its lines");
    assert_eq!(count(&pool, "SELECT COUNT(*) FROM cart_lines").await, 1);
    assert_eq!(count(&pool, "SELECT COUNT(*) FROM orders").await, 1);

    // The abandoned cart's cookie now starts a fresh, empty cart.
    let old_cookie = abandoned.cookie.clone();
    let cart = abandoned.add("bud-vase", "1").await;
    assert_eq!(lines(&cart), vec![("bud-vase".to_owned(), 1)]);
    assert_ne!(abandoned.cookie, old_cookie);
    // And the live cart is as it was.
    assert_eq!(
        lines(&live.cart().await),
        vec![("linen-apron".to_owned(), 1)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abandoned_carts_are_deleted_in_the_background() {
    let shop = spawn_app_with(|config| {
        config.expired_carts_every = Duration::from_millis(50);
    })
    .await;
    let pool = crate::helpers::connect(&shop.database_url).await;
    let mut abandoned: TestShop = shop.stranger();
    abandoned.add("stoneware-mug", "1").await;
    let id = expire_cart_holding(&pool, "stoneware-mug").await;
    let mut gone = false;
    for _ in 0..200 {
        if !cart_exists(&pool, &id).await {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(gone, "the periodic job deleted the expired cart");
    assert_eq!(lines_of(&pool, &id).await, 0);
}
