DROP TABLE billing_line_items;
DROP TABLE price_list_assignments;
DROP TABLE price_list_versions;
DROP TABLE price_lists;
