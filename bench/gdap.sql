-- GDAP fixture for bench/run.sh (SQLite and PostgreSQL alike): Northwind IT (the demo's
-- partnered reseller) gets a relationship without DAP with customer @ONE@, an active GDAP
-- relationship with Directory Readers on it, and a security group holding its user @USER@ with
-- an active access assignment of that role: @USER@ reads the customer's users through GDAP only.
BEGIN;
INSERT INTO customer_relationships (id, partner_id, customer_id, delegated_admin, created_at, updated_at)
VALUES ('00000000-0000-7000-d000-000000000001', '019a8f3c-1000-7000-8000-000000000003', '@ONE@',
    FALSE, '2026-01-01 00:00:00', '2026-01-01 00:00:00');
INSERT INTO security_groups (id, partner_id, display_name, description, version, created_at, updated_at)
VALUES ('00000000-0000-7000-d000-000000000002', '019a8f3c-1000-7000-8000-000000000003', 'Bench readers',
    NULL, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00');
INSERT INTO security_group_members (group_id, member_id, user_id, application_id, created_at)
VALUES ('00000000-0000-7000-d000-000000000002', '@USER@', '@USER@', NULL, '2026-01-01 00:00:00');
INSERT INTO gdap_relationships (id, partner_id, customer_id, display_name, duration, duration_days,
    auto_extend_duration, roles, status, activated_at, end_at, notified_days, next_transition_at,
    version, created_at, updated_at)
VALUES ('00000000-0000-7000-d000-000000000003', '019a8f3c-1000-7000-8000-000000000003', '@ONE@',
    'Bench readers', 'P730D', 730, 'P180D', ',88d8e3e3-8f55-4a1e-953a-9b9898b8876b,', 'active',
    '2026-01-01 00:00:00', '2099-01-01 00:00:00', NULL, '2099-01-01 00:00:00', 1,
    '2026-01-01 00:00:00', '2026-01-01 00:00:00');
INSERT INTO gdap_access_assignments (id, relationship_id, partner_id, customer_id, group_id, roles,
    status, version, created_at, updated_at)
VALUES ('00000000-0000-7000-d000-000000000004', '00000000-0000-7000-d000-000000000003',
    '019a8f3c-1000-7000-8000-000000000003', '@ONE@', '00000000-0000-7000-d000-000000000002',
    ',88d8e3e3-8f55-4a1e-953a-9b9898b8876b,', 'active', 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00');
INSERT INTO gdap_grants (assignment_id, role_id, customer_id, group_id)
VALUES ('00000000-0000-7000-d000-000000000004', '88d8e3e3-8f55-4a1e-953a-9b9898b8876b', '@ONE@',
    '00000000-0000-7000-d000-000000000002');
COMMIT;
