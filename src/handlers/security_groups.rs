//! Security groups (docs/concepts.md#granular-delegated-admin-gdap): a partner's groups of its own users and applications,
//! which GDAP access assignments give customer-side roles. Global admins and user management
//! admins manage them; every change is audited.

use actix_web::{delete, get, patch, post, put, web};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::api::gdap::SecurityGroup;
use crate::auth::{Authorized, ops};
use crate::error::{ApiError, Problem};
use crate::etag::Precondition;
use crate::extract::ValidJson;
use crate::paging::{Page, PageParams, Paged};
use crate::respond::{Created, Json, NoContent, Tagged};
use crate::services::security_groups::{self as service, GroupFields};
use crate::state::AppState;
use crate::validate;

/// Request to create a security group.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateSecurityGroup {
    /// Name, unique within your partner.
    #[validate(length(min = 1, max = 100), custom(function = "validate::not_blank"))]
    #[schema(
        example = "Helpdesk",
        min_length = 1,
        max_length = 100,
        pattern = r"[^\s\u0085]"
    )]
    pub display_name: String,
    /// What the group is for.
    #[validate(length(max = 500))]
    #[schema(
        example = "Agents who reset customer users' passwords",
        max_length = 500
    )]
    pub description: Option<String>,
}

/// Changes to a security group (omitted fields stay as they are; `""` clears the description).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateSecurityGroup {
    /// New name, unique within your partner.
    #[validate(length(min = 1, max = 100), custom(function = "validate::not_blank"))]
    #[schema(
        example = "Helpdesk tier 1",
        min_length = 1,
        max_length = 100,
        pattern = r"[^\s\u0085]"
    )]
    pub display_name: Option<String>,
    /// New description.
    #[validate(length(max = 500))]
    #[schema(max_length = 500)]
    pub description: Option<String>,
}

/// Create a security group of your partner's users and applications.
#[utoipa::path(
    tag = "granular delegated admin",
    request_body = CreateSecurityGroup,
    params(("Idempotency-Key" = Option<String>, Header)),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created.", body = SecurityGroup, headers(("Location" = String, description = "The group's URL"), ("ETag" = String))),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`already_exists` on `displayName`, `quota_exceeded` (`limit`: `securityGroupsPerPartner`, default 500), or the Idempotency-Key is in use.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields.", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/security-groups")]
pub async fn create_security_group(
    caller: Authorized<ops::ManageSecurityGroups>,
    state: web::Data<AppState>,
    body: ValidJson<CreateSecurityGroup>,
) -> Result<Created<SecurityGroup>, ApiError> {
    let fields = GroupFields {
        display_name: Some(body.0.display_name),
        description: body.0.description,
    };
    let quotas = state.config.quotas;
    let (row, members) = caller
        .change(&state.pool, move |change, caller| {
            service::create(change, caller, fields, &quotas)
        })
        .await?;
    let version = row.version;
    Ok(Created::new(
        format!("/v1/security-groups/{}", row.id),
        SecurityGroup::new(row, members),
    )
    .tagged(version))
}

/// List your partner's security groups with their members, oldest first.
#[utoipa::path(
    tag = "granular delegated admin",
    params(PageParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of security groups.", body = Page<SecurityGroup>),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad `limit` or `cursor`.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/security-groups")]
pub async fn list_security_groups(
    caller: Authorized<ops::ManageSecurityGroups>,
    state: web::Data<AppState>,
    query: Paged,
) -> Result<Json<Page<SecurityGroup>>, ApiError> {
    let page = query.page.clone();
    let rows = caller
        .run(&state.pool, move |conn, caller| {
            service::list(conn, caller, &page)
        })
        .await?;
    Ok(Json::new(query.answer(
        rows,
        |(r, _)| r.id.as_str(),
        |(r, m)| SecurityGroup::new(r, m),
    )))
}

