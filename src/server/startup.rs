//! Start-up: configuration to a listening server.

use super::{
    expired_carts,
    fulfilment::{self, mail::MailSender},
    health, locale, logging,
    metrics::{self, Metrics},
    page_cache,
    rate_limit::PaymentLimits,
    security::{self, ContentSecurityPolicy, CspNonce},
    server_fn_status,
    static_files::{self, StaticFiles},
    store::{Engine, FailureLock, Store},
    stripe::{self, Payments},
    webhooks::{self, inbox::Inbox},
    AppState, Config, Shared,
};
use crate::app::{shell, App, StripeScript};
use anyhow::Context;
use axum::{
    middleware,
    routing::{get, post},
    Router,
};
use leptos::{
    config::{get_configuration, LeptosOptions},
    prelude::{provide_context, use_context},
};
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use std::{
    net::SocketAddr,
    sync::{Arc, OnceLock},
};
use tokio::net::TcpListener;
use tower_http::compression::{
    predicate::{DefaultPredicate, Predicate, SizeAbove},
    CompressionLayer, CompressionLevel,
};

/// A shop bound to its port, ready to serve.
pub struct Application {
    listener: TcpListener,
    /// Where `/metrics` is served, when it is.
    metrics_addr: Option<SocketAddr>,
    router: Router,
    stripe_api_base: String,
    inbox: Inbox,
    /// The in-process Stripe emulator of the embedded mode.
    emulator: Option<stripe_emulator::RunningEmulator>,
}

impl Application {
    /// Creates the data directory, opens and migrates the database, binds the
    /// listener and assembles the routes.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        // The sign-in's decoy hash, made now (it takes a moment) rather than at the
        // first sign-in with an unknown name.
        tokio::task::spawn_blocking(|| {
            let _ = crate::admin::passwords::decoy();
        });
        std::fs::create_dir_all(&config.data_dir).with_context(|| {
            format!("creating the data directory {}", config.data_dir.display())
        })?;
        let listener = TcpListener::bind(config.listen_addr)
            .await
            .with_context(|| format!("listening on {}", config.listen_addr))?;
        // The address this machine reaches the shop at (0.0.0.0 is not one).
        let local_addr = listener.local_addr()?;
        let reachable = if local_addr.ip().is_unspecified() {
            SocketAddr::new(std::net::IpAddr::from([127, 0, 0, 1]), local_addr.port())
        } else {
            local_addr
        };
        let shop_url = config
            .public_origin
            .clone()
            .unwrap_or_else(|| format!("http://{reachable}"));
        if config.smtp_url.is_some() && config.public_origin.is_none() {
            tracing::warn!(
                %shop_url,
                "emails go out by SMTP but PUBLIC_URL is unset: their links point at this machine's own address"
            );
        }
        let store = Store::open(&config.database_url)
            .await?
            .linking_to(&shop_url)
            .leasing_work_for(config.work_lease)
            .named(config.instance_name.as_deref())
            .pausing_after(FailureLock {
                max_failures: i64::from(config.limits.failures_before_lock),
                window_secs: i64::try_from(config.limits.failure_window.as_secs())
                    .unwrap_or(i64::MAX),
            });
        // Start-up never waits on Stripe itself: the embedded emulator is in-process,
        // and nothing here calls the API.
        let (payments, emulator) =
            Payments::start(&config.stripe, &config.data_dir, config.stripe_timeout).await?;
        if let Some(emulator) = &emulator {
            // The embedded emulator delivers its events to this shop, as `stripe
            // listen --forward-to` would.
            let url = format!("http://{reachable}{}", security::WEBHOOK_PATH);
            emulator
                .emulator
                .configure_webhook_urls(&[url])
                .context("pointing the embedded emulator's webhooks at the shop")?;
        }
        let stored = Arc::new(tokio::sync::Notify::new());
        let inbox = Inbox::open(&store, &config.database_url, stored.clone()).await?;
        let mut leptos_options = leptos_options()?;
        leptos_options.site_addr = listener.local_addr()?;
        let limits = PaymentLimits::new(&config.limits);
        // Instances sharing PostgreSQL share their counts; one SQLite instance keeps
        // them in memory.
        let limits = match store.engine() {
            Engine::Postgres => limits.shared_through(store.clone()),
            Engine::Sqlite => limits,
        };
        let metrics = Arc::new(Metrics::default());
        let mut payments = payments;
        payments.client = payments.client.observed_by(metrics.clone());
        let metrics_addr = match config.metrics_addr {
            Some(addr) => Some(serve_metrics(addr, metrics.clone(), store.clone()).await?),
            None => None,
        };
        let state = AppState::new(Shared {
            leptos_options,
            store,
            metrics,
            limits: Arc::new(limits),
            cart_locks: Arc::default(),
            payment_locks: Arc::default(),
            config: Arc::new(config),
            payments: Arc::new(payments),
            inbox,
        });
        let mail =
            MailSender::from_config(state.config.smtp_url.as_deref(), &state.config.mail_from)?;
        // Background work; none of it is awaited, so start-up never waits on Stripe.
        tokio::spawn(fulfilment::worker::run(state.clone(), stored));
        tokio::spawn(fulfilment::reconciler::run(state.clone()));
        tokio::spawn(fulfilment::mail::run(state.clone(), mail));
        tokio::spawn(expired_carts::run(state.clone()));
        tokio::spawn(fulfilment::stock_holds::run(state.clone()));
        tokio::spawn(stripe::commands::run(state.clone()));
        let stripe_api_base = state.payments.api_base.clone();
        let inbox = state.inbox.clone();
        if state.payments.test_mode {
            tracing::info!(stripe = %stripe_api_base, "payments in test mode: nothing is really charged");
        }
        Ok(Self {
            listener,
            metrics_addr,
            router: router(state),
            stripe_api_base,
            inbox,
            emulator,
        })
    }

    /// The webhook inbox writer (its statistics show group commit at work).
    pub fn inbox(&self) -> webhooks::inbox::Inbox {
        self.inbox.clone()
    }

    /// The Stripe API base the shop calls (the embedded emulator's address in tests).
    pub fn stripe_api_base(&self) -> &str {
        &self.stripe_api_base
    }

    /// The address the shop actually listens on (port 0 resolved).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Where `/metrics` is served, when `METRICS_ADDR` is set.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    /// Serves until Ctrl-C or SIGTERM, finishing requests in flight.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        // The peer address feeds the per-IP rate limits.
        let served = axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown_signal())
        .await;
        if let Some(emulator) = self.emulator {
            emulator.stop().await?;
        }
        served
    }
}

