-- The domains each organisation (partner or customer) owns: users are created only under their
-- organisation's own domains, so a sign-in name can be taken only inside one organisation.
-- Existing organisations get the domains they already use: each customer its domain, then
-- every organisation the domains of its users' names (the earliest user's organisation first,
-- when two used the same domain).
CREATE TABLE tenant_domains (
    domain TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX tenant_domains_tenant_idx ON tenant_domains (tenant_id);
INSERT OR IGNORE INTO tenant_domains (domain, tenant_id, created_at)
SELECT lower(domain), id, created_at FROM customers ORDER BY created_at, id;
INSERT OR IGNORE INTO tenant_domains (domain, tenant_id, created_at)
SELECT lower(substr(user_name, instr(user_name, '@') + 1)), coalesce(partner_id, customer_id), created_at
FROM users
WHERE instr(user_name, '@') > 0 AND coalesce(partner_id, customer_id) IS NOT NULL
ORDER BY created_at, id;
