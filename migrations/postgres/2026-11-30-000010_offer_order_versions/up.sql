-- Row versions for the ETags of offers and orders (one ETag rule: the row's version). An offer's
-- version advances on every catalog import that updates it; an order is immutable and stays at 1.
ALTER TABLE offers ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE orders ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
