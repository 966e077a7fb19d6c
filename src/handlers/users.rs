//! Partner users (docs/concepts.md#organisations-and-who-signs-in, #roles-and-permissions): the agents of the caller's own partner and their roles.
//! Global admins and user management admins list, create (with a temporary password shown
//! once), read, change, disable, delete and reset the password of users; the rules protecting
//! global admins live in [`crate::services::users`].

use actix_web::{delete, get, patch, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::{Validate, ValidationError};

use crate::auth::password::NewSecret;
use crate::auth::{Authorized, ops};
use crate::domain::Role;
use crate::error::{ApiError, Problem};
use crate::etag::Precondition;
use crate::extract::ValidJson;
use crate::models::user::UserRow;
use crate::models::utc;
use crate::paging::{Page, PageParams, Paged};
use crate::respond::{Created, Json, NoContent, Tagged};
use crate::services::users::{self as service, NewPartnerUser, UserUpdate};
use crate::state::AppState;
use crate::validate;

/// A partner user as the API shows it (never its password hash).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// User id.
    pub id: Uuid,
    /// Sign-in name (an email address, lower case).
    #[schema(example = "pat@contoso-distribution.example")]
    pub user_name: String,
    /// Display name.
    #[schema(example = "Pat Agent")]
    pub display_name: String,
    /// Partner roles.
    pub roles: Vec<Role>,
    /// A disabled user cannot sign in, and its tokens stop working.
    pub disabled: bool,
    /// The user has a temporary password and must change it before signing in.
    pub must_change_password: bool,
    /// Creation time.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Last change.
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> User {
        User {
            id: r.id.uuid(),
            user_name: r.user_name,
            display_name: r.display_name,
            roles: r.roles.to_vec(),
            disabled: r.disabled,
            must_change_password: r.must_change_password,
            created_at: utc(r.created_at),
            updated_at: utc(r.updated_at),
        }
    }
}

/// Roles must be partner roles (not `customer_admin`).
fn partner_roles(roles: &[Role]) -> Result<(), ValidationError> {
    if roles.iter().all(|r| Role::PARTNER_ROLES.contains(r)) {
        return Ok(());
    }
    let mut e = ValidationError::new("role");
    e.message = Some(
        "must be partner roles: global_admin, user_management_admin, admin_agent, sales_agent, helpdesk_agent"
            .into(),
    );
    Err(e)
}

/// The roles a partner user may hold (documentation only: requests parse [`Role`]).
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum PartnerRole {
    /// Global admin.
    GlobalAdmin,
    /// User management admin.
    UserManagementAdmin,
    /// Admin agent.
    AdminAgent,
    /// Sales agent.
    SalesAgent,
    /// Helpdesk agent.
    HelpdeskAgent,
}

/// Request to create a partner user.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateUser {
    /// Sign-in name: an email address under one of your organisation's domains, unique across
    /// the service.
    #[validate(email, length(max = 254))]
    #[schema(
        example = "pat@contoso-distribution.example",
        format = "email",
        max_length = 254
    )]
    pub user_name: String,
    /// Display name.
    #[validate(length(min = 1, max = 200), custom(function = "validate::name"))]
    #[schema(
        pattern = r"^[^\u200E\u200F\u202A-\u202E\u2066-\u2069]*[^\s\u0085\u200E\u200F\u202A-\u202E\u2066-\u2069][^\u200E\u200F\u202A-\u202E\u2066-\u2069]*$",
        example = "Pat Agent",
        min_length = 1,
        max_length = 200
    )]
    pub display_name: String,
    /// Partner roles (at least one); only a global admin may grant `global_admin`.
    #[validate(length(min = 1, max = 5), custom(function = "partner_roles"))]
    #[schema(value_type = Vec<PartnerRole>, min_items = 1, max_items = 5, example = json!(["sales_agent"]))]
    pub roles: Vec<Role>,
}

/// A created user with its temporary password.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedUser {
    /// The user.
    pub user: User,
    /// Temporary password, shown only in this response; must be changed at first sign-in
    /// (`POST /v1/auth/password`).
    pub temporary_password: String,
}

