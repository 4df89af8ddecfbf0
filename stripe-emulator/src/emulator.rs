//! The embedding API: open an emulator, get its router or serve it on an address.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue};
use axum::routing::options;
use axum::Router;
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::keys::Keys;
use crate::objects::WebhookEndpoint;
use crate::store::Store;
use crate::webhooks::{self, AttemptRecord, RetrySchedule, WebhookFaults};
use crate::{api, control};

/// How an emulator behaves; every field has a safe default.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Where state is kept across restarts; `None` keeps it in memory.
    pub state_dir: Option<PathBuf>,
    /// Serve the test-only control API under `/_emulator` (loopback callers only).
    pub control_api: bool,
    /// Origins allowed to call the publishable-key routes; empty allows any, as Stripe does.
    pub allowed_origins: Vec<String>,
    /// Accept raw card numbers with the secret key (real test mode needs special access).
    pub allow_raw_card_data: bool,
    /// Decline every card number that is not one of Stripe's documented test cards.
    pub strict_cards: bool,
    /// Use these keys instead of generated (or previously saved) ones.
    pub keys: Option<Keys>,
    /// Endpoints that get every event, signed with the account's webhook secret (and
    /// `extra_webhook_secrets`), as `stripe listen` forwards them.
    pub webhook_urls: Vec<String>,
    /// More secrets that sign deliveries to `webhook_urls`, one `v1` each (rolling).
    pub extra_webhook_secrets: Vec<String>,
    /// When failed deliveries are retried.
    pub webhook_retries: RetrySchedule,
    /// How long a receiver has to answer; 10 s when unset.
    pub webhook_timeout: Option<Duration>,
    /// Also serve on this address: a page loaded from it is on another site than
    /// Stripe.js, as a shop's page is with Stripe (the browser tests use it).
    pub also_listen: Option<SocketAddr>,
}

/// One injected fault for the next API request to a path (control API `faults`).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RequestFault {
    /// The request path, such as `/v1/payment_intents`; a trailing `*` matches a prefix.
    pub path: String,
    /// Answer with this status (500, 429, ...) instead of running the endpoint.
    #[serde(default)]
    pub status: Option<u16>,
    /// Wait this long first.
    #[serde(default)]
    pub delay_ms: u64,
    /// The failure (a 5xx) strikes once execution has begun, as Stripe's own 500s
    /// can: it is stored under the request's `Idempotency-Key` and replayed for it,
    /// with `Stripe-Should-Retry: false`, so only a new key gets past it. Nothing is
    /// created. A request without a key (a GET) has nothing to store it under and
    /// gets it once, like any fault. Without it (the default) a fault strikes
    /// before execution and is never stored.
    #[serde(default)]
    pub stored: bool,
}

/// One line of the request log (`GET /_emulator/requests`).
#[derive(Debug, Clone, Serialize)]
pub struct LoggedRequest {
    pub request_id: String,
    pub method: String,
    pub path: String,
    pub status: u16,
    pub idempotency_key: Option<String>,
    pub stripe_version: String,
    pub replayed: bool,
    pub latency_ms: u64,
}

/// How many requests the log keeps.
const REQUEST_LOG_LENGTH: usize = 1000;

pub(crate) struct Shared {
    store: Mutex<Store>,
    options: Options,
    base_url: RwLock<String>,
    faults: Mutex<VecDeque<RequestFault>>,
    requests: Mutex<VecDeque<LoggedRequest>>,
    webhook_faults: Mutex<WebhookFaults>,
    attempts: Mutex<VecDeque<AttemptRecord>>,
    /// Signs the `v0` element: a secret no receiver knows.
    decoy_secret: String,
    webhook_client: OnceLock<reqwest::Client>,
}

/// An offline Stripe account: its API, its keys and its state.
#[derive(Clone)]
pub struct Emulator {
    pub(crate) shared: Arc<Shared>,
}

/// A serving emulator; dropping it leaves the server running, [`stop`](Self::stop) ends it.
pub struct RunningEmulator {
    /// `http://127.0.0.1:12111`: the API base and the origin of stripe.js.
    pub base_url: String,
    pub addr: SocketAddr,
    pub keys: Keys,
    pub emulator: Emulator,
    shutdown: Option<oneshot::Sender<()>>,
    stop_deliveries: tokio::sync::watch::Sender<bool>,
    task: JoinHandle<std::io::Result<()>>,
    deliveries: JoinHandle<()>,
}

