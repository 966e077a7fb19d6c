mod line_items;
mod periods;
mod price_lists;
mod properties;
mod statements;
mod worked_examples;
