//! Everything the emulator knows, and the journal that keeps it across restarts.
//!
//! The store lives behind one mutex: every API call reads and writes it in one
//! critical section, so two confirms of one PaymentIntent can never both win and no
//! update is lost. With a state directory, each call's changes are appended to a JSON
//! lines journal before the lock is released; at start the journal is replayed and
//! compacted into one line per object.

use std::collections::{HashMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::clock::Clock;
use crate::ids::IdSource;
use crate::keys::Keys;
use crate::objects::{
    Charge, Dispute, Event, PaymentIntent, PaymentMethod, Refund, WebhookEndpoint,
};

/// How 3-D Secure is asked for when Stripe.js confirms (control API `next_action`).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum NextActionMode {
    #[default]
    UseStripeSdk,
    RedirectToUrl,
}

/// Settings the control API changes; kept with the state.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Settings {
    pub next_action_mode: NextActionMode,
    /// Answer every 3-D Secure test page at once with this outcome (`complete` or
    /// `fail`), for fast tests; `None` waits for a click.
    #[serde(default)]
    pub three_ds_auto: Option<AutoAnswer>,
    /// Card refunds start `pending` and succeed this many seconds later on the emulator
    /// clock (control API `refunds/settlement`); `None` (the default) is what Stripe's
    /// test mode does for cards: `succeeded` at once.
    #[serde(default)]
    pub refund_pending_seconds: Option<i64>,
}

/// How the 3-D Secure test page answers by itself.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum AutoAnswer {
    Complete,
    Fail,
}

/// One event on its way to one endpoint.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Delivery {
    pub id: String,
    pub event_id: String,
    pub endpoint_id: String,
    /// Attempts made so far.
    pub attempts: u32,
    /// When the next attempt is due on the emulator clock; `None` once finished.
    pub next_attempt_at: Option<i64>,
    pub succeeded: bool,
}

/// The API request being executed, which events name in `request`.
#[derive(Debug, Clone, Default)]
pub struct RequestRef {
    pub id: Option<String>,
    pub idempotency_key: Option<String>,
}

/// A response kept for an `Idempotency-Key`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct IdempotentResponse {
    pub key: String,
    /// `POST /v1/payment_intents/pi_123/confirm`: keys are scoped to one endpoint.
    pub endpoint: String,
    /// A hash of the parameters, which must match on a replay.
    pub fingerprint: String,
    /// Emulator-clock time of the first request, for the 24 h expiry.
    pub created: i64,
    pub status: u16,
    pub body: String,
    pub request_id: String,
}

/// One line of the journal. Records live only between a call and its commit.
#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
#[allow(clippy::large_enum_variant)]
enum Record {
    Keys(Keys),
    Ids(IdSource),
    Clock(Clock),
    Settings(Settings),
    PaymentIntent(PaymentIntent),
    PaymentMethod(PaymentMethod),
    Charge(Charge),
    Refund(Refund),
    Dispute(Dispute),
    Idempotency(IdempotentResponse),
    IdempotencyExpired(String),
    Event(Event),
    WebhookEndpoint(WebhookEndpoint),
    WebhookEndpointDeleted(String),
    Delivery(Delivery),
}

/// The emulator's one account.
pub struct Store {
    pub keys: Keys,
    pub ids: IdSource,
    pub clock: Clock,
    pub settings: Settings,
    /// In creation order, which lists walk backwards (newest first).
    pub payment_intents: IndexMap<String, PaymentIntent>,
    pub payment_methods: HashMap<String, PaymentMethod>,
    pub charges: HashMap<String, Charge>,
    /// In creation order, which lists walk backwards (newest first).
    pub refunds: IndexMap<String, Refund>,
    /// In creation order, which lists walk backwards (newest first).
    pub disputes: IndexMap<String, Dispute>,
    pub idempotency: HashMap<String, IdempotentResponse>,
    /// Keys whose first request is still running; never persisted.
    pub in_flight: HashSet<String>,
    /// In creation order, which lists walk backwards (newest first).
    pub events: IndexMap<String, Event>,
    pub webhook_endpoints: IndexMap<String, WebhookEndpoint>,
    pub deliveries: IndexMap<String, Delivery>,
    /// Deliveries being attempted right now; never persisted.
    pub sending: HashSet<String>,
    /// The API request under way, for the events it causes.
    pub request: RequestRef,
    journal: Option<Journal>,
    pending: Vec<Record>,
    saved_ids: IdSource,
}

struct Journal {
    path: PathBuf,
    file: BufWriter<File>,
}

const JOURNAL: &str = "stripe-emulator.jsonl";

