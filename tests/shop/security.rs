//! The security layers: CSP with a nonce, protective headers, cross-site POSTs.

use crate::helpers::spawn_app;
use reqwest::{header, StatusCode};

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
    let scripts = page.matches("<script").count();
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
