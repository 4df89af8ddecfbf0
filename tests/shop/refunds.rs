//! Refunds and disputes, from the operator's form through the durable command queue to
//! Stripe and back through the inbox: partial and full, refused, through an outage,
//! from the dashboard, concurrent, failed; and a dispute opened and lost.

use crate::admin::{add_operator, Admin, OPERATOR, PASSWORD};
use crate::helpers::{
    db, scalar, scalar_becomes, shop_with_webhooks, wait_for, TestShop, TestStripe,
};
use reqwest::{header, Method, StatusCode};
use serde_json::{json, Value};
use sqlx::AnyPool;

/// A paid order of 2 × stoneware mug ($36.00 + $5.00 standard shipping): its
/// PaymentIntent and order ids.
async fn paid_order(shop: &mut TestShop, stripe: &TestStripe) -> (String, String) {
    paid_with(shop, stripe, "pm_card_visa").await
}

async fn paid_with(shop: &mut TestShop, stripe: &TestStripe, card: &str) -> (String, String) {
    let session = shop.submitted_order("stoneware-mug", "2").await;
    let payment_intent = session["payment_intent"].as_str().unwrap().to_owned();
    let order = stripe.payment_intent(&payment_intent).await["metadata"]["order_id"]
        .as_str()
        .unwrap()
        .to_owned();
    stripe.confirm(&payment_intent, card).await;
    wait_for(&db(shop).await, &order, "paid").await;
    (payment_intent, order)
}

/// The refund form's own id, as the order page renders it (each page view a new one).
async fn refund_form(admin: &Admin<'_>, order: &str) -> String {
    let page = admin.page(&format!("/admin/orders/{order}")).await;
    let at = page
        .find("name=\"request\" value=\"")
        .expect("a refund form")
        + 22;
    page[at..at + 27].to_owned()
}

/// Opens the order's page and refunds `amount` of `payment_intent` from its form.
async fn refund(
    admin: &Admin<'_>,
    order: &str,
    payment_intent: &str,
    amount: &str,
) -> reqwest::Response {
    let request = refund_form(admin, order).await;
    send_refund(admin, order, payment_intent, amount, &request, &[]).await
}

/// Sends a refund form (`request` is the form's id) with `extra` fields.
async fn send_refund(
    admin: &Admin<'_>,
    order: &str,
    payment_intent: &str,
    amount: &str,
    request: &str,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let mut form = vec![
        ("request", request),
        ("payment_intent", payment_intent),
        ("amount", amount),
        ("reason", "requested_by_customer"),
    ];
    form.extend_from_slice(extra);
    admin
        .post(&format!("/admin/orders/{order}/refund"), &form)
        .await
}

/// The refunds Stripe holds for `payment_intent`.
async fn stripe_refunds(stripe: &TestStripe, payment_intent: &str) -> Vec<Value> {
    let list = stripe
        .api(
            Method::GET,
            &format!("/v1/refunds?payment_intent={payment_intent}&limit=100"),
            &[],
        )
        .await;
    list["data"]
        .as_array()
        .unwrap_or_else(|| panic!("a list: {list}"))
        .clone()
}

/// How many refunds Stripe holds for `payment_intent`, and their sum.
async fn refunded_at_stripe(stripe: &TestStripe, payment_intent: &str) -> (usize, i64) {
    let refunds = stripe_refunds(stripe, payment_intent).await;
    let total = refunds.iter().map(|r| r["amount"].as_i64().unwrap()).sum();
    (refunds.len(), total)
}

