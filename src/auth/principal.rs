//! The [`Principal`]: the caller behind a bearer token, reloaded from the database on every
//! request (inside the handler's one blocking hop, see `super::authorized`) so that a disabled
//! user, a deleted application or a changed role takes effect at once (docs/api-guide.md).

use actix_web::HttpRequest;
use actix_web::http::header;
use diesel::prelude::*;
use uuid::Uuid;

use super::jwt::Claims;
use crate::db::AnyConnection;
use crate::domain::Id;
use crate::domain::{ActorKind, Role, Roles, TenantKind};
use crate::error::{ApiError, ProblemCode};
use crate::models::audit::Actor;
use crate::models::customer::CustomerRow;
use crate::models::gdap::grants_any;
use crate::models::relationship::RelationshipRow;
use crate::schema::customer_relationships as rel;
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
    /// The relationship read with the caller, if any (see [`Principal::load`]).
    preloaded: Option<Preloaded>,
}

impl Principal {
    /// The caller's partner id; 403 `partner_required` for customer users.
    pub fn partner_id(&self) -> Result<Uuid, ApiError> {
        match self.tenant_kind {
            TenantKind::Customer => Err(ApiError::forbidden(
                ProblemCode::PartnerRequired,
                "This operation is for partner users and applications.",
            )),
            _ => Ok(self.tenant_id),
        }
    }

    /// Whether the caller holds `role`.
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Loads the principal for verified claims; 401 `token_revoked` if the actor no longer
    /// exists, is disabled, must change its password, has moved tenant, or its credentials
    /// version advanced after the token was issued (password change or reset,
    /// disable/enable, role change).
    ///
    /// With `reach = Some(…)` and a partner's token, the same statement also reads the
    /// partner's relationship with that customer joined with the customer, and whether the
    /// caller holds a GDAP grant of one of the reach's delegated roles on it (the caller, the
    /// reach check and the DAP-or-GDAP decision of a customer-scoped read in one round trip);
    /// `visibility::customer` then uses them instead of querying ([`Principal::preloaded`]).
    pub fn load(
        conn: &mut AnyConnection,
        claims: &Claims,
        request_id: String,
        reach: Option<Reaching>,
    ) -> Result<Principal, ApiError> {
        let gone = ApiError::token_revoked;
        let actor_id = Id::from(claims.sub.parse::<Uuid>().map_err(|_| gone())?);
        let reach = reach.filter(|_| claims.tkind != TenantKind::Customer);
        let (actor, found) = match (claims.act, reach) {
            (ActorKind::User, None) => (load_user(conn, actor_id)?, None),
            (ActorKind::Application, None) => (load_application(conn, actor_id)?, None),
            (ActorKind::User, Some(r)) => load_user_reaching(conn, actor_id, r)?.unzip(),
            (ActorKind::Application, Some(r)) => {
                load_application_reaching(conn, actor_id, r)?.unzip()
            }
        };
        let mut principal = actor
            .ok_or_else(gone)?
            .into_principal(actor_id, claims, request_id)?;
        principal.preloaded = reach
            .zip(found)
            .map(|(reaching, (found, granted))| Preloaded {
                reaching,
                found,
                granted,
                locked: false,
            });
        Ok(principal)
    }

