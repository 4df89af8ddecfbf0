-- Money safety: processing orders stay open, stock holds, checkout pauses and the
-- durable queue of Stripe commands. Portable to PostgreSQL as the first migration is.

-- A processing order is still the cart's open order: money is moving, so the cart
-- must never be priced into a second order (and a second charge) meanwhile, and
-- `processing -> payment_failed` stays inside the index instead of colliding with a
-- newer draft.
-- A database written before this change may hold that very state: a processing order
-- and a second open order for one cart. The second may have been paid as well, so it
-- goes to a person rather than being cancelled, and the index can then be built.
INSERT INTO order_timeline (order_id, at, entry)
    SELECT id, updated_at, 'needs_review: opened beside a processing order of the same cart'
    FROM orders
    WHERE status IN ('draft', 'awaiting_payment', 'payment_failed')
      AND cart_id IN (SELECT cart_id FROM orders WHERE status = 'processing');
UPDATE orders SET status = 'needs_review'
    WHERE status IN ('draft', 'awaiting_payment', 'payment_failed')
      AND cart_id IN (SELECT cart_id FROM orders WHERE status = 'processing');
DROP INDEX orders_one_open_per_cart;
CREATE UNIQUE INDEX orders_one_open_per_cart ON orders (cart_id)
    WHERE status IN ('draft', 'awaiting_payment', 'processing', 'payment_failed');

-- Every order of a cart, open or not: deleting expired carts asks whether a cart has
-- any order (and SQLite's foreign-key check asks again), which must not scan them all.
CREATE INDEX orders_cart ON orders (cart_id);

-- Set when a cart's orders failed too often within the window (card testing): no new
-- prepare or submit until then. Unix seconds; 0 when never paused.
ALTER TABLE carts ADD COLUMN checkout_paused_until BIGINT NOT NULL DEFAULT 0;

-- Units set aside for a submitted order, so a paid order always has its goods. A hold
-- counts until it is released (paid, failed, cancelled, or lapsed at `expires_at`, when
-- the order's PaymentIntent is cancelled in the same transaction).
CREATE TABLE stock_holds (
    order_id   TEXT    NOT NULL REFERENCES orders (id),
    product_id TEXT    NOT NULL REFERENCES products (id),
    quantity   INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 99),
    expires_at BIGINT  NOT NULL,
    PRIMARY KEY (order_id, product_id)
);

CREATE INDEX stock_holds_product ON stock_holds (product_id);
CREATE INDEX stock_holds_expires_at ON stock_holds (expires_at);

-- Writes the shop asks of Stripe outside a shopper's request, stored in the same
-- transaction as the decision and sent until Stripe answers.
CREATE TABLE stripe_commands (
    -- Derived from what the command does: the same decision queued twice is one row,
    -- and the idempotency key is derived from it.
    id              TEXT    PRIMARY KEY,
    kind            TEXT    NOT NULL CHECK (kind IN ('cancel_payment_intent')),
    payment_intent  TEXT    NOT NULL,
    order_id        TEXT    REFERENCES orders (id),
    -- Why the shop decided it, for the log and for people.
    reason          TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('pending', 'done', 'parked')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT  NOT NULL,
    last_error      TEXT,
    -- What Stripe answered in the end (the PaymentIntent's status, or its refusal).
    outcome         TEXT,
    created_at      BIGINT  NOT NULL,
    done_at         BIGINT
);

CREATE INDEX stripe_commands_due ON stripe_commands (status, next_attempt_at);

-- A superseded PaymentIntent seen settled (cancelled) needs no more re-reads by the
-- reconciler, and its timeline entry is written once.
ALTER TABLE order_payment_intents ADD COLUMN settled_at BIGINT;
