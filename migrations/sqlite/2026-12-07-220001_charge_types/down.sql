DELETE FROM billing_line_items WHERE charge_type IN ('cycleFee', 'upgrade');
PRAGMA writable_schema = ON;
UPDATE sqlite_master
SET sql = replace(sql, '''cancel'', ''cycleFee'', ''renew'', ''upgrade'')', '''cancel'', ''renew'')')
WHERE type = 'table' AND name = 'billing_line_items';
PRAGMA writable_schema = OFF;
CREATE TABLE charge_types_migration_check (ok INTEGER NOT NULL CHECK (ok = 1));
INSERT INTO charge_types_migration_check
SELECT count(*) FROM sqlite_master
WHERE type = 'table' AND name = 'billing_line_items'
    AND sql LIKE '%''cancel'', ''renew'')%';
DROP TABLE charge_types_migration_check;