impl Store {
    /// A store in memory only.
    pub fn in_memory(keys: Keys) -> Store {
        Store {
            keys,
            ids: IdSource::default(),
            clock: Clock::default(),
            settings: Settings::default(),
            payment_intents: IndexMap::new(),
            payment_methods: HashMap::new(),
            charges: HashMap::new(),
            refunds: IndexMap::new(),
            disputes: IndexMap::new(),
            idempotency: HashMap::new(),
            in_flight: HashSet::new(),
            events: IndexMap::new(),
            webhook_endpoints: IndexMap::new(),
            deliveries: IndexMap::new(),
            sending: HashSet::new(),
            request: RequestRef::default(),
            journal: None,
            pending: Vec::new(),
            saved_ids: IdSource::default(),
        }
    }

    /// Opens (or creates) the state in `dir`. Keys already there are kept; `keys` is
    /// used for a new directory, or replaces the saved ones when given explicitly.
    pub fn open(
        dir: &Path,
        new_keys: impl FnOnce() -> Keys,
        override_keys: Option<Keys>,
    ) -> io::Result<Store> {
        fs::create_dir_all(dir)?;
        let path = dir.join(JOURNAL);
        let mut store = Store::in_memory(Keys::placeholder());
        let mut had_keys = false;
        if path.exists() {
            let reader = BufReader::new(File::open(&path)?);
            for (number, line) in reader.lines().enumerate() {
                let line = line?;
                match serde_json::from_str::<Record>(&line) {
                    Ok(record) => {
                        had_keys |= matches!(record, Record::Keys(_));
                        store.apply(record);
                    }
                    // A line cut short by a crash mid-write: everything before it stands.
                    Err(error) => {
                        tracing::warn!(%error, line = number + 1, "skipping an unreadable journal line")
                    }
                }
            }
        }
        match (override_keys, had_keys) {
            (Some(keys), _) => store.keys = keys,
            (None, false) => store.keys = new_keys(),
            (None, true) => {}
        }
        store.saved_ids = store.ids.clone();
        store.prune_events();
        store.compact_into(&path)?;
        Ok(store)
    }

    fn apply(&mut self, record: Record) {
        match record {
            Record::Keys(k) => self.keys = k,
            Record::Ids(i) => self.ids = i,
            Record::Clock(c) => self.clock = c,
            Record::Settings(s) => self.settings = s,
            Record::PaymentIntent(pi) => {
                self.payment_intents.insert(pi.id.clone(), pi);
            }
            Record::PaymentMethod(pm) => {
                self.payment_methods.insert(pm.id.clone(), pm);
            }
            Record::Charge(ch) => {
                self.charges.insert(ch.id.clone(), ch);
            }
            Record::Refund(re) => {
                self.refunds.insert(re.id.clone(), re);
            }
            Record::Dispute(dp) => {
                self.disputes.insert(dp.id.clone(), dp);
            }
            Record::Idempotency(r) => {
                self.idempotency.insert(r.key.clone(), r);
            }
            Record::IdempotencyExpired(key) => {
                self.idempotency.remove(&key);
            }
            Record::Event(e) => {
                self.events.insert(e.id.clone(), e);
            }
            Record::WebhookEndpoint(w) => {
                self.webhook_endpoints.insert(w.id.clone(), w);
            }
            Record::WebhookEndpointDeleted(id) => {
                self.webhook_endpoints.shift_remove(&id);
            }
            Record::Delivery(d) => {
                self.deliveries.insert(d.id.clone(), d);
            }
        }
    }

    /// Rewrites the journal as one record per live object, then appends to it.
    fn compact_into(&mut self, path: &Path) -> io::Result<()> {
        let tmp = path.with_extension("jsonl.tmp");
        {
            let mut out = BufWriter::new(File::create(&tmp)?);
            let mut write = |record: Record| -> io::Result<()> {
                serde_json::to_writer(&mut out, &record)?;
                out.write_all(b"\n")
            };
            write(Record::Keys(self.keys.clone()))?;
            write(Record::Ids(self.ids.clone()))?;
            write(Record::Clock(self.clock))?;
            write(Record::Settings(self.settings.clone()))?;
            for pm in self.payment_methods.values() {
                write(Record::PaymentMethod(pm.clone()))?;
            }
            for ch in self.charges.values() {
                write(Record::Charge(ch.clone()))?;
            }
            for re in self.refunds.values() {
                write(Record::Refund(re.clone()))?;
            }
            for dp in self.disputes.values() {
                write(Record::Dispute(dp.clone()))?;
            }
            for pi in self.payment_intents.values() {
                write(Record::PaymentIntent(pi.clone()))?;
            }
            for r in self.idempotency.values() {
                write(Record::Idempotency(r.clone()))?;
            }
            for w in self.webhook_endpoints.values() {
                write(Record::WebhookEndpoint(w.clone()))?;
            }
            for e in self.events.values() {
                write(Record::Event(e.clone()))?;
            }
            // Finished deliveries are history; only pending ones need to survive.
            for d in self
                .deliveries
                .values()
                .filter(|d| d.next_attempt_at.is_some())
            {
                write(Record::Delivery(d.clone()))?;
            }
            out.flush()?;
            out.get_ref().sync_all()?;
        }
        fs::rename(&tmp, path)?;
        let file = OpenOptions::new().append(true).open(path)?;
        self.journal = Some(Journal {
            path: path.to_path_buf(),
            file: BufWriter::new(file),
        });
        Ok(())
    }

