//! `spawn_app` and a small client that speaks like the shop's two kinds of caller.

use reqwest::{header, redirect, Client, Response, StatusCode};
use sqlx::AnyPool;
use std::{net::SocketAddr, time::Duration};
use storefront::server::{Application, Config};
use tempfile::TempDir;

/// Contact and delivery details that pass validation.
pub const DETAILS: [(&str, &str); 8] = [
    ("email", "ada@example.com"),
    ("name", "Ada Lovelace"),
    ("line1", "1 Main Street"),
    ("line2", ""),
    ("city", "Springfield"),
    ("region", "IL"),
    ("postal_code", "62701"),
    ("country", "US"),
];

/// A running shop with its own database, dropped with the test.
pub struct TestShop {
    pub addr: SocketAddr,
    pub client: Client,
    /// The cart cookie (`cart=...`) this shopper holds, if any.
    pub cookie: Option<String>,
    /// The Stripe API the shop calls.
    pub stripe_api_base: String,
    pub database_url: String,
    /// The shop's webhook inbox, when this test started the shop in-process.
    pub inbox: Option<storefront::server::webhooks::inbox::Inbox>,
    /// Where its `/metrics` is served, when this test started the shop in-process.
    pub metrics_addr: Option<SocketAddr>,
    _data_dir: std::sync::Arc<TempDir>,
}

/// Starts a shop on a free port with a fresh database.
pub async fn spawn_app() -> TestShop {
    spawn_app_with(|_| {}).await
}

/// Starts a shop after `adjust` has changed its configuration.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestShop {
    let data_dir = tempfile::tempdir().expect("temporary directory");
    let mut config = Config::for_tests(data_dir.path().to_path_buf());
    config.database_url = crate::database::fresh_database_url(data_dir.path()).await;
    adjust(&mut config);
    let database_url = config.database_url.clone();
    let app = Application::build(config).await.expect("the shop starts");
    let addr = app.local_addr();
    let stripe_api_base = app.stripe_api_base().to_owned();
    let inbox = app.inbox();
    let metrics_addr = app.metrics_addr();
    tokio::spawn(app.run_until_stopped());
    let client = Client::builder()
        .redirect(redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("HTTP client");
    TestShop {
        addr,
        client,
        cookie: None,
        stripe_api_base,
        database_url,
        inbox: Some(inbox),
        metrics_addr,
        _data_dir: std::sync::Arc::new(data_dir),
    }
}

/// A standalone emulator on a free port, as an external-emulator deployment has it:
/// tests hold its keys, read its request log and inject its faults.
pub struct TestStripe {
    pub running: stripe_emulator::RunningEmulator,
    http: Client,
}

impl TestStripe {
    pub async fn start() -> Self {
        let running = stripe_emulator::Emulator::open(stripe_emulator::Options {
            control_api: true,
            webhook_retries: stripe_emulator::RetrySchedule::Fast,
            ..Default::default()
        })
        .expect("emulator opens")
        .serve(([127, 0, 0, 1], 0).into())
        .await
        .expect("emulator serves");
        Self {
            running,
            http: Client::new(),
        }
    }

    /// The shop's configuration for this emulator (external mode).
    pub fn mode(&self) -> storefront::server::stripe::StripeMode {
        let keys = &self.running.keys;
        storefront::server::stripe::StripeMode::External {
            api_base: self.running.base_url.clone(),
            js_url: format!("{}/js.stripe.com/v3/", self.running.base_url),
            keys: storefront::server::stripe::StripeKeys::parse(
                &keys.secret_key,
                &keys.publishable_key,
                Some(keys.webhook_secret.clone()),
            )
            .expect("the emulator's keys have Stripe's shapes"),
        }
    }

    /// `POST /_emulator/{path}` with a JSON body.
    pub async fn control(&self, path: &str, body: serde_json::Value) {
        let response = self
            .http
            .post(format!("{}/_emulator/{path}", self.running.base_url))
            .json(&body)
            .send()
            .await
            .expect("control call");
        assert!(
            response.status().is_success(),
            "control {path}: {}",
            response.status()
        );
    }

