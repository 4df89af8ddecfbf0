//! The security layers: CSP with a nonce, protective headers, cross-site POSTs.

use crate::helpers::{lines, set_cookie, spawn_app, spawn_app_with};
use reqwest::{header, StatusCode};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_carry_a_nonce_csp_that_matches_their_scripts() {
    let shop = spawn_app().await;
    for path in ["/", "/cart", "/no-such-page"] {
        assert_scripts_carry_the_csp_nonce(&shop, path).await;
    }
}

async fn assert_scripts_carry_the_csp_nonce(shop: &crate::helpers::TestShop, path: &str) {
    let response = shop.get(path).await;

    let csp = response.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(!csp.contains("unsafe-inline"));
    assert!(csp.contains("'wasm-unsafe-eval'"));
    assert!(csp.contains("frame-ancestors 'none'"));
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce in script-src")
        .to_owned();
    assert!(nonce.len() >= 16);
    assert_eq!(
        response.headers()[header::X_CONTENT_TYPE_OPTIONS],
        "nosniff"
    );
    assert_eq!(
        response.headers()[header::REFERRER_POLICY],
        "strict-origin-when-cross-origin"
    );

    let page = response.text().await.unwrap();
    let scripts = crate::helpers::scripts_that_run(&page);
    assert!(scripts > 0);
    assert_eq!(
        page.matches(&format!("nonce=\"{nonce}\"")).count(),
        scripts,
        "every script on {path} has the nonce"
    );

    let again = shop.get(path).await;
    assert!(!again.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .contains(&nonce));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_site_posts_are_refused() {
    let shop = spawn_app().await;
    let add = shop.url("/api/cart/add");
    let form = [("product_id", "linen-apron"), ("quantity", "1")];

    let foreign_origin = shop
        .client
        .post(&add)
        .header(header::ORIGIN, "https://evil.example")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(foreign_origin.status(), StatusCode::FORBIDDEN);
    assert!(foreign_origin
        .text()
        .await
        .unwrap()
        .contains("another website"));
    // A Chinese browser is told in Chinese, and the page says what it varied by.
    let in_chinese = shop
        .client
        .post(&add)
        .header(header::ORIGIN, "https://evil.example")
        .header(header::ACCEPT_LANGUAGE, "zh-CN,zh;q=0.9")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(in_chinese.status(), StatusCode::FORBIDDEN);
    assert!(in_chinese.headers()[header::VARY]
        .to_str()
        .unwrap()
        .contains("accept-language"));
    let page = in_chinese.text().await.unwrap();
    assert!(page.contains(r#"<html lang="zh-CN">"#), "{page}");
    assert!(page.contains("该请求来自其他网站"), "{page}");

    let null_origin = shop
        .client
        .post(&add)
        .header(header::ORIGIN, "null")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(null_origin.status(), StatusCode::FORBIDDEN);

    let cross_site = shop
        .client
        .post(&add)
        .header("sec-fetch-site", "cross-site")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);

    let same_origin = shop
        .client
        .post(&add)
        .header(header::ORIGIN, shop.origin())
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(same_origin.status(), StatusCode::OK);

    // Stripe's webhooks are cross-site by nature; that route checks signatures instead.
    let webhook = shop
        .client
        .post(shop.url("/webhooks/stripe"))
        .header(header::ORIGIN, "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_ne!(webhook.status(), StatusCode::FORBIDDEN);
}

/// Checkout and confirmation show contact details, an address, order lines or carry a
/// client secret: no browser cache, shared proxy or back button at a shared computer
/// may keep them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_with_personal_data_are_never_stored_by_a_cache() {
    let mut shop = spawn_app().await;
    shop.add("stoneware-mug", "1").await;
    for path in [
        "/checkout",
        "/checkout?shipping=express",
        "/order-confirmation",
        "/order-confirmation?order=ABC123",
        "/order-confirmation?payment_intent=pi_1&payment_intent_client_secret=pi_1_secret_x&redirect_status=succeeded",
    ] {
        let response = shop.get(path).await;
        assert_eq!(
            response.headers().get(header::CACHE_CONTROL).map(|v| v.to_str().unwrap()),
            Some("no-store"),
            "{path}"
        );
    }
    // Their server functions: the client secret, the order as its owner sees it.
    let prepare = shop
        .call(
            "checkout/prepare",
            &[
                ("shipping", "standard"),
                ("country", "US"),
                ("region", "IL"),
            ],
        )
        .await;
    assert_eq!(prepare.status(), StatusCode::OK);
    assert_eq!(prepare.headers()[header::CACHE_CONTROL], "no-store");
    let session: Value = prepare.json().await.unwrap();
    let confirmation = shop
        .call(
            "order/confirmation",
            &[
                (
                    "payment_intent",
                    session["payment_intent"].as_str().unwrap(),
                ),
                ("client_secret", session["client_secret"].as_str().unwrap()),
                ("order", ""),
            ],
        )
        .await;
    assert_eq!(confirmation.status(), StatusCode::OK);
    assert_eq!(confirmation.headers()[header::CACHE_CONTROL], "no-store");
    // The catalog holds nothing personal and is left to the browser's defaults.
    let catalog = shop.get("/").await;
    assert_ne!(
        catalog
            .headers()
            .get(header::CACHE_CONTROL)
            .map(|v| v.to_str().unwrap()),
        Some("no-store")
    );
}

/// Behind https a cookie without the `__Host-` prefix can be planted by a sibling
/// subdomain or over plain http (cookie tossing), and a first visit over http can be
/// stripped of TLS: the shop names its cookies `__Host-…`, reads only those, and sends
/// HSTS on every response.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_https_cookies_cannot_be_tossed_and_browsers_stay_on_https() {
    let mut shop =
        spawn_app_with(|config| config.public_origin = Some("https://shop.example".into())).await;

    // The cart cookie.
    let added = shop
        .call(
            "cart/add",
            &[("product_id", "stoneware-mug"), ("quantity", "1")],
        )
        .await;
    assert_eq!(added.status(), StatusCode::OK);
    let cart_cookie = set_cookie(&added).expect("a cart cookie");
    assert!(
        cart_cookie.starts_with("__Host-cart=")
            && cart_cookie.contains("; Secure")
            && cart_cookie.contains("; Path=/;")
            && !cart_cookie.to_ascii_lowercase().contains("domain="),
        "{cart_cookie}"
    );
    // The browser sends it back under that name, and that is the cart.
    assert_eq!(
        lines(&shop.cart().await),
        vec![("stoneware-mug".to_owned(), 1)]
    );
    // The same token under the plain name is no cart: anyone could have set that one.
    let token = shop.cookie.clone().unwrap();
    let token = token.strip_prefix("__Host-cart=").unwrap().to_owned();
    let mut tossed = shop.stranger();
    tossed.cookie = Some(format!("cart={token}"));
    assert!(lines(&tossed.cart().await).is_empty());

    // The order-access cookie.
    let session: Value = shop
        .call(
            "checkout/prepare",
            &[
                ("shipping", "standard"),
                ("country", "US"),
                ("region", "IL"),
            ],
        )
        .await
        .json()
        .await
        .unwrap();
    let form = [
        (
            "payment_intent",
            session["payment_intent"].as_str().unwrap(),
        ),
        ("client_secret", session["client_secret"].as_str().unwrap()),
        ("order", ""),
    ];
    let mut stranger = shop.stranger();
    let confirmation = stranger.call("order/confirmation", &form).await;
    assert_eq!(confirmation.status(), StatusCode::OK);
    let access_cookie = set_cookie(&confirmation).expect("an order-access cookie");
    assert!(
        access_cookie.starts_with("__Host-order_access=")
            && access_cookie.contains("; Secure")
            && access_cookie.contains("; Path=/;")
            && !access_cookie.to_ascii_lowercase().contains("domain="),
        "{access_cookie}"
    );
    let body: Value = confirmation.json().await.unwrap();
    let reference = body["order"]["reference"].as_str().unwrap().to_owned();
    let by_reference = [
        ("payment_intent", ""),
        ("client_secret", ""),
        ("order", reference.as_str()),
    ];
    let access = access_cookie.split(';').next().unwrap().to_owned();
    let plain_access = access.strip_prefix("__Host-").unwrap().to_owned();
    for (cookie, expected) in [
        (access, StatusCode::OK),
        (plain_access, StatusCode::NOT_FOUND),
    ] {
        let mut visitor = shop.stranger();
        visitor.cookie = Some(cookie.clone());
        let response = visitor
            .call("order/status", &[("order", reference.as_str())])
            .await;
        assert_eq!(response.status(), expected, "order/status with {cookie}");
        let response = visitor.call("order/confirmation", &by_reference).await;
        assert_eq!(
            response.status(),
            expected,
            "order/confirmation with {cookie}"
        );
    }

    // HSTS on every response: pages, server functions, errors, webhooks.
    let hsts = "max-age=63072000; includeSubDomains";
    for path in ["/", "/healthz", "/no-such-page", "/checkout"] {
        let response = shop.get(path).await;
        assert_eq!(
            response.headers()[header::STRICT_TRANSPORT_SECURITY],
            hsts,
            "{path}"
        );
    }
    let webhook = shop
        .client
        .post(shop.url("/webhooks/stripe"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(webhook.status(), StatusCode::BAD_REQUEST);
    assert_eq!(webhook.headers()[header::STRICT_TRANSPORT_SECURITY], hsts);

    // Served over plain http, the shop sends no HSTS.
    let plain = spawn_app().await;
    let response = plain.get("/").await;
    assert!(response
        .headers()
        .get(header::STRICT_TRANSPORT_SECURITY)
        .is_none());
}
