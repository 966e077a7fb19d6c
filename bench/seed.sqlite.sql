-- Bulk seeding for bench/run.sh (SQLite). Placeholders are replaced by the script:
-- @CUSTOMERS@ customers related to the provider @PROVIDER@; @DEEP_SUBS@ subscriptions on
-- customer 1 (deep subscription pages); @HEAVY_SUBS@ on customer 2 (orders on a customer that
-- holds many); each subscription with the order that created it (so the orders table is not
-- empty when ANALYZE runs, as a real provider's is not); @AUDITS@ audit records of the
-- provider (deep audit pages). Ids are UUIDs that sort before every id the server generates;
-- the 4th group tells the tables apart.
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < @CUSTOMERS@)
INSERT INTO customers (id, company_name, domain, billing_email, culture, address_line1,
    address_line2, city, state, postal_code, country, version, created_at, updated_at)
SELECT printf('00000000-0000-7000-8000-%012x', i), 'Bench Customer ' || i,
    'bench' || i || '.example', 'billing@bench' || i || '.example', 'en-US', '1 Main St', NULL,
    'Redmond', 'WA', '98052', 'US', 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'
FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < @CUSTOMERS@)
INSERT INTO customer_relationships (id, partner_id, customer_id, delegated_admin, created_at,
    updated_at)
SELECT printf('00000000-0000-7000-9000-%012x', i), '@PROVIDER@',
    printf('00000000-0000-7000-8000-%012x', i), 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'
FROM n;
WITH RECURSIVE n(i, c) AS (
    SELECT 1, 1 UNION ALL SELECT i + 1, CASE WHEN i < @DEEP_SUBS@ THEN 1 ELSE 2 END FROM n
    WHERE i < @DEEP_SUBS@ + @HEAVY_SUBS@)
INSERT INTO orders (id, customer_id, partner_id, status, line_items, total_minor, currency,
    created_at, version)
SELECT printf('00000000-0000-7000-b000-%012x', i), printf('00000000-0000-7000-8000-%012x', c),
    '@PROVIDER@', 'completed',
    printf('[{"offerId":"@OFFER@","offerName":"Bench","quantity":1,"billingCycle":"monthly",'
        || '"partnerIdOnRecord":null,"unitPriceMinor":0,"lineTotalMinor":0,'
        || '"subscriptionId":"00000000-0000-7000-a000-%012x"}]', i),
    0, 'USD', '2026-01-01 00:00:00', 1
FROM n;
WITH RECURSIVE n(i, c) AS (
    SELECT 1, 1 UNION ALL SELECT i + 1, CASE WHEN i < @DEEP_SUBS@ THEN 1 ELSE 2 END FROM n
    WHERE i < @DEEP_SUBS@ + @HEAVY_SUBS@)
INSERT INTO subscriptions (id, customer_id, offer_id, order_id, quantity, status, billing_cycle,
    auto_renew, friendly_name, billing_partner_id, partner_id_on_record,
    support_contact_partner_id, version, created_at, updated_at, term_start_date)
SELECT printf('00000000-0000-7000-a000-%012x', i), printf('00000000-0000-7000-8000-%012x', c),
    '@OFFER@', printf('00000000-0000-7000-b000-%012x', i), 1, 'active', 'monthly', 1,
    'Bench subscription ' || i, '@PROVIDER@', NULL,
    '@PROVIDER@', 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00', '2026-01-01 00:00:00'
FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < @AUDITS@)
INSERT INTO audit_records (id, partner_id, customer_id, actor_type, actor_id, actor_name,
    operation_type, resource_type, resource_id, old_value, new_value, request_id, created_at)
SELECT printf('00000000-0000-7000-c000-%012x', i), '@PROVIDER@',
    printf('00000000-0000-7000-8000-%012x', 1 + i % @CUSTOMERS@), 'system', NULL, 'bench seed',
    'update_customer', 'customer', printf('00000000-0000-7000-8000-%012x', 1 + i % @CUSTOMERS@),
    NULL, '{"companyName":"Bench"}', 'bench', '2026-01-01 00:00:00'
FROM n;
COMMIT;
ANALYZE;
