-- PostgreSQL twin of ../sqlite/20261127000005_order_confirmation.sql,
-- kept in step with it (tests/shop/schema.rs compares the two schemas). The
-- differences: every integer is BIGINT, since the store reads each as i64; flags
-- bound as booleans are BOOLEAN; generated ids are identities.

-- The confirmation page: an opaque reference per order for its address, and access
-- tokens (stored hashed) for the HttpOnly cookie that lets its owner come back.
ALTER TABLE orders ADD COLUMN reference TEXT;
CREATE UNIQUE INDEX orders_reference ON orders (reference);

CREATE TABLE order_access (
    token_hash TEXT   PRIMARY KEY,
    order_id   TEXT   NOT NULL REFERENCES orders (id),
    created_at BIGINT NOT NULL
);
