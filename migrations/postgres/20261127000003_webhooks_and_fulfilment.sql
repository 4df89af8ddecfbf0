-- PostgreSQL twin of ../sqlite/20261127000003_webhooks_and_fulfilment.sql,
-- kept in step with it (tests/shop/schema.rs compares the two schemas). The
-- differences: every integer is BIGINT, since the store reads each as i64; flags
-- bound as booleans are BOOLEAN; generated ids are identities.

-- Webhook inbox, the mail outbox, and fulfilment bookkeeping.

-- Verified Stripe events, keyed by event id so a duplicate delivery is a no-op.
CREATE TABLE webhook_events (
    id              TEXT    PRIMARY KEY,
    type            TEXT    NOT NULL,
    livemode        BOOLEAN NOT NULL,
    -- The PaymentIntent a payment_intent.* event is about.
    payment_intent  TEXT,
    -- The verified body exactly as received, for audit and replay.
    payload         TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('pending', 'processed', 'skipped', 'parked')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT  NOT NULL,
    last_error      TEXT,
    received_at     BIGINT  NOT NULL,
    processed_at    BIGINT
);

CREATE INDEX webhook_events_due ON webhook_events (status, next_attempt_at);

-- Emails to send, at least once; one per order and kind, so a replayed fulfilment
-- never writes a second. The id is the Message-ID, so a resend is recognisable.
CREATE TABLE outbox (
    id              TEXT    PRIMARY KEY,
    order_id        TEXT    NOT NULL REFERENCES orders (id),
    kind            TEXT    NOT NULL CHECK (kind IN ('order_confirmation', 'payment_failed')),
    recipient       TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    created_at      BIGINT  NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT  NOT NULL,
    last_error      TEXT,
    sent_at         BIGINT,
    UNIQUE (order_id, kind)
);

CREATE INDEX outbox_due ON outbox (sent_at, next_attempt_at);

-- Set in the transaction that fulfils the order: stock, cart and outbox move with it.
ALTER TABLE orders ADD COLUMN fulfilled_at BIGINT;
