-- Applications carry a row version like every other resource with an ETag (issue 9): it starts
-- at 1 and is bumped by every update.
ALTER TABLE applications ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
