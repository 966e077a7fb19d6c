//! Applications (product.md §1, §9): app-only credentials for the caller's partner's automation
//! scripts — a client id and a secret shown once (stored only as an argon2id hash), with roles
//! from `admin_agent`, `sales_agent` and `helpdesk_agent`. Global admins only. An application
//! signs in with the `client_credentials` grant of `POST /v1/auth/token`; deleting it makes its
//! tokens stop working on their next request.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::{Validate, ValidationError};

use crate::auth::permissions::{self, Operation};
use crate::auth::{Principal, password};
use crate::db;
use crate::domain::Role;
use crate::error::{ApiError, Problem};
use crate::extract::{ValidJson, ValidQuery};
use crate::idempotency;
use crate::models::application::ApplicationRow;
use crate::models::audit::{Actor, Audit};
use crate::models::{ids, now, utc};
use crate::paging::{Page, PageParams};
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
            id: ids::parse(&r.id),
            display_name: r.display_name,
            client_id: ids::parse(&r.client_id),
            roles: Role::split(&r.roles),
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
        pattern = r"\S",
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
        (status = 201, description = "Created.", body = CreatedApplication, headers(("Location" = String, description = "The application's URL"))),
        (status = 400, description = "Malformed JSON.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The Idempotency-Key is in use.", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields.", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/applications")]
pub async fn create_application(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidJson<CreateApplication>,
) -> Result<HttpResponse, ApiError> {
    permissions::require(&principal, Operation::ManageApplications)?;
    let partner_id = principal.partner_id()?;
    let req = body.0;
    let (row, client_secret) = db::run(&state.pool, move |conn| {
        let client_secret = password::secret();
        let row = ApplicationRow {
            id: ids::new(),
            partner_id: partner_id.to_string(),
            display_name: req.display_name.trim().to_owned(),
            client_id: Uuid::new_v4().to_string(),
            secret_hash: password::hash(&client_secret)?,
            roles: Role::join(&req.roles),
            created_at: now(),
        };
        db::transaction(conn, |conn| {
            ApplicationRow::insert(conn, &row)?;
            Audit::new("create_application", "application", &row.id)
                .partner(partner_id)
                .new_value(Application::from(row.clone()))
                .write(conn, &Actor::from(&principal))
        })?;
        Ok((row, client_secret))
    })
    .await?;
    let res = HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v1/applications/{}", row.id)))
        .json(CreatedApplication {
            application: row.into(),
            client_secret,
        });
    Ok(idempotency::shown_once(res))
}

/// Paging of the application list.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ApplicationQuery {
    /// Items per page, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `nextCursor` of the previous page.
    pub cursor: Option<String>,
}

/// List your partner organisation's applications, oldest first (secrets are never shown).
#[utoipa::path(
    tag = "applications",
    params(ApplicationQuery),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "One page of applications.", body = Page<Application>),
        (status = 401, description = "Not signed in.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad `limit` or `cursor`.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/applications")]
pub async fn list_applications(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    query: ValidQuery<ApplicationQuery>,
) -> Result<HttpResponse, ApiError> {
    permissions::require(&principal, Operation::ManageApplications)?;
    let partner_id = principal.partner_id()?;
    let q = query.0;
    let page = PageParams {
        limit: q.limit,
        cursor: q.cursor,
    }
    .validate()?;
    let p = page.clone();
    let rows = db::run(&state.pool, move |conn| {
        Ok(ApplicationRow::page(
            conn,
            partner_id,
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
        Application::from,
    )))
}

/// Delete an application: its secret stops working, and so do its tokens, on their next
/// request.
#[utoipa::path(
    tag = "applications",
    params(("applicationId" = Uuid, Path, description = "Application id")),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 204, description = "Deleted."),
        (status = 401, description = "Not signed in.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such application in your organisation.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`applicationId` is not a UUID.", body = Problem, content_type = "application/problem+json")
    )
)]
#[delete("/applications/{applicationId}")]
pub async fn delete_application(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    permissions::require(&principal, Operation::ManageApplications)?;
    let partner_id = principal.partner_id()?;
    let application_id = path.into_inner();
    db::run(&state.pool, move |conn| {
        db::transaction(conn, |conn| {
            let row = ApplicationRow::find_for_partner(conn, partner_id, application_id)?
                .ok_or_else(|| ApiError::not_found("The application"))?;
            ApplicationRow::delete(conn, &row.id)?;
            Audit::new("delete_application", "application", &row.id)
                .partner(partner_id)
                .old_value(Application::from(row))
                .write(conn, &Actor::from(&principal))
        })
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
