//! Granular delegated admin (GDAP, docs/concepts.md#granular-delegated-admin-gdap), with Microsoft Graph's names: the
//! directory-role catalog; a partner's delegated admin relationships (draft, edit while
//! `created`, lock for approval — an approval link for the customer's admin — or terminate) and
//! their access assignments; the customer admin's side (approve or reject with the link's
//! token, list and terminate its own relationships).

use actix_web::{delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::{Validate, ValidationError};

use super::indirect_resellers::EmailDraft;
use super::partnership_invitations::AcceptLink;
use crate::api::gdap::{AccessAssignment, DelegatedAdminRelationship, DirectoryRole};
use crate::auth::{Authorized, ops};
use crate::domain::gdap::{AUTO_EXTEND_DURATIONS, directory_roles};
use crate::error::{ApiError, Problem};
use crate::etag::Precondition;
use crate::extract::ValidJson;
use crate::models::utc;
use crate::paging::{Page, PageParams, Paged};
use crate::respond::{Created, Json, NoContent, Tagged};
use crate::services::gdap::{
    self as service, APPROVAL_LINK_DAYS, NewAssignment, NewRelationship, Relationship,
    RelationshipChanges,
};
use crate::services::links::IssuedLink;
use crate::state::AppState;
use crate::validate;

/// The path an approval link points to (with `?token=…`).
pub const APPROVE_PATH: &str = "/v1/delegated-admin-relationships/approve";

fn auto_extend(value: &str) -> Result<(), ValidationError> {
    if AUTO_EXTEND_DURATIONS.contains(&value) {
        return Ok(());
    }
    let mut e = ValidationError::new("invalid");
    e.message = Some("must be PT0S or P180D".into());
    Err(e)
}

/// A role named by its template id.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RoleRef {
    /// A role template id from `GET /v1/directory-roles`.
    #[validate(length(min = 1, max = 64))]
    #[schema(
        example = "729827e3-9c14-49f7-bb1b-9608f156bbb8",
        min_length = 1,
        max_length = 64
    )]
    pub role_definition_id: String,
}

/// The roles of a relationship or an assignment.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccessDetailsInput {
    /// At least one role.
    #[validate(length(min = 1, max = 50), nested)]
    #[schema(min_items = 1, max_items = 50)]
    pub unified_roles: Vec<RoleRef>,
}

impl AccessDetailsInput {
    fn ids(self) -> Vec<String> {
        self.unified_roles
            .into_iter()
            .map(|r| r.role_definition_id)
            .collect()
    }
}

/// The customer of a new relationship.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CustomerRef {
    /// The customer's id (one you have a relationship with).
    #[schema(example = "019a8f3c-1100-7000-8000-000000000001")]
    pub tenant_id: Uuid,
}

/// Request to draft a delegated admin relationship.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateDelegatedAdminRelationship {
    /// Name, at most 50 characters, unique within your partner.
    #[validate(length(min = 1, max = 50), custom(function = "validate::not_blank"))]
    #[schema(
        example = "Adatum helpdesk",
        min_length = 1,
        max_length = 50,
        pattern = r"[^\s\u0085]"
    )]
    pub display_name: String,
    /// How long it lasts once approved: ISO 8601 from P1D to P2Y (`P30D`, `P2W`, `P1Y`);
    /// longer is 422 `duration_out_of_range`.
    #[validate(length(min = 3, max = 6))]
    #[schema(
        example = "P30D",
        min_length = 3,
        max_length = 6,
        pattern = r"^P[0-9]{1,4}[DWY]$"
    )]
    pub duration: String,
    /// `P180D` to extend by 180 days at the end (not with Global Administrator), or `PT0S`
    /// (default) to expire.
    #[validate(custom(function = "auto_extend"))]
    #[schema(example = "PT0S", pattern = "^(PT0S|P180D)$")]
    pub auto_extend_duration: Option<String>,
    /// The customer.
    #[validate(nested)]
    pub customer: CustomerRef,
    /// The roles it asks for.
    #[validate(nested)]
    pub access_details: AccessDetailsInput,
}

