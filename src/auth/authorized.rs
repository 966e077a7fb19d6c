//! The authorization extractor: [`Authorized<P>`] names the permission-table row a handler performs
//! in its signature (`caller: Authorized<ops::CreateCart>`), and answers 401/403 before any
//! path, query or body extractor is polled, so a forbidden caller never learns anything about its
//! body (a helpdesk agent posting `{}` to a cart gets 403, not 422).
//!
//! Two steps, one blocking hop:
//! 1. **At extraction, no I/O**: the bearer token is verified (401) and the roles and tenant kind
//!    it was issued with are checked against the row (403). Those claims are trustworthy for that
//!    purpose because any change to a user's roles, state or password advances its credentials
//!    version and revokes the token, and an application's roles never change.
//! 2. **Inside the handler's one `db::run`** ([`Authorized::run`]): the caller is reloaded
//!    ([`Principal::load`], 401 `token_revoked` if it was disabled, deleted or changed since) and
//!    the row is checked again against its current roles, then the service runs on the same
//!    connection. So a disabled user, a deleted application or a changed role takes effect on the
//!    next request (docs/api-guide.md) without a second trip to the blocking pool. For an operation
//!    that reads a customer's data under `/customers/{customerId}`, the same statement reads the
//!    caller's relationship with that customer and whether the caller holds a GDAP grant of the
//!    row's directory roles there, which `visibility::customer` then uses: caller, reach check,
//!    the DAP-or-GDAP decision and (for `GET /v1/customers/{id}`) the row in one round trip. A
//!    change of that customer's data reloads its caller inside its transaction instead, in the
//!    statement that locks the customer and the relationship ([`Authorized::change`]). A keyed
//!    POST's `Idempotency-Key` is claimed after the reload, before its transaction.
//!
//! Checks answer in one order — authentication, authorization, idempotency, validation — even
//! where a later check ran first: a request refused for its path, query or body before its hop
//! has its caller reloaded by [`confirm_refusals`], so a revoked token is 401 whatever it sends.

use std::future::{Ready, ready};
use std::marker::PhantomData;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};

use super::Principal;
use super::jwt::Claims;
use super::permissions::{self, Operation};
use super::principal::bearer;
use super::principal::{PartnerCaller, Reaching};
use crate::change::Change;
use crate::db::{self, AnyConnection, Pool};
use crate::domain::TenantKind;
use crate::error::ApiError;
use crate::models::audit::Actor;
use crate::models::idempotency_key::PendingKey;
use crate::request_id::LoggedCaller;
use crate::request_id::RequestId;
use crate::state::AppState;

/// A permission-table row as a type, so a handler's signature says who may call it.
pub trait Permission: 'static {
    /// The row.
    const OPERATION: Operation;
    /// Who its callers are: a [`PartnerCaller`] for a row only partners may perform (its
    /// services read the partner id without asking), else a [`Principal`].
    type Caller: Caller;
}

/// The caller a row's services get, narrowed once from the reloaded [`Principal`].
pub trait Caller: Send + Sized + 'static {
    /// Narrows `principal` (already checked against the row, so this cannot fail for a row
    /// that admits only this kind of caller; 403 `partner_required` otherwise).
    fn narrow(principal: Principal) -> Result<Self, ApiError>;

    /// The caller as loaded.
    fn principal(&self) -> &Principal;
}

impl Caller for Principal {
    fn narrow(principal: Principal) -> Result<Principal, ApiError> {
        Ok(principal)
    }

    fn principal(&self) -> &Principal {
        self
    }
}

impl Caller for PartnerCaller {
    fn narrow(principal: Principal) -> Result<PartnerCaller, ApiError> {
        PartnerCaller::try_from(principal)
    }

    fn principal(&self) -> &Principal {
        self
    }
}

/// Picks a row's [`Permission::Caller`] from whether only partners may perform it.
pub struct CallerOf<const PARTNERS_ONLY: bool>;

/// The caller type [`CallerOf`] picks.
pub trait Pick {
    /// The caller type.
    type Caller: Caller;
}

impl Pick for CallerOf<true> {
    type Caller = PartnerCaller;
}

impl Pick for CallerOf<false> {
    type Caller = Principal;
}

/// One zero-sized type per [`Operation`], for `Authorized<ops::…>`.
pub mod ops {
    use super::{CallerOf, Operation, Permission, Pick};

    macro_rules! rows {
        ($($name:ident),* $(,)?) => {$(
            #[doc = concat!("The permission-table row [`Operation::", stringify!($name), "`].")]
            #[derive(Debug)]
            pub struct $name;
            impl Permission for $name {
                const OPERATION: Operation = Operation::$name;
                type Caller = <CallerOf<{ Operation::$name.partners_only() }> as Pick>::Caller;
            }
        )*};
    }

    crate::auth::permissions::operations!(names rows);
}

