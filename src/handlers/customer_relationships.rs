//! Customer relationships (product.md §2, §9): the partners holding a relationship with a
//! customer the caller reaches, and removing the caller's own relationship (global admin only;
//! refused while the customer's subscriptions billed by or attributed to the caller are active).

use actix_web::{HttpRequest, HttpResponse, delete, get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::permissions::Operation;
use crate::auth::{Principal, visibility};
use crate::db;
use crate::domain::TenantKind;
use crate::error::{ApiError, Problem};
use crate::extract::ValidQuery;
use crate::models::partner::PartnerRow;
use crate::models::relationship::RelationshipRow;
use crate::models::{ids, utc};
use crate::paging::{Page, PageParams, PageRequest};
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
            partner_id: ids::parse(&partner.id),
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

/// Paging of a customer's relationships.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RelationshipQuery {
    /// Items per page, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `nextCursor` of the previous page.
    pub cursor: Option<String>,
}

impl RelationshipQuery {
    /// The validated page request.
    pub fn page(self) -> Result<PageRequest, ApiError> {
        PageParams {
            limit: self.limit,
            cursor: self.cursor,
        }
        .validate()
    }
}

/// One page of `customer_id`'s relationships, oldest first.
pub async fn page_for_customer(
    state: &AppState,
    req: &HttpRequest,
    customer_id: Uuid,
    page: PageRequest,
) -> Result<HttpResponse, ApiError> {
    let p = page.clone();
    let rows = db::run(&state.pool, move |conn| {
        Ok(RelationshipRow::page_for_customer(
            conn,
            customer_id,
            p.after.as_deref(),
            p.limit + 1,
        )?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(
        rows,
        &page,
        req,
        |r| &r.0.id,
        CustomerRelationship::from,
    )))
}

/// List the partners holding a relationship with a customer the caller reaches.
#[utoipa::path(
    tag = "customer relationships",
    params(("customerId" = Uuid, Path, description = "Customer id"), RelationshipQuery),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "One page of relationships, oldest first.", body = Page<CustomerRelationship>),
        (status = 401, description = "Not signed in.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer within reach.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`customerId` is not a UUID, or bad `limit` or `cursor`.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/customers/{customerId}/relationships")]
pub async fn list_customer_relationships(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    path: web::Path<Uuid>,
    query: ValidQuery<RelationshipQuery>,
) -> Result<HttpResponse, ApiError> {
    let customer_id = path.into_inner();
    let page = query.0.page()?;
    db::run(&state.pool, move |conn| {
        visibility::customer(conn, &principal, customer_id, Operation::ReadCustomers).map(drop)
    })
    .await?;
    page_for_customer(&state, &req, customer_id, page).await
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
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 204, description = "Removed."),
        (status = 401, description = "Not signed in.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role not enough (global admin only).", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer within reach.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`active_subscriptions`: suspend the listed subscriptions first.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`customerId` is not a UUID.", body = Problem, content_type = "application/problem+json")
    )
)]
#[delete("/customers/{customerId}/relationship")]
pub async fn delete_customer_relationship(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let customer_id = path.into_inner();
    db::run(&state.pool, move |conn| {
        service::remove_relationship(conn, &principal, customer_id)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Registers the customer-relationship operations.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_customer_relationships)
        .service(delete_customer_relationship);
}
