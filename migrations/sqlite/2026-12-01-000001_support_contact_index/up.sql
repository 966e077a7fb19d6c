-- The support contact index gets the id as its second column (issue 7). A provider is the
-- support contact of most subscriptions it sells, so the single-column index held one key
-- repeated for nearly every row. Measured on PostgreSQL (20,000 customers, orders spread over
-- 1,000 of them, tables analyzed after seeding, pg_stat_statements): with the single-column
-- index a subscription insert took 0.76 ms against 0.03-0.05 ms for every other insert, and
-- orders ran at 1,039-1,268/s; with (partner, id) the insert takes 0.07 ms and orders run at
-- 1,568-1,626/s. In the 1M-row benchmark, where the table was not in that state, orders ran at
-- the same speed either way (README "Performance"). Every key is now unique, new ids (UUIDv7)
-- land at the partner's end, and the pair is the order `supported_by` reads in.
DROP INDEX subscriptions_support_contact_idx;
CREATE INDEX subscriptions_support_contact_idx ON subscriptions (support_contact_partner_id, id);
