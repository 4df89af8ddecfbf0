//! `spawn_app` and a small client that speaks like the shop's two kinds of caller.

use reqwest::{header, redirect, Client, Response, StatusCode};
use std::{net::SocketAddr, time::Duration};
use storefront::server::{Application, Config};
use tempfile::TempDir;

/// A running shop with its own database, dropped with the test.
pub struct TestShop {
    pub addr: SocketAddr,
    pub client: Client,
    /// The cart cookie (`cart=...`) this shopper holds, if any.
    pub cookie: Option<String>,
    _data_dir: TempDir,
}

/// Starts a shop on a free port with a fresh database.
pub async fn spawn_app() -> TestShop {
    spawn_app_with(|_| {}).await
}

/// Starts a shop after `adjust` has changed its configuration.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestShop {
    let data_dir = tempfile::tempdir().expect("temporary directory");
    let mut config = Config::for_tests(data_dir.path().to_path_buf());
    adjust(&mut config);
    let app = Application::build(config).await.expect("the shop starts");
    let addr = app.local_addr();
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
        _data_dir: data_dir,
    }
}

impl TestShop {
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

    async fn post(&self, endpoint: &str, form: &[(&str, &str)], accept: &str) -> Response {
        let mut request = self
            .client
            .post(self.url(&format!("/api/{endpoint}")))
            .header(header::ORIGIN, self.origin())
            .header(header::ACCEPT, accept)
            .form(form);
        if let Some(cookie) = &self.cookie {
            request = request.header(header::COOKIE, cookie);
        }
        request.send().await.expect("POST succeeds")
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

/// The number in the header's cart badge.
pub fn cart_count(page: &str) -> Option<u32> {
    let badge = page.find("data-testid=\"cart-count\"")?;
    let text = &page[badge..];
    let start = text.find('>')? + 1;
    let end = text[start..].find('<')? + start;
    text[start..end].trim().parse().ok()
}
