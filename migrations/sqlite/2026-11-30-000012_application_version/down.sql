ALTER TABLE applications DROP COLUMN version;