    /// As [`Principal::load`] with `reaching`, for a change of that customer's data, inside the
    /// change's transaction: the same statement also locks the customer's and the relationship's
    /// rows as `visibility::customer` does for a change (`RelationshipRow::find_reaching`; on
    /// PostgreSQL `FOR NO KEY UPDATE OF` those two tables only, not the caller's or its partner's
    /// rows, which every concurrent request of the partner reads), so the change reaches the
    /// customer without reading it again: the caller, the reach check and the lock in one round
    /// trip. When that statement finds no row (no relationship, or no such caller), the plain
    /// load answers, so a revoked token is still 401 before a customer outside reach is 404.
    /// A customer user's token reaches nothing (see [`Principal::load`]).
    pub fn load_locking(
        conn: &mut AnyConnection,
        claims: &Claims,
        request_id: String,
        reaching: Reaching,
    ) -> Result<Principal, ApiError> {
        if claims.tkind != TenantKind::Customer
            && let Ok(actor_id) = claims.sub.parse::<Uuid>()
        {
            let actor_id = Id::from(actor_id);
            let locked = match claims.act {
                ActorKind::User => lock_user_reaching(conn, actor_id, reaching)?,
                ActorKind::Application => lock_application_reaching(conn, actor_id, reaching)?,
            };
            if let Some((actor, reach, granted)) = locked {
                let mut principal = actor.into_principal(actor_id, claims, request_id)?;
                principal.preloaded = Some(Preloaded {
                    reaching,
                    found: Some(reach),
                    granted,
                    locked: true,
                });
                return Ok(principal);
            }
        }
        Principal::load(conn, claims, request_id, Some(reaching))
    }

    /// The relationship with the customer of `reaching` joined with the customer, and whether
    /// the caller holds a GDAP grant of one of its delegated roles there, as [`Principal::load`]
    /// or [`Principal::load_locking`] read them with the caller: `Some(…)` when they were read
    /// for this customer and roles and, for a change (`for_change`), locked as it needs.
    pub fn preloaded(&self, reaching: Reaching, for_change: bool) -> Option<(Option<Reach>, bool)> {
        self.preloaded
            .as_ref()
            .filter(|p| p.reaching == reaching && (p.locked || !for_change))
            .map(|p| (p.found.clone(), p.granted))
    }
}

/// A caller that belongs to a partner (an indirect provider or an indirect reseller): what the
/// services of a permission-table row only partners may perform get (`Authorized` narrows the caller once), so
/// they read its partner id without asking. Dereferences to the [`Principal`].
#[derive(Debug, Clone)]
pub struct PartnerCaller {
    principal: Principal,
}

impl PartnerCaller {
    /// The caller's partner id.
    pub fn partner_id(&self) -> Uuid {
        self.principal.tenant_id
    }

    /// Partner user `user_id` as the caller of services outside a request (the demo data is
    /// made through the same services as requests), loaded by the same rules as a request's
    /// caller. Errors: 401 if the user cannot act (as for a token), 403 for a customer user.
    pub fn of_user(
        conn: &mut AnyConnection,
        user_id: Uuid,
        request_id: &str,
    ) -> Result<PartnerCaller, ApiError> {
        let user = crate::models::user::UserRow::find(conn, user_id)?
            .ok_or_else(ApiError::token_revoked)?;
        let (tid, tkind) = match (user.partner_id, user.customer_id) {
            (Some(p), _) => (p.to_string(), TenantKind::IndirectProvider),
            (None, Some(c)) => (c.to_string(), TenantKind::Customer),
            (None, None) => return Err(ApiError::token_revoked()),
        };
        let claims = Claims {
            sub: user_id.to_string(),
            act: ActorKind::User,
            tid,
            tkind,
            roles: Vec::new(),
            iss: String::new(),
            aud: super::jwt::Audience::One(String::new()),
            iat: 0,
            exp: 0,
            jti: String::new(),
            cv: user.credentials_version,
        };
        PartnerCaller::try_from(Principal::load(conn, &claims, request_id.to_owned(), None)?)
    }
}

impl TryFrom<Principal> for PartnerCaller {
    type Error = ApiError;

    /// 403 `partner_required` for a customer user.
    fn try_from(principal: Principal) -> Result<PartnerCaller, ApiError> {
        principal.partner_id()?;
        Ok(PartnerCaller { principal })
    }
}

impl std::ops::Deref for PartnerCaller {
    type Target = Principal;
    fn deref(&self) -> &Principal {
        &self.principal
    }
}

/// A partner's relationship with a customer, joined with the customer.
type Reach = (RelationshipRow, CustomerRow);