/// A caller whose token allows the operation `P`. Errors at extraction: 401 `unauthorized`
/// (no or bad bearer token), 403 `insufficient_role`, `indirect_provider_required`,
/// `indirect_reseller_required`, `partner_required` or `customer_required` (see
/// [`permissions::check`]).
pub struct Authorized<P: Permission> {
    claims: Claims,
    request_id: String,
    /// The request's `Idempotency-Key` (its format checked at extraction), claimed in the hop
    /// after the caller was reloaded, and marked committed by the
    /// change the request makes.
    claim: Option<PendingKey>,
    /// Set once the caller was reloaded (see [`confirm_refusals`]).
    reloaded: Reloaded,
    /// The path's `{customerId}`: the caller's reload reads the relationship with it in the
    /// same statement (for a change of the customer's data, inside the change, locking it).
    customer: Option<uuid::Uuid>,
    row: PhantomData<fn() -> P>,
}

impl<P: Permission> Authorized<P> {
    /// Reloads the caller on `conn` and checks `P` against its current roles: 401
    /// `token_revoked` or 403 as at extraction.
    pub fn caller(&self, conn: &mut AnyConnection) -> Result<P::Caller, ApiError> {
        self.reloaded.mark();
        // A change of the customer's data reads the relationship again, locking it
        // (`visibility::customer`), unless it is reloaded by `caller_locking`.
        let reaching = self
            .customer
            .filter(|_| !P::OPERATION.changes_customer_data())
            .map(Self::reaching);
        let principal = Principal::load(conn, &self.claims, self.request_id.clone(), reaching)?;
        Self::checked(principal)
    }

    /// As [`Authorized::caller`], inside a change of `customer_id`'s data: the same statement
    /// locks the customer and the caller's relationship with it (`Principal::load_locking`).
    fn caller_locking(
        &self,
        conn: &mut AnyConnection,
        customer_id: uuid::Uuid,
    ) -> Result<P::Caller, ApiError> {
        self.reloaded.mark();
        let principal = Principal::load_locking(
            conn,
            &self.claims,
            self.request_id.clone(),
            Self::reaching(customer_id),
        )?;
        Self::checked(principal)
    }

    /// What the operation reaches of `customer_id`.
    fn reaching(customer_id: uuid::Uuid) -> Reaching {
        Reaching {
            customer_id,
            delegated_roles: P::OPERATION.delegated_role_ids(),
        }
    }

    /// The reloaded `principal` checked against `P` (403 as at extraction) and narrowed.
    fn checked(principal: Principal) -> Result<P::Caller, ApiError> {
        permissions::require(&principal, P::OPERATION)?;
        P::Caller::narrow(principal)
    }

    /// Runs `f` with the reloaded caller in one blocking hop on one pooled connection (the
    /// request's only trip to the blocking pool), outside any transaction: for reads. A write
    /// uses [`Authorized::change`].
    pub async fn run<T, F>(self, pool: &Pool, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut AnyConnection, &P::Caller) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        db::run(pool, move |conn| {
            let caller = self.caller(conn)?;
            f(conn, &caller)
        })
        .await
    }

    /// Runs `f` as one change of the reloaded caller (`crate::change::Change`: one transaction
    /// with its audit records, events and idempotency mark) in one blocking hop on one pooled
    /// connection. Errors: 401/403 as [`Authorized::caller`], then whatever `f` returns (nothing
    /// is written then).
    ///
    /// A partner's change of the data of the customer in its path, without an
    /// `Idempotency-Key` to claim first, reloads its caller inside the transaction, in the
    /// statement that locks the customer and the relationship ([`Principal::load_locking`]):
    /// one round trip fewer than reloading before it.
    pub async fn change<T, F>(self, pool: &Pool, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut Change<'_>, &P::Caller) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let locking = self.customer.filter(|_| {
            P::OPERATION.changes_customer_data()
                && self.claim.is_none()
                && self.claims.tkind != TenantKind::Customer
        });
        let Some(customer_id) = locking else {
            return self
                .change_with(pool, || Ok(()), move |change, caller, ()| f(change, caller))
                .await;
        };
        db::run(pool, move |conn| {
            Change::run_by(
                conn,
                None,
                |conn| {
                    let caller = self.caller_locking(conn, customer_id)?;
                    Ok((Actor::from(caller.principal()), caller))
                },
                |change, caller| f(change, &caller),
            )
        })
        .await
    }

    /// As [`Authorized::change`], with `prepare` run after the caller is authorized and before
    /// the transaction opens, its value handed to `f`: for work that must not hold a lock, such
    /// as hashing a secret that the change stores (`auth::password::NewSecret`).
    pub async fn change_with<A, T, Q, F>(self, pool: &Pool, prepare: Q, f: F) -> Result<T, ApiError>
    where
        Q: FnOnce() -> Result<A, ApiError> + Send + 'static,
        F: FnOnce(&mut Change<'_>, &P::Caller, A) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        db::run(pool, move |conn| {
            let caller = self.caller(conn)?;
            let claimed = match &self.claim {
                Some(key) => key.claim(conn)?,
                None => None,
            };
            let prepared = prepare()?;
            Change::run(
                conn,
                Actor::from(caller.principal()),
                claimed.as_ref(),
                |change| f(change, &caller, prepared),
            )
        })
        .await
    }

    /// The caller's tenant (partner or customer) id as the token names it (checked again by
    /// [`Authorized::caller`]).
    pub fn tenant_id(&self) -> &str {
        &self.claims.tid
    }
}

