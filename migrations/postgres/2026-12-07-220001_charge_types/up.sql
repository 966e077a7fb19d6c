-- Two more charge types: `cycleFee` (a billing cycle after the first, charged by the lifecycle
-- runner) and `upgrade` (the refund on the source and the charge on the target of an upgrade).
ALTER TABLE billing_line_items DROP CONSTRAINT billing_line_items_charge_type_check;
ALTER TABLE billing_line_items ADD CONSTRAINT billing_line_items_charge_type_check
    CHECK (charge_type IN ('new', 'addQuantity', 'removeQuantity', 'cancel', 'cycleFee', 'renew',
        'upgrade'));
