//! Service requests for a customer (a row marked DAP in the permission table, docs/concepts.md#roles-and-permissions): open one, list and read the
//! caller's own, and update it — title, severity, status, or a note — with `If-Match`; list and
//! add its notes (paged apart from the request, which shows only their count). Needs a
//! relationship with DAP (403 `delegated_admin_required` without); global admins, admin agents
//! and helpdesk agents change, sales agents only read.

use actix_web::{get, patch, post, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::api::service_requests::{Note, ServiceRequest};
use crate::auth::{Authorized, ops};
use crate::domain::ServiceRequestStatus;
use crate::domain::Severity;
use crate::error::{ApiError, Problem};
use crate::etag::Precondition;
use crate::extract::ValidJson;
use crate::models::service_request::ServiceRequestRow;
use crate::paging::{Page, PageParams, Paged};
use crate::respond::{Created, Json, Tagged};
use crate::services::service_requests::{self as service, NewRequest, Patch};
use crate::state::AppState;
use crate::validate;

/// A service request with its ETag.
fn respond(row: ServiceRequestRow) -> Tagged<ServiceRequest> {
    Tagged::new(row.version, ServiceRequest::from(row))
}

/// Request to open a service request.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateServiceRequest {
    /// Short summary.
    #[validate(length(min = 1, max = 200), custom(function = "validate::name"))]
    #[schema(
        pattern = r"^[^\u200E\u200F\u202A-\u202E\u2066-\u2069]*[^\s\u0085\u200E\u200F\u202A-\u202E\u2066-\u2069][^\u200E\u200F\u202A-\u202E\u2066-\u2069]*$",
        example = "Users cannot sign in to Outlook",
        min_length = 1,
        max_length = 200
    )]
    pub title: String,
    /// What the customer needs.
    #[validate(length(min = 1, max = 4000), custom(function = "validate::not_blank"))]
    #[schema(
        pattern = r"[^\s\u0085]",
        example = "Since 9:00 all users get an authentication error.",
        min_length = 1,
        max_length = 4000
    )]
    pub description: String,
    /// How urgent it is.
    pub severity: Severity,
}

/// Open a service request on behalf of a customer the caller administers (DAP). It starts
/// `open`, without notes.
#[utoipa::path(
    tag = "service requests",
    params(
        ("customerId" = Uuid, Path, description = "Customer id"),
        ("Idempotency-Key" = Option<String>, Header)
    ),
    request_body = CreateServiceRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created.", body = ServiceRequest, headers(("Location" = String, description = "The service request's URL"), ("ETag" = String))),
        (status = 403, description = "Role not enough, or `delegated_admin_required`.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer within reach.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The Idempotency-Key is in use.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields.", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/customers/{customerId}/service-requests")]
pub async fn create_service_request(
    caller: Authorized<ops::ManageServiceRequests>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: ValidJson<CreateServiceRequest>,
) -> Result<Created<ServiceRequest>, ApiError> {
    let customer_id = path.into_inner();
    let req = body.0;
    let new = NewRequest {
        title: req.title,
        description: req.description,
        severity: req.severity,
    };
    let row = caller
        .change(&state.pool, move |change, caller| {
            service::create(change, caller, customer_id, new)
        })
        .await?;
    let location = format!("/v1/customers/{customer_id}/service-requests/{}", row.id);
    let version = row.version;
    Ok(Created::new(location, ServiceRequest::from(row)).tagged(version))
}

/// Service request list filters.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ServiceRequestQuery {
    /// Only requests in this status.
    pub status: Option<ServiceRequestStatus>,
}

/// List the service requests the caller's organisation opened for a customer, oldest first
/// (other partners' requests are not shown). Needs DAP.
#[utoipa::path(
    tag = "service requests",
    params(("customerId" = Uuid, Path, description = "Customer id"), PageParams, ServiceRequestQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of service requests.", body = Page<ServiceRequest>),
        (status = 403, description = "Role not enough, or `delegated_admin_required`.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer within reach.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad `limit`, `cursor` or filter.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/customers/{customerId}/service-requests")]
pub async fn list_service_requests(
    caller: Authorized<ops::ReadServiceRequests>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    query: Paged<ServiceRequestQuery>,
) -> Result<Json<Page<ServiceRequest>>, ApiError> {
    let customer_id = path.into_inner();
    let status = query.filters.status;
    let page = query.page.clone();
    let rows = caller
        .run(&state.pool, move |conn, caller| {
            service::list(conn, caller, customer_id, status, &page)
        })
        .await?;
    Ok(Json::new(query.answer(
        rows,
        |r| r.id.as_str(),
        ServiceRequest::from,
    )))
}

/// Read one of the caller's service requests for a customer. Needs DAP.
#[utoipa::path(
    tag = "service requests",
    params(
        ("customerId" = Uuid, Path, description = "Customer id"),
        ("serviceRequestId" = Uuid, Path, description = "Service request id")
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The service request.", body = ServiceRequest, headers(("ETag" = String))),
        (status = 403, description = "Role not enough, or `delegated_admin_required`.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer or service request within reach.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A path id is not a UUID.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/customers/{customerId}/service-requests/{serviceRequestId}")]
