-- Work shared between instances. An inbox event, an email or a Stripe command is
-- claimed by one instance (`claimed_by`) until `lease_until` (unix seconds): others
-- skip it meanwhile, only the claimant may finish it, and once the lease has expired
-- (its instance died, say) another instance takes it over.
ALTER TABLE webhook_events ADD COLUMN claimed_by TEXT;
ALTER TABLE webhook_events ADD COLUMN lease_until BIGINT NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN lease_until BIGINT NOT NULL DEFAULT 0;
ALTER TABLE stripe_commands ADD COLUMN claimed_by TEXT;
ALTER TABLE stripe_commands ADD COLUMN lease_until BIGINT NOT NULL DEFAULT 0;

-- Rate limits every instance shares (PostgreSQL; one SQLite instance counts in
-- memory): hits per limit, key and fixed window, blended into a sliding window.
CREATE TABLE rate_limit_hits (
    limiter      TEXT   NOT NULL,
    key          TEXT   NOT NULL,
    window_start BIGINT NOT NULL,
    hits         BIGINT NOT NULL,
    PRIMARY KEY (limiter, key, window_start)
);

CREATE INDEX rate_limit_hits_window ON rate_limit_hits (window_start);