/// Changes to a drafted relationship (omitted fields stay as they are).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateDelegatedAdminRelationship {
    /// New name (≤ 50, unique within your partner).
    #[validate(length(min = 1, max = 50), custom(function = "validate::not_blank"))]
    #[schema(
        example = "Adatum helpdesk, 60 days",
        min_length = 1,
        max_length = 50,
        pattern = r"[^\s\u0085]"
    )]
    pub display_name: Option<String>,
    /// New duration (P1D–P2Y; longer is 422 `duration_out_of_range`).
    #[validate(length(min = 3, max = 6))]
    #[schema(
        example = "P60D",
        min_length = 3,
        max_length = 6,
        pattern = r"^P[0-9]{1,4}[DWY]$"
    )]
    pub duration: Option<String>,
    /// `PT0S` or `P180D`.
    #[validate(custom(function = "auto_extend"))]
    #[schema(pattern = "^(PT0S|P180D)$")]
    pub auto_extend_duration: Option<String>,
    /// New roles.
    #[validate(nested)]
    pub access_details: Option<AccessDetailsInput>,
}

/// What a relationship request asks for.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum RequestAction {
    /// Lock a `created` relationship and get its approval link.
    LockForApproval,
    /// End an `approvalPending` or `active` relationship at once.
    Terminate,
}

/// A request on a relationship (Graph `delegatedAdminRelationshipRequest`).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RelationshipRequestAction {
    /// `lockForApproval` (partner only) or `terminate`.
    #[schema(example = "lockForApproval")]
    pub action: RequestAction,
}

/// The one request a customer makes on a relationship with it.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum CustomerRequestAction {
    /// End an `approvalPending` or `active` relationship at once.
    Terminate,
}

/// A customer's request on a relationship with it.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TerminateAction {
    /// `terminate` (the only action a customer takes).
    pub action: CustomerRequestAction,
}

/// The answer to a relationship request: the relationship after it and, for
/// `lockForApproval`, the approval link (shown only here) with an email draft for the customer's
/// admin.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RelationshipRequestResult {
    /// `lockForApproval` or `terminate`.
    #[schema(example = "lockForApproval")]
    pub action: &'static str,
    /// Always `succeeded` (requests complete synchronously).
    #[schema(example = "succeeded")]
    pub status: &'static str,
    /// The relationship after the request.
    pub relationship: DelegatedAdminRelationship,
    /// The approval link (`{PUBLIC_BASE_URL}/v1/delegated-admin-relationships/approve?token=…`),
    /// single-use, usable only by the customer's admin.
    pub link: Option<String>,
    /// When the approval link stops working (90 days).
    pub expires_at: Option<DateTime<Utc>>,
    /// The email to send to the customer's admin.
    pub email_draft: Option<EmailDraft>,
}

/// A security group of an assignment.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccessContainerInput {
    /// One of your security groups.
    #[schema(example = "019a8f3c-1300-7000-8000-000000000001")]
    pub access_container_id: Uuid,
    /// `securityGroup` (the default).
    #[schema(example = "securityGroup")]
    pub access_container_type: Option<String>,
}

/// Request to create an access assignment.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateAccessAssignment {
    /// The security group.
    #[validate(nested)]
    pub access_container: AccessContainerInput,
    /// The roles, a subset of the relationship's.
    #[validate(nested)]
    pub access_details: AccessDetailsInput,
}

/// Filters of the relationship list.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RelationshipQuery {
    /// Only relationships with this customer.
    pub customer_id: Option<Uuid>,
}

fn answer(r: Relationship) -> Tagged<DelegatedAdminRelationship> {
    let version = r.0.version;
    Tagged::new(version, DelegatedAdminRelationship::new(r.0, r.1, r.2))
}

fn shown(r: Relationship) -> DelegatedAdminRelationship {
    DelegatedAdminRelationship::new(r.0, r.1, r.2)
}

/// List the customer-side directory roles a relationship can ask for, with their template ids.
#[utoipa::path(
    tag = "granular delegated admin",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every directory role.", body = Vec<DirectoryRole>),
        (status = 403, description = "Not a partner user or application.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/directory-roles")]