impl<P: Permission> FromRequest for Authorized<P> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authorize(req))
    }
}

/// A caller with a valid bearer token, for the one operation open to every signed-in caller
/// (`GET /v1/me`, no permission-table row). Errors at extraction: 401 `unauthorized`.
pub struct Authenticated {
    claims: Claims,
    request_id: String,
}

impl Authenticated {
    /// Runs `f` with the reloaded caller (401 `token_revoked` as for [`Authorized::run`]) in one
    /// blocking hop on one pooled connection.
    pub async fn run<T, F>(self, pool: &Pool, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut AnyConnection, &Principal) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        db::run(pool, move |conn| {
            let caller = Principal::load(conn, &self.claims, self.request_id, None)?;
            f(conn, &caller)
        })
        .await
    }
}

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req).map(|(claims, request_id)| Authenticated { claims, request_id }))
    }
}

/// The verified claims of the request's bearer token and its request id (401 `unauthorized`
/// without a valid token). No I/O.
fn authenticate(req: &HttpRequest) -> Result<(Claims, String), ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::internal("AppState missing"))?;
    let token = bearer(req).ok_or_else(|| {
        ApiError::unauthorized(
            "Sign in first: send `Authorization: Bearer <access token>` from POST /v1/auth/token.",
        )
    })?;
    let claims = state.jwt.verify(token)?;
    req.extensions_mut().insert(LoggedCaller {
        caller: format!("{}:{}", claims.act.as_str(), claims.sub),
        tenant: claims.tid.clone(),
    });
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    Ok((claims, request_id))
}

fn authorize<P: Permission>(req: &HttpRequest) -> Result<Authorized<P>, ApiError> {
    let (claims, request_id) = authenticate(req)?;
    permissions::check(&claims.roles, claims.tkind, P::OPERATION)?;
    let customer = req
        .match_info()
        .get("customerId")
        .and_then(|id| id.parse().ok());
    // Idempotency comes after authentication and authorization, before validation.
    let claim = req.extensions().get::<PendingKey>().cloned();
    if let Some(key) = &claim {
        key.admit(format!("{}:{}", claims.act.as_str(), claims.sub))?;
    }
    let reloaded = Reloaded::default();
    req.extensions_mut().insert(Verified {
        claims: claims.clone(),
        request_id: request_id.clone(),
        operation: P::OPERATION,
        reloaded: reloaded.clone(),
    });
    Ok(Authorized {
        claims,
        request_id,
        claim,
        reloaded,
        customer,
        row: PhantomData,
    })
}

/// Whether the request's caller was reloaded (shared with the hop's blocking thread).
#[derive(Debug, Clone, Default)]
struct Reloaded(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl Reloaded {
    fn mark(&self) {
        self.0.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    fn done(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// What extraction verified of an authorized caller, in the request's extensions for
/// [`confirm_refusals`].
#[derive(Clone)]
struct Verified {
    claims: Claims,
    request_id: String,
    operation: Operation,
    reloaded: Reloaded,
}

/// Middleware keeping authentication first when a request fails before its hop: a request
/// whose token and roles passed extraction but whose path, query or body was then refused (4xx
/// other than 401/403) never reloaded its caller; the caller is reloaded now and, when it was
/// revoked or its roles changed since the token was issued, the answer is that 401/403 instead.
/// Costs a database trip only on those refusals; the request's hop reloads the caller otherwise.
pub async fn confirm_refusals(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    use actix_web::ResponseError;
    use actix_web::http::StatusCode;
    let res = next.call(req).await?.map_into_boxed_body();
    let status = res.status();
    if !status.is_client_error()
        || status == StatusCode::UNAUTHORIZED
        || status == StatusCode::FORBIDDEN
    {
        return Ok(res);
    }
    let verified = res.request().extensions().get::<Verified>().cloned();
    let Some(verified) = verified.filter(|v| !v.reloaded.done()) else {
        return Ok(res);
    };
    let Some(state) = res.request().app_data::<web::Data<AppState>>().cloned() else {
        return Ok(res);
    };
    let checked = db::run(&state.pool, move |conn| {
        let principal = Principal::load(conn, &verified.claims, verified.request_id, None)?;
        permissions::require(&principal, verified.operation)
    })
    .await;
    match checked {
        Err(e) if e.status == StatusCode::UNAUTHORIZED || e.status == StatusCode::FORBIDDEN => {
            let (req, _) = res.into_parts();
            Ok(actix_web::dev::ServiceResponse::new(
                req,
                e.error_response(),
            ))
        }
        _ => Ok(res),
    }
}
