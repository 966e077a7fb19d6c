//! Signing in and changing a password (docs/api-guide.md), and who is signed in.
//!
//! Both workflows take the same steps:
//! 1. one database hop reserves an attempt in the throttling buckets (per name and address, per
//!    address; [`Buckets`]) and finds the account — the reservation is a compare-and-swap in
//!    autocommit, never inside a transaction, so concurrent attempts cannot all slip through;
//! 2. the secret is checked on the hashing pool (`state.hasher`), outside the database; an
//!    unknown name costs as much as a wrong secret; when every hashing thread is busy the
//!    attempt is given back and the answer is 503 `sign_in_busy`;
//! 3. a right secret gives the attempt back (failures count, successes don't) and — for a
//!    password change — the new hash, the credentials version (revoking every earlier token) and
//!    the `change_password` audit record are written in one transaction.

use actix_web::http::StatusCode;

use crate::auth::password;
use crate::change::Change;
use crate::db::{self, AnyConnection};
use crate::domain::ActorKind;
use crate::domain::AuditOperation;
use crate::error::{ApiError, FieldError, ProblemCode};
use crate::models::application::ApplicationRow;
use crate::models::audit::{Actor, Audit};
use crate::models::partner::PartnerRow;
use crate::models::sign_in_throttle::{Buckets, Spent};
use crate::models::user::{UserChanges, UserRow};
use crate::state::AppState;

use super::tokens::user_claims;
use super::tokens::{Issued, Outcome, TokenClaims};

/// The credentials of a token request (RFC 6749 §4.3 and §4.4).
#[derive(Debug)]
pub enum Grant {
    /// A user's sign-in name and password.
    Password {
        /// Sign-in name.
        username: String,
        /// Password.
        password: String,
    },
    /// A refresh token from an earlier password sign-in (RFC 6749 §6).
    Refresh {
        /// The refresh token.
        refresh_token: String,
    },
    /// An application's client credentials.
    Client {
        /// Client id.
        client_id: String,
        /// Client secret.
        client_secret: String,
    },
}

/// Who a credential belongs to, as the first database hop of a sign-in finds it.
struct Candidate {
    /// The stored argon2 hash, `None` for an unknown name (a dummy hash is checked instead).
    hash: Option<String>,
    /// Why a correct credential still cannot sign in (disabled, temporary password).
    refusal: Option<(&'static str, &'static str)>,
    /// The token to issue for a correct credential.
    token: Option<TokenClaims>,
}

impl Candidate {
    /// No account by that name.
    fn unknown() -> Candidate {
        Candidate {
            hash: None,
            refusal: None,
            token: None,
        }
    }
}

/// The throttling buckets of an attempt by `name` from `address`.
fn attempt_buckets(state: &AppState, kind: &str, name: &str, address: &str) -> Buckets {
    Buckets::for_attempt(
        kind,
        name,
        address,
        state.config.token_rate_limit_per_minute,
        state.config.sign_in_address_limit_per_minute,
        state.config.sign_in_address_total_per_minute,
    )
}

fn find_user(conn: &mut AnyConnection, username: &str) -> Result<Candidate, ApiError> {
    let Some(user) = UserRow::find_by_user_name(conn, username)? else {
        return Ok(Candidate::unknown());
    };
    let refusal = if user.disabled {
        Some(("invalid_grant", "This account is disabled."))
    } else if user.must_change_password {
        Some((
            "password_change_required",
            "This account has a temporary password: change it with POST /v1/auth/password, then sign in with the new one.",
        ))
    } else {
        None
    };
    Ok(Candidate {
        token: Some(user_claims(conn, &user)?),
        hash: Some(user.password_hash),
        refusal,
    })
}

