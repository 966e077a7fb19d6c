//! partner-center: a self-hostable REST API for the cloud-reseller channel (product.md).
//! `app::build` is what the binary serves and what every test mounts.

pub mod api;
pub mod app;
pub mod auth;
pub mod change;
pub mod client_address;
pub mod conditional;
pub mod config;
pub mod cors;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod etag;
pub mod extract;
pub mod handlers;
pub mod hardening;
pub mod idempotency;
pub mod memory;
pub mod metrics;
pub mod models;
pub mod money;
pub mod oauth;
pub mod openapi;
pub mod outbox;
pub mod paging;
pub mod problem_code;
pub mod rate_limit;
pub mod request_id;
pub mod respond;
pub mod schema;
pub mod sealing;
pub mod services;
pub mod state;
pub mod validate;
pub mod webhooks;
