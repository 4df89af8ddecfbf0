//! The catalog as last read, shared by every request: the catalog page is the most
//! visited and its stock moves only when an order is submitted, paid, cancelled or
//! lapses, so most renders need no database round trip at all.
//!
//! Every commit that can change what is available (stock or holds) marks the
//! snapshot stale (`Store::commit_changes`); a snapshot is also never
//! older than [`MAX_AGE`], which bounds what another process writing to the same
//! database (a second instance, a person with `sqlite3`) can leave unseen. Shown
//! stock is advice: adding to the cart and submitting check the database itself.

use crate::domain::Product;
use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, RwLock,
    },
    time::{Duration, Instant},
};

/// The longest a snapshot is served without a look at the database.
pub const MAX_AGE: Duration = Duration::from_secs(1);

/// The snapshot and the count of stock changes it is measured against.
#[derive(Debug, Default)]
pub struct CatalogCache {
    /// Bumped after each commit that may change availability.
    changes: AtomicU64,
    snapshot: RwLock<Option<Snapshot>>,
}

#[derive(Debug)]
struct Snapshot {
    /// The value of `changes` before the read began: a change committed during the
    /// read leaves the snapshot stale, never a stale snapshot looking fresh.
    changes: u64,
    read_at: Instant,
    products: Arc<Vec<Product>>,
}

impl CatalogCache {
    /// The products, if the snapshot is still current.
    pub fn fresh(&self) -> Option<Arc<Vec<Product>>> {
        let changes = self.changes.load(Ordering::Acquire);
        let snapshot = self.snapshot.read().ok()?;
        snapshot
            .as_ref()
            .filter(|snapshot| snapshot.changes == changes && snapshot.read_at.elapsed() < MAX_AGE)
            .map(|snapshot| snapshot.products.clone())
    }

    /// Call before reading the catalog; hand the result to [`Self::store`].
    pub fn begin_read(&self) -> (u64, Instant) {
        (self.changes.load(Ordering::Acquire), Instant::now())
    }

    /// Keeps a catalog read that began at `begun`.
    pub fn store(&self, (changes, read_at): (u64, Instant), products: Arc<Vec<Product>>) {
        if let Ok(mut snapshot) = self.snapshot.write() {
            // Never replace a newer read with an older one.
            if snapshot
                .as_ref()
                .is_none_or(|current| (current.changes, current.read_at) <= (changes, read_at))
            {
                *snapshot = Some(Snapshot {
                    changes,
                    read_at,
                    products,
                });
            }
        }
    }

    /// How many stock changes have been committed: what is rendered from the catalog
    /// is current while this stays the same.
    pub fn version(&self) -> u64 {
        self.changes.load(Ordering::Acquire)
    }

    /// Marks every snapshot taken so far stale.
    pub fn changed(&self) {
        self.changes.fetch_add(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn products() -> Arc<Vec<Product>> {
        Arc::new(Vec::new())
    }

    #[test]
    fn a_snapshot_serves_until_stock_changes() {
        let cache = CatalogCache::default();
        assert!(cache.fresh().is_none(), "nothing read yet");
        cache.store(cache.begin_read(), products());
        assert!(cache.fresh().is_some());
        cache.changed();
        assert!(cache.fresh().is_none());
    }

    #[test]
    fn a_change_committed_during_a_read_leaves_that_read_stale() {
        let cache = CatalogCache::default();
        let begun = cache.begin_read();
        cache.changed();
        cache.store(begun, products());
        assert!(cache.fresh().is_none());
    }

    #[test]
    fn a_snapshot_expires_after_its_maximum_age() {
        let cache = CatalogCache::default();
        let (changes, _) = cache.begin_read();
        cache.store((changes, Instant::now() - MAX_AGE), products());
        assert!(cache.fresh().is_none());
    }
}
