//! Benchmark server: the real shop on port 3400 and, on 3401, a bare axum handler
//! that serves the very bytes the shop rendered for `/`, `/cart` and `/checkout`,
//! already compressed, as a static server would serve a precompressed file.
//! `scripts/bench` loads both with the same client and browser-like headers, so the
//! ratio shows what rendering (and compressing) costs.
//!
//! The shop runs as in production: request logging on (`RUST_LOG`, default `info`),
//! and `/cart` and `/checkout` holding a real cart whose cookie is printed for the
//! load generator. This binary is the only place the bare handler exists: shoppers
//! never reach it. It stops, with the shop inside it, on SIGTERM or Ctrl-C.
//!
//! `storefront-bench steady URL RATE SECONDS [COOKIE]` instead sends RATE requests a
//! second for SECONDS, whatever the answers' pace (an open loop, as shoppers arrive),
//! and prints the p50 and p99 latency.

use anyhow::{bail, Context};
use axum::{
    body::Body,
    http::{header, HeaderValue},
    response::Response,
    routing::get,
    Router,
};
use std::time::{Duration, Instant};
use storefront::server::{logging, Application, Config};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

/// The same allocator as the shop's own binary: the figures are the shop's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// What Chromium sends with a navigation, less what is unique to one browser.
const BROWSER_HEADERS: [(&str, &str); 4] = [
    (
        "Accept",
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    ),
    ("Accept-Encoding", "gzip, deflate, br, zstd"),
    ("Accept-Language", "en-US,en;q=0.9"),
    (
        "User-Agent",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36",
    ),
];

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("steady") => steady(&args[1..]).await,
        None => serve().await,
        Some(other) => {
            bail!("unknown command {other:?}: none, or `steady URL RATE SECONDS [COOKIE]`")
        }
    }
}

async fn serve() -> anyhow::Result<()> {
    let data_dir = std::env::temp_dir().join(format!("storefront-bench-{}", std::process::id()));
    let mut config = Config::for_tests(data_dir.clone());
    config.listen_addr = "127.0.0.1:3400".parse()?;
    config.log_filter = std::env::var("RUST_LOG").unwrap_or_else(|_| "info".to_owned());
    let _log_writer = logging::init(&config);
    let shop = Application::build(config).await?;
    let shop_addr = shop.local_addr().to_string();
    let shop_task = tokio::spawn(shop.run_until_stopped());

    // A cart with two lines, so `/cart` and `/checkout` render lines and totals.
    let mut cookie = String::new();
    for (product, quantity) in [("linen-apron", "2"), ("stoneware-mug", "1")] {
        let form = format!("product_id={product}&quantity={quantity}");
        let (head, _) = exchange(&shop_addr, "POST", "/api/cart/add", &cookie, &form).await?;
        if let Some(set_cookie) = header_value(&head, "set-cookie") {
            cookie = set_cookie.split(';').next().unwrap_or_default().to_owned();
        }
    }
    let mut bare = Router::new();
    for (path, cookie) in [("/", ""), ("/cart", &*cookie), ("/checkout", &*cookie)] {
        let (head, body) = exchange(&shop_addr, "GET", path, cookie, "").await?;
        let encoding = header_value(&head, "content-encoding").map(str::to_owned);
        println!(
            "{path}: {} bytes ({})",
            body.len(),
            encoding.as_deref().unwrap_or("identity")
        );
        bare = bare.route(path, get(move || page(body.clone(), encoding.clone())));
    }
    let listener = TcpListener::bind("127.0.0.1:3401")
        .await
        .context("binding 3401")?;
    println!("cookie: {cookie}");
    println!(
        "shop http://{shop_addr}  bare http://{}",
        listener.local_addr()?
    );
    // The shop inside stops on the same signal (its own graceful shutdown).
    axum::serve(listener, bare)
        .with_graceful_shutdown(stopped())
        .await
        .context("serving the bare handler")?;
    shop_task.await??;
    std::fs::remove_dir_all(&data_dir).ok();
    Ok(())
}

async fn stopped() {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("installing a SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        _ = terminate.recv() => {},
    }
}

async fn page(bytes: Vec<u8>, encoding: Option<String>) -> Response {
    let mut response = Response::builder()
        .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
        .header(header::VARY, "accept-encoding")
        .body(Body::from(bytes))
        .expect("static response parts are valid");
    if let Some(encoding) = encoding.and_then(|value| HeaderValue::try_from(value).ok()) {
        response
            .headers_mut()
            .insert(header::CONTENT_ENCODING, encoding);
    }
    response
}

/// One HTTP/1.0 request (so the body is never chunked) with a browser's headers;
/// returns the head and the body as sent (compressed when the server compressed it).
async fn exchange(
    host: &str,
    method: &str,
    path: &str,
    cookie: &str,
    form: &str,
) -> anyhow::Result<(String, Vec<u8>)> {
    let mut stream = TcpStream::connect(host).await?;
    let mut headers = String::new();
    if !cookie.is_empty() {
        headers.push_str(&format!("Cookie: {cookie}\r\n"));
    }
    if method == "GET" {
        for (name, value) in BROWSER_HEADERS {
            headers.push_str(&format!("{name}: {value}\r\n"));
        }
    } else {
        headers.push_str("Accept: application/json\r\n");
    }
    let request = format!(
        "{method} {path} HTTP/1.0\r\nHost: {host}\r\nOrigin: http://{host}\r\n{headers}\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
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

/// An open loop: one request every 1/RATE s, each on its own task, so a slow answer
/// delays no later request (wrk's closed loop would hide such stalls).
async fn steady(args: &[String]) -> anyhow::Result<()> {
    let [url, rate, seconds, rest @ ..] = args else {
        bail!("usage: steady URL RATE SECONDS [COOKIE]");
    };
    let rate: u32 = rate.parse().context("RATE")?;
    let seconds: u32 = seconds.parse().context("SECONDS")?;
    if rate == 0 || seconds == 0 {
        bail!("RATE and SECONDS must be at least 1");
    }
    let mut headers = reqwest::header::HeaderMap::new();
    for (name, value) in BROWSER_HEADERS {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if let Some(cookie) = rest.first() {
        headers.insert(header::COOKIE, HeaderValue::try_from(cookie.as_str())?);
    }
    // reqwest here has no decompression feature: bodies arrive as sent, and are read
    // to the end, as a browser would before it can use them.
    let client = reqwest::Client::builder()
        .default_headers(headers)
        .build()?;
    let mut tick = tokio::time::interval(Duration::from_secs(1) / rate);
    let mut pending = Vec::new();
    for _ in 0..rate * seconds {
        tick.tick().await;
        let (client, url) = (client.clone(), url.clone());
        pending.push(tokio::spawn(async move {
            let started = Instant::now();
            let response = client.get(&url).send().await?.error_for_status()?;
            response.bytes().await?;
            anyhow::Ok(started.elapsed())
        }));
    }
    let mut latencies = Vec::with_capacity(pending.len());
    for task in pending {
        latencies.push(task.await??);
    }
    latencies.sort();
    let at = |share: usize| latencies[(latencies.len() * share / 100).min(latencies.len() - 1)];
    let ms = |duration: Duration| duration.as_secs_f64() * 1000.0;
    println!(
        "{rate}/s for {seconds} s: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        ms(at(50)),
        ms(at(99)),
        ms(latencies[latencies.len() - 1])
    );
    Ok(())
}