/// Create a user of your partner organisation, with a temporary password shown once.
///
/// A user management admin cannot grant `global_admin` (403 `global_admin_protected`). The
/// name must be under one of your organisation's own domains (422 `domain_not_owned`
/// otherwise, whether or not someone has that name), and your organisation holds at most
/// `MAX_USERS_PER_PARTNER` users (409 `quota_exceeded`).
#[utoipa::path(
    tag = "partner users",
    request_body = CreateUser,
    params(("Idempotency-Key" = Option<String>, Header)),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created.", body = CreatedUser, headers(("Location" = String, description = "The user's URL"), ("ETag" = String))),
        (status = 403, description = "Role not enough, or `global_admin_protected`.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`duplicate_user_name` (a user of your organisation has the name), `quota_exceeded` (`limit`: `usersPerPartner`, default 10,000), or the Idempotency-Key is in use.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or `domain_not_owned` on `userName` (not under one of your organisation's domains, whether or not someone has the name).", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/users")]
pub async fn create_user(
    caller: Authorized<ops::ManagePartnerUsers>,
    state: web::Data<AppState>,
    body: ValidJson<CreateUser>,
) -> Result<Created<CreatedUser>, ApiError> {
    let req = body.0;
    let new = NewPartnerUser {
        user_name: req.user_name,
        display_name: req.display_name,
        roles: req.roles,
    };
    let quotas = state.config.quotas;
    let (row, temporary_password) = caller
        .change_with(
            &state.pool,
            NewSecret::temporary_password,
            move |change, caller, temporary| {
                service::create(change, caller, new, temporary, &quotas)
            },
        )
        .await?;
    let version = row.version;
    Ok(Created::new(
        format!("/v1/users/{}", row.id),
        CreatedUser {
            user: row.into(),
            temporary_password,
        },
    )
    .tagged(version))
}

/// List the users of your partner organisation, oldest first.
#[utoipa::path(
    tag = "partner users",
    params(PageParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of users.", body = Page<User>),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad `limit` or `cursor`.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/users")]
pub async fn list_users(
    caller: Authorized<ops::ManagePartnerUsers>,
    state: web::Data<AppState>,
    query: Paged,
) -> Result<Json<Page<User>>, ApiError> {
    let page = query.page.clone();
    let rows = caller
        .run(&state.pool, move |conn, caller| {
            service::list(conn, caller, &page)
        })
        .await?;
    Ok(Json::new(query.answer(rows, |r| r.id.as_str(), User::from)))
}

/// Read a user of your partner organisation (other partners' users answer 404).
#[utoipa::path(
    tag = "partner users",
    params(("userId" = Uuid, Path, description = "User id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The user.", body = User, headers(("ETag" = String))),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user in your organisation.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`userId` is not a UUID.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/users/{userId}")]
pub async fn get_user(
    caller: Authorized<ops::ManagePartnerUsers>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<Tagged<User>, ApiError> {
    let user_id = path.into_inner();
    let row = caller
        .run(&state.pool, move |conn, caller| {
            service::get(conn, caller, user_id)
        })
        .await?;
    Ok(Tagged::new(row.version, User::from(row)))
}

/// Changes to a user; absent fields stay as they are.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateUser {
    /// Display name.
    #[validate(length(min = 1, max = 200), custom(function = "validate::name"))]
    #[schema(
        pattern = r"^[^\u200E\u200F\u202A-\u202E\u2066-\u2069]*[^\s\u0085\u200E\u200F\u202A-\u202E\u2066-\u2069][^\u200E\u200F\u202A-\u202E\u2066-\u2069]*$",
        min_length = 1,
        max_length = 200
    )]
    pub display_name: Option<String>,
    /// The complete new set of partner roles (at least one).
    #[validate(length(min = 1, max = 5), custom(function = "partner_roles"))]
    #[schema(value_type = Option<Vec<PartnerRole>>, min_items = 1, max_items = 5)]
    pub roles: Option<Vec<Role>>,
    /// `true` disables the account (sign-in and existing tokens stop working); `false`
    /// re-enables it.
    pub disabled: Option<bool>,
}