    /// Empties the account (control API `reset`); keys, the clock and the endpoints
    /// configured at start stay.
    pub fn reset(&mut self) -> io::Result<()> {
        let keys = self.keys.clone();
        let clock = self.clock;
        let configured: Vec<WebhookEndpoint> = self
            .webhook_endpoints
            .values()
            .filter(|w| w.configured)
            .cloned()
            .collect();
        let journal_path = self.journal.as_ref().map(|j| j.path.clone());
        *self = Store::in_memory(keys);
        self.clock = clock;
        for endpoint in configured {
            self.webhook_endpoints.insert(endpoint.id.clone(), endpoint);
        }
        if let Some(path) = journal_path {
            self.compact_into(&path)?;
        }
        Ok(())
    }

    /// True when no object exists yet (seeding is only allowed then).
    pub fn is_empty(&self) -> bool {
        self.payment_intents.is_empty()
            && self.payment_methods.is_empty()
            && self.charges.is_empty()
            && self.refunds.is_empty()
            && self.disputes.is_empty()
    }

    pub fn put_payment_intent(&mut self, pi: PaymentIntent) {
        self.pending.push(Record::PaymentIntent(pi.clone()));
        self.payment_intents.insert(pi.id.clone(), pi);
    }

    pub fn put_payment_method(&mut self, pm: PaymentMethod) {
        self.pending.push(Record::PaymentMethod(pm.clone()));
        self.payment_methods.insert(pm.id.clone(), pm);
    }

    pub fn put_charge(&mut self, ch: Charge) {
        self.pending.push(Record::Charge(ch.clone()));
        self.charges.insert(ch.id.clone(), ch);
    }

    pub fn put_refund(&mut self, re: Refund) {
        self.pending.push(Record::Refund(re.clone()));
        self.refunds.insert(re.id.clone(), re);
    }

    pub fn put_dispute(&mut self, dp: Dispute) {
        self.pending.push(Record::Dispute(dp.clone()));
        self.disputes.insert(dp.id.clone(), dp);
    }

    pub fn put_event(&mut self, e: Event) {
        self.pending.push(Record::Event(e.clone()));
        self.events.insert(e.id.clone(), e);
    }

    pub fn put_webhook_endpoint(&mut self, w: WebhookEndpoint) {
        self.pending.push(Record::WebhookEndpoint(w.clone()));
        self.webhook_endpoints.insert(w.id.clone(), w);
    }

    pub fn delete_webhook_endpoint(&mut self, id: &str) {
        if self.webhook_endpoints.shift_remove(id).is_some() {
            self.pending
                .push(Record::WebhookEndpointDeleted(id.to_string()));
        }
    }

    pub fn put_delivery(&mut self, d: Delivery) {
        self.pending.push(Record::Delivery(d.clone()));
        self.deliveries.insert(d.id.clone(), d);
    }

    pub fn put_idempotent_response(&mut self, r: IdempotentResponse) {
        self.pending.push(Record::Idempotency(r.clone()));
        self.idempotency.insert(r.key.clone(), r);
    }

    pub fn expire_idempotency_key(&mut self, key: &str) {
        if self.idempotency.remove(key).is_some() {
            self.pending
                .push(Record::IdempotencyExpired(key.to_string()));
        }
    }

    pub fn put_clock(&mut self, clock: Clock) {
        self.clock = clock;
        self.pending.push(Record::Clock(clock));
    }

    pub fn put_settings(&mut self, settings: Settings) {
        self.pending.push(Record::Settings(settings.clone()));
        self.settings = settings;
    }

    /// Writes this call's changes to the journal (a no-op in memory).
    ///
    /// Called before the lock is released, so the journal's order is the order in
    /// which calls took effect.
    pub fn commit(&mut self) -> io::Result<()> {
        if self.ids != self.saved_ids {
            self.pending.push(Record::Ids(self.ids.clone()));
            self.saved_ids = self.ids.clone();
        }
        let Some(journal) = self.journal.as_mut() else {
            self.pending.clear();
            return Ok(());
        };
        for record in self.pending.drain(..) {
            serde_json::to_writer(&mut journal.file, &record)?;
            journal.file.write_all(b"\n")?;
        }
        // Flushed to the OS on every call: a killed emulator loses nothing it answered.
        journal.file.flush()
    }

    /// A fresh object id with Stripe's prefix.
    pub fn new_id(&mut self, prefix: &str) -> String {
        self.ids.object_id(prefix)
    }
}