fn find_application(conn: &mut AnyConnection, client_id: &str) -> Result<Candidate, ApiError> {
    let Some(app) = ApplicationRow::find_by_client_id(conn, client_id)? else {
        return Ok(Candidate::unknown());
    };
    let partner = PartnerRow::find(conn, app.partner_id.uuid())?
        .ok_or_else(|| ApiError::internal("application without partner"))?;
    Ok(Candidate {
        hash: Some(app.secret_hash),
        refusal: None,
        token: Some((
            ActorKind::Application,
            app.id.uuid(),
            partner.tenant_kind(),
            app.partner_id.uuid(),
            app.roles.to_vec(),
            0,
        )),
    })
}

/// Step 1 (one hop): reserves an attempt in `buckets` and, unless one is spent, finds the
/// account with `find`.
async fn reserve_and_find<T, F>(
    state: &AppState,
    buckets: &Buckets,
    find: F,
) -> Result<Result<T, Spent>, ApiError>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let buckets = buckets.clone();
    db::run(&state.pool, move |conn| {
        if let Err(spent) = buckets.reserve(conn)? {
            return Ok(Err(spent));
        }
        Ok(Ok(find(conn)?))
    })
    .await
}

/// Step 2: checks `secret` against `hash` on the hashing pool (an unknown name, `None`, costs as
/// much as a wrong secret). When every hashing thread is busy, gives the attempt back and
/// answers 503 `sign_in_busy` — not the caller's failure.
async fn check_secret(
    state: &AppState,
    buckets: &Buckets,
    secret: String,
    hash: Option<String>,
) -> Result<bool, ApiError> {
    let checked = state
        .hasher
        .run(move || match hash {
            Some(hash) => password::verify(&secret, &hash),
            None => {
                password::burn_time();
                false
            }
        })
        .await;
    match checked {
        Ok(right) => Ok(right),
        Err(busy) => {
            let buckets = buckets.clone();
            db::run(&state.pool, move |conn| Ok(buckets.refund_all(conn)?)).await?;
            Err(busy)
        }
    }
}

/// Signs in with `grant` from the client `address` (see the module documentation): a token for
/// a right credential of an account that may sign in; otherwise the OAuth refusal
/// (`invalid_grant`, `invalid_client`, `password_change_required`) or the spent bucket. Errors:
/// 503 `sign_in_busy`.
pub async fn token(state: &AppState, grant: Grant, address: &str) -> Result<Outcome, ApiError> {
    let (buckets, secret, wrong, found) = match grant {
        Grant::Password { username, password } => {
            let buckets = attempt_buckets(state, "user", &username, address);
            let found =
                reserve_and_find(state, &buckets, move |conn| find_user(conn, &username)).await?;
            let wrong = Outcome::Refused(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                "The user name or password is incorrect.",
            );
            (buckets, password, wrong, found)
        }
        Grant::Client {
            client_id,
            client_secret,
        } => {
            let buckets = attempt_buckets(state, "client", &client_id, address);
            let found = reserve_and_find(state, &buckets, move |conn| {
                find_application(conn, &client_id)
            })
            .await?;
            let wrong = Outcome::Refused(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "The client id or secret is incorrect.",
            );
            (buckets, client_secret, wrong, found)
        }
        Grant::Refresh { refresh_token } => {
            return super::refresh_tokens::exchange(state, refresh_token).await;
        }
    };
    let candidate = match found {
        Ok(candidate) => candidate,
        Err(spent) => return Ok(Outcome::Throttled(spent)),
    };
    if !check_secret(state, &buckets, secret, candidate.hash).await? {
        return Ok(wrong);
    }
    let claims = candidate
        .token
        .ok_or_else(|| ApiError::internal("verified credential without account"))?;
    let refusal = candidate.refusal;
    let ttl_days = state.config.refresh_token_ttl_days;
    // One hop: the attempt given back and, for a user who may sign in, a new refresh family.
    let (act, sub, cv) = (claims.0, claims.1, claims.5);
    let starts_family = act == ActorKind::User && refusal.is_none() && ttl_days > 0;
    let refresh_token = db::run(&state.pool, move |conn| {
        buckets.refund(conn)?;
        if !starts_family {
            return Ok(None);
        }
        super::refresh_tokens::start(conn, sub, cv, ttl_days).map(Some)
    })
    .await?;
    if let Some((error, description)) = refusal {
        return Ok(Outcome::Refused(
            StatusCode::BAD_REQUEST,
            error,
            description,
        ));
    }
    let (act, sub, tkind, tid, roles, cv) = claims;
    let (access_token, expires_in) = state.jwt.issue(act, sub, tkind, tid, roles, cv)?;
    Ok(Outcome::Issued(Issued {
        access_token,
        expires_in,
        refresh_token,
    }))
}

