//! Audit records (docs/concepts.md#audit-records-and-events): every state change, filtered by time window, customer,
//! resource type and operation type, keyset-paged. A partner reads its own records only.

use actix_web::{get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::{Authorized, ops};
use crate::domain::Id;
use crate::error::{ApiError, Problem};
use crate::models::audit::{AuditFilter, AuditRow};
use crate::models::utc;
use crate::paging::{Page, PageParams, Paged};
use crate::respond::Json;
use crate::services::audit as service;
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
            id: r.id.uuid(),
            partner_id: r.partner_id.map(Id::uuid),
            customer_id: r.customer_id.map(Id::uuid),
            actor: AuditActor {
                kind: r.actor_type,
                id: r.actor_id.map(Id::uuid),
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

/// Audit record filters (paging is [`PageParams`]).
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
}

impl AuditQuery {
    /// The filter these parameters ask for.
    fn to_filter(&self) -> AuditFilter {
        AuditFilter {
            from: self.from.map(|t| t.naive_utc()),
            to: self.to.map(|t| t.naive_utc()),
            customer_id: self.customer_id,
            resource_type: self.resource_type.clone(),
            operation_type: self.operation_type.clone(),
        }
    }
}

/// List the caller's partner's audit records, oldest first.
#[utoipa::path(
    tag = "audit",
    params(PageParams, AuditQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of audit records.", body = Page<AuditRecord>),
        (status = 403, description = "Role not enough, or a customer user.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad filter, `limit` or `cursor`.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/audit-records")]
pub async fn list_audit_records(
    caller: Authorized<ops::ReadAuditRecords>,
    state: web::Data<AppState>,
    query: Paged<AuditQuery>,
) -> Result<Json<Page<AuditRecord>>, ApiError> {
    let filter = query.filters.to_filter();
    let page = query.page.clone();
    let rows = caller
        .run(&state.pool, move |conn, caller| {
            service::list(conn, caller, &filter, &page)
        })
        .await?;
    Ok(Json::new(query.answer(
        rows,
        |r| r.id.as_str(),
        AuditRecord::from,
    )))
}

crate::bodies!(AuditRecord);
