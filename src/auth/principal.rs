//! The [`Principal`] extractor: the caller behind a bearer token, reloaded from the database on
//! every request so that a disabled user, a deleted application or a changed role takes effect
//! at once (product.md §7).

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use diesel::prelude::*;
use uuid::Uuid;

use super::jwt::Claims;
use crate::db::{self, AnyConnection};
use crate::domain::Id;
use crate::domain::{ActorKind, Role, TenantKind};
use crate::error::ApiError;
use crate::models::audit::Actor;
use crate::request_id::RequestId;
use crate::schema::{applications, partners, users};
use crate::state::AppState;

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Principal {
    /// A user or an application.
    pub actor_kind: ActorKind,
    /// The user's or application's id.
    pub actor_id: Uuid,
    /// Display name, as written into audit records.
    pub display_name: String,
    /// The kind of the caller's organisation.
    pub tenant_kind: TenantKind,
    /// The caller's partner id, or customer id for customer users.
    pub tenant_id: Uuid,
    /// The caller's current roles.
    pub roles: Vec<Role>,
    /// The request id (`X-Request-Id`), as written into audit records.
    pub request_id: String,
}

impl Principal {
    /// The caller's partner id; 403 `partner_required` for customer users.
    pub fn partner_id(&self) -> Result<Uuid, ApiError> {
        match self.tenant_kind {
            TenantKind::Customer => Err(ApiError::forbidden(
                "partner_required",
                "This operation is for partner users and applications.",
            )),
            _ => Ok(self.tenant_id),
        }
    }

    /// Whether the caller belongs to an indirect provider.
    pub fn is_provider(&self) -> bool {
        self.tenant_kind == TenantKind::IndirectProvider
    }

    /// Whether the caller holds `role`.
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Runs `f` with this caller in one blocking hop, for the operations without a §5 row (they
    /// take the `Principal` extractor instead of [`super::Authorized`], e.g. `GET /v1/me`). `f`
    /// is a service call.
    pub async fn run<T, F>(self, pool: &db::Pool, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut AnyConnection, &Principal) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        db::run(pool, move |conn| f(conn, &self)).await
    }

    /// Loads the principal for verified claims; 401 `token_revoked` if the actor no longer
    /// exists, is disabled, must change its password, has moved tenant, or its credentials
    /// version advanced after the token was issued (issue 8: password change or reset,
    /// disable/enable, role change).
    pub fn load(
        conn: &mut AnyConnection,
        claims: &Claims,
        request_id: String,
    ) -> Result<Principal, ApiError> {
        let gone = ApiError::token_revoked;
        let actor_id: Uuid = claims.sub.parse().map_err(|_| gone())?;
        // One round trip: the actor joined with its partner (none for customer users).
        let (display_name, partner_id, customer_id, roles, partner_kind) = match claims.act {
            ActorKind::User => {
                let user = users::table
                    .left_join(partners::table.on(users::partner_id.eq(partners::id.nullable())))
                    .filter(users::id.eq(Id::from(actor_id)))
                    .select((
                        (
                            users::display_name,
                            users::partner_id,
                            users::customer_id,
                            users::roles,
                        ),
                        (
                            users::disabled,
                            users::must_change_password,
                            users::credentials_version,
                        ),
                        partners::kind.nullable(),
                    ))
                    .first::<(
                        (String, Option<Id>, Option<Id>, String),
                        (bool, bool, i64),
                        Option<String>,
                    )>(conn)
                    .optional()?;
                let ((name, partner_id, customer_id, roles), state, kind) =
                    user.ok_or_else(gone)?;
                let (disabled, must_change_password, credentials_version) = state;
                if disabled || must_change_password || credentials_version != claims.cv {
                    return Err(gone());
                }
                (name, partner_id, customer_id, Role::split(&roles), kind)
            }
            ActorKind::Application => {
                let app = applications::table
                    .inner_join(partners::table.on(applications::partner_id.eq(partners::id)))
                    .filter(applications::id.eq(Id::from(actor_id)))
                    .select((
                        applications::display_name,
                        applications::partner_id,
                        applications::roles,
                        partners::kind,
                    ))
                    .first::<(String, Id, String, String)>(conn)
                    .optional()?;
                let (name, partner_id, roles, kind) = app.ok_or_else(gone)?;
                (
                    name,
                    Some(partner_id),
                    None,
                    Role::split(&roles),
                    Some(kind),
                )
            }
        };
        let (tenant_kind, tenant_id) = match (partner_id, customer_id, partner_kind) {
            (Some(pid), _, Some(kind)) => (
                TenantKind::parse(&kind).unwrap_or(TenantKind::IndirectReseller),
                pid.uuid(),
            ),
            (Some(_), _, None) => return Err(gone()),
            (None, Some(cid), _) => (TenantKind::Customer, cid.uuid()),
            (None, None, _) => return Err(gone()),
        };
        if tenant_id.to_string() != claims.tid {
            return Err(gone());
        }
        Ok(Principal {
            actor_kind: claims.act,
            actor_id,
            display_name,
            tenant_kind,
            tenant_id,
            roles,
            request_id,
        })
    }
}

impl From<&Principal> for Actor {
    /// The caller as the author of an audit record: its kind, id and display name, its partner
    /// (none for customer users) and the request id.
    fn from(p: &Principal) -> Actor {
        Actor {
            kind: p.actor_kind.as_str(),
            id: Some(p.actor_id),
            name: p.display_name.clone(),
            partner_id: (p.tenant_kind != TenantKind::Customer).then_some(p.tenant_id),
            request_id: p.request_id.clone(),
        }
    }
}

/// The bearer token of a request, if any.
pub fn bearer(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

impl FromRequest for Principal {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Principal, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer(req).map(str::to_owned);
        let request_id = req
            .extensions()
            .get::<RequestId>()
            .map(|r| r.0.clone())
            .unwrap_or_default();
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("AppState missing"))?;
            let token = token.ok_or_else(|| {
                ApiError::unauthorized("Sign in first: send `Authorization: Bearer <access token>` from POST /v1/auth/token.")
            })?;
            let claims = state.jwt.verify(&token)?;
            db::run(&state.pool, move |conn| {
                Principal::load(conn, &claims, request_id)
            })
            .await
        })
    }
}
