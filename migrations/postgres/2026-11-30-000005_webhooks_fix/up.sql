-- Webhook delivery leases (product.md §11): the token of the claim that holds a delivery, so only
-- the holder of a live lease records its outcome, and a redeliver during a send is refused.
ALTER TABLE webhook_deliveries ADD COLUMN claim_token TEXT;
-- The last failed attempt of an endpoint: a failure after a quiet gap restarts its failing clock.
ALTER TABLE webhooks ADD COLUMN last_failed_at TIMESTAMP;
