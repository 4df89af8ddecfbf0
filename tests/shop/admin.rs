//! The operator's side over HTTP: accounts, sign-in and its throttling, sessions and
//! their timeouts, the cross-site check on every action, and resolving an order in
//! review from the browser.

use crate::helpers::{db, scalar, spawn_app_with, TestShop};
use reqwest::{header, StatusCode};
use storefront::{
    admin::passwords,
    server::{shopper::now, store::Store, Config},
};

pub const OPERATOR: &str = "grace";
pub const PASSWORD: &str = "correct horse battery staple";

/// Adds an operator straight to the shop's database, as `operator add` does.
pub async fn add_operator(shop: &TestShop, name: &str, password: &str, email: Option<&str>) {
    let store = Store::open(&shop.database_url).await.unwrap();
    let hash = passwords::hash(password).unwrap();
    assert!(store
        .add_operator(name, &hash, email, false, now())
        .await
        .unwrap());
    store.close().await;
}

/// An operator's browser: the session cookie it holds.
pub struct Admin<'a> {
    pub shop: &'a TestShop,
    pub cookie: Option<String>,
}

impl<'a> Admin<'a> {
    /// Signs in as `name`; the response (a redirect when it worked).
    pub async fn sign_in(
        shop: &'a TestShop,
        name: &str,
        password: &str,
    ) -> (Self, reqwest::Response) {
        let mut admin = Admin { shop, cookie: None };
        let response = admin
            .post("/admin/login", &[("name", name), ("password", password)])
            .await;
        admin.keep_cookie(&response);
        (admin, response)
    }

    /// Signs in as the test operator, insisting it works.
    pub async fn signed_in(shop: &'a TestShop) -> Self {
        let (admin, response) = Self::sign_in(shop, OPERATOR, PASSWORD).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "signed in");
        assert!(admin.cookie.is_some());
        admin
    }

    fn keep_cookie(&mut self, response: &reqwest::Response) {
        if let Some(set) = response.headers().get(header::SET_COOKIE) {
            let pair = set.to_str().unwrap().split(';').next().unwrap().to_owned();
            self.cookie = (!pair.ends_with('=')).then_some(pair);
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        let mut request = self.shop.client.get(self.shop.url(path));
        if let Some(cookie) = &self.cookie {
            request = request.header(header::COOKIE, cookie);
        }
        request.send().await.unwrap()
    }

    /// A page's HTML, insisting on 200.
    pub async fn page(&self, path: &str) -> String {
        let response = self.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.text().await.unwrap()
    }

    /// A form POST from the admin's own pages (same origin).
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.post_from(path, form, &self.shop.origin()).await
    }

    pub async fn post_from(
        &self,
        path: &str,
        form: &[(&str, &str)],
        origin: &str,
    ) -> reqwest::Response {
        let mut request = self
            .shop
            .client
            .post(self.shop.url(path))
            .header(header::ORIGIN, origin)
            .form(form);
        if let Some(cookie) = &self.cookie {
            request = request.header(header::COOKIE, cookie);
        }
        request.send().await.unwrap()
    }
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(header::LOCATION)
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn the_admin_is_off_until_an_operator_exists() {
    let shop = spawn_app_with(|_| {}).await;
    let response = shop.get("/admin/login").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("storefront operator add NAME"));
    // Nobody can sign in to an admin that is off, whatever they send.
    let (_, response) = Admin::sign_in(&shop, "anyone", "whatever password").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    // Every page sends a stranger to the sign-in page.
    let response = shop.get("/admin/orders").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/admin/login");
}

