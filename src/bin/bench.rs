//! Benchmark server: the real shop on one port and, on another, a bare axum handler
//! that serves the very bytes the shop rendered for `/` and `/cart`. `scripts/bench`
//! loads both with the same client, so the ratio shows what rendering costs.
//!
//! This binary is the only place the bare handler exists: shoppers never reach it.

use anyhow::Context;
use axum::{body::Body, http::header, response::Response, routing::get, Router};
use bytes_of::render;
use storefront::server::{Application, Config};
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let data_dir = std::env::temp_dir().join(format!("storefront-bench-{}", std::process::id()));
    let mut config = Config::for_tests(data_dir);
    config.listen_addr = "127.0.0.1:3400".parse()?;
    let shop = Application::build(config).await?;
    let shop_addr = shop.local_addr();
    tokio::spawn(shop.run_until_stopped());

    let catalog = render(&format!("http://{shop_addr}/")).await?;
    let cart = render(&format!("http://{shop_addr}/cart")).await?;
    let bare = Router::new()
        .route("/", get(move || page(catalog.clone())))
        .route("/cart", get(move || page(cart.clone())));
    let listener = TcpListener::bind("127.0.0.1:3401")
        .await
        .context("binding 3401")?;
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

mod bytes_of {
    use anyhow::{bail, Context};
    use tokio::{
        io::{AsyncReadExt, AsyncWriteExt},
        net::TcpStream,
    };

    /// Fetches a page from the shop over HTTP/1.0 (no chunking), returning its body.
    pub async fn render(url: &str) -> anyhow::Result<Vec<u8>> {
        let rest = url.strip_prefix("http://").context("http URL")?;
        let (host, path) = rest
            .split_once('/')
            .map(|(h, p)| (h, format!("/{p}")))
            .context("path")?;
        let mut stream = TcpStream::connect(host).await?;
        let request = format!("GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n");
        stream.write_all(request.as_bytes()).await?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await?;
        let split = response
            .windows(4)
            .position(|window| window == b"\r\n\r\n")
            .context("no header end")?;
        if !response.starts_with(b"HTTP/1.0 200") && !response.starts_with(b"HTTP/1.1 200") {
            bail!("{url} did not answer 200");
        }
        Ok(response[split + 4..].to_vec())
    }
}