async fn refunds_with(pool: &AnyPool, order: &str, status: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM refunds WHERE order_id = $1 AND status = $2")
        .bind(order)
        .bind(status)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Waits (bounded) until the order has `count` refunds in `status`.
async fn refunds_become(pool: &AnyPool, order: &str, status: &str, count: i64) {
    for _ in 0..300 {
        if refunds_with(pool, order, status).await == count {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let rows: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT status, COALESCE(stripe_id, ''), failure_reason FROM refunds WHERE order_id = $1",
    )
    .bind(order)
    .fetch_all(pool)
    .await
    .unwrap();
    panic!("order {order} never had {count} refund(s) {status}: {rows:?}");
}

async fn signed_in_shop() -> (TestStripe, TestShop) {
    let (stripe, shop) = shop_with_webhooks(|_| {}).await;
    add_operator(&shop, OPERATOR, PASSWORD, Some("grace@shop.example")).await;
    (stripe, shop)
}

#[tokio::test]
async fn a_partial_refund_then_the_rest_refunds_the_order_once_each() {
    let (stripe, mut shop) = signed_in_shop().await;
    let (payment_intent, order) = paid_order(&mut shop, &stripe).await;
    let pool = db(&shop).await;
    let admin = Admin::signed_in(&shop).await;
    // Found by its reference, as an operator would.
    let reference: String = sqlx::query_scalar("SELECT reference FROM orders WHERE id = $1")
        .bind(&order)
        .fetch_one(&pool)
        .await
        .unwrap();
    let list = admin.page(&format!("/admin/orders?q={reference}")).await;
    assert!(list.contains(&format!("/admin/orders/{order}")), "{list}");

    let response = refund(&admin, &order, &payment_intent, "10.00").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()[header::LOCATION],
        format!("/admin/orders/{order}?done=refund-requested").as_str()
    );
    refunds_become(&pool, &order, "succeeded", 1).await;
    let page = admin.page(&format!("/admin/orders/{order}")).await;
    assert!(page.contains("partially refunded"), "{page}");
    assert!(page.contains("refund of $10.00 requested (requested_by_customer)"));
    assert!(
        page.contains("<strong>grace</strong>"),
        "the operator's name on the timeline"
    );

    // The rest: $31.00 of $41.00.
    let response = refund(&admin, &order, &payment_intent, "31").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    refunds_become(&pool, &order, "succeeded", 2).await;
    assert_eq!(
        refunded_at_stripe(&stripe, &payment_intent).await,
        (2, 4100),
        "each refund once at Stripe"
    );
    let page = admin.page(&format!("/admin/orders/{order}")).await;
    assert!(page.contains(">refunded<"), "{page}");
    // `paid` stays final: refunds are beside the status, not instead of it.
    wait_for(&pool, &order, "paid").await;
    // The shopper hears of each refund, once.
    let emails = scalar_becomes(
        &pool,
        &format!("SELECT COUNT(*) FROM outbox WHERE order_id = '{order}' AND kind = 'refund'"),
        2,
    )
    .await;
    assert_eq!(emails, 2);
    let subject: String = sqlx::query_scalar(
        "SELECT subject FROM outbox WHERE order_id = $1 AND kind = 'refund' ORDER BY subject LIMIT 1",
    )
    .bind(&order)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(subject, "A refund of $10.00 is on its way");
}

#[tokio::test]
async fn a_refund_of_more_than_is_left_is_refused_and_nothing_is_sent() {
    let (stripe, mut shop) = signed_in_shop().await;
    let (payment_intent, order) = paid_order(&mut shop, &stripe).await;
    let pool = db(&shop).await;
    let admin = Admin::signed_in(&shop).await;
    let response = refund(&admin, &order, &payment_intent, "41.01").await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("Only $41.00 of this payment can still be refunded."),
        "{page}"
    );
    // Bad amounts are refused with a reason, never guessed at.
    for bad in ["-5", "0", "12.345", "ten", ""] {
        let response = refund(&admin, &order, &payment_intent, bad).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad:?}");
    }
    // A PaymentIntent of another order (or none of ours) is refused.
    let response = refund(&admin, &order, "pi_notours", "1.00").await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(scalar(&pool, "SELECT COUNT(*) FROM refunds").await, 0);
    assert_eq!(
        scalar(
            &pool,
            "SELECT COUNT(*) FROM stripe_commands WHERE kind = 'refund'"
        )
        .await,
        0
    );
    assert!(stripe_refunds(&stripe, &payment_intent).await.is_empty());
    // What is pending counts too: $30 requested leaves $11.
    assert_eq!(
        refund(&admin, &order, &payment_intent, "30").await.status(),
        StatusCode::SEE_OTHER
    );
    let response = refund(&admin, &order, &payment_intent, "11.01").await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.text().await.unwrap().contains("Only $11.00"));
}