impl Emulator {
    /// Opens an emulator, loading its state when `options.state_dir` has some.
    pub fn open(options: Options) -> std::io::Result<Emulator> {
        if let Some(keys) = &options.keys {
            keys.validate()
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        }
        let store = match &options.state_dir {
            Some(dir) => Store::open(dir, Keys::generate, options.keys.clone())?,
            None => Store::in_memory(options.keys.clone().unwrap_or_else(Keys::generate)),
        };
        let decoy_secret = format!("whsec_{}", crate::ids::IdSource::default().token(32));
        let urls = options.webhook_urls.clone();
        let emulator = Emulator {
            shared: Arc::new(Shared {
                store: Mutex::new(store),
                options,
                base_url: RwLock::new(String::from("http://127.0.0.1:12111")),
                faults: Mutex::new(VecDeque::new()),
                requests: Mutex::new(VecDeque::new()),
                webhook_faults: Mutex::new(WebhookFaults::default()),
                attempts: Mutex::new(VecDeque::new()),
                decoy_secret,
                webhook_client: OnceLock::new(),
            }),
        };
        emulator.configure_webhook_urls(&urls)?;
        Ok(emulator)
    }

    /// Makes `urls` the endpoints configured at start: each gets every event, signed
    /// with the account's webhook secret. An embedding shop calls this once it knows
    /// its own address.
    pub fn configure_webhook_urls(&self, urls: &[String]) -> std::io::Result<()> {
        let extra = self.shared.options.extra_webhook_secrets.clone();
        self.with_store(|store| {
            let stale: Vec<String> = store
                .webhook_endpoints
                .values()
                .filter(|w| w.configured && !urls.contains(&w.url))
                .map(|w| w.id.clone())
                .collect();
            for id in stale {
                store.delete_webhook_endpoint(&id);
            }
            let mut secrets = vec![store.keys.webhook_secret.clone()];
            secrets.extend(extra);
            for url in urls {
                let existing = store
                    .webhook_endpoints
                    .values()
                    .find(|w| w.configured && &w.url == url)
                    .cloned();
                let endpoint = match existing {
                    Some(mut endpoint) => {
                        endpoint.secrets = secrets.clone();
                        endpoint
                    }
                    None => WebhookEndpoint {
                        id: store.new_id("we"),
                        url: url.clone(),
                        enabled_events: vec!["*".into()],
                        disabled: false,
                        description: Some("configured at start".into()),
                        metadata: serde_json::Map::new(),
                        api_version: None,
                        created: store.clock.now(),
                        secrets: secrets.clone(),
                        configured: true,
                    },
                };
                store.put_webhook_endpoint(endpoint);
            }
            store.commit()
        })
    }

    /// The keys this emulator accepts.
    pub fn keys(&self) -> Keys {
        self.with_store(|s| s.keys.clone())
    }

    /// The emulator's routes: `/v1/*` and, when enabled, `/_emulator/*`.
    ///
    /// The control API checks the caller is on loopback and the `Host` header names a
    /// loopback address or `localhost`, so serve this router with
    /// `into_make_service_with_connect_info::<SocketAddr>()` (as [`serve`](Self::serve)
    /// does); without the peer address every control call is refused. Webhook
    /// deliveries run only under [`serve`](Self::serve).
    pub fn router(&self) -> Router {
        Router::new()
            .route("/v1/{*path}", options(api::preflight).fallback(api::handle))
            .nest("/_emulator", control::router())
            .merge(crate::browser::script_router())
            .fallback(api::handle)
            .with_state(self.clone())
    }

