-- Bounded webhook queues and retention.
--
-- A delivery of an event to an endpoint exists once: replays and redeliveries re-arm it. Earlier
-- replays may have queued the same event to the same endpoint several times; those copies are
-- merged into one (a pending copy first, then a delivered one, else the oldest), which keeps
-- every attempt.
CREATE TEMPORARY TABLE delivery_merge AS
SELECT id, keep FROM (
    SELECT id, first_value(id) OVER (
        PARTITION BY event_id, webhook_id
        ORDER BY CASE status WHEN 'pending' THEN 0 WHEN 'delivered' THEN 1 ELSE 2 END, id
    ) AS keep
    FROM webhook_deliveries
) ranked
WHERE id <> keep;
UPDATE webhook_attempts
SET delivery_id = (SELECT keep FROM delivery_merge m WHERE m.id = webhook_attempts.delivery_id)
WHERE delivery_id IN (SELECT id FROM delivery_merge);
DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM delivery_merge);
DROP TABLE delivery_merge;
CREATE UNIQUE INDEX webhook_deliveries_event_webhook_idx ON webhook_deliveries (event_id, webhook_id);

-- Queued by a replay and not attempted yet: an endpoint has one open replay at a time.
ALTER TABLE webhook_deliveries ADD COLUMN replayed BOOLEAN NOT NULL DEFAULT false;
CREATE INDEX webhook_deliveries_replay_idx ON webhook_deliveries (webhook_id)
    WHERE replayed AND status = 'pending' AND attempts = 0;

-- The worker claims each endpoint's oldest due deliveries in turn; the per-partner queue count
-- and the queue gauges read the same index. It replaces the index on (status, next_attempt_at):
-- with that one present, PostgreSQL walked one endpoint's backlog to find another endpoint's
-- due deliveries (18 ms instead of 0.8 ms with 50,000 queued).
CREATE INDEX webhook_deliveries_pending_idx ON webhook_deliveries (webhook_id, next_attempt_at)
    WHERE status = 'pending';
DROP INDEX webhook_deliveries_due_idx;

-- Retention sweeps events by age.
CREATE INDEX webhook_events_created_idx ON webhook_events (created_at);
