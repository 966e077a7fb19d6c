-- Issue 7: indexes that let every keyset page, the order rules and the idempotency purge range-scan.
-- A customer's relationships, paged by relationship id.
DROP INDEX customer_relationships_customer_idx;
CREATE INDEX customer_relationships_customer_idx ON customer_relationships (customer_id, id);
-- A partner's partnerships in one status, paged by partnership id (both sides).
DROP INDEX partnerships_reseller_idx;
CREATE INDEX partnerships_reseller_idx ON partnerships (reseller_id, status, id);
CREATE INDEX partnerships_provider_idx ON partnerships (provider_id, status, id);
-- The order rules: a customer's subscriptions to the offers of one order, by status.
CREATE INDEX subscriptions_customer_offer_idx ON subscriptions (customer_id, offer_id, status);
-- When the change a keyed request made committed (written in that change's transaction), so a
-- key whose response was never stored is not retaken for a change that already happened.
ALTER TABLE idempotency_keys ADD COLUMN committed_at TIMESTAMP;
-- The periodic purge of expired idempotency keys.
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
