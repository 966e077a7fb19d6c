//! Customer users (docs/concepts.md#relationships, #roles-and-permissions): a partner with delegated admin privileges (DAP) on a
//! customer lists the customer's users and resets a user's password to a temporary one, shown
//! once and to be changed at the next sign-in. Without DAP these answer 403
//! `delegated_admin_required`.

use actix_web::{get, post, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::password::NewSecret;
use crate::auth::{Authorized, ops};
use crate::domain::Role;
use crate::error::{ApiError, Problem};
use crate::models::user::UserRow;
use crate::models::utc;
use crate::paging::{Page, PageParams, Paged};
use crate::respond::Json;
use crate::services::customer_users as service;
use crate::state::AppState;

/// A customer's user.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CustomerUser {
    /// User id.
    pub id: Uuid,
    /// Sign-in name.
    pub user_name: String,
    /// Display name.
    pub display_name: String,
    /// Roles (`customer_admin`).
    pub roles: Vec<Role>,
    /// Whether the user must change a temporary password at the next sign-in.
    pub must_change_password: bool,
    /// Whether the user is disabled.
    pub disabled: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<UserRow> for CustomerUser {
    fn from(u: UserRow) -> CustomerUser {
        CustomerUser {
            id: u.id.uuid(),
            roles: u.roles.to_vec(),
            user_name: u.user_name,
            display_name: u.display_name,
            must_change_password: u.must_change_password,
            disabled: u.disabled,
            created_at: utc(u.created_at),
            updated_at: utc(u.updated_at),
        }
    }
}

/// List a customer's users (needs DAP).
#[utoipa::path(
    tag = "customer users",
    params(("customerId" = Uuid, Path, description = "Customer id"), PageParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of users, oldest first.", body = Page<CustomerUser>),
        (status = 403, description = "Role not enough, or `delegated_admin_required`.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer within reach.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`customerId` is not a UUID, or bad `limit` or `cursor`.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/customers/{customerId}/users")]
pub async fn list_customer_users(
    caller: Authorized<ops::ListCustomerUsers>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    query: Paged,
) -> Result<Json<Page<CustomerUser>>, ApiError> {
    let customer_id = path.into_inner();
    let page = query.page.clone();
    let rows = caller
        .run(&state.pool, move |conn, caller| {
            service::list(conn, caller, customer_id, &page)
        })
        .await?;
    Ok(Json::new(query.answer(
        rows,
        |r| r.id.as_str(),
        CustomerUser::from,
    )))
}

/// A reset password: the temporary password, shown only in this response.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CustomerUserCredentials {
    /// Sign-in name.
    pub user_name: String,
    /// Temporary password; the user must change it at the next sign-in
    /// (`POST /v1/auth/password`).
    pub temporary_password: String,
}

/// Reset a customer user's password (needs DAP).
///
/// The user gets a temporary password, shown only in this response, and must change it at the
/// next sign-in; access tokens issued before stop working.
#[utoipa::path(
    tag = "customer users",
    params(
        ("customerId" = Uuid, Path, description = "Customer id"),
        ("userId" = Uuid, Path, description = "The customer user's id"),
        ("Idempotency-Key" = Option<String>, Header)
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Reset.", body = CustomerUserCredentials),
        (status = 403, description = "Role not enough, or `delegated_admin_required`.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer within reach, or no such user of it.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The user changed meanwhile (retry), or the Idempotency-Key is in use.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`customerId` or `userId` is not a UUID.", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/customers/{customerId}/users/{userId}/password-reset")]
pub async fn reset_customer_user_password(
    caller: Authorized<ops::ResetCustomerUserPassword>,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<Json<CustomerUserCredentials>, ApiError> {
    let (customer_id, user_id) = path.into_inner();
    let (user, temporary_password) = caller
        .change_with(
            &state.pool,
            NewSecret::temporary_password,
            move |change, caller, temporary| {
                service::reset_password(change, caller, customer_id, user_id, temporary)
            },
        )
        .await?;
    Ok(Json::new(CustomerUserCredentials {
        user_name: user.user_name,
        temporary_password,
    }))
}

/// Registers the customer-user operations.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_customer_users)
        .service(reset_customer_user_password);
}

crate::bodies!(CustomerUser);

// Show a secret once: sealed by the idempotency store, `Cache-Control: no-store`.
crate::secret_bodies!(CustomerUserCredentials);
