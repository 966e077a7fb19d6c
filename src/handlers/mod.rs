//! HTTP handlers, one file per resource: request/response types at the top, then annotated
//! handlers (the annotations are the OpenAPI document). [`configure`] mounts every `/v1` route.

pub mod audit;
pub mod auth;
pub mod carts;
pub mod customers;
pub mod health;
pub mod offers;
pub mod orders;
pub mod subscriptions;
pub mod upgrades;

use utoipa_actix_web::service_config::ServiceConfig;

/// Mounts every `/v1` operation.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(auth::create_token)
        .service(auth::change_password)
        .service(auth::get_me);
    customers::configure(cfg);
    offers::configure(cfg);
    carts::configure(cfg);
    orders::configure(cfg);
    subscriptions::configure(cfg);
    upgrades::configure(cfg);
    cfg.service(audit::list_audit_records);
}
