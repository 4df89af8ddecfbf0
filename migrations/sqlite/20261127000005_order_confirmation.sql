-- The confirmation page: an opaque reference per order for its address, and access
-- tokens (stored hashed) for the HttpOnly cookie that lets its owner come back.
ALTER TABLE orders ADD COLUMN reference TEXT;
CREATE UNIQUE INDEX orders_reference ON orders (reference);

CREATE TABLE order_access (
    token_hash TEXT   PRIMARY KEY,
    order_id   TEXT   NOT NULL REFERENCES orders (id),
    created_at BIGINT NOT NULL
);
