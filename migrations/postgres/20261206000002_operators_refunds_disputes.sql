-- PostgreSQL twin of migrations/sqlite/20261206000002_operators_refunds_disputes.sql
-- (same tables, columns and named indexes; tests/shop/schema.rs compares them).
-- PostgreSQL alters constraints in place where SQLite must rebuild its tables.

CREATE TABLE operators (
    id            TEXT   PRIMARY KEY,
    name          TEXT   NOT NULL UNIQUE,
    password_hash TEXT   NOT NULL,
    email         TEXT,
    created_at    BIGINT NOT NULL
);

CREATE TABLE operator_sessions (
    token_hash   TEXT   PRIMARY KEY,
    operator_id  TEXT   NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);

CREATE INDEX operator_sessions_operator ON operator_sessions (operator_id);
CREATE INDEX operator_sessions_expires_at ON operator_sessions (expires_at);

ALTER TABLE order_timeline ADD COLUMN actor TEXT;

ALTER TABLE orders ADD COLUMN resolved_at BIGINT;

-- What each PaymentIntent received, as Stripe last said: what its refunds may give
-- back. Orders paid before this column existed received their current amount.
ALTER TABLE order_payment_intents ADD COLUMN amount_received_minor BIGINT NOT NULL DEFAULT 0;
UPDATE order_payment_intents SET amount_received_minor = amount_minor
    WHERE is_current = 1 AND order_id IN (SELECT id FROM orders WHERE status = 'paid');

CREATE INDEX orders_created ON orders (created_at, id);
CREATE INDEX orders_email ON orders (email);

CREATE TABLE refunds (
    id             TEXT   PRIMARY KEY,
    order_id       TEXT   NOT NULL REFERENCES orders (id),
    payment_intent TEXT   NOT NULL,
    stripe_id      TEXT   UNIQUE,
    amount_minor   BIGINT NOT NULL CHECK (amount_minor > 0),
    currency       TEXT   NOT NULL,
    reason         TEXT   CHECK (reason IN ('duplicate', 'fraudulent', 'requested_by_customer')),
    status         TEXT   NOT NULL CHECK (status IN ('requested', 'pending', 'requires_action',
                       'succeeded', 'failed', 'canceled')),
    failure_reason TEXT,
    requested_by   TEXT,
    note           TEXT,
    restocked_at   BIGINT,
    key_generation BIGINT NOT NULL DEFAULT 0,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);

CREATE INDEX refunds_order ON refunds (order_id);
CREATE INDEX refunds_payment_intent ON refunds (payment_intent);

CREATE TABLE refund_restocks (
    refund_id  TEXT   NOT NULL REFERENCES refunds (id),
    product_id TEXT   NOT NULL REFERENCES products (id),
    quantity   BIGINT NOT NULL CHECK (quantity BETWEEN 1 AND 99),
    PRIMARY KEY (refund_id, product_id)
);

CREATE TABLE disputes (
    id              TEXT   PRIMARY KEY,
    order_id        TEXT   NOT NULL REFERENCES orders (id),
    payment_intent  TEXT   NOT NULL,
    amount_minor    BIGINT NOT NULL,
    currency        TEXT   NOT NULL,
    reason          TEXT   NOT NULL,
    status          TEXT   NOT NULL,
    evidence_due_by BIGINT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);

CREATE INDEX disputes_order ON disputes (order_id);

ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check CHECK (kind IN ('order_confirmation',
    'payment_failed', 'refund', 'dispute_alert'));
ALTER TABLE outbox ADD COLUMN dedupe_key TEXT;
UPDATE outbox SET dedupe_key = kind || ':' || order_id;
ALTER TABLE outbox ALTER COLUMN dedupe_key SET NOT NULL;
ALTER TABLE outbox ADD CONSTRAINT outbox_dedupe_key_key UNIQUE (dedupe_key);
ALTER TABLE outbox DROP CONSTRAINT outbox_order_id_kind_key;
ALTER TABLE outbox ADD COLUMN html_body TEXT;
CREATE INDEX outbox_order ON outbox (order_id);

ALTER TABLE stripe_commands DROP CONSTRAINT stripe_commands_kind_check;
ALTER TABLE stripe_commands ADD CONSTRAINT stripe_commands_kind_check
    CHECK (kind IN ('cancel_payment_intent', 'refund'));
ALTER TABLE stripe_commands ADD COLUMN refund_id TEXT REFERENCES refunds (id);
