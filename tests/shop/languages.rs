//! English and Simplified Chinese: the translation files agree, the language is
//! negotiated and switched over plain HTTP, pages say what they vary by, and an order
//! keeps its shopper's language for the emails the worker sends later.

use crate::helpers::{db, shop_with_webhooks, spawn_app, wait_for, TestShop};
use reqwest::{header, StatusCode};
use serde_json::Value;
use std::collections::BTreeMap;

/// Every key of a locale's files, with the `{{ placeholders }}` and `<tags>` its text
/// uses (sorted), keyed `module.key.subkey`.
fn strings(locale: &str) -> BTreeMap<String, (Vec<String>, String)> {
    fn walk(prefix: &str, value: &Value, out: &mut BTreeMap<String, (Vec<String>, String)>) {
        match value {
            Value::Object(map) => {
                for (key, value) in map {
                    walk(&format!("{prefix}.{key}"), value, out);
                }
            }
            Value::String(text) => {
                let mut holes: Vec<String> = text
                    .match_indices("{{")
                    .filter_map(|(at, _)| {
                        let rest = &text[at + 2..];
                        Some(rest[..rest.find("}}")?].trim().to_owned())
                    })
                    .chain(text.match_indices('<').filter_map(|(at, _)| {
                        let rest = &text[at..];
                        Some(rest[..=rest.find('>')?].to_owned())
                    }))
                    .collect();
                holes.sort();
                out.insert(
                    prefix.trim_start_matches('.').to_owned(),
                    (holes, text.clone()),
                );
            }
            other => panic!("{prefix}: not a string: {other}"),
        }
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("locales")
        .join(locale);
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).expect("the locale's directory") {
        let path = entry.unwrap().path();
        let module = path.file_stem().unwrap().to_string_lossy().into_owned();
        let json: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        walk(&module, &json, &mut out);
    }
    out
}

#[test]
fn every_string_is_translated_with_the_same_placeholders() {
    let (english, chinese) = (strings("en"), strings("zh-CN"));
    let missing: Vec<&String> = english
        .keys()
        .filter(|k| !chinese.contains_key(*k))
        .collect();
    let extra: Vec<&String> = chinese
        .keys()
        .filter(|k| !english.contains_key(*k))
        .collect();
    assert!(
        missing.is_empty(),
        "not translated into Chinese: {missing:?}"
    );
    assert!(extra.is_empty(), "in Chinese only: {extra:?}");
    for (key, (holes, text)) in &english {
        let (chinese_holes, chinese_text) = &chinese[key];
        assert_eq!(holes, chinese_holes, "{key}: placeholders and tags differ");
        // Only the brand and the title pattern read the same in both.
        if !matches!(key.as_str(), "site.brand" | "site.title") {
            assert_ne!(text, chinese_text, "{key} is still English");
        }
    }
}

