-- PostgreSQL twin of ../sqlite/20261127000004_payment_failure_lock.sql,
-- kept in step with it (tests/shop/schema.rs compares the two schemas). The
-- differences: every integer is BIGINT, since the store reads each as i64; flags
-- bound as booleans are BOOLEAN; generated ids are identities.

-- Failed payment attempts per order: after several in a short time the order refuses
-- new attempts for a while (card testing looks like this).
ALTER TABLE orders ADD COLUMN failed_attempts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN last_failed_at BIGINT;