/// What a caller's reload read of the customer it reaches: the relationship (if any) and
/// whether the caller holds a GDAP grant of the operation's roles there.
type Found = (Option<Reach>, bool);

/// What a customer-scoped read reaches: the path's customer, and the directory roles (template
/// ids, `,id1,id2,`; empty when the operation needs no delegated admin) a GDAP grant must give
/// the caller there (`permissions::Operation::delegated_role_ids`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reaching {
    /// The customer.
    pub customer_id: Uuid,
    /// The delegated roles of the operation.
    pub delegated_roles: &'static str,
}

/// A relationship read together with the caller (see [`Principal::load`]).
#[derive(Debug, Clone)]
struct Preloaded {
    reaching: Reaching,
    found: Option<Reach>,
    granted: bool,
    /// Read by [`Principal::load_locking`], with the rows locked for the change.
    locked: bool,
}

/// The columns a principal is made of, whichever query read them.
struct Loaded {
    display_name: String,
    user_name: Option<String>,
    partner_id: Option<Id>,
    customer_id: Option<Id>,
    roles: Roles,
    /// Users only: disabled, must change password, credentials version.
    state: Option<(bool, bool, i64)>,
    /// The partner's kind and name.
    partner: Option<(TenantKind, String)>,
    /// A customer user's company name.
    company: Option<String>,
}

/// A user's display name, user name, partner, customer, roles; disabled, must change password,
/// credentials version.
type UserColumns = (
    (String, String, Option<Id>, Option<Id>, Roles),
    (bool, bool, i64),
);

/// An application's display name, partner and roles, with the partner's kind and name.
type ApplicationColumns = (String, Id, Roles, (TenantKind, String));

impl Loaded {
    fn user(
        columns: UserColumns,
        partner: Option<(TenantKind, String)>,
        company: Option<String>,
    ) -> Loaded {
        let ((display_name, user_name, partner_id, customer_id, roles), state) = columns;
        Loaded {
            display_name,
            user_name: Some(user_name),
            partner_id,
            customer_id,
            roles,
            state: Some(state),
            partner,
            company,
        }
    }

    fn application(columns: ApplicationColumns) -> Loaded {
        let (display_name, partner_id, roles, partner) = columns;
        Loaded {
            display_name,
            user_name: None,
            partner_id: Some(partner_id),
            customer_id: None,
            roles,
            state: None,
            partner: Some(partner),
            company: None,
        }
    }

    /// The one home of the rules of [`Principal::load`], for the actor `actor_id` of `claims`.
    fn into_principal(
        self,
        actor_id: Id,
        claims: &Claims,
        request_id: String,
    ) -> Result<Principal, ApiError> {
        let gone = ApiError::token_revoked;
        if let Some((disabled, must_change_password, credentials_version)) = self.state
            && (disabled || must_change_password || credentials_version != claims.cv)
        {
            return Err(gone());
        }
        let (tenant_kind, tenant_id, tenant_name) = match (
            self.partner_id,
            self.customer_id,
            self.partner,
            self.company,
        ) {
            (Some(pid), _, Some((kind, name)), _) => (kind, pid.uuid(), name),
            (None, Some(cid), _, Some(company)) => (TenantKind::Customer, cid.uuid(), company),
            _ => return Err(gone()),
        };
        if tenant_id.to_string() != claims.tid {
            return Err(gone());
        }
        Ok(Principal {
            actor_kind: claims.act,
            actor_id: actor_id.uuid(),
            display_name: self.display_name,
            user_name: self.user_name,
            tenant_kind,
            tenant_id,
            tenant_name,
            roles: self.roles.to_vec(),
            request_id,
            preloaded: None,
        })
    }
}

/// The user's columns (see [`UserColumns`]).
macro_rules! user_columns {
    () => {
        (
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
        )
    };
}

