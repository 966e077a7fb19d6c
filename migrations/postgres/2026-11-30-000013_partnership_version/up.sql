-- Row version of a partnership (issue 9: ETag = row version everywhere): 1 when created, bumped
-- whenever it ends or starts again. GET /v1/indirect-resellers/{id} tags the partnership's
-- version together with the reseller's profile version.
ALTER TABLE partnerships ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