#[tokio::test]
async fn an_operator_signs_in_with_a_strict_httponly_cookie_and_out_again() {
    let shop = spawn_app_with(|_| {}).await;
    add_operator(&shop, OPERATOR, PASSWORD, None).await;
    let (admin, response) = Admin::sign_in(&shop, OPERATOR, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/admin/orders");
    let cookie = response.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    let page = admin.page("/admin/orders").await;
    assert!(
        page.contains("Signed in as <strong>grace</strong>"),
        "{page}"
    );
    // Only the token's hash is in the database.
    let token = admin.cookie.clone().unwrap();
    let token = token.split_once('=').unwrap().1;
    let pool = db(&shop).await;
    let stored: String = sqlx::query_scalar("SELECT token_hash FROM operator_sessions")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_ne!(stored, token);
    assert_eq!(stored.len(), 64);
    // Signing in again rotates the session: the old token is dead.
    let (again, response) = Admin::sign_in(&shop, OPERATOR, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let mut with_old = Admin {
        shop: &shop,
        cookie: admin.cookie.clone(),
    };
    let rotated = with_old
        .post(
            "/admin/login",
            &[("name", OPERATOR), ("password", PASSWORD)],
        )
        .await;
    with_old.keep_cookie(&rotated);
    assert_ne!(with_old.cookie, admin.cookie, "a new token at login");
    assert_eq!(
        admin.get("/admin/orders").await.status(),
        StatusCode::SEE_OTHER,
        "the old one is gone"
    );
    // Signing out ends the session in the database, not only in the browser.
    let out = again.post("/admin/logout", &[]).await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert!(out.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    assert_eq!(
        again.get("/admin/orders").await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn an_unknown_name_and_a_wrong_password_get_the_same_answer() {
    let shop = spawn_app_with(|_| {}).await;
    add_operator(&shop, OPERATOR, PASSWORD, None).await;
    let (_, unknown) = Admin::sign_in(&shop, "nobody", PASSWORD).await;
    let (_, wrong) = Admin::sign_in(&shop, OPERATOR, "not the password at all").await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(unknown.headers().get(header::SET_COOKIE).is_none());
    let (unknown, wrong) = (unknown.text().await.unwrap(), wrong.text().await.unwrap());
    assert_eq!(unknown, wrong);
    assert!(unknown.contains("That name and password do not match."));
}

#[tokio::test]
async fn sign_in_is_throttled_per_ip_and_per_operator() {
    let shop = spawn_app_with(|config: &mut Config| config.admin_login_attempts = 3).await;
    add_operator(&shop, OPERATOR, PASSWORD, None).await;
    for _ in 0..3 {
        let (_, response) = Admin::sign_in(&shop, OPERATOR, "a wrong guess, again").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    // The fourth try is refused before the password is even looked at: the right one
    // too, so guessing cannot go on.
    let (_, response) = Admin::sign_in(&shop, OPERATOR, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: i64 = response.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=15 * 60).contains(&retry_after), "{retry_after}");
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("Too many sign-in attempts"));
    // Per operator as well as per IP: the limit counts the name whatever the IP (one
    // IP here, so both count; the per-name key is checked in the database).
    let pool = db(&shop).await;
    let names = scalar(
        &pool,
        "SELECT COUNT(*) FROM rate_limit_hits WHERE limiter = 'admin_login_name'",
    )
    .await;
    assert_eq!(names, 1);
}

#[tokio::test]
async fn sessions_end_when_idle_and_at_their_absolute_end() {
    let shop = spawn_app_with(|config: &mut Config| {
        config.admin_sessions.idle_secs = 120;
        config.admin_sessions.absolute_secs = 3600;
    })
    .await;
    add_operator(&shop, OPERATOR, PASSWORD, None).await;
    let pool = db(&shop).await;
    // Idle: last seen longer ago than the idle timeout.
    let admin = Admin::signed_in(&shop).await;
    assert_eq!(admin.get("/admin/orders").await.status(), StatusCode::OK);
    sqlx::query("UPDATE operator_sessions SET last_seen_at = last_seen_at - 121")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(
        admin.get("/admin/orders").await.status(),
        StatusCode::SEE_OTHER,
        "idle too long"
    );
    // Absolute: however active, a session ends at its absolute end.
    let admin = Admin::signed_in(&shop).await;
    sqlx::query("UPDATE operator_sessions SET expires_at = $1")
        .bind(now() - 1)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(
        admin.get("/admin/orders").await.status(),
        StatusCode::SEE_OTHER,
        "past its end"
    );
}

#[tokio::test]
async fn a_cross_site_post_to_an_admin_action_is_refused() {
    let shop = spawn_app_with(|_| {}).await;
    add_operator(&shop, OPERATOR, PASSWORD, None).await;
    let admin = Admin::signed_in(&shop).await;
    let pool = db(&shop).await;
    let response = admin
        .post_from("/admin/logout", &[], "https://evil.example")
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // The session is untouched by the forged request.
    assert_eq!(
        scalar(&pool, "SELECT COUNT(*) FROM operator_sessions").await,
        1
    );
    let forged = admin
        .post_from(
            "/admin/orders/ord_00/refund",
            &[("payment_intent", "pi_x"), ("amount", "1.00")],
            "https://evil.example",
        )
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(scalar(&pool, "SELECT COUNT(*) FROM refunds").await, 0);
    // Reading is a GET: allowed from anywhere, but only with the session.
    assert_eq!(admin.get("/admin/orders").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn operator_add_hashes_the_password_it_reads_from_standard_input() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let url = crate::database::fresh_database_url(dir.path()).await;
    let run = |args: &[&str], password: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_storefront"))
            .args(args)
            .env("DATABASE_URL", &url)
            .env("DATA_DIR", dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
        child.wait_with_output().unwrap()
    };
    let added = run(
        &["operator", "add", "ada", "--email", "ada@example.com"],
        PASSWORD,
    );
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    assert!(String::from_utf8_lossy(&added.stdout).contains("Operator \"ada\" added"));
    // The same name again is refused without --reset; a short password always.
    assert!(!run(&["operator", "add", "ada"], PASSWORD).status.success());
    let short = run(&["operator", "add", "bob"], "short");
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 12 characters"));
    let pool = crate::helpers::connect(&url).await;
    let (hash, email): (String, String) =
        sqlx::query_as("SELECT password_hash, email FROM operators WHERE name = 'ada'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
    assert!(passwords::verify(PASSWORD, &hash));
    assert!(!hash.contains(PASSWORD));
    assert_eq!(email, "ada@example.com");
    assert_eq!(scalar(&pool, "SELECT COUNT(*) FROM operators").await, 1);
}

/// Inserts `count` paid orders (and one in review) straight into the database: the
/// list's order and its pages, without paying for each.
async fn many_orders(pool: &sqlx::AnyPool, count: i64) {
    sqlx::query(
        "INSERT INTO carts (id, token_hash, version, created_at, updated_at, expires_at)
         VALUES ('cart_many', 'hash_many', 0, 0, 0, 4102444800)",
    )
    .execute(pool)
    .await
    .unwrap();
    for n in 0..=count {
        let status = if n == 3 { "needs_review" } else { "paid" };
        sqlx::query(
            "INSERT INTO orders (id, cart_id, status, cart_version, currency, subtotal_minor,
                 shipping_minor, total_minor, shipping_option, email, reference, created_at,
                 updated_at)
             VALUES ($1, 'cart_many', $2, 0, 'usd', 1000, 500, 1500, 'standard', $3, $4, $5, $5)",
        )
        .bind(format!("ord_{n:04}"))
        .bind(status)
        .bind(format!("shopper{n}@example.com"))
        .bind(format!("R{n:04}"))
        // Several orders share a second: the id breaks the tie.
        .bind(1_765_000_000 + n / 3)
        .execute(pool)
        .await
        .unwrap();
    }
}

/// The order ids a list page links to, in order.
fn listed(page: &str) -> Vec<String> {
    page.split("href=\"/admin/orders/")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_orders_list_puts_reviews_first_then_pages_by_keyset() {
    let shop = spawn_app_with(|_| {}).await;
    add_operator(&shop, OPERATOR, PASSWORD, None).await;
    let pool = db(&shop).await;
    many_orders(&pool, 60).await;
    let admin = Admin::signed_in(&shop).await;
    let first = admin.page("/admin/orders").await;
    let first_ids = listed(&first);
    assert_eq!(first_ids.len(), 50);
    assert_eq!(first_ids[0], "ord_0003", "the order in review first");
    assert_eq!(first_ids[1], "ord_0060", "then the newest");
    let next = first
        .split("href=\"/admin/orders?after=")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a next page");
    // An order arriving meanwhile does not shift the next page.
    sqlx::query(
        "INSERT INTO orders (id, cart_id, status, cart_version, currency, subtotal_minor,
             shipping_minor, total_minor, shipping_option, created_at, updated_at)
         VALUES ('ord_late', 'cart_many', 'paid', 0, 'usd', 1, 0, 1, 'standard', 1865000000, 1865000000)",
    )
    .execute(&pool)
    .await
    .unwrap();
    let second = admin
        .page(&format!(
            "/admin/orders?after={}",
            next.replace("&amp;", "&")
        ))
        .await;
    let second_ids = listed(&second);
    assert_eq!(second_ids.len(), 11, "{second_ids:?}");
    assert!(
        second_ids.iter().all(|id| !first_ids.contains(id)),
        "no order twice"
    );
    assert_eq!(second_ids.last().unwrap(), "ord_0000");
    assert!(!second.contains("rel=\"next\""), "the last page");
    // Filter and search.
    let review = admin.page("/admin/orders?status=needs_review").await;
    assert_eq!(listed(&review), ["ord_0003"]);
    for search in [
        "R0042",
        "shopper42@example.com",
        "SHOPPER42@example.com",
        "ord_0042",
    ] {
        let found = admin
            .page(&format!("/admin/orders?q={}", search.replace('@', "%40")))
            .await;
        assert_eq!(listed(&found), ["ord_0042"], "{search}");
    }
    // Nonsense is ignored, never an error.
    let odd = admin
        .get("/admin/orders?status=bogus&after=1.2.x%27;--&q=%00")
        .await;
    assert_eq!(odd.status(), StatusCode::OK);
    // A control character in a form is refused with a reason, on either engine.
    let (_, response) = Admin::sign_in(&shop, "grace\u{0}", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn parked_events_and_commands_are_listed_and_retried_by_hand() {
    let shop = spawn_app_with(|_| {}).await;
    add_operator(&shop, OPERATOR, PASSWORD, None).await;
    let pool = db(&shop).await;
    let parked_flag = if shop.database_url.starts_with("postgres") {
        "FALSE"
    } else {
        "0"
    };
    sqlx::query(&format!(
        "INSERT INTO webhook_events (id, type, livemode, payment_intent, payload, status,
             attempts, next_attempt_at, last_error, received_at)
         VALUES ('evt_parked', 'payment_intent.succeeded', {parked_flag}, 'pi_gone', '{{}}',
             'parked', 12, 0, 'Stripe kept failing', 0)"
    ))
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO stripe_commands (id, kind, payment_intent, reason, status, attempts,
             next_attempt_at, last_error, created_at)
         VALUES ('cmd_parked', 'cancel_payment_intent', 'pi_gone', 'a test', 'parked', 8, 0,
             'refused', 0)",
    )
    .execute(&pool)
    .await
    .unwrap();
    let admin = Admin::signed_in(&shop).await;
    let events = admin.page("/admin/events").await;
    assert!(
        events.contains("evt_parked") && events.contains("Stripe kept failing"),
        "{events}"
    );
    let commands = admin.page("/admin/commands").await;
    assert!(commands.contains("cmd_parked"), "{commands}");

    let response = admin.post("/admin/events/evt_parked/retry", &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let response = admin.post("/admin/commands/cmd_parked/retry", &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    // The workers take them at once: Stripe does not know the PaymentIntent, so the
    // event is skipped and the command is done.
    let skipped = crate::helpers::scalar_becomes(
        &pool,
        "SELECT COUNT(*) FROM webhook_events WHERE id = 'evt_parked' AND status = 'skipped'",
        1,
    )
    .await;
    assert_eq!(skipped, 1);
    let done = crate::helpers::scalar_becomes(
        &pool,
        "SELECT COUNT(*) FROM stripe_commands WHERE id = 'cmd_parked' AND status = 'done'",
        1,
    )
    .await;
    assert_eq!(done, 1);
    // Retrying what is not waiting is refused, with a reason.
    let again = admin.post("/admin/events/evt_parked/retry", &[]).await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    let unknown = admin.post("/admin/commands/no%20such/retry", &[]).await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}