/// The application's columns with its partner's (see [`ApplicationColumns`]).
macro_rules! application_columns {
    () => {
        (
            applications::display_name,
            applications::partner_id,
            applications::roles,
            (partners::kind, partners::name),
        )
    };
}

/// A user with its partner (or, for a customer user, its customer's name).
fn load_user(conn: &mut AnyConnection, id: Id) -> QueryResult<Option<Loaded>> {
    crate::db::on_backend!(conn, |c| {
        users::table
            .left_join(partners::table.on(users::partner_id.eq(partners::id.nullable())))
            .left_join(customers::table.on(users::customer_id.eq(customers::id.nullable())))
            .filter(users::id.eq(id))
            .select((
                user_columns!(),
                (partners::kind, partners::name).nullable(),
                customers::company_name.nullable(),
            ))
            .get_result::<(UserColumns, Option<(TenantKind, String)>, Option<String>)>(c)
            .optional()
            .map(|row| row.map(|(user, partner, company)| Loaded::user(user, partner, company)))
    })
}

/// A partner's user with its partner, the partner's relationship with the customer joined with
/// the customer, and whether the user holds a GDAP grant of one of the delegated roles there.
fn load_user_reaching(
    conn: &mut AnyConnection,
    id: Id,
    reaching: Reaching,
) -> QueryResult<Option<(Loaded, Found)>> {
    let customer_id = reaching.customer_id;
    crate::db::on_backend!(conn, |c| {
        users::table
            .inner_join(partners::table.on(users::partner_id.eq(partners::id.nullable())))
            .left_join(
                rel::table.on(rel::partner_id
                    .nullable()
                    .eq(users::partner_id)
                    .and(rel::customer_id.eq(Id::from(customer_id)))),
            )
            .left_join(customers::table.on(customers::id.eq(rel::customer_id)))
            .filter(users::id.eq(id))
            .select((
                user_columns!(),
                (partners::kind, partners::name),
                Option::<RelationshipRow>::as_select(),
                Option::<CustomerRow>::as_select(),
                grants_any(
                    Id::from(customer_id),
                    id,
                    reaching.delegated_roles.to_owned(),
                ),
            ))
            .get_result::<(
                UserColumns,
                (TenantKind, String),
                Option<RelationshipRow>,
                Option<CustomerRow>,
                bool,
            )>(c)
            .optional()
            .map(|row| {
                row.map(|(user, partner, relationship, customer, granted)| {
                    (
                        Loaded::user(user, Some(partner), None),
                        (relationship.zip(customer), granted),
                    )
                })
            })
    })
}

/// The query of [`lock_user_reaching`] and [`lock_application_reaching`]: the customer, its
/// relationship with the actor's partner, the actor (`$actor`, with the `$columns` of its kind,
/// `$partner_of` its partner id column) and its partner, all inner-joined, customers first (the
/// order `RelationshipRow::find_reaching` locks them in). A macro: the selection's backend
/// differs between the two uses.
macro_rules! locking_query {
    ($actor:ident, $partner_of:expr, $columns:expr, $id:expr, $reaching:expr) => {
        customers::table
            .inner_join(rel::table)
            .inner_join($actor::table.on($partner_of.eq(rel::partner_id)))
            .inner_join(partners::table.on(partners::id.eq(rel::partner_id)))
            .filter($actor::id.eq($id))
            .filter(customers::id.eq(Id::from($reaching.customer_id)))
            .select((
                $columns,
                RelationshipRow::as_select(),
                CustomerRow::as_select(),
                grants_any(
                    Id::from($reaching.customer_id),
                    $id,
                    $reaching.delegated_roles.to_owned(),
                ),
            ))
    };
}

