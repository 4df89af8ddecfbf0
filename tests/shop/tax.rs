//! Tax on top of the shown prices: the server works it out from where the cart is
//! going, the PaymentIntent charges it, a submit for another address is refused with
//! that address's total, and the order keeps the line it showed through to its page
//! and its email.

use crate::helpers::{db, shop_with_webhooks, spawn_app_against, wait_for, TestShop, TestStripe};
use reqwest::StatusCode;
use serde_json::Value;

/// Prepares for delivery to `country`/`region`, insisting it worked.
async fn prepare_to(shop: &mut TestShop, country: &str, region: &str) -> Value {
    let response = shop
        .call(
            "checkout/prepare",
            &[
                ("shipping", "standard"),
                ("country", country),
                ("region", region),
            ],
        )
        .await;
    let status = response.status();
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(status, StatusCode::OK, "prepare: {body}");
    body
}

fn total(session: &Value) -> i64 {
    session["totals"]["total"]["minor"].as_i64().unwrap()
}

/// Submits `session`'s page with an address in `country`/`region`.
async fn submit_to(
    shop: &mut TestShop,
    session: &Value,
    country: &str,
    region: &str,
) -> (StatusCode, Value) {
    let version = session["cart_version"].to_string();
    let total = total(session).to_string();
    let form = [
        ("email", "grace@example.com"),
        ("name", "Grace Hopper"),
        ("line1", "1 Harbour Street"),
        ("line2", ""),
        ("city", "Springfield"),
        ("region", region),
        ("postal_code", "K1A 0B1"),
        ("country", country),
        ("shipping", "standard"),
        (
            "payment_intent",
            session["payment_intent"].as_str().unwrap(),
        ),
        ("cart_version", &version),
        ("total", &total),
    ];
    let response = shop.call("checkout/submit", &form).await;
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_payment_intent_charges_the_tax_of_the_address() {
    let stripe = TestStripe::start().await;
    let mut shop = spawn_app_against(&stripe, |_| {}).await;
    // Merino Throw, $129.00, and standard delivery, $5.00.
    shop.add("merino-throw", "1").await;

    // No state yet where states differ: the tax waits for it, and is not charged.
    let pending = prepare_to(&mut shop, "US", "").await;
    assert_eq!(pending["totals"]["tax"]["tax"], "pending", "{pending}");
    assert_eq!(total(&pending), 13400);

    // UK VAT, 20% of goods and delivery.
    let uk = prepare_to(&mut shop, "GB", "").await;
    let tax = &uk["totals"]["tax"];
    assert_eq!(tax["tax"], "charged", "{uk}");
    assert_eq!(tax["kind"], "vat");
    assert_eq!(tax["basis_points"], 2000);
    assert_eq!(tax["amount"]["minor"], 2680);
    assert_eq!(total(&uk), 16080);
    let intent = stripe
        .payment_intent(uk["payment_intent"].as_str().unwrap())
        .await;
    assert_eq!(intent["amount"], 16080, "Stripe charges the tax too");

    // California: 7.25% of the goods only ($9.3525 rounds to $9.35).
    let california = prepare_to(&mut shop, "US", "california").await;
    assert_eq!(california["totals"]["tax"]["amount"]["minor"], 935);
    assert_eq!(total(&california), 14335);
    let intent = stripe
        .payment_intent(california["payment_intent"].as_str().unwrap())
        .await;
    assert_eq!(intent["amount"], 14335);

    // Ontario's HST replaces Canada's GST; Yukon pays GST only.
    let ontario = prepare_to(&mut shop, "CA", "ON").await;
    assert_eq!(ontario["totals"]["tax"]["kind"], "hst");
    assert_eq!(total(&ontario), 13400 + 1742);
    let yukon = prepare_to(&mut shop, "CA", "Yukon").await;
    assert_eq!(yukon["totals"]["tax"]["kind"], "gst");
    assert_eq!(total(&yukon), 13400 + 670);

    // Illinois: the shop charges no tax there, and says so.
    let illinois = prepare_to(&mut shop, "US", "IL").await;
    assert_eq!(illinois["totals"]["tax"]["tax"], "none_applies");
    assert_eq!(total(&illinois), 13400);

    // The page, rendered by the server, shows the line for where the cart is going.
    prepare_to(&mut shop, "GB", "").await;
    let page = shop.page("/checkout").await;
    assert!(page.contains("VAT (20%)"), "the tax line is rendered");
    assert!(page.contains("$26.80"));
    assert!(page.contains("$160.80"));
    assert!(
        page.contains(r#"<option value="GB" selected"#),
        "the form starts at the cart's country"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_submit_for_another_address_is_refused_with_its_total_then_locks_its_tax() {
    let (stripe, mut shop) = shop_with_webhooks(|_| {}).await;
    let pool = db(&shop).await;
    shop.add("merino-throw", "1").await;
    let illinois = prepare_to(&mut shop, "US", "IL").await;

    // The page priced Illinois; the shopper submits Ontario. Paying the Illinois
    // total would under-charge the HST: refused, with Ontario's total.
    let (status, body) = submit_to(&mut shop, &illinois, "CA", "ON").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["CartChanged"]["total"]["minor"], 15142);
    let intent = stripe
        .payment_intent(illinois["payment_intent"].as_str().unwrap())
        .await;
    assert_eq!(
        intent["amount"], 13400,
        "nothing was charged or changed at Stripe"
    );

    // The page re-prices for the address in its form, and the submit holds.
    let ontario = prepare_to(&mut shop, "CA", "ON").await;
    assert_eq!(total(&ontario), 15142);
    let (status, body) = submit_to(&mut shop, &ontario, "CA", "ON").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = ontario["payment_intent"].as_str().unwrap();
    let intent = stripe.payment_intent(id).await;
    assert_eq!(intent["amount"], 15142);
    let order = intent["metadata"]["order_id"].as_str().unwrap().to_owned();
    let (tax, rate, amount, total): (String, i64, i64, i64) =
        sqlx::query_as("SELECT tax, tax_rate_bp, tax_minor, total_minor FROM orders WHERE id = $1")
            .bind(&order)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        (tax.as_str(), rate, amount, total),
        ("hst", 1300, 1742, 15142)
    );

    // Paid: the confirmation page and the email quote the line the order locked.
    assert_eq!(
        stripe.confirm(id, "pm_card_visa").await["status"],
        "succeeded"
    );
    wait_for(&pool, &order, "paid").await;
    let reference: String = sqlx::query_scalar("SELECT reference FROM orders WHERE id = $1")
        .bind(&order)
        .fetch_one(&pool)
        .await
        .unwrap();
    let page = shop
        .page(&format!("/order-confirmation?order={reference}"))
        .await;
    assert!(page.contains("HST (13%)"), "the order's page shows its tax");
    assert!(page.contains("$17.42"));
    let mut body = String::new();
    for _ in 0..100 {
        if let Some(found) = sqlx::query_scalar::<_, String>(
            "SELECT body FROM outbox WHERE order_id = $1 AND kind = 'order_confirmation'",
        )
        .bind(&order)
        .fetch_optional(&pool)
        .await
        .unwrap()
        {
            body = found;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(body.contains("HST (13%): $17.42\nTotal: $151.42"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn addresses_no_form_sends_are_refused_and_change_nothing() {
    let stripe = TestStripe::start().await;
    let mut shop = spawn_app_against(&stripe, |_| {}).await;
    shop.add("merino-throw", "1").await;
    let before = prepare_to(&mut shop, "GB", "").await;
    let long = "x".repeat(101);
    for (country, region) in [
        ("ZZ", ""),
        ("USA", "CA"),
        ("US", long.as_str()),
        ("US", "C\u{7}A"),
    ] {
        let response = shop
            .call(
                "checkout/prepare",
                &[
                    ("shipping", "standard"),
                    ("country", country),
                    ("region", region),
                ],
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::BAD_REQUEST,
            "{country:?} {region:?}"
        );
    }
    // A Canadian address without a province cannot be taxed, so it cannot be sent.
    let (status, body) = submit_to(&mut shop, &before, "CA", "").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["InvalidDetails"].to_string().contains("province"),
        "{body}"
    );
    let after = prepare_to(&mut shop, "GB", "").await;
    assert_eq!(total(&after), total(&before));
    assert_eq!(
        after["cart_version"], before["cart_version"],
        "nothing moved"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_javascript_the_form_reprices_the_page_and_makes_no_payment_intent() {
    let stripe = TestStripe::start().await;
    let mut shop = spawn_app_against(&stripe, |_| {}).await;
    shop.add("merino-throw", "1").await;

    // The form's button: express to Britain. Back to the checkout, priced for it.
    let response = shop
        .post_form(
            "checkout/reprice",
            &[("shipping", "express"), ("country", "GB"), ("region", "")],
            "/checkout",
        )
        .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    // (Leptos leaves an empty query on a clean return.)
    assert_eq!(
        shop.redirected_to(&response).trim_end_matches('?'),
        "/checkout"
    );
    let page = shop.page("/checkout").await;
    // 20% of $129.00 and $15.00.
    assert!(page.contains("VAT (20%)"), "{page}");
    assert!(page.contains("$28.80"), "{page}");
    assert!(page.contains("$172.80"), "{page}");
    assert!(
        stripe.payment_intents().await.is_empty(),
        "a shopper who cannot pay gets no PaymentIntent"
    );

    // A state that is none is kept as typed, so the field shows it, and pointed out
    // next to it; the tax waits for a real one.
    let response = shop
        .post_form(
            "checkout/reprice",
            &[
                ("shipping", "standard"),
                ("country", "US"),
                ("region", "Calif"),
            ],
            "/checkout",
        )
        .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let page = shop.page("/checkout").await;
    assert!(page.contains(r#"value="Calif""#), "{page}");
    assert!(
        page.contains("Enter a US state, such as CA or California."),
        "{page}"
    );
    assert!(page.contains(r#"aria-invalid="true""#), "{page}");
    assert!(
        page.contains("Calculated from your delivery address"),
        "{page}"
    );
    // A real one clears it and is taxed (California, goods only: 7.25% of $129.00).
    shop.post_form(
        "checkout/reprice",
        &[
            ("shipping", "standard"),
            ("country", "US"),
            ("region", "california"),
        ],
        "/checkout",
    )
    .await;
    let page = shop.page("/checkout").await;
    assert!(page.contains(r#"value="CA""#), "{page}");
    assert!(!page.contains(r#"aria-invalid="true""#), "{page}");
    assert!(page.contains("$9.35"), "{page}");

    // A refusal comes back to the page, which says why.
    let response = shop
        .post_form(
            "checkout/reprice",
            &[("shipping", "standard"), ("country", "ZZ"), ("region", "")],
            "/checkout",
        )
        .await;
    let back = shop.redirected_to(&response);
    assert!(back.contains("__err"), "{back}");
    let page = shop.page(&back).await;
    assert!(page.contains("That request was not understood"), "{page}");
    assert!(page.contains(r#"value="CA""#), "nothing changed: {page}");

    // What no form sends is refused too.
    let response = shop
        .call(
            "checkout/reprice",
            &[("shipping", "drone"), ("country", "GB"), ("region", "")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}
