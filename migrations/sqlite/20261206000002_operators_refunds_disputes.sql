-- The operator's side: operators and their sessions, refunds and disputes beside the
-- order's status (`paid` stays final), who wrote each timeline entry, and emails that
-- are not one per order and kind (a refund email per refund, a dispute alert per
-- operator). SQLite cannot alter a CHECK or a UNIQUE constraint, so the outbox and
-- the command queue are rebuilt (nothing references either table).

-- People who run the shop. The password is an Argon2id PHC string; no password is
-- ever stored or logged in clear.
CREATE TABLE operators (
    id            TEXT   PRIMARY KEY,
    name          TEXT   NOT NULL UNIQUE,
    password_hash TEXT   NOT NULL,
    -- Where dispute alerts go; optional.
    email         TEXT,
    created_at    BIGINT NOT NULL
);

-- A signed-in operator. Only the SHA-256 of the cookie's token is stored, so a copy
-- of the database signs nobody in.
CREATE TABLE operator_sessions (
    token_hash   TEXT   PRIMARY KEY,
    operator_id  TEXT   NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    -- The absolute end, whatever the activity.
    expires_at   BIGINT NOT NULL
);

CREATE INDEX operator_sessions_operator ON operator_sessions (operator_id);
CREATE INDEX operator_sessions_expires_at ON operator_sessions (expires_at);

-- Who wrote an entry: an operator's name, or NULL for the shop itself.
ALTER TABLE order_timeline ADD COLUMN actor TEXT;

-- How an operator resolved a `needs_review` order.
ALTER TABLE orders ADD COLUMN resolved_at BIGINT;

-- What each PaymentIntent received, as Stripe last said: what its refunds may give
-- back. Orders paid before this column existed received their current amount.
ALTER TABLE order_payment_intents ADD COLUMN amount_received_minor BIGINT NOT NULL DEFAULT 0;
UPDATE order_payment_intents SET amount_received_minor = amount_minor
    WHERE is_current = 1 AND order_id IN (SELECT id FROM orders WHERE status = 'paid');

-- Orders newest first, for the operator's list (keyset pagination on it).
CREATE INDEX orders_created ON orders (created_at, id);
CREATE INDEX orders_email ON orders (email);

-- Money given back: one row per refund, whether the shop asked for it (an operator's
-- request, stored before Stripe hears of it) or it was made in Stripe's dashboard
-- (found when Stripe's refunds of the PaymentIntent are listed). Keyed by Stripe's
-- `re_` id once Stripe has one, so the shop's own refund is never counted twice.
CREATE TABLE refunds (
    id             TEXT   PRIMARY KEY,
    order_id       TEXT   NOT NULL REFERENCES orders (id),
    payment_intent TEXT   NOT NULL,
    stripe_id      TEXT   UNIQUE,
    amount_minor   BIGINT NOT NULL CHECK (amount_minor > 0),
    currency       TEXT   NOT NULL,
    reason         TEXT   CHECK (reason IN ('duplicate', 'fraudulent', 'requested_by_customer')),
    -- `requested`: stored, not yet accepted by Stripe; the rest are Stripe's statuses.
    status         TEXT   NOT NULL CHECK (status IN ('requested', 'pending', 'requires_action',
                       'succeeded', 'failed', 'canceled')),
    failure_reason TEXT,
    -- The operator who asked; NULL when it was made in Stripe's dashboard.
    requested_by   TEXT,
    note           TEXT,
    -- When its restocked units went back on the shelf (on success, once).
    restocked_at   BIGINT,
    -- Part of the idempotency key it is sent to Stripe with: it moves on only after
    -- Stripe answered that the attempt failed and listed no such refund, so a retry
    -- of an attempt whose answer was lost reuses the key and cannot refund twice.
    key_generation BIGINT NOT NULL DEFAULT 0,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);

CREATE INDEX refunds_order ON refunds (order_id);
CREATE INDEX refunds_payment_intent ON refunds (payment_intent);

-- Units an operator chose to put back on the shelf when a refund succeeds.
CREATE TABLE refund_restocks (
    refund_id  TEXT    NOT NULL REFERENCES refunds (id),
    product_id TEXT    NOT NULL REFERENCES products (id),
    quantity   INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 99),
    PRIMARY KEY (refund_id, product_id)
);

-- Disputes (chargebacks) as Stripe last reported them.
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

-- The outbox, rebuilt: a refund email per refund and a dispute alert per operator,
-- so uniqueness moves from (order, kind) to a key naming what the email is about.
CREATE TABLE outbox_rebuilt (
    id              TEXT    PRIMARY KEY,
    order_id        TEXT    NOT NULL REFERENCES orders (id),
    kind            TEXT    NOT NULL CHECK (kind IN ('order_confirmation', 'payment_failed',
                        'refund', 'dispute_alert')),
    -- What makes two queueings the same email (a replay queues nothing new).
    dedupe_key      TEXT    NOT NULL UNIQUE,
    recipient       TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    -- The HTML part; NULL for emails queued before there was one.
    html_body       TEXT,
    created_at      BIGINT  NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT  NOT NULL,
    last_error      TEXT,
    sent_at         BIGINT,
    claimed_by      TEXT,
    lease_until     BIGINT  NOT NULL DEFAULT 0
);

INSERT INTO outbox_rebuilt (id, order_id, kind, dedupe_key, recipient, subject, body,
        created_at, attempts, next_attempt_at, last_error, sent_at, claimed_by, lease_until)
    SELECT id, order_id, kind, kind || ':' || order_id, recipient, subject, body,
        created_at, attempts, next_attempt_at, last_error, sent_at, claimed_by, lease_until
    FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_rebuilt RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (sent_at, next_attempt_at);
CREATE INDEX outbox_order ON outbox (order_id);

-- The command queue, rebuilt: refunds join cancels.
CREATE TABLE stripe_commands_rebuilt (
    id              TEXT    PRIMARY KEY,
    kind            TEXT    NOT NULL CHECK (kind IN ('cancel_payment_intent', 'refund')),
    payment_intent  TEXT    NOT NULL,
    order_id        TEXT    REFERENCES orders (id),
    reason          TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('pending', 'done', 'parked')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT  NOT NULL,
    last_error      TEXT,
    outcome         TEXT,
    created_at      BIGINT  NOT NULL,
    done_at         BIGINT,
    claimed_by      TEXT,
    lease_until     BIGINT  NOT NULL DEFAULT 0,
    -- The refund a `refund` command sends.
    refund_id       TEXT    REFERENCES refunds (id)
);

INSERT INTO stripe_commands_rebuilt (id, kind, payment_intent, order_id, reason, status,
        attempts, next_attempt_at, last_error, outcome, created_at, done_at, claimed_by,
        lease_until)
    SELECT id, kind, payment_intent, order_id, reason, status, attempts, next_attempt_at,
        last_error, outcome, created_at, done_at, claimed_by, lease_until
    FROM stripe_commands;
DROP TABLE stripe_commands;
ALTER TABLE stripe_commands_rebuilt RENAME TO stripe_commands;
CREATE INDEX stripe_commands_due ON stripe_commands (status, next_attempt_at);
