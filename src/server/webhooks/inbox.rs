//! The inbox writer: verified events reach the disk in shared commits.
//!
//! Every commit here is durable across power loss (SQLite: `synchronous=FULL` on a
//! connection of its own; PostgreSQL: any commit), which costs an fsync. One writer task takes whatever arrived while the previous commit was
//! syncing and writes it all in the next transaction, so under load many deliveries
//! share one fsync instead of queueing behind one each.

use crate::server::{
    shopper::now,
    store::{insert_events, InboxWriter, Store},
};
use std::sync::{
    atomic::{AtomicU64, Ordering},
    Arc,
};
use tokio::sync::{mpsc, oneshot, Notify};

pub use crate::server::store::InboxEvent;

/// Most events per commit.
const MAX_BATCH: usize = 512;

struct Pending {
    event: InboxEvent,
    done: oneshot::Sender<Result<(), String>>,
}

/// A handle to the writer; cheap to clone.
#[derive(Clone, Debug)]
pub struct Inbox {
    sender: mpsc::Sender<Pending>,
    stats: Arc<Stats>,
}

/// Events written and commits made, to show how many events share a commit.
#[derive(Debug, Default)]
pub struct Stats {
    pub events: AtomicU64,
    pub commits: AtomicU64,
    /// Time spent writing and syncing, in microseconds, over all commits.
    pub commit_micros: AtomicU64,
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending")
            .field("event", &self.event.id)
            .finish()
    }
}

impl Inbox {
    /// Opens the writer on `store`'s database (at `database_url`) and starts it;
    /// `stored` is notified after each commit, so the worker starts at once.
    pub async fn open(
        store: &Store,
        database_url: &str,
        stored: Arc<Notify>,
    ) -> anyhow::Result<Self> {
        let mut connection = InboxWriter::open(store.pool(), database_url).await?;
        store.wake_on_stored_events(stored.clone());
        let announcer = store.clone();
        let (sender, mut receiver) = mpsc::channel::<Pending>(4096);
        let stats = Arc::new(Stats::default());
        let counters = stats.clone();
        tokio::spawn(async move {
            while let Some(first) = receiver.recv().await {
                // Let the deliveries already being handled catch this commit: the
                // requests answered by the last commit come back together, and a
                // commit taken with the first of them alone would leave the rest
                // queued behind a second fsync.
                tokio::task::yield_now().await;
                tokio::task::yield_now().await;
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH {
                    match receiver.try_recv() {
                        Ok(more) => batch.push(more),
                        Err(_) => break,
                    }
                }
                let (events, waiting): (Vec<InboxEvent>, Vec<_>) =
                    batch.into_iter().map(|p| (p.event, p.done)).unzip();
                let started = std::time::Instant::now();
                let result = insert_events(&mut connection, &events, now())
                    .await
                    .map_err(|error| error.to_string());
                let took = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
                if result.is_ok() {
                    crate::server::crash_point::reached("inbox.committed");
                }
                for done in waiting {
                    // The request may have gone (client hung up); the event is stored anyway.
                    let _ = done.send(result.clone());
                }
                if result.is_ok() {
                    counters.commits.fetch_add(1, Ordering::Relaxed);
                    counters.commit_micros.fetch_add(took, Ordering::Relaxed);
                    counters
                        .events
                        .fetch_add(u64::try_from(events.len()).unwrap_or(0), Ordering::Relaxed);
                    stored.notify_one();
                    announcer.announce_stored_events().await;
                }
            }
        });
        Ok(Self { sender, stats })
    }

    /// How much was written, and in how many commits.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Stores `event` durably (a duplicate id is a no-op); returns once committed.
    pub async fn store(&self, event: InboxEvent) -> Result<(), String> {
        let (done, committed) = oneshot::channel();
        self.sender
            .send(Pending { event, done })
            .await
            .map_err(|_| "the inbox writer has stopped".to_owned())?;
        committed
            .await
            .map_err(|_| "the inbox writer has stopped".to_owned())?
    }
}
