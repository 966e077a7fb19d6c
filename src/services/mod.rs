//! Workflows whose rules span tables: each runs in one transaction, applies the domain rules and
//! writes its audit records.

pub mod applications;
pub mod audit;
pub mod billing;
pub mod bootstrap;
pub mod carts;
pub mod catalog;
pub mod customer_users;
pub mod customers;
pub mod gdap;
pub mod lifecycle;
pub mod links;
pub mod orders;
pub mod partner;
pub mod partnerships;
pub mod price_lists;
pub mod pricing;
pub mod quotas;
pub mod refresh_tokens;
pub mod relationships;
pub mod retention;
pub mod security_groups;
pub mod service_requests;
pub mod sign_in;
pub mod statements;
pub mod subscriptions;
pub mod support_contacts;
pub mod tenant_domains;
pub mod terms;
pub mod test_clocks;
pub mod tokens;
pub mod users;
pub mod webhooks;
