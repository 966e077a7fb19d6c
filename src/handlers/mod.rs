//! HTTP handlers, one file per resource: request/response types at the top, then annotated
//! handlers (the annotations are the OpenAPI document). [`configure`] mounts every `/v1` route.

pub mod applications;
pub mod audit;
pub mod auth;
pub mod billing;
pub mod carts;
pub mod customer_relationships;
pub mod customer_users;
pub mod customers;
pub mod delegated_admin_relationships;
pub mod health;
pub mod indirect_providers;
pub mod indirect_resellers;
pub mod metrics;
pub mod my_partners;
pub mod my_subscriptions;
pub mod offers;
pub mod orders;
pub mod partner;
pub mod partnership_invitations;
pub mod price_lists;
pub mod problems;
pub mod relationship_requests;
pub mod security_groups;
pub mod service_requests;
pub mod statements;
pub mod subscriptions;
pub mod support_contacts;
pub mod test_clocks;
pub mod upgrades;
pub mod users;
pub mod webhooks;
pub mod well_known;

use utoipa_actix_web::service_config::ServiceConfig;

/// Mounts every `/v1` operation.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(auth::create_token)
        .service(auth::create_revocation)
        .service(auth::change_password)
        .service(auth::get_me);
    customers::configure(cfg);
    indirect_resellers::configure(cfg);
    partnership_invitations::configure(cfg);
    indirect_providers::configure(cfg);
    relationship_requests::configure(cfg);
    customer_relationships::configure(cfg);
    customer_users::configure(cfg);
    my_partners::configure(cfg);
    offers::configure(cfg);
    carts::configure(cfg);
    orders::configure(cfg);
    subscriptions::configure(cfg);
    upgrades::configure(cfg);
    cfg.service(audit::list_audit_records);
    support_contacts::configure(cfg);
    my_subscriptions::configure(cfg);
    service_requests::configure(cfg);
    partner::configure(cfg);
    users::configure(cfg);
    applications::configure(cfg);
    webhooks::configure(cfg);
    test_clocks::configure(cfg);
    price_lists::configure(cfg);
    billing::configure(cfg);
    statements::configure(cfg);
    security_groups::configure(cfg);
    delegated_admin_relationships::configure(cfg);
}
