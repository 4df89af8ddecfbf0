-- Orders and their PaymentIntents. Portable to PostgreSQL as the first migration is.

CREATE TABLE orders (
    id              TEXT    PRIMARY KEY,
    cart_id         TEXT    NOT NULL REFERENCES carts (id),
    -- See DESIGN.md, "Orders: one state machine". Only the transition function moves
    -- an order past `awaiting_payment`.
    status          TEXT    NOT NULL CHECK (status IN ('draft', 'awaiting_payment', 'processing',
                        'paid', 'payment_failed', 'canceled', 'needs_review')),
    -- The cart version the totals below were priced at.
    cart_version    BIGINT  NOT NULL,
    currency        TEXT    NOT NULL,
    subtotal_minor  BIGINT  NOT NULL CHECK (subtotal_minor >= 0),
    shipping_minor  BIGINT  NOT NULL CHECK (shipping_minor >= 0),
    total_minor     BIGINT  NOT NULL CHECK (total_minor >= 0),
    shipping_option TEXT    NOT NULL,
    -- Goes up whenever a PaymentIntent is cancelled or recreated, so an idempotency key
    -- never replays a dead PaymentIntent.
    pi_generation   BIGINT  NOT NULL DEFAULT 0,
    -- Contact and delivery, copied at submit.
    email           TEXT,
    full_name       TEXT,
    address_line1   TEXT,
    address_line2   TEXT,
    city            TEXT,
    region          TEXT,
    postal_code     TEXT,
    country         TEXT,
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL
);

-- At most one open order per cart: two tabs preparing at once share it.
CREATE UNIQUE INDEX orders_one_open_per_cart ON orders (cart_id)
    WHERE status IN ('draft', 'awaiting_payment', 'payment_failed');

-- Lines and prices as they were when the order was locked.
CREATE TABLE order_lines (
    order_id         TEXT    NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    product_id       TEXT    NOT NULL REFERENCES products (id),
    name             TEXT    NOT NULL,
    unit_price_minor BIGINT  NOT NULL CHECK (unit_price_minor >= 0),
    quantity         INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 99),
    line_total_minor BIGINT  NOT NULL CHECK (line_total_minor >= 0),
    position         INTEGER NOT NULL,
    PRIMARY KEY (order_id, product_id)
);

-- Every PaymentIntent an order has had; exactly one is current while it is open.
CREATE TABLE order_payment_intents (
    id                 TEXT    PRIMARY KEY,
    order_id           TEXT    NOT NULL REFERENCES orders (id),
    generation         BIGINT  NOT NULL,
    amount_minor       BIGINT  NOT NULL,
    currency           TEXT    NOT NULL,
    cart_version       BIGINT  NOT NULL,
    -- SHA-256 of the client secret: the confirmation page compares hashes; the secret
    -- itself is never stored.
    client_secret_hash TEXT    NOT NULL,
    is_current         INTEGER NOT NULL CHECK (is_current IN (0, 1)),
    created_at         BIGINT  NOT NULL
);

CREATE UNIQUE INDEX order_payment_intents_one_current
    ON order_payment_intents (order_id) WHERE is_current = 1;

-- What happened to an order, in order: for people reading it later.
CREATE TABLE order_timeline (
    id         INTEGER PRIMARY KEY,
    order_id   TEXT    NOT NULL REFERENCES orders (id),
    at         BIGINT  NOT NULL,
    entry      TEXT    NOT NULL
);

CREATE INDEX order_timeline_order ON order_timeline (order_id, id);

-- The delivery option belongs to the cart: changing it is a cart change (a new version),
-- so every priced state of a checkout has its own version and idempotency keys.
ALTER TABLE carts ADD COLUMN shipping_option TEXT NOT NULL DEFAULT 'standard';
