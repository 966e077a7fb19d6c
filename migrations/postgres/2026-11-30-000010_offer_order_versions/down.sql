ALTER TABLE orders DROP COLUMN version;
ALTER TABLE offers DROP COLUMN version;
