mod line_items;
mod price_lists;
mod statements;
