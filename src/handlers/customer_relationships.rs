//! Customer relationships (docs/concepts.md#relationships): the partners holding a relationship with a
//! customer the caller reaches, and removing the caller's own relationship (global admin only;
//! refused while the customer's subscriptions billed by or attributed to the caller are active).

use actix_web::{delete, get, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::{Authorized, ops};
use crate::domain::TenantKind;
use crate::error::{ApiError, Problem};
use crate::models::partner::PartnerRow;
use crate::models::relationship::RelationshipRow;
use crate::models::utc;
use crate::paging::{Page, PageParams, Paged};
use crate::respond::{Json, NoContent};
use crate::services::relationships as service;
use crate::state::AppState;

/// A partner's relationship with a customer, with the partner's public support profile.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CustomerRelationship {
    /// The partner's id.
    pub partner_id: Uuid,
    /// The partner's name.
    pub name: String,
    /// `indirect_provider` or `indirect_reseller`.
    pub kind: TenantKind,
    /// The relationship kind; always `reseller`.
    #[schema(example = "reseller")]
    pub relationship: String,
    /// Whether the relationship includes delegated admin privileges (DAP).
    pub delegated_admin: bool,
    /// Support email.
    pub support_email: Option<String>,
    /// Support phone.
    pub support_phone: Option<String>,
    /// Website.
    pub website: Option<String>,
    /// When the relationship was established.
    pub created_at: DateTime<Utc>,
    /// When it last changed (e.g. DAP removed or restored).
    pub updated_at: DateTime<Utc>,
}

impl From<(RelationshipRow, PartnerRow)> for CustomerRelationship {
    fn from((rel, partner): (RelationshipRow, PartnerRow)) -> CustomerRelationship {
        CustomerRelationship {
            partner_id: partner.id.uuid(),
            kind: partner.tenant_kind(),
            name: partner.name,
            relationship: "reseller".to_owned(),
            delegated_admin: rel.delegated_admin,
            support_email: partner.support_email,
            support_phone: partner.support_phone,
            website: partner.website,
            created_at: utc(rel.created_at),
            updated_at: utc(rel.updated_at),
        }
    }
}

/// List the partners holding a relationship with a customer the caller reaches.
#[utoipa::path(
    tag = "customer relationships",
    params(("customerId" = Uuid, Path, description = "Customer id"), PageParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of relationships, oldest first.", body = Page<CustomerRelationship>),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer within reach.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`customerId` is not a UUID, or bad `limit` or `cursor`.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/customers/{customerId}/relationships")]
pub async fn list_customer_relationships(
    caller: Authorized<ops::ReadCustomers>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    query: Paged,
) -> Result<Json<Page<CustomerRelationship>>, ApiError> {
    let customer_id = path.into_inner();
    let page = query.page.clone();
    let rows = caller
        .run(&state.pool, move |conn, caller| {
            service::list_for_customer(conn, caller, customer_id, &page)
        })
        .await?;
    Ok(Json::new(query.answer(
        rows,
        |r| r.0.id.as_str(),
        CustomerRelationship::from,
    )))
}

/// Remove the caller's own relationship with a customer (global admin only).
///
/// Refused with 409 `active_subscriptions` (listing `activeSubscriptionIds`) while any of the
/// customer's subscriptions billed by or attributed to you is active: suspend them first. The
/// customer then leaves your lists; other partners keep their relationships. A reseller's
/// support-contact assignments for the customer revert to the provider.
#[utoipa::path(
    tag = "customer relationships",
    params(("customerId" = Uuid, Path, description = "Customer id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed."),
        (status = 403, description = "Role not enough (global admin only).", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer within reach.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`active_subscriptions`: suspend the listed subscriptions first.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`customerId` is not a UUID.", body = Problem, content_type = "application/problem+json")
    )
)]
#[delete("/customers/{customerId}/relationship")]
pub async fn delete_customer_relationship(
    caller: Authorized<ops::RemoveCustomerRelationship>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<NoContent, ApiError> {
    let customer_id = path.into_inner();
    caller
        .change(&state.pool, move |change, caller| {
            service::remove_relationship(change, caller, customer_id)
        })
        .await?;
    Ok(NoContent)
}

/// Registers the customer-relationship operations.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_customer_relationships)
        .service(delete_customer_relationship);
}

crate::bodies!(CustomerRelationship);
