//! Applications (product.md §1, §9): app-only credentials for the caller's partner's automation
//! scripts — a client id and a secret shown once (stored only as an argon2id hash), with roles
//! from `admin_agent`, `sales_agent` and `helpdesk_agent`. Global admins only. An application
//! signs in with the `client_credentials` grant of `POST /v1/auth/token`; deleting it makes its
//! tokens stop working on their next request.

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::{Validate, ValidationError};

use crate::auth::{Authorized, ops};
use crate::domain::Role;
use crate::error::{ApiError, Problem};
use crate::etag;
use crate::extract::ValidJson;
use crate::idempotency;
use crate::models::application::ApplicationRow;
use crate::models::utc;
use crate::paging::{Page, PageParams, Paged};
use crate::services::applications::{self as service, NewApplication};
use crate::state::AppState;
use crate::validate;

/// An application as the API shows it (never its secret).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Application {
    /// Application id.
    pub id: Uuid,
    /// Display name, as written into audit records.
    #[schema(example = "Nightly billing sync")]
    pub display_name: String,
    /// The client id to sign in with (`client_credentials` grant).
    pub client_id: Uuid,
    /// Roles (from `admin_agent`, `sales_agent`, `helpdesk_agent`).
    pub roles: Vec<Role>,
    /// Creation time.
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl From<ApplicationRow> for Application {
    fn from(r: ApplicationRow) -> Application {
        Application {
            id: r.id.uuid(),
            display_name: r.display_name,
            client_id: r.client_id.uuid(),
            roles: r.roles.to_vec(),
            created_at: utc(r.created_at),
        }
    }
}

/// Roles must be ones an application may hold.
fn application_roles(roles: &[Role]) -> Result<(), ValidationError> {
    if roles.iter().all(|r| Role::APPLICATION_ROLES.contains(r)) {
        return Ok(());
    }
    let mut e = ValidationError::new("role");
    e.message = Some("must be application roles: admin_agent, sales_agent, helpdesk_agent".into());
    Err(e)
}

/// The roles an application may hold (documentation only: requests parse [`Role`]).
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum ApplicationRole {
    /// Admin agent.
    AdminAgent,
    /// Sales agent.
    SalesAgent,
    /// Helpdesk agent.
    HelpdeskAgent,
}

/// Request to create an application.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateApplication {
    /// Display name.
    #[validate(length(min = 1, max = 200), custom(function = "validate::not_blank"))]
    #[schema(
        pattern = r"[^\s\u0085]",
        example = "Nightly billing sync",
        min_length = 1,
        max_length = 200
    )]
    pub display_name: String,
    /// Roles (at least one) from `admin_agent`, `sales_agent`, `helpdesk_agent`.
    #[validate(length(min = 1, max = 3), custom(function = "application_roles"))]
    #[schema(value_type = Vec<ApplicationRole>, min_items = 1, max_items = 3, example = json!(["helpdesk_agent"]))]
    pub roles: Vec<Role>,
}

/// A created application with its secret.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedApplication {
    /// The application.
    pub application: Application,
    /// The client secret, shown only in this response (stored as a hash; it cannot be shown
    /// again — delete the application and create a new one if it is lost).
    pub client_secret: String,
}

/// Create an application (app-only credentials); its secret appears only in this response.
#[utoipa::path(
    tag = "applications",
    request_body = CreateApplication,
    params(("Idempotency-Key" = Option<String>, Header)),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 201, description = "Created.", body = CreatedApplication, headers(("Location" = String, description = "The application's URL"), ("ETag" = String))),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The Idempotency-Key is in use.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields.", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/applications")]
pub async fn create_application(
    caller: Authorized<ops::ManageApplications>,
    state: web::Data<AppState>,
    body: ValidJson<CreateApplication>,
) -> Result<HttpResponse, ApiError> {
    let new = NewApplication {
        display_name: body.0.display_name,
        roles: body.0.roles,
    };
    let (row, client_secret) = caller
        .run(&state.pool, move |conn, caller| {
            service::create(conn, caller, new)
        })
        .await?;
    let res = HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v1/applications/{}", row.id)))
        .insert_header((header::ETAG, etag::etag(row.version)))
        .json(CreatedApplication {
            application: row.into(),
            client_secret,
        });
    Ok(idempotency::shown_once(res))
}

/// List your partner organisation's applications, oldest first (secrets are never shown).
#[utoipa::path(
    tag = "applications",
    params(PageParams),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "One page of applications.", body = Page<Application>),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad `limit` or `cursor`.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/applications")]
pub async fn list_applications(
    caller: Authorized<ops::ManageApplications>,
    state: web::Data<AppState>,
    query: Paged,
) -> Result<HttpResponse, ApiError> {
    let page = query.page.clone();
    let rows = caller
        .run(&state.pool, move |conn, caller| {
            service::list(conn, caller, &page)
        })
        .await?;
    Ok(HttpResponse::Ok().json(query.answer(rows, |r| r.id.as_str(), Application::from)))
}

/// Delete an application: its secret stops working, and so do its tokens, on their next
/// request.
#[utoipa::path(
    tag = "applications",
    params(("applicationId" = Uuid, Path, description = "Application id")),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 204, description = "Deleted."),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such application in your organisation.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`applicationId` is not a UUID.", body = Problem, content_type = "application/problem+json")
    )
)]
#[delete("/applications/{applicationId}")]
pub async fn delete_application(
    caller: Authorized<ops::ManageApplications>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let application_id = path.into_inner();
    caller
        .run(&state.pool, move |conn, caller| {
            service::delete(conn, caller, application_id)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Registers the application operations.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_applications)
        .service(create_application)
        .service(delete_application);
}
