//! Waking every instance when an event is stored. Each instance's worker polls the
//! inbox every second anyway; on PostgreSQL the instance that stored an event also
//! says so with `NOTIFY`, and every instance `LISTEN`s, so the one with a free worker
//! starts at once whichever instance Stripe delivered to.

use super::{Pool, Store};
use std::{sync::Arc, time::Duration};
use tokio::sync::Notify;

/// The channel the inbox announces stored events on.
const CHANNEL: &str = "storefront_inbox";

impl Store {
    /// Tells every instance that events were stored (nothing to do on SQLite, which
    /// serves one instance).
    pub async fn announce_stored_events(&self) {
        if let Pool::Postgres(pool) = &self.pool {
            if let Err(error) = sqlx::query("SELECT pg_notify($1, '')")
                .bind(CHANNEL)
                .execute(pool)
                .await
            {
                // The others' workers still poll: they start within a second.
                tracing::warn!(%error, "could not announce stored events");
            }
        }
    }

    /// On PostgreSQL, spawns a listener that wakes `stored` whenever any instance
    /// announces stored events, reconnecting after a failure.
    pub fn wake_on_stored_events(&self, stored: Arc<Notify>) {
        let Pool::Postgres(pool) = &self.pool else {
            return;
        };
        let pool = pool.clone();
        tokio::spawn(async move {
            loop {
                let mut listener = match sqlx::postgres::PgListener::connect_with(&pool).await {
                    Ok(listener) => listener,
                    Err(error) => {
                        tracing::warn!(%error, "could not listen for stored events; retrying");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        continue;
                    }
                };
                if let Err(error) = listener.listen(CHANNEL).await {
                    tracing::warn!(%error, "could not listen for stored events; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
                // `recv` reconnects by itself after a lost connection; an error here
                // is anything else, and a new listener starts.
                while listener.recv().await.is_ok() {
                    stored.notify_one();
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }
}