/// The binary's entry point: `.env` and environment to a running shop.
pub async fn run() -> anyhow::Result<()> {
    let config = Config::from_env()?;
    let _log_writer = logging::init(&config);
    let app = Application::build(config).await?;
    tracing::info!("shop listening on http://{}", app.local_addr());
    app.run_until_stopped().await.context("serving HTTP")
}

/// The shop's complete router: health check, Leptos pages and server functions,
/// static files, and the security and logging layers around them all.
pub fn router(state: AppState) -> Router {
    let routes = route_list();
    let mut sources = state.config.csp_sources.clone();
    let stripe = state.payments.csp_sources();
    sources.script.extend(stripe.script);
    sources.frame.extend(stripe.frame);
    sources.connect.extend(stripe.connect);
    let policy = Arc::new(ContentSecurityPolicy::new(&sources));
    let public_origin: Option<Arc<str>> = state.config.public_origin.as_deref().map(Arc::from);
    let https = state.config.serves_https();
    // Behind an `Arc`: the closure holding it is cloned with its route for every
    // request, and a `LeptosOptions` is a dozen reference-counted strings.
    let options = Arc::new(state.leptos_options.clone());
    let script = StripeScript(Arc::from(state.payments.js_url.as_str()));
    let page_context = move || {
        provide_request_nonce();
        provide_context(script.clone());
    };
    // The fallback (static files, and the 404 page) renders the app too, so it needs
    // the same context as the routes: the state for server functions, and the nonce.
    let fallback_context = {
        let state = state.clone();
        let page_context = page_context.clone();
        move || {
            provide_context(state.clone());
            page_context();
        }
    };
    // Stripe's webhooks skip the page layers (CSP nonces, compression, the Origin
    // check): they carry no page and authenticate by signature. They are still logged.
    let webhooks = Router::new()
        .route(security::WEBHOOK_PATH, post(webhooks::receive))
        .with_state(state.clone())
        .layer(middleware::from_fn(logging::log_request));
    // Release builds serve the site's files from memory; `cargo leptos watch` (a
    // debug build) rewrites them while it runs, so it reads them from disk.
    let static_files = if cfg!(debug_assertions) {
        StaticFiles::default()
    } else {
        let root = std::path::Path::new(&*state.leptos_options.site_root);
        StaticFiles::load(root).unwrap_or_else(|error| {
            tracing::warn!(%error, root = %root.display(), "static files are read from disk");
            StaticFiles::default()
        })
    };
    let catalog_pages = Arc::new(page_cache::CatalogPages {
        cache: page_cache::PageCache::default(),
        store: state.store.clone(),
    });
    let pages = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/locale", post(locale::choose))
        .merge(crate::admin::router())
        .leptos_routes_with_context(&state, routes, page_context, move || {
            shell(LeptosOptions::clone(&options))
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(fallback_context, shell))
        .with_state(state)
        // The last layer added runs first: request log, security headers and CSP,
        // compression, static files from memory, the anonymous catalog page's cache,
        // the cross-site check, then server-function error statuses.
        .layer(middleware::from_fn(server_fn_status::server_fn_status))
        .layer(middleware::from_fn_with_state(
            public_origin,
            security::reject_cross_site_posts,
        ))
        .layer(middleware::from_fn_with_state(
            catalog_pages,
            page_cache::serve,
        ))
        .layer(middleware::from_fn(locale::vary))
        .layer(middleware::from_fn_with_state(
            Arc::new(static_files),
            static_files::serve,
        ))
        .layer(page_compression())
        .layer(middleware::from_fn_with_state(
            policy,
            security::protective_headers,
        ))
        .layer(middleware::from_fn(logging::log_request));
    let router = webhooks.merge(pages);
    // Behind https every response, the webhook route's too, tells browsers to come
    // back only over https.
    if https {
        router.layer(middleware::from_fn(security::strict_transport_security))
    } else {
        router
    }
}

/// Compression for what is rendered per request. Static files never reach it
/// compressed by hand: `cargo leptos build --release --precompress` writes `.br` and
/// `.gz` beside each (at the best levels, once), the file handler serves those, and
/// a response that already has a `Content-Encoding` is left alone. Pages are
/// compressed at the fastest level (brotli's default, 11, cost more than rendering
/// them), and only above a size where it can save a packet.
fn page_compression() -> CompressionLayer<impl Predicate + Clone> {
    CompressionLayer::new()
        .quality(CompressionLevel::Fastest)
        .compress_when(DefaultPredicate::new().and(SizeAbove::new(1024)))
}

/// The app's routes, worked out once per process.
///
/// Generating them renders the app with resource loading suspended by a flag that is
/// global to the process: a resource first polled meanwhile, by any request of any
/// server in the process, waits forever (leptos-rs/leptos#4773). Every server in this
/// process (the test suite starts many) must therefore share one generation, made
/// before any of them serves. The table is the same for all of them.
fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// Hands the nonce drawn by [`security::protective_headers`] to Leptos, which puts
/// it on every inline script it renders.
fn provide_request_nonce() {
    let nonce = use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<CspNonce>().cloned());
    if let Some(CspNonce(nonce)) = nonce {
        provide_context(leptos::nonce::Nonce::from_value(nonce));
    }
}

/// Leptos's settings from cargo-leptos's environment (`LEPTOS_*`, with defaults).
fn leptos_options() -> anyhow::Result<LeptosOptions> {
    Ok(get_configuration(None)
        .context("reading the Leptos configuration")?
        .leptos_options)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

/// Binds `addr` and serves `/metrics` there in the background: its own listener, so the
/// shoppers' port never answers it. Returns the bound address.
async fn serve_metrics(
    addr: SocketAddr,
    metrics: Arc<Metrics>,
    store: Store,
) -> anyhow::Result<SocketAddr> {
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding METRICS_ADDR {addr}"))?;
    let bound = listener.local_addr()?;
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, metrics::router(metrics, store)).await {
            tracing::error!(%error, "the metrics server stopped");
        }
    });
    tracing::info!(%bound, "serving /metrics");
    Ok(bound)
}
