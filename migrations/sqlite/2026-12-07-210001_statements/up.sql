-- Billing periods and statements. A period (calendar month, UTC) is closed once per time scope:
-- real time (clock_key '') or one test clock (clock_key = its id). A statement's lines are the
-- line items its key selects (see docs/billing.md): no row per line is written, and a line can
-- match only one statement per price level because the key is unique and a closed period takes
-- no new lines (the trigger below).
CREATE TABLE billing_period_closes (
    id TEXT PRIMARY KEY NOT NULL,
    clock_key TEXT NOT NULL,
    period TEXT NOT NULL,
    closed_at TIMESTAMP NOT NULL,
    statement_count BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (clock_key, period)
);

-- The last statement number of each issuer: incremented in the transaction that issues.
CREATE TABLE statement_counters (
    issuer_id TEXT PRIMARY KEY NOT NULL REFERENCES partners (id),
    last_number BIGINT NOT NULL
);

CREATE TABLE statements (
    id TEXT PRIMARY KEY NOT NULL,
    close_id TEXT NOT NULL REFERENCES billing_period_closes (id),
    issuer_id TEXT NOT NULL REFERENCES partners (id),
    issuer_kind TEXT NOT NULL CHECK (issuer_kind IN ('indirect_provider', 'indirect_reseller')),
    bill_to_kind TEXT NOT NULL CHECK (bill_to_kind IN ('reseller', 'customer')),
    bill_to_id TEXT NOT NULL,
    clock_key TEXT NOT NULL,
    period TEXT NOT NULL,
    currency TEXT NOT NULL,
    number BIGINT,
    total_minor BIGINT NOT NULL,
    line_count BIGINT NOT NULL,
    issued_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (issuer_id, bill_to_id, period, currency, clock_key),
    UNIQUE (issuer_id, number)
);
CREATE INDEX statements_bill_to_idx ON statements (bill_to_id, id);
CREATE INDEX statements_close_idx ON statements (close_id, issuer_id);

-- The close reads a period's lines; a statement's lines are read by period and party.
CREATE INDEX billing_line_items_period_reseller_idx
    ON billing_line_items (billing_period, reseller_id, id);
CREATE INDEX billing_line_items_period_customer_idx
    ON billing_line_items (billing_period, customer_id, id);

-- A line is never written into a period already closed for its customer's time scope (SQLite
-- has one writer at a time, so a writer either commits before the close or sees it).
CREATE TRIGGER billing_line_items_open_period BEFORE INSERT ON billing_line_items
WHEN EXISTS (
    SELECT 1 FROM billing_period_closes p
    WHERE p.clock_key = COALESCE(
            (SELECT c.test_clock_id FROM customers c WHERE c.id = NEW.customer_id), '')
      AND p.period >= NEW.billing_period
)
BEGIN
    SELECT RAISE(ABORT, 'billing period closed');
END;