pub async fn list_directory_roles(
    caller: Authorized<ops::ReadDirectoryRoles>,
    state: web::Data<AppState>,
) -> Result<Json<Vec<DirectoryRole>>, ApiError> {
    caller.run(&state.pool, |_, _| Ok(())).await?;
    Ok(Json::new(
        directory_roles().iter().map(DirectoryRole::from).collect(),
    ))
}

/// Draft a delegated admin relationship with one of your customers (status `created`).
///
/// Then lock it for approval (`POST …/{relationshipId}/requests {"action":"lockForApproval"}`)
/// to get the link the customer's admin approves it with.
#[utoipa::path(
    tag = "granular delegated admin",
    request_body = CreateDelegatedAdminRelationship,
    params(("Idempotency-Key" = Option<String>, Header)),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created.", body = DelegatedAdminRelationship, headers(("Location" = String, description = "The relationship's URL"), ("ETag" = String))),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No relationship with this customer.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`already_exists` on `displayName`, or the Idempotency-Key is in use.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or `unknown_directory_role`.", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/delegated-admin-relationships")]
pub async fn create_delegated_admin_relationship(
    caller: Authorized<ops::ManageDelegatedAdminRelationships>,
    state: web::Data<AppState>,
    body: ValidJson<CreateDelegatedAdminRelationship>,
) -> Result<Created<DelegatedAdminRelationship>, ApiError> {
    let b = body.0;
    let new = NewRelationship {
        display_name: b.display_name,
        duration: b.duration,
        auto_extend_duration: b.auto_extend_duration.unwrap_or_else(|| "PT0S".to_owned()),
        customer_id: b.customer.tenant_id,
        roles: b.access_details.ids(),
    };
    let r = caller
        .change(&state.pool, move |change, caller| {
            service::create(change, caller, new)
        })
        .await?;
    let version = r.0.version;
    Ok(Created::new(
        format!("/v1/delegated-admin-relationships/{}", r.0.id),
        shown(r),
    )
    .tagged(version))
}

/// List your partner's delegated admin relationships, oldest first.
#[utoipa::path(
    tag = "granular delegated admin",
    params(PageParams, RelationshipQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of relationships.", body = Page<DelegatedAdminRelationship>),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad `limit`, `cursor` or `customerId`.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/delegated-admin-relationships")]
pub async fn list_delegated_admin_relationships(
    caller: Authorized<ops::ManageDelegatedAdminRelationships>,
    state: web::Data<AppState>,
    query: Paged<RelationshipQuery>,
) -> Result<Json<Page<DelegatedAdminRelationship>>, ApiError> {
    let page = query.page.clone();
    let customer = query.filters.customer_id;
    let rows = caller
        .run(&state.pool, move |conn, caller| {
            service::list(conn, caller, customer, &page)
        })
        .await?;
    Ok(Json::new(query.answer(rows, |r| r.0.id.as_str(), shown)))
}

/// Read one of your delegated admin relationships.
#[utoipa::path(
    tag = "granular delegated admin",
    params(("relationshipId" = Uuid, Path, description = "Relationship id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The relationship.", body = DelegatedAdminRelationship, headers(("ETag" = String, description = "For If-Match"))),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such relationship of yours.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`relationshipId` is not a UUID.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/delegated-admin-relationships/{relationshipId}")]
pub async fn get_delegated_admin_relationship(
    caller: Authorized<ops::ManageDelegatedAdminRelationships>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<Tagged<DelegatedAdminRelationship>, ApiError> {
    let id = path.into_inner();
    let r = caller
        .run(&state.pool, move |conn, caller| {
            service::get(conn, caller, id)
        })
        .await?;
    Ok(answer(r))
}

/// Edit a drafted relationship (only while `created`; send `If-Match`).
#[utoipa::path(
    tag = "granular delegated admin",
    request_body = UpdateDelegatedAdminRelationship,
    params(
        ("relationshipId" = Uuid, Path, description = "Relationship id"),
        ("If-Match" = Option<String>, Header, description = "The ETag last read; 412 when stale.")
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Changed.", body = DelegatedAdminRelationship, headers(("ETag" = String, description = "For If-Match"))),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such relationship of yours.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`relationship_not_editable` (no longer `created`), or `already_exists` on `displayName`.", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The ETag is stale.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or `unknown_directory_role`.", body = Problem, content_type = "application/problem+json")
    )
)]
#[patch("/delegated-admin-relationships/{relationshipId}")]
pub async fn update_delegated_admin_relationship(
    caller: Authorized<ops::ManageDelegatedAdminRelationships>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    precondition: Precondition,
    body: ValidJson<UpdateDelegatedAdminRelationship>,
) -> Result<Tagged<DelegatedAdminRelationship>, ApiError> {
    let id = path.into_inner();
    let b = body.0;
    let changes = RelationshipChanges {
        display_name: b.display_name,
        duration: b.duration,
        auto_extend_duration: b.auto_extend_duration,
        roles: b.access_details.map(AccessDetailsInput::ids),
    };
    let r = caller
        .change(&state.pool, move |change, caller| {
            service::update(change, caller, id, precondition, changes)
        })
        .await?;
    Ok(answer(r))
}

