//! Workflows whose rules span tables: each runs in one transaction, applies the domain rules and
//! writes its audit records.

pub mod bootstrap;
pub mod catalog;
pub mod customers;
pub mod orders;
pub mod subscriptions;
pub mod support_contacts;
