CREATE TABLE billing_line_items_new (
    id TEXT PRIMARY KEY NOT NULL,
    provider_id TEXT NOT NULL REFERENCES partners (id),
    customer_id TEXT NOT NULL REFERENCES customers (id),
    reseller_id TEXT REFERENCES partners (id),
    subscription_id TEXT NOT NULL REFERENCES subscriptions (id),
    offer_id TEXT NOT NULL,
    term_duration TEXT NOT NULL,
    billing_cycle TEXT NOT NULL,
    charge_type TEXT NOT NULL
        CHECK (charge_type IN ('new', 'addQuantity', 'removeQuantity', 'cancel', 'renew')),
    quantity INTEGER NOT NULL,
    charge_start_date DATE NOT NULL,
    charge_end_date DATE NOT NULL,
    days INTEGER NOT NULL,
    cycle_days INTEGER NOT NULL,
    billing_period TEXT NOT NULL,
    currency TEXT NOT NULL,
    cost_unit_minor BIGINT NOT NULL,
    cost_total_minor BIGINT NOT NULL,
    reseller_unit_minor BIGINT,
    reseller_total_minor BIGINT,
    customer_unit_minor BIGINT NOT NULL,
    customer_total_minor BIGINT NOT NULL,
    reseller_price_list_id TEXT,
    customer_price_list_id TEXT,
    created_at TIMESTAMP NOT NULL
);
INSERT INTO billing_line_items_new (id, provider_id, customer_id, reseller_id, subscription_id, offer_id, term_duration,
    billing_cycle, charge_type, quantity, charge_start_date, charge_end_date, days, cycle_days,
    billing_period, currency, cost_unit_minor, cost_total_minor, reseller_unit_minor,
    reseller_total_minor, customer_unit_minor, customer_total_minor, reseller_price_list_id,
    customer_price_list_id, created_at)
SELECT id, provider_id, customer_id, reseller_id, subscription_id, offer_id, term_duration,
    billing_cycle, charge_type, quantity, charge_start_date, charge_end_date, days, cycle_days,
    billing_period, currency, cost_unit_minor, cost_total_minor, reseller_unit_minor,
    reseller_total_minor, customer_unit_minor, customer_total_minor, reseller_price_list_id,
    customer_price_list_id, created_at
FROM billing_line_items
WHERE charge_type NOT IN ('cycleFee', 'upgrade');
DROP TABLE billing_line_items;
ALTER TABLE billing_line_items_new RENAME TO billing_line_items;
CREATE INDEX billing_line_items_provider_idx ON billing_line_items (provider_id, id);
CREATE INDEX billing_line_items_reseller_idx ON billing_line_items (reseller_id, id)
    WHERE reseller_id IS NOT NULL;
CREATE INDEX billing_line_items_subscription_idx ON billing_line_items (subscription_id, id);