fn approval_draft(
    r: &DelegatedAdminRelationship,
    link: &str,
    expires: DateTime<Utc>,
) -> EmailDraft {
    let roles: Vec<String> = r
        .access_details
        .unified_roles
        .iter()
        .map(|u| {
            u.display_name
                .clone()
                .unwrap_or_else(|| u.role_definition_id.clone())
        })
        .collect();
    EmailDraft {
        to: None,
        subject: format!(
            "{} requests granular delegated admin access to {}",
            r.partner.display_name, r.customer.display_name
        ),
        body: format!(
            "Hello,\n\n{partner} asks for time-bound administrative access to {customer} ({name}): \
             {roles}, for {duration}.\n\nYour administrator can approve or reject it with this \
             personalized link (it works once, until {expires}; do not forward it):\n{link}\n\n{partner}\n",
            partner = r.partner.display_name,
            customer = r.customer.display_name,
            name = r.display_name,
            roles = roles.join(", "),
            duration = r.duration,
            expires = expires.format("%Y-%m-%d %H:%M UTC"),
        ),
    }
}

/// Lock a drafted relationship for approval, or terminate one.
///
/// `lockForApproval` (`created` → `approvalPending`) answers the approval link, which only the
/// customer's admin can use, once, within 90 days (then the relationship expires). `terminate`
/// ends an `approvalPending` or `active` relationship at once (its access too).
#[utoipa::path(
    tag = "granular delegated admin",
    request_body = RelationshipRequestAction,
    params(
        ("relationshipId" = Uuid, Path, description = "Relationship id"),
        ("Idempotency-Key" = Option<String>, Header)
    ),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Done.", body = RelationshipRequestResult),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such relationship of yours.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`relationship_not_editable` (its status does not allow the action), or the Idempotency-Key is in use.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields.", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/delegated-admin-relationships/{relationshipId}/requests")]
pub async fn create_delegated_admin_relationship_request(
    caller: Authorized<ops::ManageDelegatedAdminRelationships>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: ValidJson<RelationshipRequestAction>,
) -> Result<Created<RelationshipRequestResult>, ApiError> {
    let id = path.into_inner();
    match body.0.action {
        RequestAction::LockForApproval => {
            let issued = IssuedLink::issue(APPROVAL_LINK_DAYS);
            let link = issued.url(&state.config.public_base_url, APPROVE_PATH);
            let expires = utc(issued.expires_at);
            let r = caller
                .change(&state.pool, move |change, caller| {
                    service::lock_for_approval(change, caller, id, &issued)
                })
                .await?;
            let relationship = shown(r);
            let email_draft = approval_draft(&relationship, &link, expires);
            Ok(Created::unlocated(RelationshipRequestResult {
                action: "lockForApproval",
                status: "succeeded",
                relationship,
                link: Some(link),
                expires_at: Some(expires),
                email_draft: Some(email_draft),
            }))
        }
        RequestAction::Terminate => {
            let r = caller
                .change(&state.pool, move |change, caller| {
                    service::terminate(change, caller, id)
                })
                .await?;
            Ok(Created::unlocated(RelationshipRequestResult {
                action: "terminate",
                status: "succeeded",
                relationship: shown(r),
                link: None,
                expires_at: None,
                email_draft: None,
            }))
        }
    }
}

