-- Price lists (a partner's prices over the price below it), their dated versions, and which
-- list a partner assigned to a reseller or a customer.
CREATE TABLE price_lists (
    id TEXT PRIMARY KEY NOT NULL,
    partner_id TEXT NOT NULL REFERENCES partners (id),
    name TEXT NOT NULL,
    currency TEXT NOT NULL,
    is_default BOOLEAN NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX price_lists_partner_idx ON price_lists (partner_id, id);

CREATE TABLE price_list_versions (
    id TEXT PRIMARY KEY NOT NULL,
    price_list_id TEXT NOT NULL REFERENCES price_lists (id),
    effective_from TIMESTAMP NOT NULL,
    default_markup_percent TEXT NOT NULL,
    entries TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (price_list_id, effective_from)
);

CREATE TABLE price_list_assignments (
    partner_id TEXT NOT NULL REFERENCES partners (id),
    target_id TEXT NOT NULL,
    target_kind TEXT NOT NULL CHECK (target_kind IN ('reseller', 'customer')),
    price_list_id TEXT NOT NULL REFERENCES price_lists (id),
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (partner_id, target_id)
);

-- Billing line items: written with the change that causes them, never updated. Amounts are
-- integer minor units at each price level.
CREATE TABLE billing_line_items (
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
CREATE INDEX billing_line_items_provider_idx ON billing_line_items (provider_id, id);
CREATE INDEX billing_line_items_reseller_idx ON billing_line_items (reseller_id, id)
    WHERE reseller_id IS NOT NULL;
CREATE INDEX billing_line_items_subscription_idx ON billing_line_items (subscription_id, id);
