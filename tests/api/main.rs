//! Integration tests: the real app over HTTP, on SQLite by default and on PostgreSQL when
//! `TEST_DATABASE_URL` is set. Each test gets a fresh database seeded with the demo data.

mod support;

mod auth;
mod carts;
mod customers;
mod errors;
mod offers;
mod openapi;
mod orders;
mod subscriptions;
mod upgrades;