/// Give one of your security groups some of an active relationship's roles, at once.
///
/// The answer is `active` (its members hold the roles on the customer from now on) or an error
/// naming what is wrong: `unknown_security_group`, `role_not_in_relationship`,
/// `unknown_directory_role`, `relationship_not_active`, `access_assignment_exists`.
#[utoipa::path(
    tag = "granular delegated admin",
    request_body = CreateAccessAssignment,
    params(
        ("relationshipId" = Uuid, Path, description = "Relationship id"),
        ("Idempotency-Key" = Option<String>, Header)
    ),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created, `active`.", body = AccessAssignment),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such relationship of yours.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`relationship_not_active`, `access_assignment_exists`, or the Idempotency-Key is in use.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, `unknown_security_group`, `unknown_directory_role` or `role_not_in_relationship`.", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/delegated-admin-relationships/{relationshipId}/accessAssignments")]
pub async fn create_access_assignment(
    caller: Authorized<ops::ManageDelegatedAdminRelationships>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: ValidJson<CreateAccessAssignment>,
) -> Result<Created<AccessAssignment>, ApiError> {
    let id = path.into_inner();
    let b = body.0;
    let new = NewAssignment {
        group_id: b.access_container.access_container_id,
        roles: b.access_details.ids(),
    };
    let row = caller
        .change(&state.pool, move |change, caller| {
            service::create_assignment(change, caller, id, new)
        })
        .await?;
    Ok(Created::unlocated(AccessAssignment::from(row)))
}

/// List a relationship's access assignments, oldest first (deleted ones too).
#[utoipa::path(
    tag = "granular delegated admin",
    params(("relationshipId" = Uuid, Path, description = "Relationship id"), PageParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of access assignments.", body = Page<AccessAssignment>),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such relationship of yours.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad `limit` or `cursor`, or `relationshipId` is not a UUID.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/delegated-admin-relationships/{relationshipId}/accessAssignments")]
pub async fn list_access_assignments(
    caller: Authorized<ops::ManageDelegatedAdminRelationships>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    query: Paged,
) -> Result<Json<Page<AccessAssignment>>, ApiError> {
    let id = path.into_inner();
    let page = query.page.clone();
    let rows = caller
        .run(&state.pool, move |conn, caller| {
            service::list_assignments(conn, caller, id, &page)
        })
        .await?;
    Ok(Json::new(query.answer(
        rows,
        |r| r.id.as_str(),
        AccessAssignment::from,
    )))
}

