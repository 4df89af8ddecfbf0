//! What goes over the wire: pages compressed as they are rendered, static files sent
//! as they were precompressed at build time, never compressed again per request.

use crate::helpers::spawn_app;
use reqwest::{header, StatusCode};
use std::io::Read;

const BROWSER_ENCODINGS: &str = "gzip, deflate, br, zstd";

/// GETs `path` with the encodings a browser accepts; the body comes as sent.
async fn get_as_a_browser(shop: &crate::helpers::TestShop, path: &str) -> reqwest::Response {
    shop.client
        .get(shop.url(path))
        .header(header::ACCEPT_ENCODING, BROWSER_ENCODINGS)
        .send()
        .await
        .unwrap()
}

fn brotli_text(bytes: &[u8]) -> String {
    let mut text = String::new();
    brotli::Decompressor::new(bytes, 4096)
        .read_to_string(&mut text)
        .expect("a valid brotli stream of UTF-8");
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_are_compressed_for_browsers_that_accept_brotli() {
    // (Not `/`: the anonymous catalog comes from its cache as gzip, below.)
    let shop = spawn_app().await;
    let response = get_as_a_browser(&shop, "/cart").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_ENCODING], "br");
    assert!(crate::helpers::vary(&response).contains("accept-encoding"));
    let compressed = response.bytes().await.unwrap();
    let page = brotli_text(&compressed);
    assert!(
        page.contains("Your cart is empty"),
        "the cart page, decompressed"
    );
    assert!(
        compressed.len() < page.len(),
        "{} bytes compressed from {}",
        compressed.len(),
        page.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_are_sent_plain_to_clients_that_ask_for_no_encoding() {
    let shop = spawn_app().await;
    let response = shop.get("/").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().get(header::CONTENT_ENCODING).is_none());
    assert!(response.text().await.unwrap().contains("Linen Apron"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tiny_responses_are_not_worth_compressing() {
    let shop = spawn_app().await;
    let response = get_as_a_browser(&shop, "/healthz").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().get(header::CONTENT_ENCODING).is_none());
    assert_eq!(response.text().await.unwrap(), "ok\n");
}

/// The release site, built by `cargo leptos build --release --precompress` (the
/// README's test command builds it before the Rust tests).
fn site_file(path: &str) -> std::path::PathBuf {
    let site = std::env::var("LEPTOS_SITE_ROOT").unwrap_or_else(|_| "target/site".to_owned());
    let file = std::path::Path::new(&site).join(path);
    assert!(
        file.exists(),
        "{} is missing: build the site first with `cargo leptos build --release --precompress`",
        file.display()
    );
    file
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn static_files_are_served_as_precompressed_at_build_time() {
    let shop = spawn_app().await;
    for path in [
        "pkg/storefront.wasm",
        "pkg/storefront.js",
        "pkg/storefront.css",
    ] {
        let precompressed = std::fs::read(site_file(&format!("{path}.br"))).unwrap();
        let response = get_as_a_browser(&shop, &format!("/{path}")).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(response.headers()[header::CONTENT_ENCODING], "br", "{path}");
        assert_eq!(
            response.bytes().await.unwrap().as_ref(),
            precompressed.as_slice(),
            "{path} is the build's own .br file, byte for byte"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn static_files_go_plain_to_clients_without_compression() {
    let shop = spawn_app().await;
    let raw = std::fs::read(site_file("pkg/storefront.css")).unwrap();
    let response = shop.get("/pkg/storefront.css").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().get(header::CONTENT_ENCODING).is_none());
    assert_eq!(response.bytes().await.unwrap().as_ref(), raw.as_slice());
}

/// The nonce a response's Content-Security-Policy allows.
fn csp_nonce(response: &reqwest::Response) -> String {
    let csp = response.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    let start = csp.find("'nonce-").expect("a nonce in the CSP") + "'nonce-".len();
    csp[start..start + csp[start..].find('\'').unwrap()].to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_anonymous_catalog_comes_from_a_cache_yet_each_response_has_its_own_nonce() {
    let shop = spawn_app().await;
    let mut nonces = Vec::new();
    for _ in 0..3 {
        let response = get_as_a_browser(&shop, "/").await;
        assert_eq!(response.status(), StatusCode::OK);
        let nonce = csp_nonce(&response);
        let encoding = response.headers()[header::CONTENT_ENCODING]
            .to_str()
            .unwrap()
            .to_owned();
        let body = response.bytes().await.unwrap();
        let page = match encoding.as_str() {
            "br" => brotli_text(&body),
            "gzip" => {
                let mut text = String::new();
                flate2::read::GzDecoder::new(body.as_ref())
                    .read_to_string(&mut text)
                    .expect("a valid gzip stream");
                text
            }
            other => panic!("unexpected encoding {other}"),
        };
        assert!(page.contains("Linen Apron"));
        let scripts = crate::helpers::scripts_that_run(&page);
        assert!(scripts > 0);
        assert_eq!(
            page.matches(&format!("nonce=\"{nonce}\"")).count(),
            scripts,
            "every inline script carries this response's nonce"
        );
        nonces.push(nonce);
    }
    nonces.sort();
    nonces.dedup();
    assert_eq!(nonces.len(), 3, "a fresh nonce every time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shopper_with_a_cart_gets_their_own_catalog_page() {
    let mut shop = spawn_app().await;
    let anonymous = shop.page("/").await;
    assert_eq!(crate::helpers::cart_count(&anonymous), Some(0));
    shop.add("linen-apron", "2").await;
    let theirs = shop.page("/").await;
    assert_eq!(crate::helpers::cart_count(&theirs), Some(2));
    assert_eq!(
        crate::helpers::cart_count(&shop.stranger().page("/").await),
        Some(0)
    );
}
