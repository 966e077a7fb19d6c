//! Customer users (product.md §2, §5, §9): a partner with delegated admin privileges (DAP) on a
//! customer lists the customer's users and resets a user's password to a temporary one, shown
//! once and to be changed at the next sign-in. Without DAP these answer 403
//! `delegated_admin_required`.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::permissions::Operation;
use crate::auth::{Principal, password, visibility};
use crate::db;
use crate::domain::Role;
use crate::error::{ApiError, Problem};
use crate::extract::ValidQuery;
use crate::idempotency;
use crate::models::audit::{Actor, Audit};
use crate::models::user::{UserChanges, UserRow};
use crate::models::{ids, utc};
use crate::paging::{Page, PageParams};
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
            id: ids::parse(&u.id),
            roles: Role::split(&u.roles),
            user_name: u.user_name,
            display_name: u.display_name,
            must_change_password: u.must_change_password,
            disabled: u.disabled,
            created_at: utc(u.created_at),
            updated_at: utc(u.updated_at),
        }
    }
}

/// Paging of a customer's users.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CustomerUserQuery {
    /// Items per page, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `nextCursor` of the previous page.
    pub cursor: Option<String>,
}

/// List a customer's users (needs DAP).
#[utoipa::path(
    tag = "customer users",
    params(("customerId" = Uuid, Path, description = "Customer id"), CustomerUserQuery),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "One page of users, oldest first.", body = Page<CustomerUser>),
        (status = 401, description = "Not signed in.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role not enough, or `delegated_admin_required`.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer within reach.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`customerId` is not a UUID, or bad `limit` or `cursor`.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/customers/{customerId}/users")]
pub async fn list_customer_users(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    path: web::Path<Uuid>,
    query: ValidQuery<CustomerUserQuery>,
) -> Result<HttpResponse, ApiError> {
    let customer_id = path.into_inner();
    let q = query.0;
    let page = PageParams {
        limit: q.limit,
        cursor: q.cursor,
    }
    .validate()?;
    let p = page.clone();
    let rows = db::run(&state.pool, move |conn| {
        visibility::customer(
            conn,
            &principal,
            customer_id,
            Operation::ManageCustomerUsers,
        )?;
        Ok(UserRow::page(
            conn,
            customer_id,
            true,
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
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "Reset.", body = CustomerUserCredentials),
        (status = 401, description = "Not signed in.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role not enough, or `delegated_admin_required`.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer within reach, or no such user of it.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The user changed meanwhile (retry), or the Idempotency-Key is in use.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`customerId` or `userId` is not a UUID.", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/customers/{customerId}/users/{userId}/password-reset")]
pub async fn reset_customer_user_password(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (customer_id, user_id) = path.into_inner();
    let credentials = db::run(&state.pool, move |conn| {
        visibility::customer(
            conn,
            &principal,
            customer_id,
            Operation::ManageCustomerUsers,
        )?;
        let temporary_password = password::temporary();
        let hash = password::hash(&temporary_password)?;
        db::transaction(conn, |conn| {
            // Re-checked inside the transaction: DAP may have been removed meanwhile.
            visibility::customer(
                conn,
                &principal,
                customer_id,
                Operation::ManageCustomerUsers,
            )?;
            let user = UserRow::find_for_customer(conn, customer_id, user_id)?
                .ok_or_else(|| ApiError::not_found("The user"))?;
            let changes = UserChanges {
                password_hash: Some(hash),
                must_change_password: Some(true),
                ..Default::default()
            };
            if !UserRow::update(conn, &user.id, user.version, &changes)? {
                return Err(ApiError::conflict(
                    "concurrent_update",
                    "The user changed while its password was being reset; retry.",
                ));
            }
            Audit::new("reset_customer_user_password", "user", &user.id)
                .customer(customer_id)
                .new_value(
                    serde_json::json!({ "userName": user.user_name, "mustChangePassword": true }),
                )
                .write(conn, &Actor::from(&principal))?;
            Ok(CustomerUserCredentials {
                user_name: user.user_name,
                temporary_password,
            })
        })
    })
    .await?;
    Ok(idempotency::shown_once(
        HttpResponse::Ok().json(credentials),
    ))
}

/// Registers the customer-user operations.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_customer_users)
        .service(reset_customer_user_password);
}