/// A partner's user with its partner, the partner's relationship with the customer joined with
/// the customer, and whether the user holds a GDAP grant of one of the delegated roles there;
/// on PostgreSQL the customer's and the relationship's rows locked (see
/// [`Principal::load_locking`]). `None` without a relationship.
fn lock_user_reaching(
    conn: &mut AnyConnection,
    id: Id,
    reaching: Reaching,
) -> QueryResult<Option<(Loaded, Reach, bool)>> {
    type Row = (
        (UserColumns, (TenantKind, String)),
        RelationshipRow,
        CustomerRow,
        bool,
    );
    let partner_of = users::partner_id.assume_not_null();
    let columns = (user_columns!(), (partners::kind, partners::name));
    let row = match conn {
        AnyConnection::Postgresql(c) => {
            RelationshipRow::locking_reach(locking_query!(users, partner_of, columns, id, reaching))
                .get_result::<Row>(c)
                .optional()?
        }
        AnyConnection::Sqlite(c) => locking_query!(users, partner_of, columns, id, reaching)
            .get_result::<Row>(c)
            .optional()?,
    };
    Ok(
        row.map(|((user, partner), relationship, customer, granted)| {
            (
                Loaded::user(user, Some(partner), None),
                (relationship, customer),
                granted,
            )
        }),
    )
}

/// As [`lock_user_reaching`], for an application.
fn lock_application_reaching(
    conn: &mut AnyConnection,
    id: Id,
    reaching: Reaching,
) -> QueryResult<Option<(Loaded, Reach, bool)>> {
    type Row = (ApplicationColumns, RelationshipRow, CustomerRow, bool);
    let partner_of = applications::partner_id;
    let columns = application_columns!();
    let row = match conn {
        AnyConnection::Postgresql(c) => RelationshipRow::locking_reach(locking_query!(
            applications,
            partner_of,
            columns,
            id,
            reaching
        ))
        .get_result::<Row>(c)
        .optional()?,
        AnyConnection::Sqlite(c) => locking_query!(applications, partner_of, columns, id, reaching)
            .get_result::<Row>(c)
            .optional()?,
    };
    Ok(row.map(|(application, relationship, customer, granted)| {
        (
            Loaded::application(application),
            (relationship, customer),
            granted,
        )
    }))
}

/// An application with its partner.
fn load_application(conn: &mut AnyConnection, id: Id) -> QueryResult<Option<Loaded>> {
    crate::db::on_backend!(conn, |c| {
        applications::table
            .inner_join(partners::table.on(applications::partner_id.eq(partners::id)))
            .filter(applications::id.eq(id))
            .select(application_columns!())
            .get_result::<ApplicationColumns>(c)
            .optional()
            .map(|row| row.map(Loaded::application))
    })
}

/// An application with its partner, the partner's relationship with the customer joined with
/// the customer, and whether the application holds a GDAP grant of one of the delegated roles
/// there.
fn load_application_reaching(
    conn: &mut AnyConnection,
    id: Id,
    reaching: Reaching,
) -> QueryResult<Option<(Loaded, Found)>> {
    let customer_id = reaching.customer_id;
    crate::db::on_backend!(conn, |c| {
        applications::table
            .inner_join(partners::table.on(applications::partner_id.eq(partners::id)))
            .left_join(
                rel::table.on(rel::partner_id
                    .eq(applications::partner_id)
                    .and(rel::customer_id.eq(Id::from(customer_id)))),
            )
            .left_join(customers::table.on(customers::id.eq(rel::customer_id)))
            .filter(applications::id.eq(id))
            .select((
                application_columns!(),
                Option::<RelationshipRow>::as_select(),
                Option::<CustomerRow>::as_select(),
                grants_any(
                    Id::from(customer_id),
                    id,
                    reaching.delegated_roles.to_owned(),
                ),
            ))
            .get_result::<(
                ApplicationColumns,
                Option<RelationshipRow>,
                Option<CustomerRow>,
                bool,
            )>(c)
            .optional()
            .map(|row| {
                row.map(|(application, relationship, customer, granted)| {
                    (
                        Loaded::application(application),
                        (relationship.zip(customer), granted),
                    )
                })
            })
    })
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
