//! What a token request gets ([`Outcome`], [`Issued`]) and the claims of a user's token
//! ([`user_claims`]): shared by password sign-in (`services::sign_in`) and refresh-token
//! exchange (`services::refresh_tokens`).

use actix_web::http::StatusCode;
use uuid::Uuid;

use crate::db::AnyConnection;
use crate::domain::{ActorKind, Role, TenantKind};
use crate::error::ApiError;
use crate::models::partner::PartnerRow;
use crate::models::sign_in_throttle::Spent;
use crate::models::user::UserRow;

/// How a token request ended (errors other than these are [`ApiError`]s, e.g. 503
/// `sign_in_busy`).
#[derive(Debug)]
pub enum Outcome {
    /// A bearer token, its lifetime, and for users a refresh token.
    Issued(Issued),
    /// Refused with an OAuth error: the status, the `error` and its description.
    Refused(StatusCode, &'static str, &'static str),
    /// A throttling bucket is spent (429 with `Retry-After`).
    Throttled(Spent),
}

/// What a successful token request gets.
#[derive(Debug)]
pub struct Issued {
    /// The JWT access token.
    pub access_token: String,
    /// Its lifetime in seconds.
    pub expires_in: i64,
    /// A refresh token (users only, unless `REFRESH_TOKEN_TTL_DAYS` is 0).
    pub refresh_token: Option<String>,
}

/// The token a correct credential gets: actor kind and id, tenant kind and id, roles and
/// credentials version.
pub(crate) type TokenClaims = (ActorKind, Uuid, TenantKind, Uuid, Vec<Role>, i64);

/// The claims of a token for `user`: its tenant, current roles and credentials version.
pub(crate) fn user_claims(
    conn: &mut AnyConnection,
    user: &UserRow,
) -> Result<TokenClaims, ApiError> {
    let (tkind, tid) = match (user.partner_id, user.customer_id) {
        (Some(p), _) => {
            let partner = PartnerRow::find(conn, p.uuid())?
                .ok_or_else(|| ApiError::internal("user without partner"))?;
            (partner.tenant_kind(), p.uuid())
        }
        (None, Some(c)) => (TenantKind::Customer, c.uuid()),
        _ => return Err(ApiError::internal("user without tenant")),
    };
    Ok((
        ActorKind::User,
        user.id.uuid(),
        tkind,
        tid,
        user.roles.to_vec(),
        user.credentials_version,
    ))
}