    /// `POST /_emulator/{path}` with a JSON body: what it answers (insisting on 2xx).
    pub async fn control_json(&self, path: &str, body: serde_json::Value) -> serde_json::Value {
        let response = self
            .http
            .post(format!("{}/_emulator/{path}", self.running.base_url))
            .json(&body)
            .send()
            .await
            .expect("control call");
        let status = response.status();
        let text = response.text().await.expect("control answer");
        assert!(status.is_success(), "control {path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
    }

    /// Moves PaymentIntent `id` to `status` (`processing`, `succeeded`,
    /// `payment_failed`), as a bank deciding late would, events and all.
    pub async fn force(&self, id: &str, status: &str) {
        self.control(
            &format!("payment_intents/{id}/force"),
            serde_json::json!({ "status": status }),
        )
        .await;
    }

    /// A Stripe API call with the secret key.
    pub async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        form: &[(&str, &str)],
    ) -> serde_json::Value {
        self.http
            .request(method, format!("{}{path}", self.running.base_url))
            .bearer_auth(&self.running.keys.secret_key)
            .form(form)
            .send()
            .await
            .expect("API call")
            .json()
            .await
            .expect("API JSON")
    }

    /// Confirms PaymentIntent `id` with `payment_method` (a test card such as
    /// `pm_card_visa`), as the shopper's browser would: the PaymentIntent after it.
    pub async fn confirm(&self, id: &str, payment_method: &str) -> serde_json::Value {
        self.confirm_with(id, payment_method, &[]).await
    }

    /// Confirms PaymentIntent `id` as Stripe.js in the shopper's browser does: the
    /// publishable key, the page's client secret and a raw test card number (what a
    /// card tester holding the page's secret can do, as often as they like).
    pub async fn confirm_in_browser(
        &self,
        id: &str,
        client_secret: &str,
        card_number: &str,
    ) -> serde_json::Value {
        self.http
            .post(format!(
                "{}/v1/payment_intents/{id}/confirm",
                self.running.base_url
            ))
            .form(&[
                ("key", self.running.keys.publishable_key.as_str()),
                ("client_secret", client_secret),
                ("return_url", "http://127.0.0.1/done"),
                ("payment_method_data[type]", "card"),
                ("payment_method_data[card][number]", card_number),
                ("payment_method_data[card][exp_month]", "12"),
                ("payment_method_data[card][exp_year]", "2034"),
                ("payment_method_data[card][cvc]", "123"),
            ])
            .send()
            .await
            .expect("confirm")
            .json()
            .await
            .expect("confirm JSON")
    }

    /// [`TestStripe::confirm`] with `extra` parameters, such as `receipt_email` and
    /// `shipping[...]` (a client that skips the shop's submit step sends them).
    pub async fn confirm_with(
        &self,
        id: &str,
        payment_method: &str,
        extra: &[(&str, &str)],
    ) -> serde_json::Value {
        let mut form = vec![
            ("payment_method", payment_method),
            ("return_url", "http://127.0.0.1/done"),
        ];
        form.extend_from_slice(extra);
        self.api(
            reqwest::Method::POST,
            &format!("/v1/payment_intents/{id}/confirm"),
            &form,
        )
        .await
    }

    pub async fn payment_intent(&self, id: &str) -> serde_json::Value {
        self.api(
            reqwest::Method::GET,
            &format!("/v1/payment_intents/{id}"),
            &[],
        )
        .await
    }

    /// Every PaymentIntent the account has.
    pub async fn payment_intents(&self) -> Vec<serde_json::Value> {
        let list = self
            .api(reqwest::Method::GET, "/v1/payment_intents?limit=100", &[])
            .await;
        list["data"].as_array().expect("a list").clone()
    }

    /// The emulator's request log, oldest first.
    pub async fn requests(&self) -> Vec<serde_json::Value> {
        let log: serde_json::Value = self
            .http
            .get(format!("{}/_emulator/requests", self.running.base_url))
            .send()
            .await
            .expect("request log")
            .json()
            .await
            .expect("request log JSON");
        log["data"].as_array().expect("entries").clone()
    }
}

/// A shop in external mode against `stripe`.
pub async fn spawn_app_against(stripe: &TestStripe, adjust: impl FnOnce(&mut Config)) -> TestShop {
    let mode = stripe.mode();
    spawn_app_with(move |config| {
        config.stripe = mode;
        adjust(config);
    })
    .await
}

/// A shop against a standalone emulator that delivers its webhooks to it.
pub async fn shop_with_webhooks(adjust: impl FnOnce(&mut Config)) -> (TestStripe, TestShop) {
    let stripe = TestStripe::start().await;
    let shop = spawn_app_against(&stripe, adjust).await;
    stripe
        .running
        .emulator
        .configure_webhook_urls(&[shop.url("/webhooks/stripe")])
        .unwrap();
    (stripe, shop)
}