/// A password change as the user asked for it.
#[derive(Debug)]
pub struct PasswordChange {
    /// The sign-in name.
    pub username: String,
    /// The current (possibly temporary) password.
    pub current_password: String,
    /// The new password.
    pub new_password: String,
}

/// 422 naming `newPassword` when the new password breaks the policy (`policy`) or equals the
/// current one (`unchanged`).
fn check_new_password(change: &PasswordChange) -> Result<(), ApiError> {
    if let Err(why) = password::check_policy(&change.new_password) {
        return Err(ApiError::validation(vec![FieldError::new(
            "newPassword",
            "policy",
            why,
        )]));
    }
    if change.new_password == change.current_password {
        return Err(ApiError::validation(vec![FieldError::new(
            "newPassword",
            "unchanged",
            "must differ from the current password",
        )]));
    }
    Ok(())
}

/// Changes a user's password — also a temporary one, so no token is needed — from the client
/// `address` (see the module documentation); the change is audited as done by the user, with
/// `request_id`. Errors: 422 on `newPassword` (checked first), 429 `rate_limited` when a bucket
/// is spent, 401 `invalid_credentials` (unknown or disabled user, wrong current password), 503
/// `sign_in_busy`, 409 `concurrent_update` when the account changed meanwhile.
pub async fn change_password(
    state: &AppState,
    change: PasswordChange,
    address: &str,
    request_id: String,
) -> Result<(), ApiError> {
    check_new_password(&change)?;
    let buckets = attempt_buckets(state, "user", &change.username, address);
    let username = change.username;
    let user = reserve_and_find(state, &buckets, move |conn| {
        Ok(UserRow::find_by_user_name(conn, &username)?)
    })
    .await?
    .map_err(ApiError::from)?;
    let hash = user
        .as_ref()
        .filter(|u| !u.disabled)
        .map(|u| u.password_hash.clone());
    let right = check_secret(state, &buckets, change.current_password, hash).await?;
    let user = match user {
        Some(user) if right => user,
        _ => {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                ProblemCode::InvalidCredentials,
                "The user name or current password is incorrect.",
            ));
        }
    };
    let new_password = change.new_password;
    let new_hash = state
        .hasher
        .run(move || password::hash(&new_password))
        .await??;
    db::run(&state.pool, move |conn| {
        set_own_password(conn, &buckets, &user, new_hash, request_id)
    })
    .await
}

/// Step 3 of a password change, in one transaction: gives the attempt back, stores the new hash
/// (no temporary password any more; the credentials version advances, revoking every earlier
/// token) and writes `change_password` as done by the user. Errors: 409 `concurrent_update`
/// when the account changed since it was read (the attempt then stays counted).
fn set_own_password(
    conn: &mut AnyConnection,
    buckets: &Buckets,
    user: &UserRow,
    new_hash: String,
    request_id: String,
) -> Result<(), ApiError> {
    Change::run(conn, Actor::user(user, request_id), None, |change| {
        buckets.refund(change.conn())?;
        let changes = UserChanges {
            password_hash: Some(new_hash),
            must_change_password: Some(false),
            ..Default::default()
        };
        if !UserRow::update(change.conn(), &user.id, user.version, &changes)? {
            return Err(ApiError::conflict(
                ProblemCode::ConcurrentUpdate,
                "The account changed meanwhile; retry.",
            ));
        }
        let mut audit = Audit::new(AuditOperation::ChangePassword, user.id);
        if let Some(c) = user.customer_id {
            audit = audit.customer(c.uuid());
        }
        change.audit(audit);
        Ok(())
    })
}