/// Read one security group with its members.
#[utoipa::path(
    tag = "granular delegated admin",
    params(("groupId" = Uuid, Path, description = "Security group id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The group.", body = SecurityGroup, headers(("ETag" = String, description = "For If-Match"))),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such group in your organisation.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`groupId` is not a UUID.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/security-groups/{groupId}")]
pub async fn get_security_group(
    caller: Authorized<ops::ManageSecurityGroups>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<Tagged<SecurityGroup>, ApiError> {
    let id = path.into_inner();
    let (row, members) = caller
        .run(&state.pool, move |conn, caller| {
            service::get(conn, caller, id)
        })
        .await?;
    Ok(Tagged::new(row.version, SecurityGroup::new(row, members)))
}

/// Rename a security group or change its description.
#[utoipa::path(
    tag = "granular delegated admin",
    request_body = UpdateSecurityGroup,
    params(
        ("groupId" = Uuid, Path, description = "Security group id"),
        ("If-Match" = Option<String>, Header, description = "The ETag last read; 412 when stale.")
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Changed.", body = SecurityGroup, headers(("ETag" = String, description = "For If-Match"))),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such group in your organisation.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`already_exists` on `displayName`.", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The ETag is stale.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields.", body = Problem, content_type = "application/problem+json")
    )
)]
#[patch("/security-groups/{groupId}")]
pub async fn update_security_group(
    caller: Authorized<ops::ManageSecurityGroups>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    precondition: Precondition,
    body: ValidJson<UpdateSecurityGroup>,
) -> Result<Tagged<SecurityGroup>, ApiError> {
    let id = path.into_inner();
    let fields = GroupFields {
        display_name: body.0.display_name,
        description: body.0.description,
    };
    let (row, members) = caller
        .change(&state.pool, move |change, caller| {
            service::update(change, caller, id, precondition, fields)
        })
        .await?;
    Ok(Tagged::new(row.version, SecurityGroup::new(row, members)))
}

/// Delete a security group; its active access assignments are deleted with it, so its members
/// lose what they granted at once.
#[utoipa::path(
    tag = "granular delegated admin",
    params(("groupId" = Uuid, Path, description = "Security group id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted."),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such group in your organisation.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`groupId` is not a UUID.", body = Problem, content_type = "application/problem+json")
    )
)]
#[delete("/security-groups/{groupId}")]
pub async fn delete_security_group(
    caller: Authorized<ops::ManageSecurityGroups>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<NoContent, ApiError> {
    let id = path.into_inner();
    caller
        .change(&state.pool, move |change, caller| {
            service::delete(change, caller, id)
        })
        .await?;
    Ok(NoContent)
}

/// Add a user or an application of your partner to a security group (again: no change).
#[utoipa::path(
    tag = "granular delegated admin",
    params(
        ("groupId" = Uuid, Path, description = "Security group id"),
        ("memberId" = Uuid, Path, description = "A user's or an application's id")
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The group with its members.", body = SecurityGroup),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such group, or no such user or application in your organisation.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An id is not a UUID.", body = Problem, content_type = "application/problem+json")
    )
)]
#[put("/security-groups/{groupId}/members/{memberId}")]
pub async fn add_security_group_member(
    caller: Authorized<ops::ManageSecurityGroups>,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<Json<SecurityGroup>, ApiError> {
    let (group_id, member_id) = path.into_inner();
    let (row, members) = caller
        .change(&state.pool, move |change, caller| {
            service::add_member(change, caller, group_id, member_id)
        })
        .await?;
    Ok(Json::new(SecurityGroup::new(row, members)))
}

/// Remove a member from a security group: what the group's access assignments granted it ends
/// at once.
#[utoipa::path(
    tag = "granular delegated admin",
    params(
        ("groupId" = Uuid, Path, description = "Security group id"),
        ("memberId" = Uuid, Path, description = "A user's or an application's id")
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed."),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such group, or not a member of it.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An id is not a UUID.", body = Problem, content_type = "application/problem+json")
    )
)]
#[delete("/security-groups/{groupId}/members/{memberId}")]
pub async fn remove_security_group_member(
    caller: Authorized<ops::ManageSecurityGroups>,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<NoContent, ApiError> {
    let (group_id, member_id) = path.into_inner();
    caller
        .change(&state.pool, move |change, caller| {
            service::remove_member(change, caller, group_id, member_id)
        })
        .await?;
    Ok(NoContent)
}

/// Registers the security-group operations.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_security_group)
        .service(list_security_groups)
        .service(get_security_group)
        .service(update_security_group)
        .service(delete_security_group)
        .service(add_security_group_member)
        .service(remove_security_group_member);
}
