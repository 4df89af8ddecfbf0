-- When the reconciler last re-read an order, so each pass starts with the orders it
-- has looked at least recently and none is starved by older ones.
ALTER TABLE orders ADD COLUMN reconciled_at BIGINT NOT NULL DEFAULT 0;