impl TestShop {
    /// A shopper of a shop running elsewhere (another process), whose database is at
    /// `database_url`.
    pub fn attach(addr: SocketAddr, database_url: String) -> TestShop {
        TestShop {
            addr,
            client: Client::builder()
                .redirect(redirect::Policy::none())
                .timeout(Duration::from_secs(30))
                .build()
                .expect("HTTP client"),
            cookie: None,
            stripe_api_base: String::new(),
            database_url,
            inbox: None,
            metrics_addr: None,
            _data_dir: std::sync::Arc::new(tempfile::tempdir().expect("temporary directory")),
        }
    }

    /// Another shopper (no cookie) at the same shop.
    pub fn stranger(&self) -> TestShop {
        TestShop {
            addr: self.addr,
            client: self.client.clone(),
            cookie: None,
            stripe_api_base: self.stripe_api_base.clone(),
            database_url: self.database_url.clone(),
            inbox: self.inbox.clone(),
            metrics_addr: self.metrics_addr,
            _data_dir: self._data_dir.clone(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// GETs a page as a browser would, with the shopper's cookie.
    pub async fn get(&self, path: &str) -> Response {
        let mut request = self
            .client
            .get(self.url(path))
            .header(header::ACCEPT, "text/html");
        if let Some(cookie) = &self.cookie {
            request = request.header(header::COOKIE, cookie);
        }
        request.send().await.expect("GET succeeds")
    }

    /// GETs a page and returns its HTML.
    pub async fn page(&self, path: &str) -> String {
        let response = self.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.text().await.expect("page body")
    }

    /// Calls a server function the way the hydrated client does (JSON back).
    pub async fn call(&mut self, endpoint: &str, form: &[(&str, &str)]) -> Response {
        let response = self.post(endpoint, form, "application/json").await;
        self.keep_cookie(&response);
        response
    }

    /// Where a no-JS post's redirect sends the browser: a path on this shop.
    pub fn redirected_to(&self, response: &Response) -> String {
        response.headers()[header::LOCATION]
            .to_str()
            .unwrap()
            .strip_prefix(&self.origin())
            .expect("same-origin redirect")
            .to_owned()
    }

    /// Posts a form the way a browser without JavaScript does, from `referer`.
    pub async fn post_form(
        &mut self,
        endpoint: &str,
        form: &[(&str, &str)],
        referer: &str,
    ) -> Response {
        let mut request = self
            .client
            .post(self.url(&format!("/api/{endpoint}")))
            .header(header::ORIGIN, self.origin())
            .header(header::REFERER, self.url(referer))
            .header(header::ACCEPT, "text/html,application/xhtml+xml")
            .form(form);
        if let Some(cookie) = &self.cookie {
            request = request.header(header::COOKIE, cookie);
        }
        let response = request.send().await.expect("POST succeeds");
        self.keep_cookie(&response);
        response
    }

    /// [`TestShop::call`], with a transport failure (the instance is down) returned
    /// rather than panicking, as a load balancer would see it.
    pub async fn try_call(
        &mut self,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Result<Response> {
        let response = self.try_post(endpoint, form, "application/json").await?;
        self.keep_cookie(&response);
        Ok(response)
    }

    async fn post(&self, endpoint: &str, form: &[(&str, &str)], accept: &str) -> Response {
        self.try_post(endpoint, form, accept)
            .await
            .expect("POST succeeds")
    }

    async fn try_post(
        &self,
        endpoint: &str,
        form: &[(&str, &str)],
        accept: &str,
    ) -> reqwest::Result<Response> {
        let mut request = self
            .client
            .post(self.url(&format!("/api/{endpoint}")))
            .header(header::ORIGIN, self.origin())
            .header(header::ACCEPT, accept)
            .form(form);
        if let Some(cookie) = &self.cookie {
            request = request.header(header::COOKIE, cookie);
        }
        request.send().await
    }

    /// Adds `quantity` × `product`, prepares the payment with standard shipping and
    /// submits the order with [`DETAILS`]: the payment session (`payment_intent`,
    /// `client_secret`, totals).
    pub async fn submitted_order(&mut self, product: &str, quantity: &str) -> serde_json::Value {
        self.add(product, quantity).await;
        let response = self
            .call(
                "checkout/prepare",
                &[
                    ("shipping", "standard"),
                    ("country", "US"),
                    ("region", "IL"),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK, "prepare");
        let session: serde_json::Value = response.json().await.expect("session JSON");
        let form = submission(&session);
        let response = self.call("checkout/submit", &as_pairs(&form)).await;
        assert_eq!(response.status(), StatusCode::OK, "submit");
        session
    }

    /// Adds a product and insists it worked.
    pub async fn add(&mut self, product: &str, quantity: &str) -> serde_json::Value {
        let response = self
            .call(
                "cart/add",
                &[("product_id", product), ("quantity", quantity)],
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "adding {quantity} × {product}"
        );
        response.json().await.expect("cart JSON")
    }

    /// The cart as the server function reports it.
    pub async fn cart(&mut self) -> serde_json::Value {
        let response = self.call("cart", &[]).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("cart JSON")
    }

    fn keep_cookie(&mut self, response: &Response) {
        if let Some(set_cookie) = set_cookie(response) {
            let pair = set_cookie.split(';').next().unwrap_or_default().to_owned();
            self.cookie = if pair == "cart=" { None } else { Some(pair) };
        }
    }
}

/// Contact and delivery as a client that skips the shop's submit step gives them to
/// Stripe's confirm: `receipt_email` and `shipping`.
pub const SHIPPING: [(&str, &str); 7] = [
    ("receipt_email", "grace@example.com"),
    ("shipping[name]", "Grace Hopper"),
    ("shipping[address][line1]", "2 Harbour Road"),
    ("shipping[address][city]", "Arlington"),
    ("shipping[address][state]", "VA"),
    ("shipping[address][postal_code]", "22201"),
    ("shipping[address][country]", "US"),
];

/// Every `Vary` the response carries, lower-cased and joined (layers add their own).
pub fn vary(response: &Response) -> String {
    response
        .headers()
        .get_all(header::VARY)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .map(str::to_ascii_lowercase)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The `<script>` elements of a page that a browser would run: all but empty ones
/// (the language provider's placeholder, `<script></script>`, which HTML never runs,
/// so CSP never judges it).
pub fn scripts_that_run(page: &str) -> usize {
    page.matches("<script").count() - page.matches("<script></script>").count()
}

/// The response's `Set-Cookie` header, if any.
pub fn set_cookie(response: &Response) -> Option<String> {
    response
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

/// Quantities per product in a cart JSON value.
pub fn lines(cart: &serde_json::Value) -> Vec<(String, u64)> {
    cart["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|line| {
            (
                line["product_id"].as_str().expect("id").to_owned(),
                line["quantity"].as_u64().expect("quantity"),
            )
        })
        .collect()
}

/// The submit form of a prepared checkout `session` (standard delivery, [`DETAILS`]),
/// with what its page showed.
pub fn submission(session: &serde_json::Value) -> Vec<(&'static str, String)> {
    let mut form: Vec<(&'static str, String)> =
        DETAILS.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
    form.extend([
        ("shipping", "standard".to_owned()),
        (
            "payment_intent",
            session["payment_intent"]
                .as_str()
                .expect("a PaymentIntent")
                .to_owned(),
        ),
        ("cart_version", session["cart_version"].to_string()),
        ("total", session["totals"]["total"]["minor"].to_string()),
    ]);
    form
}

/// A form's pairs borrowed, as `TestShop::call` takes them.
pub fn as_pairs<'a>(form: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    form.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// The number in the header's cart badge.
pub fn cart_count(page: &str) -> Option<u32> {
    let badge = page.find("data-testid=\"cart-count\"")?;
    let text = &page[badge..];
    let start = text.find('>')? + 1;
    let end = text[start..].find('<')? + start;
    text[start..end].trim().parse().ok()
}

/// A connection pool on the shop's own database, for what a test checks there.
pub async fn db(shop: &TestShop) -> AnyPool {
    connect(&shop.database_url).await
}

/// A connection pool on the database at `url`, whichever engine it is on. (The
/// tests' own checks are plain integers and text, which `Any` carries; the shop's
/// store never uses it.)
pub async fn connect(url: &str) -> AnyPool {
    sqlx::any::install_default_drivers();
    AnyPool::connect(url).await.unwrap()
}

pub async fn scalar(pool: &AnyPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

/// Polls `sql` (bounded: 15 s, room for a retry's backoff) until it reads `expected`;
/// returns the last reading.
pub async fn scalar_becomes(pool: &AnyPool, sql: &str, expected: i64) -> i64 {
    let mut reading = scalar(pool, sql).await;
    for _ in 0..300 {
        if reading == expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        reading = scalar(pool, sql).await;
    }
    reading
}

/// Waits (polling the database, bounded) until the order reaches `status`.
pub async fn wait_for(pool: &AnyPool, order: &str, status: &str) {
    for _ in 0..200 {
        let now: String = sqlx::query_scalar("SELECT status FROM orders WHERE id = $1")
            .bind(order)
            .fetch_one(pool)
            .await
            .unwrap();
        if now == status {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("order {order} never reached {status}");
}
