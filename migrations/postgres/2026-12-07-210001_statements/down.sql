DROP TRIGGER billing_line_items_open_period ON billing_line_items;
DROP FUNCTION billing_line_items_open_period();
DROP INDEX billing_line_items_period_customer_idx;
DROP INDEX billing_line_items_period_reseller_idx;
DROP TABLE statements;
DROP TABLE statement_counters;
DROP TABLE billing_period_closes;
