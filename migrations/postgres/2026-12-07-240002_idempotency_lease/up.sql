-- A claimed Idempotency-Key holds a lease that its request renews while it runs: a key whose
-- lease ran out belongs to a process that died, and a retry may take it over. Keys claimed
-- before (NULL) keep the old rule: abandoned five minutes after they were claimed.
ALTER TABLE idempotency_keys ADD COLUMN lease_until TIMESTAMP;
