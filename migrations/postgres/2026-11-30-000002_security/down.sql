CREATE TABLE rate_limit_windows (
    bucket TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    hits INTEGER NOT NULL,
    PRIMARY KEY (bucket, window_start)
);
ALTER TABLE relationship_requests DROP COLUMN intended_customer_id;
ALTER TABLE relationship_requests DROP COLUMN customer_email;
ALTER TABLE partnership_invitations DROP COLUMN accepted_by_email;
DROP TABLE sign_in_throttle;
ALTER TABLE users DROP COLUMN credentials_version;
