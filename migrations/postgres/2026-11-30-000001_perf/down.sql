DROP INDEX idempotency_keys_created_idx;
ALTER TABLE idempotency_keys DROP COLUMN committed_at;
DROP INDEX subscriptions_customer_offer_idx;
DROP INDEX partnerships_provider_idx;
DROP INDEX partnerships_reseller_idx;
CREATE INDEX partnerships_reseller_idx ON partnerships (reseller_id);
DROP INDEX customer_relationships_customer_idx;
CREATE INDEX customer_relationships_customer_idx ON customer_relationships (customer_id);
