//! Customer self-service: partners (docs/concepts.md#relationships). A customer admin lists the partners
//! holding a relationship with its organisation (with their support contact details) and removes
//! a partner's delegated admin privileges; the relationship stays.

use actix_web::{delete, get, web};
use uuid::Uuid;

use super::customer_relationships::CustomerRelationship;
use crate::auth::{Authorized, ops};
use crate::error::{ApiError, Problem};
use crate::paging::{Page, PageParams, Paged};
use crate::respond::{Json, NoContent};
use crate::services::relationships as service;
use crate::state::AppState;

/// List the partners holding a relationship with your organisation, with their support contact
/// details and whether they hold delegated admin privileges (customer admin).
#[utoipa::path(
    tag = "customer self-service",
    params(PageParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of partners, oldest relationship first.", body = Page<CustomerRelationship>),
        (status = 403, description = "Not a customer admin.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad `limit` or `cursor`.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/my/partners")]
pub async fn list_my_partners(
    caller: Authorized<ops::CustomerSelfService>,
    state: web::Data<AppState>,
    query: Paged,
) -> Result<Json<Page<CustomerRelationship>>, ApiError> {
    let page = query.page.clone();
    let rows = caller
        .run(&state.pool, move |conn, caller| {
            service::list_my_partners(conn, caller, &page)
        })
        .await?;
    Ok(Json::new(query.answer(
        rows,
        |r| r.0.id.as_str(),
        CustomerRelationship::from,
    )))
}

/// Remove a partner's delegated admin privileges (customer admin).
///
/// The relationship stays: the partner still sees your organisation but can no longer
/// administer it (e.g. reset your users' passwords), and stops being the designated support
/// contact of your subscriptions. Accepting a new relationship request with DAP restores it.
#[utoipa::path(
    tag = "customer self-service",
    params(("partnerId" = Uuid, Path, description = "The partner's id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed (or already absent)."),
        (status = 403, description = "Not a customer admin.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No relationship with this partner.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`partnerId` is not a UUID.", body = Problem, content_type = "application/problem+json")
    )
)]
#[delete("/my/partners/{partnerId}/delegated-admin")]
pub async fn delete_my_partner_delegated_admin(
    caller: Authorized<ops::CustomerSelfService>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<NoContent, ApiError> {
    let partner_id = path.into_inner();
    caller
        .change(&state.pool, move |change, caller| {
            service::remove_delegated_admin(change, caller, partner_id)
        })
        .await?;
    Ok(NoContent)
}

/// Registers the customer self-service partner operations.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_my_partners)
        .service(delete_my_partner_delegated_admin);
}