pub async fn get_service_request(
    caller: Authorized<ops::ReadServiceRequests>,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<Tagged<ServiceRequest>, ApiError> {
    let (customer_id, id) = path.into_inner();
    let row = caller
        .run(&state.pool, move |conn, caller| {
            service::get(conn, caller, customer_id, id)
        })
        .await?;
    Ok(respond(row))
}

/// Changes to a service request; absent fields stay as they are.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateServiceRequest {
    /// New title.
    #[validate(length(min = 1, max = 200), custom(function = "validate::name"))]
    #[schema(
        pattern = r"^[^\u200E\u200F\u202A-\u202E\u2066-\u2069]*[^\s\u0085\u200E\u200F\u202A-\u202E\u2066-\u2069][^\u200E\u200F\u202A-\u202E\u2066-\u2069]*$",
        min_length = 1,
        max_length = 200
    )]
    pub title: Option<String>,
    /// New severity.
    pub severity: Option<Severity>,
    /// New status; `closed` stops notes until the request is reopened (`open`).
    pub status: Option<ServiceRequestStatus>,
    /// A note to append (author and time are recorded), as `POST …/notes` adds it: at most
    /// 4,000 characters, and at most 1,000 notes per request.
    #[validate(length(min = 1, max = 4000), custom(function = "validate::not_blank"))]
    #[schema(
        pattern = r"[^\s\u0085]",
        example = "Reset the conditional access policy; waiting for the customer.",
        min_length = 1,
        max_length = 4000
    )]
    pub add_note: Option<String>,
}

/// Update one of the caller's service requests: title, severity, status (`open`,
/// `in_progress`, `closed`), or add a note. A closed request takes no notes until reopened (409
/// `service_request_closed`; a PATCH that reopens may carry the note); a request holds at most
/// 1,000 notes (409 `quota_exceeded`, `limit`: `notesPerServiceRequest`). Send `If-Match` with
/// the ETag you read (412 when stale). Needs DAP.
#[utoipa::path(
    tag = "service requests",
    params(
        ("customerId" = Uuid, Path, description = "Customer id"),
        ("serviceRequestId" = Uuid, Path, description = "Service request id"),
        ("If-Match" = Option<String>, Header, description = "The ETag from your last read")
    ),
    request_body = UpdateServiceRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Updated.", body = ServiceRequest, headers(("ETag" = String))),
        (status = 403, description = "Role not enough, or `delegated_admin_required`.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer or service request within reach.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`service_request_closed`: a note on a closed request; `quota_exceeded`: the request already holds 1,000 notes.", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The ETag is stale.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields.", body = Problem, content_type = "application/problem+json")
    )
)]
#[patch("/customers/{customerId}/service-requests/{serviceRequestId}")]
pub async fn update_service_request(
    caller: Authorized<ops::ManageServiceRequests>,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
    precondition: Precondition,
    body: ValidJson<UpdateServiceRequest>,
) -> Result<Tagged<ServiceRequest>, ApiError> {
    let (customer_id, id) = path.into_inner();
    let b = body.0;
    let patch = Patch {
        title: b.title,
        severity: b.severity,
        status: b.status,
        add_note: b.add_note,
    };
    let row = caller
        .change(&state.pool, move |change, caller| {
            service::update(change, caller, customer_id, id, precondition, patch)
        })
        .await?;
    Ok(respond(row))
}

/// List the notes of one of the caller's service requests, oldest first. Needs DAP.
#[utoipa::path(
    tag = "service requests",
    params(
        ("customerId" = Uuid, Path, description = "Customer id"),
        ("serviceRequestId" = Uuid, Path, description = "Service request id"),
        PageParams
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of notes.", body = Page<Note>),
        (status = 403, description = "Role not enough, or `delegated_admin_required`.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer or service request within reach.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A path id is not a UUID, or a bad `limit` or `cursor`.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/customers/{customerId}/service-requests/{serviceRequestId}/notes")]
pub async fn list_service_request_notes(
    caller: Authorized<ops::ReadServiceRequests>,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
    query: Paged,
) -> Result<Json<Page<Note>>, ApiError> {
    let (customer_id, id) = path.into_inner();
    let page = query.page.clone();
    let rows = caller
        .run(&state.pool, move |conn, caller| {
            service::notes(conn, caller, customer_id, id, &page)
        })
        .await?;
    Ok(Json::new(query.answer(rows, |n| n.id.as_str(), Note::from)))
}

/// A note to add.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateNote {
    /// The note (author and time are recorded).
    #[validate(length(min = 1, max = 4000), custom(function = "validate::not_blank"))]
    #[schema(
        pattern = r"[^\s\u0085]",
        example = "Reset the conditional access policy; waiting for the customer.",
        min_length = 1,
        max_length = 4000
    )]
    pub text: String,
}

/// Add a note to one of the caller's service requests: at most 4,000 characters, and at most
/// 1,000 notes per request. A closed request takes no notes until reopened. The request's ETag
/// changes (its `noteCount` does). Needs DAP.
#[utoipa::path(
    tag = "service requests",
    params(
        ("customerId" = Uuid, Path, description = "Customer id"),
        ("serviceRequestId" = Uuid, Path, description = "Service request id"),
        ("Idempotency-Key" = Option<String>, Header)
    ),
    request_body = CreateNote,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Added.", body = Note),
        (status = 403, description = "Role not enough, or `delegated_admin_required`.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer or service request within reach.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`service_request_closed`; `quota_exceeded`: the request already holds 1,000 notes (`limit`: `notesPerServiceRequest`); or the Idempotency-Key is in use.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields.", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/customers/{customerId}/service-requests/{serviceRequestId}/notes")]
pub async fn create_service_request_note(
    caller: Authorized<ops::ManageServiceRequests>,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
    body: ValidJson<CreateNote>,
) -> Result<Created<Note>, ApiError> {
    let (customer_id, id) = path.into_inner();
    let text = body.0.text;
    let (_, note) = caller
        .change(&state.pool, move |change, caller| {
            service::add_note(change, caller, customer_id, id, text)
        })
        .await?;
    Ok(Created::unlocated(note))
}

/// Registers the service request operations.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_service_request)
        .service(list_service_requests)
        .service(get_service_request)
        .service(update_service_request)
        .service(list_service_request_notes)
        .service(create_service_request_note);
}