/// Delete an access assignment: its group's members lose its roles at once.
#[utoipa::path(
    tag = "granular delegated admin",
    params(
        ("relationshipId" = Uuid, Path, description = "Relationship id"),
        ("assignmentId" = Uuid, Path, description = "Access assignment id")
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted."),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such relationship of yours, or no such assignment in it.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An id is not a UUID.", body = Problem, content_type = "application/problem+json")
    )
)]
#[delete("/delegated-admin-relationships/{relationshipId}/accessAssignments/{assignmentId}")]
pub async fn delete_access_assignment(
    caller: Authorized<ops::ManageDelegatedAdminRelationships>,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<NoContent, ApiError> {
    let (id, assignment) = path.into_inner();
    caller
        .change(&state.pool, move |change, caller| {
            service::delete_assignment(change, caller, id, assignment)
        })
        .await?;
    Ok(NoContent)
}

/// Approve a delegated admin relationship as the signed-in customer admin, with the token of its
/// approval link: it is `active` from now for its duration.
#[utoipa::path(
    tag = "granular delegated admin",
    request_body = AcceptLink,
    params(("Idempotency-Key" = Option<String>, Header)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Approved.", body = DelegatedAdminRelationship),
        (status = 403, description = "Not a customer admin.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The Idempotency-Key is in use.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_link_token` (unknown, used, expired, or meant for another customer), or invalid fields.", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/delegated-admin-relationships/approve")]
pub async fn approve_delegated_admin_relationship(
    caller: Authorized<ops::CustomerSelfService>,
    state: web::Data<AppState>,
    body: ValidJson<AcceptLink>,
) -> Result<Json<DelegatedAdminRelationship>, ApiError> {
    let token = body.0.token;
    let r = caller
        .change(&state.pool, move |change, caller| {
            service::approve(change, caller, &token)
        })
        .await?;
    Ok(Json::new(shown(r)))
}

/// Reject a delegated admin relationship as the signed-in customer admin, with the token of its
/// approval link: it is `terminated`.
#[utoipa::path(
    tag = "granular delegated admin",
    request_body = AcceptLink,
    params(("Idempotency-Key" = Option<String>, Header)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Rejected.", body = DelegatedAdminRelationship),
        (status = 403, description = "Not a customer admin.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The Idempotency-Key is in use.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_link_token` (unknown, used, expired, or meant for another customer), or invalid fields.", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/delegated-admin-relationships/reject")]
pub async fn reject_delegated_admin_relationship(
    caller: Authorized<ops::CustomerSelfService>,
    state: web::Data<AppState>,
    body: ValidJson<AcceptLink>,
) -> Result<Json<DelegatedAdminRelationship>, ApiError> {
    let token = body.0.token;
    let r = caller
        .change(&state.pool, move |change, caller| {
            service::reject(change, caller, &token)
        })
        .await?;
    Ok(Json::new(shown(r)))
}

/// List the delegated admin relationships partners hold (or ask for) with your organisation.
#[utoipa::path(
    tag = "customer self-service",
    params(PageParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of relationships.", body = Page<DelegatedAdminRelationship>),
        (status = 403, description = "Not a customer admin.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad `limit` or `cursor`.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/my/delegated-admin-relationships")]
pub async fn list_my_delegated_admin_relationships(
    caller: Authorized<ops::CustomerSelfService>,
    state: web::Data<AppState>,
    query: Paged,
) -> Result<Json<Page<DelegatedAdminRelationship>>, ApiError> {
    let page = query.page.clone();
    let rows = caller
        .run(&state.pool, move |conn, caller| {
            service::list_mine(conn, caller, &page)
        })
        .await?;
    Ok(Json::new(query.answer(rows, |r| r.0.id.as_str(), shown)))
}

/// Terminate a delegated admin relationship with your organisation (`terminate` is the only
/// action here): the partner's access ends at once.
#[utoipa::path(
    tag = "customer self-service",
    request_body = TerminateAction,
    params(
        ("relationshipId" = Uuid, Path, description = "Relationship id"),
        ("Idempotency-Key" = Option<String>, Header)
    ),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Terminated.", body = RelationshipRequestResult),
        (status = 403, description = "Not a customer admin.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such relationship with your organisation.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`relationship_not_editable` (not awaiting approval or active), or the Idempotency-Key is in use.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields (an action other than `terminate`).", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/my/delegated-admin-relationships/{relationshipId}/requests")]
pub async fn create_my_delegated_admin_relationship_request(
    caller: Authorized<ops::CustomerSelfService>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: ValidJson<TerminateAction>,
) -> Result<Created<RelationshipRequestResult>, ApiError> {
    let id = path.into_inner();
    let CustomerRequestAction::Terminate = body.0.action;
    let r = caller
        .change(&state.pool, move |change, caller| {
            service::terminate_mine(change, caller, id)
        })
        .await?;
    Ok(Created::unlocated(RelationshipRequestResult {
        action: "terminate",
        status: "succeeded",
        relationship: shown(r),
        link: None,
        expires_at: None,
        email_draft: None,
    }))
}

/// Registers the GDAP relationship operations.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_directory_roles)
        .service(approve_delegated_admin_relationship)
        .service(reject_delegated_admin_relationship)
        .service(create_delegated_admin_relationship)
        .service(list_delegated_admin_relationships)
        .service(get_delegated_admin_relationship)
        .service(update_delegated_admin_relationship)
        .service(create_delegated_admin_relationship_request)
        .service(create_access_assignment)
        .service(list_access_assignments)
        .service(delete_access_assignment)
        .service(list_my_delegated_admin_relationships)
        .service(create_my_delegated_admin_relationship_request);
}

// Shows the approval link once: sealed by the idempotency store, `Cache-Control: no-store`.
crate::secret_bodies!(RelationshipRequestResult);
