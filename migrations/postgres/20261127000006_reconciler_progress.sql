-- PostgreSQL twin of ../sqlite/20261127000006_reconciler_progress.sql,
-- kept in step with it (tests/shop/schema.rs compares the two schemas). The
-- differences: every integer is BIGINT, since the store reads each as i64; flags
-- bound as booleans are BOOLEAN; generated ids are identities.

-- When the reconciler last re-read an order, so each pass starts with the orders it
-- has looked at least recently and none is starved by older ones.
ALTER TABLE orders ADD COLUMN reconciled_at BIGINT NOT NULL DEFAULT 0;
