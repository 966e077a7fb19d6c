//! Indirect providers, the reseller side of reseller partnerships (docs/concepts.md#relationships): list the
//! providers the caller's reseller is partnered with, and end a partnership. Only an indirect
//! reseller calls these (403 `indirect_reseller_required`).

use actix_web::{delete, get, web};
use uuid::Uuid;

use super::indirect_resellers::{IndirectPartner, PartnershipQuery, list_partnerships};
use crate::auth::{Authorized, ops};
use crate::error::{ApiError, Problem};
use crate::paging::{Page, PageParams, Paged};
use crate::respond::{Json, NoContent};
use crate::services::partnerships as service;
use crate::state::AppState;

/// List the indirect providers the caller's reseller is partnered with (active ones unless
/// `status=ended`), oldest partnership first.
#[utoipa::path(
    tag = "indirect providers",
    params(PageParams, PartnershipQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of indirect providers.", body = Page<IndirectPartner>),
        (status = 403, description = "Role not enough, or `indirect_reseller_required`.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad `status`, `limit` or `cursor`.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/indirect-providers")]
pub async fn list_indirect_providers(
    caller: Authorized<ops::ListIndirectProviders>,
    state: web::Data<AppState>,
    query: Paged<PartnershipQuery>,
) -> Result<Json<Page<IndirectPartner>>, ApiError> {
    list_partnerships(caller, &state, query).await
}

/// End the partnership with an indirect provider.
///
/// Customers and delegated admin privileges stay; the provider's subscriptions for which you
/// were the designated support contact revert to the provider (audited).
#[utoipa::path(
    tag = "indirect providers",
    params(("providerId" = Uuid, Path, description = "The indirect provider's partner id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Ended."),
        (status = 403, description = "Role not enough, or `indirect_reseller_required`.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No partnership with this provider.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`partnership_not_active`: already ended.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`providerId` is not a UUID.", body = Problem, content_type = "application/problem+json")
    )
)]
#[delete("/indirect-providers/{providerId}")]
pub async fn delete_indirect_provider(
    caller: Authorized<ops::ManageIndirectProviders>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<NoContent, ApiError> {
    let provider_id = path.into_inner();
    caller
        .change(&state.pool, move |change, caller| {
            service::end(change, caller, provider_id)
        })
        .await?;
    Ok(NoContent)
}

/// Registers the reseller-side partnership operations.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_indirect_providers)
        .service(delete_indirect_provider);
}
