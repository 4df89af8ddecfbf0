-- Failed payment attempts per order: after several in a short time the order refuses
-- new attempts for a while (card testing looks like this).
ALTER TABLE orders ADD COLUMN failed_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN last_failed_at BIGINT;
