-- Token revocation (issue 8): every password change or reset, disable, enable and role change
-- advances a user's credentials version; tokens carry the version they were issued under.
ALTER TABLE users ADD COLUMN credentials_version BIGINT NOT NULL DEFAULT 1;

-- Sign-in throttling (GCRA, shared by every replica): one row per bucket holding its
-- theoretical arrival time in milliseconds since the epoch.
CREATE TABLE sign_in_throttle (
    bucket TEXT PRIMARY KEY NOT NULL,
    tat_ms BIGINT NOT NULL
);
CREATE INDEX sign_in_throttle_tat_idx ON sign_in_throttle (tat_ms);

-- Bound links: the e-mail of the reseller user who accepted a partnership invitation, and the
-- customer a relationship request is meant for.
ALTER TABLE partnership_invitations ADD COLUMN accepted_by_email TEXT;
ALTER TABLE relationship_requests ADD COLUMN customer_email TEXT;
ALTER TABLE relationship_requests ADD COLUMN intended_customer_id TEXT REFERENCES customers (id);

-- Replaced by sign_in_throttle; SQLite transactions take the write lock with BEGIN IMMEDIATE.
DROP TABLE rate_limit_windows;
