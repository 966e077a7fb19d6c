mod line_items;
mod price_lists;
mod properties;
mod statements;
