DELETE FROM billing_line_items WHERE charge_type IN ('cycleFee', 'upgrade');
ALTER TABLE billing_line_items DROP CONSTRAINT billing_line_items_charge_type_check;
ALTER TABLE billing_line_items ADD CONSTRAINT billing_line_items_charge_type_check
    CHECK (charge_type IN ('new', 'addQuantity', 'removeQuantity', 'cancel', 'renew'));
