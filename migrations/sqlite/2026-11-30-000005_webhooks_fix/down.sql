ALTER TABLE webhook_deliveries DROP COLUMN claim_token;
ALTER TABLE webhooks DROP COLUMN last_failed_at;
