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

ALTER TABLE subscriptions DROP CONSTRAINT IF EXISTS subscriptions_status_check;
ALTER TABLE subscriptions ADD CONSTRAINT subscriptions_status_check
    CHECK (status IN ('active', 'suspended', 'expired', 'disabled', 'deleted'));
ALTER TABLE subscriptions ADD COLUMN term_duration TEXT NOT NULL DEFAULT 'P1M';
ALTER TABLE subscriptions ADD COLUMN term_start_date TIMESTAMP;
ALTER TABLE subscriptions ADD COLUMN cancellation_allowed_until TIMESTAMP;
ALTER TABLE subscriptions ADD COLUMN refundable TEXT NOT NULL DEFAULT '[]';
ALTER TABLE subscriptions ADD COLUMN scheduled_next_term TEXT;
ALTER TABLE subscriptions ADD COLUMN test_clock_id TEXT REFERENCES test_clocks (id);
ALTER TABLE subscriptions ADD COLUMN next_transition TEXT;
ALTER TABLE subscriptions ADD COLUMN next_transition_at TIMESTAMP;
-- Existing subscriptions: the term follows the cycle and starts at creation; the runner works
-- out their first transition (`reschedule`, due at once) and catches up from there.
UPDATE subscriptions SET
    term_duration = CASE billing_cycle WHEN 'annual' THEN 'P1Y' ELSE 'P1M' END,
    term_start_date = created_at,
    cancellation_allowed_until = created_at + INTERVAL '168 hours',
    refundable = CASE WHEN created_at + INTERVAL '168 hours' > now() AT TIME ZONE 'UTC'
        THEN '[{"quantity":' || quantity || ',"allowedUntil":"'
            || to_char(created_at + INTERVAL '168 hours', 'YYYY-MM-DD"T"HH24:MI:SS') || '"}]'
        ELSE '[]' END,
    next_transition = 'reschedule',
    next_transition_at = created_at;
ALTER TABLE subscriptions ALTER COLUMN term_start_date SET NOT NULL;
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
