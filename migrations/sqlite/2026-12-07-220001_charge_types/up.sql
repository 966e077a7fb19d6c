-- Two more charge types: `cycleFee` (a billing cycle after the first, charged by the lifecycle
-- runner) and `upgrade` (the refund on the source and the charge on the target of an upgrade).
--
-- SQLite cannot ALTER a CHECK constraint. Loosening one changes no stored row, so instead of
-- rebuilding the table (which would drop every index and trigger other migrations put on it)
-- this edits the constraint's text in the schema, the procedure SQLite documents for removing
-- CHECK constraints ("Making Other Kinds Of Table Schema Changes"): the table keeps its rows,
-- indexes and triggers. The scratch table then checks that the edit took (the migration fails
-- otherwise) and, being DDL, bumps the schema version so every open connection re-reads the
-- schema; `db::migrate` makes the connection that ran it re-read it too.
PRAGMA writable_schema = ON;
UPDATE sqlite_master
SET sql = replace(sql, '''cancel'', ''renew'')', '''cancel'', ''cycleFee'', ''renew'', ''upgrade'')')
WHERE type = 'table' AND name = 'billing_line_items';
PRAGMA writable_schema = OFF;
CREATE TABLE charge_types_migration_check (ok INTEGER NOT NULL CHECK (ok = 1));
INSERT INTO charge_types_migration_check
SELECT count(*) FROM sqlite_master
WHERE type = 'table' AND name = 'billing_line_items'
    AND sql LIKE '%''cancel'', ''cycleFee'', ''renew'', ''upgrade'')%';
DROP TABLE charge_types_migration_check;
