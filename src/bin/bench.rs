//! Benchmark server: the real shop on port 3400 and, on 3401, a bare axum handler
//! that serves the very bytes the shop rendered for `/` and `/cart`. `scripts/bench`
//! loads both with the same client, so the ratio shows what rendering costs.
//!
//! The shop runs as in production: request logging on (`RUST_LOG`, default `info`),
//! and `/cart` holding a real cart whose cookie is printed for the load generator.
//! This binary is the only place the bare handler exists: shoppers never reach it.

use anyhow::{bail, Context};
use axum::{body::Body, http::header, response::Response, routing::get, Router};
use storefront::server::{logging, Application, Config};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let data_dir = std::env::temp_dir().join(format!("storefront-bench-{}", std::process::id()));
    let mut config = Config::for_tests(data_dir);
    config.listen_addr = "127.0.0.1:3400".parse()?;
    config.log_filter = std::env::var("RUST_LOG").unwrap_or_else(|_| "info".to_owned());
    logging::init(&config);
    let shop = Application::build(config).await?;
    let shop_addr = shop.local_addr().to_string();
    tokio::spawn(shop.run_until_stopped());

    // A cart with two lines, so `/cart` renders lines and totals.
    let mut cookie = String::new();
    for (product, quantity) in [("linen-apron", "2"), ("stoneware-mug", "1")] {
        let form = format!("product_id={product}&quantity={quantity}");
        let (head, _) = exchange(&shop_addr, "POST", "/api/cart/add", &cookie, &form).await?;
        if let Some(set_cookie) = header_value(&head, "set-cookie") {
            cookie = set_cookie.split(';').next().unwrap_or_default().to_owned();
        }
    }
    let (_, catalog) = exchange(&shop_addr, "GET", "/", &cookie, "").await?;
    let (_, cart) = exchange(&shop_addr, "GET", "/cart", &cookie, "").await?;

    let bare = Router::new()
        .route("/", get(move || page(catalog.clone())))
        .route("/cart", get(move || page(cart.clone())));
    let listener = TcpListener::bind("127.0.0.1:3401")
        .await
        .context("binding 3401")?;
    println!("cookie: {cookie}");
    println!(
        "shop http://{shop_addr}  bare http://{}",
        listener.local_addr()?
    );
    axum::serve(listener, bare)
        .await
        .context("serving the bare handler")
}

async fn page(bytes: Vec<u8>) -> Response {
    Response::builder()
        .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
        .body(Body::from(bytes))
        .expect("static response parts are valid")
}

/// One HTTP/1.0 request (so the body is never chunked); returns the head and body.
async fn exchange(
    host: &str,
    method: &str,
    path: &str,
    cookie: &str,
    form: &str,
) -> anyhow::Result<(String, Vec<u8>)> {
    let mut stream = TcpStream::connect(host).await?;
    let cookie = if cookie.is_empty() {
        String::new()
    } else {
        format!("Cookie: {cookie}\r\n")
    };
    let request = format!(
        "{method} {path} HTTP/1.0\r\nHost: {host}\r\nOrigin: http://{host}\r\nAccept: application/json\r\n\
         {cookie}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
        form.len()
    );
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    let split = response
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .context("no end of headers")?;
    let head = String::from_utf8_lossy(&response[..split]).into_owned();
    if !head.starts_with("HTTP/1.0 200") && !head.starts_with("HTTP/1.1 200") {
        bail!(
            "{method} {path} answered {}",
            head.lines().next().unwrap_or_default()
        );
    }
    Ok((head, response[split + 4..].to_vec()))
}

fn header_value<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name).then(|| value.trim())
    })
}