#[tokio::test]
async fn a_refund_during_a_stripe_outage_goes_through_later_once() {
    let (stripe, mut shop) = signed_in_shop().await;
    let (payment_intent, order) = paid_order(&mut shop, &stripe).await;
    let pool = db(&shop).await;
    let admin = Admin::signed_in(&shop).await;
    // Stripe answers 500 to every try of the first attempt (the client retries 3 times).
    let fault = json!({"path": "/v1/refunds", "status": 500});
    stripe
        .control("faults", json!({"next_requests": [fault, fault, fault]}))
        .await;
    let response = refund(&admin, &order, &payment_intent, "5.00").await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "stored and queued whatever Stripe does"
    );
    assert_eq!(refunds_with(&pool, &order, "requested").await, 1);
    // The queue tries again after its backoff, and the refund lands once.
    refunds_become(&pool, &order, "succeeded", 1).await;
    assert_eq!(stripe_refunds(&stripe, &payment_intent).await.len(), 1);
    let (attempts, status): (i64, String) = sqlx::query_as(
        "SELECT CAST(attempts AS BIGINT), status FROM stripe_commands WHERE kind = 'refund'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((attempts >= 2, status.as_str()), (true, "done"));
}

#[tokio::test]
async fn two_partial_refunds_at_once_both_land_and_never_exceed_the_payment() {
    let (stripe, mut shop) = signed_in_shop().await;
    let (payment_intent, order) = paid_order(&mut shop, &stripe).await;
    let pool = db(&shop).await;
    let admin = Admin::signed_in(&shop).await;
    // Three operators' pages, open at once.
    let forms = [
        refund_form(&admin, &order).await,
        refund_form(&admin, &order).await,
        refund_form(&admin, &order).await,
    ];
    let (first, second, third) = tokio::join!(
        send_refund(&admin, &order, &payment_intent, "20.00", &forms[0], &[]),
        send_refund(&admin, &order, &payment_intent, "21.00", &forms[1], &[]),
        send_refund(&admin, &order, &payment_intent, "1.00", &forms[2], &[]),
    );
    let statuses = [first.status(), second.status(), third.status()];
    let accepted = statuses
        .iter()
        .filter(|s| **s == StatusCode::SEE_OTHER)
        .count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::BAD_REQUEST)
        .count();
    // $41.00 received: at most the two that fit are accepted, whatever the order.
    assert_eq!((accepted, refused), (2, 1), "{statuses:?}");
    refunds_become(&pool, &order, "succeeded", 2).await;
    let (_, total) = refunded_at_stripe(&stripe, &payment_intent).await;
    assert!(total <= 4100 && total >= 2100, "{total}");
}

