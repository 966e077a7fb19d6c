DROP INDEX webhook_events_created_idx;
DROP INDEX webhook_deliveries_pending_idx;
DROP INDEX webhook_deliveries_replay_idx;
ALTER TABLE webhook_deliveries DROP COLUMN replayed;
DROP INDEX webhook_deliveries_event_webhook_idx;
