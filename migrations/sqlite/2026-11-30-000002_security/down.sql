ALTER TABLE relationship_requests DROP COLUMN intended_customer_id;
ALTER TABLE relationship_requests DROP COLUMN customer_email;
ALTER TABLE partnership_invitations DROP COLUMN accepted_by_email;
DROP TABLE sign_in_throttle;
ALTER TABLE users DROP COLUMN credentials_version;
