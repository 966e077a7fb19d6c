//! Integration tests: the real app over HTTP, on SQLite by default and on PostgreSQL when
//! `TEST_DATABASE_URL` is set. Each test gets a fresh database seeded with the demo data.

mod support;

mod applications;
mod audit;
mod auth;
mod authorization_first;
mod carts;
mod cli;
mod customers;
mod errors;
mod examples;
mod http;
mod idempotency;
mod isolation;
mod link_tokens;
mod offers;
mod openapi;
mod orders;
mod owasp;
mod paging;
mod partner;
mod partnerships;
mod permissions;
mod problems;
mod relationships;
mod service_requests;
mod stored_vocabularies;
mod subscriptions;
mod support_contact_reverts;
mod support_contacts;
mod upgrades;
mod users;
mod webhooks;
