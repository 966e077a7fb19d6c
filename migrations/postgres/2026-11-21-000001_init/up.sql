-- partner-center schema (PostgreSQL dialect). Ids are UUIDv7 text; times are UTC TIMESTAMP.
CREATE TABLE partners (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('indirect_provider', 'indirect_reseller')),
    name TEXT NOT NULL,
    support_email TEXT,
    support_phone TEXT,
    website TEXT,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE customers (
    id TEXT PRIMARY KEY NOT NULL,
    company_name TEXT NOT NULL,
    domain TEXT NOT NULL UNIQUE,
    billing_email TEXT NOT NULL,
    culture TEXT NOT NULL,
    address_line1 TEXT NOT NULL,
    address_line2 TEXT,
    city TEXT NOT NULL,
    state TEXT,
    postal_code TEXT NOT NULL,
    country TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX customers_name_idx ON customers (lower(company_name));

CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    partner_id TEXT REFERENCES partners (id),
    customer_id TEXT REFERENCES customers (id),
    user_name TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    roles TEXT NOT NULL,
    must_change_password BOOLEAN NOT NULL,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK ((partner_id IS NULL) <> (customer_id IS NULL))
);
CREATE INDEX users_partner_idx ON users (partner_id, id);
CREATE INDEX users_customer_idx ON users (customer_id, id);

CREATE TABLE applications (
    id TEXT PRIMARY KEY NOT NULL,
    partner_id TEXT NOT NULL REFERENCES partners (id),
    display_name TEXT NOT NULL,
    client_id TEXT NOT NULL UNIQUE,
    secret_hash TEXT NOT NULL,
    roles TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX applications_partner_idx ON applications (partner_id, id);

CREATE TABLE customer_relationships (
    id TEXT PRIMARY KEY NOT NULL,
    partner_id TEXT NOT NULL REFERENCES partners (id),
    customer_id TEXT NOT NULL REFERENCES customers (id),
    delegated_admin BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (partner_id, customer_id)
);
CREATE INDEX customer_relationships_customer_idx ON customer_relationships (customer_id);

CREATE TABLE partnerships (
    id TEXT PRIMARY KEY NOT NULL,
    provider_id TEXT NOT NULL REFERENCES partners (id),
    reseller_id TEXT NOT NULL REFERENCES partners (id),
    status TEXT NOT NULL CHECK (status IN ('active', 'ended')),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (provider_id, reseller_id)
);
CREATE INDEX partnerships_reseller_idx ON partnerships (reseller_id);

CREATE TABLE partnership_invitations (
    id TEXT PRIMARY KEY NOT NULL,
    provider_id TEXT NOT NULL REFERENCES partners (id),
    email TEXT NOT NULL,
    message TEXT,
    token_hash TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'revoked')),
    expires_at TIMESTAMP NOT NULL,
    accepted_by_partner_id TEXT REFERENCES partners (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX partnership_invitations_provider_idx ON partnership_invitations (provider_id, id);

CREATE TABLE relationship_requests (
    id TEXT PRIMARY KEY NOT NULL,
    partner_id TEXT NOT NULL REFERENCES partners (id),
    indirect_provider_id TEXT REFERENCES partners (id),
    include_delegated_admin BOOLEAN NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'revoked')),
    expires_at TIMESTAMP NOT NULL,
    customer_id TEXT REFERENCES customers (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX relationship_requests_partner_idx ON relationship_requests (partner_id, id);

CREATE TABLE offers (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    product_family TEXT NOT NULL,
    min_quantity INTEGER NOT NULL,
    max_quantity INTEGER NOT NULL,
    unit_price_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    billing_cycles TEXT NOT NULL,
    is_add_on BOOLEAN NOT NULL,
    prerequisite_offer_ids TEXT NOT NULL,
    upgrade_target_offer_ids TEXT NOT NULL,
    limit_per_customer INTEGER,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE carts (
    id TEXT PRIMARY KEY NOT NULL,
    customer_id TEXT NOT NULL REFERENCES customers (id),
    partner_id TEXT NOT NULL REFERENCES partners (id),
    status TEXT NOT NULL CHECK (status IN ('active', 'checked_out')),
    line_items TEXT NOT NULL,
    order_id TEXT,
    version BIGINT NOT NULL DEFAULT 1,
    expires_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX carts_customer_idx ON carts (customer_id, id);

CREATE TABLE orders (
    id TEXT PRIMARY KEY NOT NULL,
    customer_id TEXT NOT NULL REFERENCES customers (id),
    partner_id TEXT NOT NULL REFERENCES partners (id),
    status TEXT NOT NULL,
    line_items TEXT NOT NULL,
    total_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX orders_customer_idx ON orders (customer_id, id);

CREATE TABLE subscriptions (
    id TEXT PRIMARY KEY NOT NULL,
    customer_id TEXT NOT NULL REFERENCES customers (id),
    offer_id TEXT NOT NULL REFERENCES offers (id),
    order_id TEXT REFERENCES orders (id),
    quantity INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'suspended')),
    billing_cycle TEXT NOT NULL,
    auto_renew BOOLEAN NOT NULL,
    friendly_name TEXT NOT NULL,
    billing_partner_id TEXT NOT NULL REFERENCES partners (id),
    partner_id_on_record TEXT REFERENCES partners (id),
    support_contact_partner_id TEXT NOT NULL REFERENCES partners (id),
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX subscriptions_customer_idx ON subscriptions (customer_id, id);
CREATE INDEX subscriptions_support_contact_idx ON subscriptions (support_contact_partner_id);

CREATE TABLE service_requests (
    id TEXT PRIMARY KEY NOT NULL,
    customer_id TEXT NOT NULL REFERENCES customers (id),
    partner_id TEXT NOT NULL REFERENCES partners (id),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    severity TEXT NOT NULL,
    status TEXT NOT NULL,
    notes TEXT NOT NULL,
    created_by TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX service_requests_customer_idx ON service_requests (customer_id, id);

CREATE TABLE audit_records (
    id TEXT PRIMARY KEY NOT NULL,
    partner_id TEXT REFERENCES partners (id),
    customer_id TEXT REFERENCES customers (id),
    actor_type TEXT NOT NULL,
    actor_id TEXT,
    actor_name TEXT NOT NULL,
    operation_type TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    old_value TEXT,
    new_value TEXT,
    request_id TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX audit_records_partner_idx ON audit_records (partner_id, id);
CREATE INDEX audit_records_customer_idx ON audit_records (customer_id, id);

CREATE TABLE idempotency_keys (
    scope TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('in_progress', 'completed')),
    response_status INTEGER,
    response_headers TEXT,
    response_body TEXT,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (scope, idempotency_key)
);

CREATE TABLE rate_limit_windows (
    bucket TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    hits INTEGER NOT NULL,
    PRIMARY KEY (bucket, window_start)
);
