mod line_items;
mod price_lists;
mod worked_examples;