#[tokio::test]
async fn a_refund_made_in_the_dashboard_appears_on_the_order_once() {
    let (stripe, mut shop) = signed_in_shop().await;
    let (payment_intent, order) = paid_order(&mut shop, &stripe).await;
    let pool = db(&shop).await;
    let made = stripe
        .control_json(
            "refunds",
            json!({"payment_intent": payment_intent, "amount": 700}),
        )
        .await;
    let stripe_id = made["id"].as_str().unwrap().to_owned();
    refunds_become(&pool, &order, "succeeded", 1).await;
    let (by, amount, found): (Option<String>, i64, String) = sqlx::query_as(
        "SELECT requested_by, amount_minor, stripe_id FROM refunds WHERE order_id = $1",
    )
    .bind(&order)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((by, amount, found), (None, 700, stripe_id));
    let admin = Admin::signed_in(&shop).await;
    let page = admin.page(&format!("/admin/orders/{order}")).await;
    assert!(
        page.contains("made in Stripe&#x27;s dashboard")
            || page.contains("made in Stripe's dashboard"),
        "{page}"
    );
    // What it took counts against what the shop may still refund.
    let response = refund(&admin, &order, &payment_intent, "34.01").await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    // A re-check (or a replayed event) finds the same refund, not a second.
    let response = admin
        .post(&format!("/admin/orders/{order}/recheck"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(scalar(&pool, "SELECT COUNT(*) FROM refunds").await, 1);
}

#[tokio::test]
async fn a_refund_that_fails_at_stripe_is_shown_and_its_money_is_refundable_again() {
    let (stripe, mut shop) = signed_in_shop().await;
    let (payment_intent, order) = paid_order(&mut shop, &stripe).await;
    let pool = db(&shop).await;
    let admin = Admin::signed_in(&shop).await;
    assert_eq!(
        refund(&admin, &order, &payment_intent, "41.00")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    refunds_become(&pool, &order, "succeeded", 1).await;
    let stripe_id: String = sqlx::query_scalar("SELECT stripe_id FROM refunds WHERE order_id = $1")
        .bind(&order)
        .fetch_one(&pool)
        .await
        .unwrap();
    stripe
        .control_json(
            &format!("refunds/{stripe_id}/force"),
            json!({"status": "failed"}),
        )
        .await;
    refunds_become(&pool, &order, "failed", 1).await;
    let page = admin.page(&format!("/admin/orders/{order}")).await;
    assert!(page.contains("failed"), "{page}");
    // The failed refund gave nothing back: the whole amount may be refunded again.
    assert_eq!(
        refund(&admin, &order, &payment_intent, "41.00")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    refunds_become(&pool, &order, "succeeded", 1).await;
}

#[tokio::test]
async fn a_dispute_opened_and_lost_flags_the_order_and_tells_the_operators() {
    let (stripe, mut shop) = signed_in_shop().await;
    let (payment_intent, order) = paid_order(&mut shop, &stripe).await;
    let pool = db(&shop).await;
    let dispute = stripe
        .control_json("disputes", json!({"payment_intent": payment_intent}))
        .await;
    let dispute_id = dispute["id"].as_str().unwrap().to_owned();
    let opened = scalar_becomes(
        &pool,
        &format!(
            "SELECT COUNT(*) FROM disputes WHERE id = '{dispute_id}' AND status = 'needs_response'"
        ),
        1,
    )
    .await;
    assert_eq!(opened, 1);
    let admin = Admin::signed_in(&shop).await;
    // Disputed orders come first in the list.
    let list = admin.page("/admin/orders").await;
    assert!(list.contains("disputed"), "{list}");
    let page = admin.page(&format!("/admin/orders/{order}")).await;
    assert!(
        page.contains(&dispute_id) && page.contains("needs response"),
        "{page}"
    );
    stripe
        .control_json(
            &format!("disputes/{dispute_id}/close"),
            json!({"outcome": "lost"}),
        )
        .await;
    let lost = scalar_becomes(
        &pool,
        &format!("SELECT COUNT(*) FROM disputes WHERE id = '{dispute_id}' AND status = 'lost'"),
        1,
    )
    .await;
    assert_eq!(lost, 1);
    let timeline: Vec<String> =
        sqlx::query_scalar("SELECT entry FROM order_timeline WHERE order_id = $1 ORDER BY id")
            .bind(&order)
            .fetch_all(&pool)
            .await
            .unwrap();
    assert!(
        timeline.iter().any(|e| e.contains("opened")),
        "{timeline:?}"
    );
    assert!(
        timeline.iter().any(|e| e.contains("to lost")),
        "{timeline:?}"
    );
    // The operator with an address was told of both.
    let alerts = scalar(
        &pool,
        "SELECT COUNT(*) FROM outbox WHERE kind = 'dispute_alert' AND recipient = 'grace@shop.example'",
    )
    .await;
    assert_eq!(alerts, 2);
}

#[tokio::test]
async fn an_order_in_review_is_resolved_from_the_admin_with_a_note() {
    let (stripe, mut shop) = signed_in_shop().await;
    let session = shop.submitted_order("stoneware-mug", "1").await;
    let payment_intent = session["payment_intent"].as_str().unwrap().to_owned();
    let order: String = stripe.payment_intent(&payment_intent).await["metadata"]["order_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let pool = db(&shop).await;
    sqlx::query("UPDATE orders SET status = 'needs_review' WHERE id = $1")
        .bind(&order)
        .execute(&pool)
        .await
        .unwrap();
    let admin = Admin::signed_in(&shop).await;
    let list = admin.page("/admin/orders?status=needs_review").await;
    assert!(list.contains(&order), "{list}");
    // A resolution needs an outcome and a note.
    let response = admin
        .post(
            &format!("/admin/orders/{order}/resolve"),
            &[("outcome", "closed")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let response = admin
        .post(
            &format!("/admin/orders/{order}/resolve"),
            &[
                ("outcome", "closed"),
                ("note", "customer asked to cancel; nothing was charged"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    wait_for(&pool, &order, "canceled").await;
    let (entry, actor): (String, String) = sqlx::query_as(
        "SELECT entry, actor FROM order_timeline WHERE order_id = $1 AND actor IS NOT NULL",
    )
    .bind(&order)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(entry.contains("customer asked to cancel"), "{entry}");
    assert_eq!(actor, OPERATOR);
    // Twice is refused: it is no longer in review.
    let response = admin
        .post(
            &format!("/admin/orders/{order}/resolve"),
            &[("outcome", "fulfilled"), ("note", "again")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn an_operator_sends_an_email_again_and_rechecks_with_stripe() {
    let (stripe, mut shop) = signed_in_shop().await;
    let (_, order) = paid_order(&mut shop, &stripe).await;
    let pool = db(&shop).await;
    let sent = format!(
        "SELECT COUNT(*) FROM outbox WHERE order_id = '{order}' AND kind = 'order_confirmation'
             AND sent_at IS NOT NULL AND attempts = "
    );
    assert_eq!(scalar_becomes(&pool, &format!("{sent}1"), 1).await, 1);
    let email: String = sqlx::query_scalar("SELECT id FROM outbox WHERE order_id = $1")
        .bind(&order)
        .fetch_one(&pool)
        .await
        .unwrap();
    let admin = Admin::signed_in(&shop).await;
    let response = admin
        .post(
            &format!("/admin/orders/{order}/resend"),
            &[("email", email.as_str())],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    // The same message (same outbox id, so the same Message-ID) goes out once more.
    assert_eq!(scalar_becomes(&pool, &format!("{sent}2"), 1).await, 1);
    // Another order's email cannot be resent from this order's page.
    let response = admin
        .post(
            &format!("/admin/orders/{order}/resend"),
            &[("email", "msg_other")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);

    let response = admin
        .post(&format!("/admin/orders/{order}/recheck"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let entries: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT entry, actor FROM order_timeline WHERE order_id = $1 AND actor IS NOT NULL ORDER BY id",
    )
    .bind(&order)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert!(entries[0].0.contains("sent again"));
    assert!(
        entries[1].0.starts_with("re-checked with Stripe: pi_"),
        "{entries:?}"
    );
    assert!(entries[1]
        .0
        .contains("succeeded, 0 refund(s), 0 dispute(s)"));
    assert!(entries
        .iter()
        .all(|(_, actor)| actor.as_deref() == Some(OPERATOR)));
}

#[tokio::test]
async fn the_same_refund_form_sent_twice_is_one_refund() {
    let (stripe, mut shop) = signed_in_shop().await;
    let (payment_intent, order) = paid_order(&mut shop, &stripe).await;
    let pool = db(&shop).await;
    let admin = Admin::signed_in(&shop).await;
    let form = refund_form(&admin, &order).await;
    // A double click: both at once, then a resubmit of the page later.
    let (first, second) = tokio::join!(
        send_refund(&admin, &order, &payment_intent, "41.00", &form, &[]),
        send_refund(&admin, &order, &payment_intent, "41.00", &form, &[]),
    );
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    assert_eq!(second.status(), StatusCode::SEE_OTHER, "the same answer");
    refunds_become(&pool, &order, "succeeded", 1).await;
    let again = send_refund(&admin, &order, &payment_intent, "41.00", &form, &[]).await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    assert_eq!(scalar(&pool, "SELECT COUNT(*) FROM refunds").await, 1);
    assert_eq!(stripe_refunds(&stripe, &payment_intent).await.len(), 1);
    // A form of no page of ours is refused.
    let forged = send_refund(&admin, &order, &payment_intent, "1.00", "rf_made_up", &[]).await;
    assert_eq!(forged.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn restocked_units_go_back_once_when_the_refund_succeeds() {
    let (stripe, mut shop) = signed_in_shop().await;
    let (payment_intent, order) = paid_order(&mut shop, &stripe).await;
    let pool = db(&shop).await;
    let stock = "SELECT stock FROM products WHERE id = 'stoneware-mug'";
    let before = scalar(&pool, stock).await;
    let admin = Admin::signed_in(&shop).await;
    let form = refund_form(&admin, &order).await;
    let restock = [("restock_stoneware-mug", "1")];
    let response = send_refund(&admin, &order, &payment_intent, "18.00", &form, &restock).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    refunds_become(&pool, &order, "succeeded", 1).await;
    assert_eq!(scalar_becomes(&pool, stock, before + 1).await, before + 1);
    // A re-check syncs the same refund again: nothing goes back twice.
    admin
        .post(&format!("/admin/orders/{order}/recheck"), &[])
        .await;
    assert_eq!(scalar(&pool, stock).await, before + 1);
    // Two were bought and one is back: at most one more.
    let form = refund_form(&admin, &order).await;
    let two = [("restock_stoneware-mug", "2")];
    let response = send_refund(&admin, &order, &payment_intent, "1.00", &form, &two).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("At most 1 of Stoneware Mug"));
    let form = refund_form(&admin, &order).await;
    let unknown = [("restock_merino-throw", "1")];
    let response = send_refund(&admin, &order, &payment_intent, "1.00", &form, &unknown).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_refund_stripe_refuses_fails_with_its_reason() {
    // A disputed charge cannot be refunded: Stripe says so, and the refund fails.
    let (stripe, mut shop) = signed_in_shop().await;
    let (payment_intent, order) = paid_with(&mut shop, &stripe, "pm_card_createDispute").await;
    let pool = db(&shop).await;
    let disputed = scalar_becomes(&pool, "SELECT COUNT(*) FROM disputes", 1).await;
    assert_eq!(disputed, 1, "the test card's dispute arrived");
    let admin = Admin::signed_in(&shop).await;
    assert_eq!(
        refund(&admin, &order, &payment_intent, "5.00")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    refunds_become(&pool, &order, "failed", 1).await;
    let page = admin.page(&format!("/admin/orders/{order}")).await;
    assert!(page.contains("Stripe refused the refund"), "{page}");
    assert!(stripe_refunds(&stripe, &payment_intent).await.is_empty());
}

#[tokio::test]
async fn a_refund_whose_answer_was_lost_or_failed_at_stripe_is_made_once() {
    let (stripe, mut shop) = shop_with_webhooks(|config| {
        config.stripe_timeout = std::time::Duration::from_millis(700);
    })
    .await;
    add_operator(&shop, OPERATOR, PASSWORD, None).await;
    let (payment_intent, order) = paid_order(&mut shop, &stripe).await;
    let pool = db(&shop).await;
    let admin = Admin::signed_in(&shop).await;
    // 1. Stripe fails while running the refund and keeps that 500 under the key: the
    //    next attempt lists (nothing) and goes with a new key.
    let stored = json!({"path": "/v1/refunds", "status": 500, "stored": true});
    stripe
        .control("faults", json!({"next_requests": [stored]}))
        .await;
    assert_eq!(
        refund(&admin, &order, &payment_intent, "5.00")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    refunds_become(&pool, &order, "succeeded", 1).await;
    assert_eq!(stripe_refunds(&stripe, &payment_intent).await.len(), 1);
    // 2. Stripe makes the refund but the answer never arrives (slower than the
    //    shop's timeout, three times): the next attempt finds it in the list.
    let slow = json!({"path": "/v1/refunds", "delay_ms": 1500});
    stripe
        .control("faults", json!({"next_requests": [slow, slow, slow]}))
        .await;
    assert_eq!(
        refund(&admin, &order, &payment_intent, "6.00")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    refunds_become(&pool, &order, "succeeded", 2).await;
    assert_eq!(
        refunded_at_stripe(&stripe, &payment_intent).await,
        (2, 1100),
        "each refund once at Stripe"
    );
}

#[tokio::test]
async fn an_order_in_review_is_fulfilled_by_hand_or_closed_once_refunded() {
    let (stripe, shop) = signed_in_shop().await;
    let pool = db(&shop).await;
    let admin = Admin::signed_in(&shop).await;
    let mut shopper = shop.stranger();
    let stock = "SELECT stock FROM products WHERE id = 'canvas-tote'";
    let resolve = |order: String, outcome: &'static str| {
        let admin = &admin;
        async move {
            admin
                .post(
                    &format!("/admin/orders/{order}/resolve"),
                    &[("outcome", outcome), ("note", "settled after a call")],
                )
                .await
        }
    };

    // A submitted order sent to review (as an amount mismatch would), then paid.
    let session = shopper.submitted_order("canvas-tote", "1").await;
    let payment_intent = session["payment_intent"].as_str().unwrap().to_owned();
    let order = stripe.payment_intent(&payment_intent).await["metadata"]["order_id"]
        .as_str()
        .unwrap()
        .to_owned();
    sqlx::query("UPDATE orders SET status = 'needs_review' WHERE id = $1")
        .bind(&order)
        .execute(&pool)
        .await
        .unwrap();
    let before = scalar(&pool, stock).await;
    stripe.confirm(&payment_intent, "pm_card_visa").await;
    let received = format!(
        "SELECT amount_received_minor FROM order_payment_intents WHERE id = '{payment_intent}'"
    );
    assert_eq!(scalar_becomes(&pool, &received, 2700).await, 2700);
    wait_for(&pool, &order, "needs_review").await;
    // Fulfilled by hand: paid, its unit leaves the shelf and the shopper is emailed, as
    // a payment's fulfilment would.
    assert_eq!(
        resolve(order.clone(), "fulfilled").await.status(),
        StatusCode::SEE_OTHER
    );
    wait_for(&pool, &order, "paid").await;
    assert_eq!(scalar(&pool, stock).await, before - 1);
    let confirmations = format!(
        "SELECT COUNT(*) FROM outbox WHERE order_id = '{order}' AND kind = 'order_confirmation'"
    );
    assert_eq!(scalar(&pool, &confirmations).await, 1);

    // A draft paid without the submit step and without an address: nothing to fulfil,
    // and it closes only once its money is given back.
    let mut shopper = shop.stranger();
    shopper.add("canvas-tote", "1").await;
    let response = shopper
        .call(
            "checkout/prepare",
            &[
                ("shipping", "standard"),
                ("country", "US"),
                ("region", "IL"),
            ],
        )
        .await;
    let session: Value = response.json().await.unwrap();
    let payment_intent = session["payment_intent"].as_str().unwrap().to_owned();
    let order = stripe.payment_intent(&payment_intent).await["metadata"]["order_id"]
        .as_str()
        .unwrap()
        .to_owned();
    stripe.confirm(&payment_intent, "pm_card_visa").await;
    wait_for(&pool, &order, "needs_review").await;
    let response = resolve(order.clone(), "fulfilled").await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.text().await.unwrap().contains("no locked lines"));
    let response = resolve(order.clone(), "closed").await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("Refund what was received first: $27.00"));
    assert_eq!(
        refund(&admin, &order, &payment_intent, "27.00")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    refunds_become(&pool, &order, "succeeded", 1).await;
    assert_eq!(
        resolve(order.clone(), "closed").await.status(),
        StatusCode::SEE_OTHER
    );
    wait_for(&pool, &order, "canceled").await;
    assert_eq!(
        scalar(&pool, stock).await,
        before - 1,
        "nothing taken for a closed order"
    );
}
