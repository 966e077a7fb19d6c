//! Applications (docs/concepts.md#organisations-and-who-signs-in): app-only credentials for the caller's partner's automation
//! scripts — a client id and a secret shown once (stored only as an argon2id hash), with roles
//! from `admin_agent`, `sales_agent` and `helpdesk_agent`. Global admins only. An application
//! signs in with the `client_credentials` grant of `POST /v1/auth/token`; deleting it makes its
//! tokens stop working on their next request.

use actix_web::{delete, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::{Validate, ValidationError};

use crate::api::applications::Application;
use crate::auth::password::NewSecret;
use crate::auth::{Authorized, ops};
use crate::domain::Role;
use crate::error::{ApiError, Problem};
use crate::extract::ValidJson;
use crate::paging::{Page, PageParams, Paged};
use crate::respond::{Created, Json, NoContent};
use crate::services::applications::{self as service, NewApplication};
use crate::state::AppState;
use crate::validate;

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
    #[validate(length(min = 1, max = 200), custom(function = "validate::name"))]
    #[schema(
        pattern = r"^[^\u200E\u200F\u202A-\u202E\u2066-\u2069]*[^\s\u0085\u200E\u200F\u202A-\u202E\u2066-\u2069][^\u200E\u200F\u202A-\u202E\u2066-\u2069]*$",
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
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created.", body = CreatedApplication, headers(("Location" = String, description = "The application's URL"), ("ETag" = String))),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`quota_exceeded` (`limit`: `applicationsPerPartner`, default 50), or the Idempotency-Key is in use.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields.", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/applications")]
pub async fn create_application(
    caller: Authorized<ops::ManageApplications>,
    state: web::Data<AppState>,
    body: ValidJson<CreateApplication>,
) -> Result<Created<CreatedApplication>, ApiError> {
    let new = NewApplication {
        display_name: body.0.display_name,
        roles: body.0.roles,
    };
    let quotas = state.config.quotas;
    let (row, client_secret) = caller
        .change_with(
            &state.pool,
            NewSecret::client_secret,
            move |change, caller, secret| service::create(change, caller, new, secret, &quotas),
        )
        .await?;
    let version = row.version;
    Ok(Created::new(
        format!("/v1/applications/{}", row.id),
        CreatedApplication {
            application: row.into(),
            client_secret,
        },
    )
    .tagged(version))
}

/// List your partner organisation's applications, oldest first (secrets are never shown).
#[utoipa::path(
    tag = "applications",
    params(PageParams),
    security(("bearer" = [])),
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
) -> Result<Json<Page<Application>>, ApiError> {
    let page = query.page.clone();
    let rows = caller
        .run(&state.pool, move |conn, caller| {
            service::list(conn, caller, &page)
        })
        .await?;
    Ok(Json::new(query.answer(
        rows,
        |r| r.id.as_str(),
        Application::from,
    )))
}

/// Delete an application: its secret stops working, and so do its tokens, on their next
/// request.
#[utoipa::path(
    tag = "applications",
    params(("applicationId" = Uuid, Path, description = "Application id")),
    security(("bearer" = [])),
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
) -> Result<NoContent, ApiError> {
    let application_id = path.into_inner();
    caller
        .change(&state.pool, move |change, caller| {
            service::delete(change, caller, application_id)
        })
        .await?;
    Ok(NoContent)
}

/// Registers the application operations.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_applications)
        .service(create_application)
        .service(delete_application);
}

// Show a secret once: sealed by the idempotency store, `Cache-Control: no-store`.
crate::secret_bodies!(CreatedApplication);
