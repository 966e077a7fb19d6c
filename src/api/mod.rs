//! The wire representations: what a GET returns and what an event carries, each built from its
//! row by a pure `From`/`TryFrom` (no I/O). Handlers answer with them; services and the outbox
//! build event payloads and audit values from them, so neither imports a handler.

pub mod applications;
pub mod billing;
pub mod customers;
pub mod gdap;
pub mod orders;
pub mod partner;
pub mod price_lists;
pub mod service_requests;
pub mod statements;
pub mod subscriptions;
pub mod test_clocks;
pub mod webhooks;
