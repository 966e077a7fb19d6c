//! The [`Principal`]: the caller behind a bearer token, reloaded from the database on every
//! request (inside the handler's one blocking hop, see `super::authorized`) so that a disabled
//! user, a deleted application or a changed role takes effect at once (product.md §7).

use actix_web::HttpRequest;
use actix_web::http::header;
use diesel::prelude::*;
use uuid::Uuid;

use super::jwt::Claims;
use crate::db::AnyConnection;
use crate::domain::Id;
use crate::domain::{ActorKind, Role, TenantKind};
use crate::error::ApiError;
use crate::models::audit::Actor;
use crate::schema::{applications, customers, partners, users};

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Principal {
    /// A user or an application.
    pub actor_kind: ActorKind,
    /// The user's or application's id.
    pub actor_id: Uuid,
    /// Display name, as written into audit records.
    pub display_name: String,
    /// The user's sign-in name (`None` for applications).
    pub user_name: Option<String>,
    /// The kind of the caller's organisation.
    pub tenant_kind: TenantKind,
    /// The caller's partner id, or customer id for customer users.
    pub tenant_id: Uuid,
    /// The organisation's name (partner name or customer company name).
    pub tenant_name: String,
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
        // One round trip: the actor joined with its partner (or, for a customer user, its
        // customer), with the names `GET /v1/me` shows.
        let (display_name, user_name, partner_id, customer_id, roles, partner, company) =
            match claims.act {
                ActorKind::User => {
                    let user = users::table
                        .left_join(
                            partners::table.on(users::partner_id.eq(partners::id.nullable())),
                        )
                        .left_join(
                            customers::table.on(users::customer_id.eq(customers::id.nullable())),
                        )
                        .filter(users::id.eq(Id::from(actor_id)))
                        .select((
                            (
                                users::display_name,
                                users::user_name,
                                users::partner_id,
                                users::customer_id,
                                users::roles,
                            ),
                            (
                                users::disabled,
                                users::must_change_password,
                                users::credentials_version,
                            ),
                            (partners::kind, partners::name).nullable(),
                            customers::company_name.nullable(),
                        ))
                        .get_result::<(
                            (String, String, Option<Id>, Option<Id>, String),
                            (bool, bool, i64),
                            Option<(String, String)>,
                            Option<String>,
                        )>(conn)
                        .optional()?;
                    let (
                        (name, user_name, partner_id, customer_id, roles),
                        state,
                        partner,
                        company,
                    ) = user.ok_or_else(gone)?;
                    let (disabled, must_change_password, credentials_version) = state;
                    if disabled || must_change_password || credentials_version != claims.cv {
                        return Err(gone());
                    }
                    let roles = Role::split(&roles);
                    (
                        name,
                        Some(user_name),
                        partner_id,
                        customer_id,
                        roles,
                        partner,
                        company,
                    )
                }
                ActorKind::Application => {
                    let app = applications::table
                        .inner_join(partners::table.on(applications::partner_id.eq(partners::id)))
                        .filter(applications::id.eq(Id::from(actor_id)))
                        .select((
                            applications::display_name,
                            applications::partner_id,
                            applications::roles,
                            (partners::kind, partners::name),
                        ))
                        .get_result::<(String, Id, String, (String, String))>(conn)
                        .optional()?;
                    let (name, partner_id, roles, partner) = app.ok_or_else(gone)?;
                    let roles = Role::split(&roles);
                    (
                        name,
                        None,
                        Some(partner_id),
                        None,
                        roles,
                        Some(partner),
                        None,
                    )
                }
            };
        let (tenant_kind, tenant_id, tenant_name) =
            match (partner_id, customer_id, partner, company) {
                (Some(pid), _, Some((kind, name)), _) => (
                    TenantKind::parse(&kind).unwrap_or(TenantKind::IndirectReseller),
                    pid.uuid(),
                    name,
                ),
                (None, Some(cid), _, Some(company)) => (TenantKind::Customer, cid.uuid(), company),
                _ => return Err(gone()),
            };
        if tenant_id.to_string() != claims.tid {
            return Err(gone());
        }
        Ok(Principal {
            actor_kind: claims.act,
            actor_id,
            display_name,
            user_name,
            tenant_kind,
            tenant_id,
            tenant_name,
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
