//! Audit records (product.md §6): every state change, filtered by time window, customer,
//! resource type and operation type, keyset-paged. A partner reads its own records only.

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::Principal;
use crate::auth::permissions::{self, Operation};
use crate::db;
use crate::error::{ApiError, Problem};
use crate::extract::ValidQuery;
use crate::models::audit::{AuditFilter, AuditRow};
use crate::models::{ids, utc};
use crate::paging::{Page, PageParams};
use crate::state::AppState;

/// Who made a change.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditActor {
    /// `user`, `application` or `system`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The user's or application's id.
    pub id: Option<Uuid>,
    /// Display name at the time.
    pub display_name: String,
}

/// One audit record.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditRecord {
    /// Record id.
    pub id: Uuid,
    /// The partner the record belongs to.
    pub partner_id: Option<Uuid>,
    /// The customer concerned, if any.
    pub customer_id: Option<Uuid>,
    /// Who made the change.
    pub actor: AuditActor,
    /// What was done, e.g. `create_customer`, `update_subscription`, `dap_removed`.
    pub operation_type: String,
    /// The kind of resource changed, e.g. `customer`, `subscription`.
    pub resource_type: String,
    /// The changed resource's id.
    pub resource_id: String,
    /// The value before the change (JSON), if any.
    #[schema(value_type = Option<Object>)]
    pub old_value: Option<serde_json::Value>,
    /// The value after the change (JSON), if any.
    #[schema(value_type = Option<Object>)]
    pub new_value: Option<serde_json::Value>,
    /// The request that made the change.
    pub request_id: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl From<AuditRow> for AuditRecord {
    fn from(r: AuditRow) -> AuditRecord {
        let json = |v: Option<String>| v.and_then(|s| serde_json::from_str(&s).ok());
        AuditRecord {
            id: ids::parse(&r.id),
            partner_id: r.partner_id.as_deref().map(ids::parse),
            customer_id: r.customer_id.as_deref().map(ids::parse),
            actor: AuditActor {
                kind: r.actor_type,
                id: r.actor_id.as_deref().map(ids::parse),
                display_name: r.actor_name,
            },
            operation_type: r.operation_type,
            resource_type: r.resource_type,
            resource_id: r.resource_id,
            old_value: json(r.old_value),
            new_value: json(r.new_value),
            request_id: r.request_id,
            created_at: utc(r.created_at),
        }
    }
}

/// Audit record filters and paging.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Records at or after this time (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Records before this time (RFC 3339); a `to` not after `from` selects nothing.
    pub to: Option<DateTime<Utc>>,
    /// Only records about this customer.
    pub customer_id: Option<Uuid>,
    /// Only this resource type, e.g. `customer`.
    #[validate(length(max = 64))]
    pub resource_type: Option<String>,
    /// Only this operation type, e.g. `create_customer`.
    #[validate(length(max = 64))]
    pub operation_type: Option<String>,
    /// Items per page, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `nextCursor` of the previous page.
    pub cursor: Option<String>,
}

/// List the caller's partner's audit records, oldest first.
#[utoipa::path(
    tag = "audit",
    params(AuditQuery),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "One page of audit records.", body = Page<AuditRecord>),
        (status = 401, description = "Not signed in.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role not enough, or a customer user.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad filter, `limit` or `cursor`.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/audit-records")]
pub async fn list_audit_records(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    query: ValidQuery<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    permissions::require(&principal, Operation::ReadAuditRecords)?;
    let partner_id = principal.partner_id()?;
    // A window whose `to` is not after its `from` holds no records (an empty page, not an error:
    // the two are independent parameters of the document).
    let q = query.0;
    let page = PageParams {
        limit: q.limit,
        cursor: q.cursor,
    }
    .validate()?;
    let filter = AuditFilter {
        from: q.from.map(|t| t.naive_utc()),
        to: q.to.map(|t| t.naive_utc()),
        customer_id: q.customer_id,
        resource_type: q.resource_type,
        operation_type: q.operation_type,
    };
    let p = page.clone();
    let rows = db::run(&state.pool, move |conn| {
        Ok(AuditRow::page(
            conn,
            partner_id,
            &filter,
            p.after.as_deref(),
            p.limit + 1,
        )?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(
        rows,
        &page,
        &req,
        |r| &r.id,
        AuditRecord::from,
    )))
}
