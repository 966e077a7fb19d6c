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
INSERT INTO tenant_domains (domain, tenant_id, created_at)
SELECT lower(domain), id, created_at FROM customers
ON CONFLICT (domain) DO NOTHING;
INSERT INTO tenant_domains (domain, tenant_id, created_at)
SELECT DISTINCT ON (d) d, t, c
FROM (
    SELECT lower(split_part(user_name, '@', 2)) AS d, coalesce(partner_id, customer_id) AS t,
           created_at AS c, id
    FROM users
    WHERE position('@' IN user_name) > 0 AND coalesce(partner_id, customer_id) IS NOT NULL
) u
ORDER BY d, c, id
ON CONFLICT (domain) DO NOTHING;