    /// Serves on `addr` (port 0 picks a free one) until [`RunningEmulator::stop`].
    pub async fn serve(self, addr: SocketAddr) -> std::io::Result<RunningEmulator> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let base_url = format!("http://{addr}");
        self.set_base_url(&base_url);
        let second = match self.shared.options.also_listen {
            Some(other) => Some(TcpListener::bind(other).await?),
            None => None,
        };
        let (shutdown, stopped) = oneshot::channel::<()>();
        let (stop_deliveries, deliveries_stopped) = tokio::sync::watch::channel(false);
        let deliveries = tokio::spawn(webhooks::run(self.clone(), deliveries_stopped.clone()));
        let app = self
            .router()
            .into_make_service_with_connect_info::<SocketAddr>();
        if let Some(second) = second {
            let app = app.clone();
            let mut stop = deliveries_stopped;
            tokio::spawn(async move {
                axum::serve(second, app)
                    .with_graceful_shutdown(async move {
                        let _ = stop.changed().await;
                    })
                    .await
            });
        }
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
        });
        Ok(RunningEmulator {
            base_url,
            addr,
            keys: self.keys(),
            emulator: self,
            shutdown: Some(shutdown),
            stop_deliveries,
            task,
            deliveries,
        })
    }

    /// Sets the origin the emulator names in URLs it hands out (when served elsewhere).
    pub fn set_base_url(&self, base_url: &str) {
        *self
            .shared
            .base_url
            .write()
            .unwrap_or_else(|e| e.into_inner()) = base_url.trim_end_matches('/').to_string();
    }

    pub(crate) fn base_url(&self) -> String {
        self.shared
            .base_url
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub(crate) fn options(&self) -> &Options {
        &self.shared.options
    }

    /// Runs `f` with the store locked. Never hold it across an `.await`.
    pub(crate) fn with_store<T>(&self, f: impl FnOnce(&mut Store) -> T) -> T {
        let mut store = self.shared.store.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut store)
    }

    pub(crate) fn allowed_origin(&self, headers: &HeaderMap) -> Option<HeaderValue> {
        let origin = headers.get("origin")?;
        let allowed = &self.shared.options.allowed_origins;
        let text = origin.to_str().ok()?;
        (allowed.is_empty() || allowed.iter().any(|a| a == text)).then(|| origin.clone())
    }

    pub(crate) fn add_faults(&self, faults: Vec<RequestFault>) {
        self.shared
            .faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(faults);
    }

    pub(crate) fn clear_faults(&self) {
        self.shared
            .faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// Takes the first fault queued for `path`.
    pub(crate) fn take_fault(&self, path: &str) -> Option<RequestFault> {
        let mut faults = self.shared.faults.lock().unwrap_or_else(|e| e.into_inner());
        let index = faults.iter().position(|f| match f.path.strip_suffix('*') {
            Some(prefix) => path.starts_with(prefix),
            None => f.path == path,
        })?;
        faults.remove(index)
    }

    pub(crate) fn log_request(&self, entry: LoggedRequest) {
        tracing::info!(
            method = %entry.method,
            path = %entry.path,
            status = entry.status,
            request_id = %entry.request_id,
            idempotency_key = entry.idempotency_key.as_deref().unwrap_or("-"),
            replayed = entry.replayed,
            latency_ms = entry.latency_ms,
            "request"
        );
        let mut log = self
            .shared
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if log.len() == REQUEST_LOG_LENGTH {
            log.pop_front();
        }
        log.push_back(entry);
    }

    pub(crate) fn webhook_faults(&self) -> WebhookFaults {
        self.shared
            .webhook_faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub(crate) fn set_webhook_faults(&self, faults: WebhookFaults) {
        *self
            .shared
            .webhook_faults
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = faults;
    }

    pub(crate) fn decoy_secret(&self) -> &str {
        &self.shared.decoy_secret
    }

    /// The client deliveries go out with: no redirects followed (a 3xx is a failure).
    pub(crate) fn webhook_client(&self) -> &reqwest::Client {
        self.shared.webhook_client.get_or_init(|| {
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(
                    self.shared
                        .options
                        .webhook_timeout
                        .unwrap_or(Duration::from_secs(10)),
                )
                .build()
                .unwrap_or_default()
        })
    }

    pub(crate) fn log_attempt(&self, entry: AttemptRecord) {
        let mut log = self
            .shared
            .attempts
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if log.len() == 10 * REQUEST_LOG_LENGTH {
            log.pop_front();
        }
        log.push_back(entry);
    }

    pub(crate) fn attempts(&self) -> Vec<AttemptRecord> {
        self.shared
            .attempts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .cloned()
            .collect()
    }

    pub(crate) fn clear_attempts(&self) {
        self.shared
            .attempts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    pub(crate) fn requests(&self) -> Vec<LoggedRequest> {
        self.shared
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .cloned()
            .collect()
    }

    pub(crate) fn clear_requests(&self) {
        self.shared
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}

impl RunningEmulator {
    /// Stops serving and waits for open connections to finish.
    pub async fn stop(mut self) -> std::io::Result<()> {
        let _ = self.stop_deliveries.send(true);
        let _ = (&mut self.deliveries).await;
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        match self.task.await {
            Ok(result) => result,
            Err(join) => Err(std::io::Error::other(join)),
        }
    }
}
