ALTER TABLE partnerships DROP COLUMN version;
