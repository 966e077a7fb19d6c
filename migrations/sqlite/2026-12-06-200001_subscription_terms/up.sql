-- Subscription terms and lifecycle: offers sell terms (P1M, P1Y, P3Y) with their billing cycles
-- and prices; a subscription has a term, a cancellation window, returnable seats, instructions
-- for its next term and its next lifecycle transition; test clocks give customers their own time.

-- NULL terms: the offer predates terms and sells, for each of its billing cycles, the term that
-- cycle implies (monthly: P1M, annual: P1Y).
ALTER TABLE offers ADD COLUMN terms TEXT;
ALTER TABLE offers ADD COLUMN cancellation_window_hours INTEGER;

CREATE TABLE test_clocks (
    id TEXT PRIMARY KEY NOT NULL,
    partner_id TEXT NOT NULL REFERENCES partners (id),
    name TEXT NOT NULL,
    frozen_time TIMESTAMP NOT NULL,
    advance_to TIMESTAMP,
    status TEXT NOT NULL CHECK (status IN ('ready', 'advancing')),
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX test_clocks_partner_idx ON test_clocks (partner_id, id);
CREATE INDEX test_clocks_advancing_idx ON test_clocks (status) WHERE status = 'advancing';

ALTER TABLE customers ADD COLUMN test_clock_id TEXT REFERENCES test_clocks (id);
CREATE INDEX customers_test_clock_idx ON customers (test_clock_id) WHERE test_clock_id IS NOT NULL;

-- SQLite cannot change a CHECK constraint: the table is rebuilt with the new statuses.
CREATE TABLE subscriptions_new (
    id TEXT PRIMARY KEY NOT NULL,
    customer_id TEXT NOT NULL REFERENCES customers (id),
    offer_id TEXT NOT NULL REFERENCES offers (id),
    order_id TEXT REFERENCES orders (id),
    quantity INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'expired', 'disabled', 'deleted')),
    billing_cycle TEXT NOT NULL,
    auto_renew BOOLEAN NOT NULL,
    friendly_name TEXT NOT NULL,
    billing_partner_id TEXT NOT NULL REFERENCES partners (id),
    partner_id_on_record TEXT REFERENCES partners (id),
    support_contact_partner_id TEXT NOT NULL REFERENCES partners (id),
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    term_duration TEXT NOT NULL DEFAULT 'P1M',
    term_start_date TIMESTAMP NOT NULL,
    cancellation_allowed_until TIMESTAMP,
    refundable TEXT NOT NULL DEFAULT '[]',
    scheduled_next_term TEXT,
    test_clock_id TEXT REFERENCES test_clocks (id),
    next_transition TEXT,
    next_transition_at TIMESTAMP
);
-- Existing subscriptions: the term follows the cycle and starts at creation; the runner works
-- out their first transition (`reschedule`, due at once) and catches up from there.
INSERT INTO subscriptions_new
SELECT id, customer_id, offer_id, order_id, quantity, status, billing_cycle, auto_renew,
    friendly_name, billing_partner_id, partner_id_on_record, support_contact_partner_id, version,
    created_at, updated_at,
    CASE billing_cycle WHEN 'annual' THEN 'P1Y' ELSE 'P1M' END,
    created_at,
    strftime('%Y-%m-%d %H:%M:%f', created_at, '+168 hours'),
    CASE WHEN strftime('%Y-%m-%d %H:%M:%f', created_at, '+168 hours') > strftime('%Y-%m-%d %H:%M:%f', 'now')
        THEN '[{"quantity":' || quantity || ',"allowedUntil":"'
            || strftime('%Y-%m-%dT%H:%M:%S', created_at, '+168 hours') || '"}]'
        ELSE '[]' END,
    NULL, NULL, 'reschedule', created_at
FROM subscriptions;
DROP TABLE subscriptions;
ALTER TABLE subscriptions_new RENAME TO subscriptions;
CREATE INDEX subscriptions_customer_idx ON subscriptions (customer_id, id);
CREATE INDEX subscriptions_support_contact_idx ON subscriptions (support_contact_partner_id, id);
CREATE INDEX subscriptions_customer_offer_idx ON subscriptions (customer_id, offer_id, status);
-- What the lifecycle runner claims: due transitions of customers on real time, in due order.
CREATE INDEX subscriptions_due_idx ON subscriptions (next_transition_at, id)
    WHERE next_transition_at IS NOT NULL AND test_clock_id IS NULL;
CREATE INDEX subscriptions_clock_due_idx ON subscriptions (test_clock_id, next_transition_at, id)
    WHERE next_transition_at IS NOT NULL AND test_clock_id IS NOT NULL;

-- One row per transition applied: a transition of a subscription due at a time runs once.
CREATE TABLE subscription_transitions (
    subscription_id TEXT NOT NULL REFERENCES subscriptions (id),
    transition TEXT NOT NULL,
    due_at TIMESTAMP NOT NULL,
    applied_at TIMESTAMP NOT NULL,
    PRIMARY KEY (subscription_id, transition, due_at)
);