/// Change a user's display name or roles, or disable or re-enable it. Send `If-Match` with the
/// ETag you read (412 when stale). Takes effect on the user's next request.
///
/// A user management admin cannot change a global admin or grant `global_admin` (403
/// `global_admin_protected`); nobody can disable themselves (409 `self_protected`); the last
/// enabled global admin keeps the role and stays enabled (409 `last_global_admin`).
#[utoipa::path(
    tag = "partner users",
    params(
        ("userId" = Uuid, Path, description = "User id"),
        ("If-Match" = Option<String>, Header, description = "The ETag from your last read")
    ),
    request_body = UpdateUser,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Updated.", body = User, headers(("ETag" = String))),
        (status = 403, description = "Role not enough, or `global_admin_protected`.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user in your organisation.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`self_protected` or `last_global_admin`.", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The ETag is stale.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields.", body = Problem, content_type = "application/problem+json")
    )
)]
#[patch("/users/{userId}")]
pub async fn update_user(
    caller: Authorized<ops::ManagePartnerUsers>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    precondition: Precondition,
    body: ValidJson<UpdateUser>,
) -> Result<Tagged<User>, ApiError> {
    let user_id = path.into_inner();
    let patch = body.0;
    let update = UserUpdate {
        display_name: patch.display_name,
        roles: patch.roles,
        disabled: patch.disabled,
    };
    let row = caller
        .change(&state.pool, move |change, caller| {
            service::update(change, caller, user_id, precondition, update)
        })
        .await?;
    Ok(Tagged::new(row.version, User::from(row)))
}

/// Delete a user of your partner organisation; its tokens stop working at once.
///
/// A user management admin cannot delete a global admin (403 `global_admin_protected`); nobody
/// can delete themselves (409 `self_protected`) or the last enabled global admin (409
/// `last_global_admin`).
#[utoipa::path(
    tag = "partner users",
    params(("userId" = Uuid, Path, description = "User id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted."),
        (status = 403, description = "Role not enough, or `global_admin_protected`.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user in your organisation.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`self_protected` or `last_global_admin`.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`userId` is not a UUID.", body = Problem, content_type = "application/problem+json")
    )
)]
#[delete("/users/{userId}")]
pub async fn delete_user(
    caller: Authorized<ops::ManagePartnerUsers>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<NoContent, ApiError> {
    let user_id = path.into_inner();
    caller
        .change(&state.pool, move |change, caller| {
            service::delete(change, caller, user_id)
        })
        .await?;
    Ok(NoContent)
}

/// A user's new temporary password.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PasswordReset {
    /// The user's sign-in name.
    pub user_name: String,
    /// Temporary password, shown only in this response; must be changed at the next sign-in.
    pub temporary_password: String,
}

/// Reset a user's password: a new temporary password, shown once, that the user must change at
/// the next sign-in. The user's current tokens stop working.
///
/// A user management admin cannot reset a global admin (403 `global_admin_protected`).
#[utoipa::path(
    tag = "partner users",
    params(
        ("userId" = Uuid, Path, description = "User id"),
        ("Idempotency-Key" = Option<String>, Header)
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Reset.", body = PasswordReset),
        (status = 403, description = "Role not enough, or `global_admin_protected`.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user in your organisation.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The user changed meanwhile, or the Idempotency-Key is in use.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`userId` is not a UUID.", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/users/{userId}/password-reset")]
pub async fn reset_user_password(
    caller: Authorized<ops::ManagePartnerUsers>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<Json<PasswordReset>, ApiError> {
    let user_id = path.into_inner();
    let (row, temporary_password) = caller
        .change_with(
            &state.pool,
            NewSecret::temporary_password,
            move |change, caller, temporary| {
                service::reset_password(change, caller, user_id, temporary)
            },
        )
        .await?;
    Ok(Json::new(PasswordReset {
        user_name: row.user_name,
        temporary_password,
    }))
}

/// Registers the partner user operations.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_users)
        .service(create_user)
        .service(get_user)
        .service(update_user)
        .service(delete_user)
        .service(reset_user_password);
}

crate::bodies!(User);

// Show a secret once: sealed by the idempotency store, `Cache-Control: no-store`.
crate::secret_bodies!(CreatedUser, PasswordReset);
