//! Integration tests: the real app over HTTP, on SQLite by default and on PostgreSQL when
//! `TEST_DATABASE_URL` is set. Each test gets a fresh database seeded with the demo data.

mod harness;

mod access;
mod billing;
mod commerce;
mod contract;
mod customers;
mod events;
mod gdap;
mod operations;
mod partners;
