DROP INDEX webhook_events_created_idx;
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (status, next_attempt_at);
DROP INDEX webhook_deliveries_pending_idx;
DROP INDEX webhook_deliveries_replay_idx;
ALTER TABLE webhook_deliveries DROP COLUMN replayed;
DROP INDEX webhook_deliveries_event_webhook_idx;
