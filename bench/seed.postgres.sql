-- Bulk seeding for bench/run.sh (PostgreSQL): the same rows as seed.sqlite.sql (see there).
CREATE FUNCTION pg_temp.bench_id(grp TEXT, i BIGINT) RETURNS TEXT LANGUAGE SQL IMMUTABLE AS
    $$ SELECT '00000000-0000-7000-' || grp || '-' || lpad(to_hex(i), 12, '0') $$;
BEGIN;
INSERT INTO customers (id, company_name, domain, billing_email, culture, address_line1,
    address_line2, city, state, postal_code, country, version, created_at, updated_at)
SELECT pg_temp.bench_id('8000', i), 'Bench Customer ' || i, 'bench' || i || '.example',
    'billing@bench' || i || '.example', 'en-US', '1 Main St', NULL, 'Redmond', 'WA', '98052',
    'US', 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'
FROM generate_series(1, @CUSTOMERS@) AS i;
INSERT INTO customer_relationships (id, partner_id, customer_id, delegated_admin, created_at,
    updated_at)
SELECT pg_temp.bench_id('9000', i), '@PROVIDER@', pg_temp.bench_id('8000', i), TRUE,
    '2026-01-01 00:00:00', '2026-01-01 00:00:00'
FROM generate_series(1, @CUSTOMERS@) AS i;
INSERT INTO orders (id, customer_id, partner_id, status, line_items, total_minor, currency,
    created_at, version)
SELECT pg_temp.bench_id('b000', i),
    pg_temp.bench_id('8000', CASE WHEN i <= @DEEP_SUBS@ THEN 1 ELSE 2 END), '@PROVIDER@',
    'completed', '[{"offerId":"@OFFER@","offerName":"Bench","quantity":1,' ||
    '"billingCycle":"monthly","partnerIdOnRecord":null,"unitPriceMinor":0,"lineTotalMinor":0,' ||
    '"subscriptionId":"' || pg_temp.bench_id('a000', i) || '"}]', 0, 'USD',
    '2026-01-01 00:00:00', 1
FROM generate_series(1, @DEEP_SUBS@ + @HEAVY_SUBS@) AS i;
INSERT INTO subscriptions (id, customer_id, offer_id, order_id, quantity, status, billing_cycle,
    auto_renew, friendly_name, billing_partner_id, partner_id_on_record,
    support_contact_partner_id, version, created_at, updated_at, term_start_date)
SELECT pg_temp.bench_id('a000', i),
    pg_temp.bench_id('8000', CASE WHEN i <= @DEEP_SUBS@ THEN 1 ELSE 2 END), '@OFFER@',
    pg_temp.bench_id('b000', i), 1,
    'active', 'monthly', TRUE, 'Bench subscription ' || i, '@PROVIDER@', NULL, '@PROVIDER@', 1,
    '2026-01-01 00:00:00', '2026-01-01 00:00:00', '2026-01-01 00:00:00'
FROM generate_series(1, @DEEP_SUBS@ + @HEAVY_SUBS@) AS i;
INSERT INTO audit_records (id, partner_id, customer_id, actor_type, actor_id, actor_name,
    operation_type, resource_type, resource_id, old_value, new_value, request_id, created_at)
SELECT pg_temp.bench_id('c000', i), '@PROVIDER@', pg_temp.bench_id('8000', 1 + i % @CUSTOMERS@),
    'system', NULL, 'bench seed', 'update_customer', 'customer',
    pg_temp.bench_id('8000', 1 + i % @CUSTOMERS@), NULL, '{"companyName":"Bench"}', 'bench',
    '2026-01-01 00:00:00'
FROM generate_series(1, @AUDITS@) AS i;
COMMIT;
ANALYZE;