/// `GET /` with `Accept-Language`, as a first visit (no cookie).
async fn catalog_in(
    shop: &TestShop,
    accept_language: &str,
    cookie: Option<&str>,
) -> (String, String) {
    let mut request = shop
        .client
        .get(shop.url("/"))
        .header(header::ACCEPT, "text/html")
        .header(header::ACCEPT_LANGUAGE, accept_language);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let vary = response
        .headers()
        .get_all(header::VARY)
        .iter()
        .map(|v| v.to_str().unwrap().to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join(", ");
    (response.text().await.unwrap(), vary)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cookie_then_accept_language_then_english_decide_and_pages_say_so() {
    let shop = spawn_app().await;
    for (accept, cookie, lang) in [
        ("zh-CN,zh;q=0.9", None, "zh-CN"),
        ("en-US,en;q=0.9,zh;q=0.8", None, "en"),
        ("en;q=0.2, zh-Hans", None, "zh-CN"),
        ("zh-TW,zh-HK", None, "en"),
        ("de-DE", None, "en"),
        ("zh-CN", Some("locale=en"), "en"),
        ("en-US", Some("locale=zh-CN"), "zh-CN"),
        ("en-US", Some("locale=tlh"), "en"),
    ] {
        // Twice each: the anonymous catalog is cached, per language.
        for _ in 0..2 {
            let (html, vary) = catalog_in(&shop, accept, cookie).await;
            assert!(
                html.contains(&format!("<html lang=\"{lang}\"")),
                "{accept} {cookie:?}: {}",
                &html[..html.len().min(300)]
            );
            assert!(
                vary.contains("accept-language") && vary.contains("cookie"),
                "{vary}"
            );
        }
    }
    let (chinese, _) = catalog_in(&shop, "zh-CN", None).await;
    assert!(chinese.contains("US$22.00"), "money in Chinese");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_switcher_remembers_the_choice_and_returns_only_to_this_site() {
    let shop = spawn_app().await;
    let post = |form: &'static [(&'static str, &'static str)], origin: &str| {
        shop.client
            .post(shop.url("/locale"))
            .header(header::ORIGIN, origin.to_owned())
            .form(form)
            .send()
    };
    let origin = shop.origin();
    let response = post(&[("locale", "zh-CN"), ("return_to", "/cart?x=1")], &origin)
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[header::LOCATION], "/cart?x=1");
    let cookie = response.headers()[header::SET_COOKIE].to_str().unwrap();
    assert!(
        cookie.starts_with("locale=zh-CN;") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    assert!(
        cookie.contains("Path=/") && cookie.contains("Max-Age="),
        "{cookie}"
    );
    for elsewhere in [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
    ] {
        let form: &'static [(&'static str, &'static str)] = match elsewhere {
            "https://evil.example/" => &[("locale", "en"), ("return_to", "https://evil.example/")],
            "//evil.example/" => &[("locale", "en"), ("return_to", "//evil.example/")],
            _ => &[("locale", "en"), ("return_to", "/\\evil.example")],
        };
        let response = post(form, &origin).await.unwrap();
        assert_eq!(response.headers()[header::LOCATION], "/", "{elsewhere}");
    }
    let unknown = post(&[("locale", "fr"), ("return_to", "/")], &origin)
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
    assert!(unknown.headers().get(header::SET_COOKIE).is_none());
    let cross_site = post(
        &[("locale", "zh-CN"), ("return_to", "/")],
        "https://evil.example",
    )
    .await
    .unwrap();
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_keeps_its_shoppers_language_for_its_emails() {
    let (stripe, mut shop) = shop_with_webhooks(|_| {}).await;
    let pool = db(&shop).await;
    shop.add("stoneware-mug", "1").await;
    // The shopper chose Chinese (the switcher's cookie, beside the cart's).
    let cart = shop.cookie.clone().unwrap();
    shop.cookie = Some(format!("{cart}; locale=zh-CN"));
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
    // The draft speaks it already (a payment made without the submit step is
    // confirmed in it too).
    let draft = stripe
        .payment_intent(session["payment_intent"].as_str().unwrap())
        .await["metadata"]["order_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let draft_locale: String = sqlx::query_scalar("SELECT locale FROM orders WHERE id = $1")
        .bind(&draft)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(draft_locale, "zh-CN");
    shop.cookie = Some(format!("{cart}; locale=zh-CN"));
    let form = crate::helpers::submission(&session);
    let response = shop
        .call("checkout/submit", &crate::helpers::as_pairs(&form))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let id = session["payment_intent"].as_str().unwrap();
    let order = stripe.payment_intent(id).await["metadata"]["order_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let locale: String = sqlx::query_scalar("SELECT locale FROM orders WHERE id = $1")
        .bind(&order)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(locale, "zh-CN");
    assert_eq!(
        stripe.confirm(id, "pm_card_visa").await["status"],
        "succeeded"
    );
    wait_for(&pool, &order, "paid").await;
    let mut email = None;
    for _ in 0..100 {
        email = sqlx::query_as::<_, (String, String, String)>(
            "SELECT subject, body, html_body FROM outbox
             WHERE order_id = $1 AND kind = 'order_confirmation'",
        )
        .bind(&order)
        .fetch_optional(&pool)
        .await
        .unwrap();
        if email.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (subject, body, html) = email.expect("the confirmation was queued");
    assert!(subject.contains("已确认"), "{subject}");
    assert!(body.contains("小计") && body.contains("US$23.00"), "{body}");
    assert!(!body.contains("Subtotal"), "{body}");
    assert!(
        body.contains("1 × 粗陶马克杯"),
        "the mug as the shopper read it: {body}"
    );
    assert!(html.contains("<html lang=\"zh-CN\">"), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stock_refusal_names_the_product_in_the_shoppers_language() {
    let mut shop = spawn_app().await;
    let pool = db(&shop).await;
    shop.add("stoneware-mug", "2").await;
    let cart = shop.cookie.clone().unwrap();
    shop.cookie = Some(format!("{cart}; locale=zh-CN"));

    // More than the shelf holds, at the cart.
    let response = shop
        .call(
            "cart/add",
            &[("product_id", "stoneware-mug"), ("quantity", "98")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["NotEnoughStock"]["product"], "粗陶马克杯", "{body}");

    // Sold out while in the cart, at the checkout.
    sqlx::query("UPDATE products SET stock = 0 WHERE id = 'stoneware-mug'")
        .execute(&pool)
        .await
        .unwrap();
    shop.cookie = Some(format!("{cart}; locale=zh-CN"));
    let response = shop
        .call("checkout/prepare", &[("shipping", "standard")])
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        serde_json::json!({"SoldOut": {"product": "粗陶马克杯"}})
    );

    // In English, the English name.
    shop.cookie = Some(format!("{cart}; locale=en"));
    let body: Value = shop
        .call("checkout/prepare", &[("shipping", "standard")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        body,
        serde_json::json!({"SoldOut": {"product": "Stoneware Mug"}})
    );
}
