//! Refresh tokens (RFC 6749 §6) for users, rotated on every use with reuse detection (the OAuth
//! 2.0 Security BCP, RFC 9700 §4.14.2). A password sign-in starts a *family*; exchanging a
//! refresh token (`grant_type=refresh_token`) marks it used and issues a new access token and a
//! new refresh token of the same family — no password, so no argon2 check. A refresh token used
//! a second time means it leaked: the whole family is revoked, and the thief and the user both
//! sign in again. A token is good only while the user's credentials version is the one it was
//! issued under, so a password change or reset, disabling and a role change — which move the
//! version on, revoking access tokens — revoke refresh tokens too (their family is revoked at
//! the next use). `POST /v1/auth/revoke` (RFC 7009) revokes a family on request. Only the
//! SHA-256 of a token is stored.

use actix_web::http::StatusCode;
use base64::Engine;
use uuid::Uuid;

use super::tokens::{Issued, Outcome, user_claims};
use crate::auth::password::sha256_hex;
use crate::db::{self, AnyConnection};
use crate::domain::Id;
use crate::error::ApiError;
use crate::models::now;
use crate::models::refresh_token::RefreshTokenRow;
use crate::models::user::UserRow;
use crate::state::AppState;

/// The refusal for a refresh token that cannot be used (unknown, expired, revoked, reused, or
/// its user changed); the same for all, so a caller learns nothing more.
const REFUSED: Outcome = Outcome::Refused(
    StatusCode::BAD_REQUEST,
    "invalid_grant",
    "The refresh token is invalid, expired or revoked; sign in again.",
);

/// A new random refresh token (256 bits, base64url) and the row storing its hash.
fn new_token(family: Option<Id>, user: Id, cv: i64, ttl_days: i64) -> (String, RefreshTokenRow) {
    let secret: [u8; 32] = rand::random();
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret);
    let id = crate::models::ids::new();
    let t = now();
    let row = RefreshTokenRow {
        id,
        family_id: family.unwrap_or(id),
        token_hash: sha256_hex(&token),
        user_id: user,
        credentials_version: cv,
        created_at: t,
        expires_at: t + chrono::Duration::days(ttl_days),
        used_at: None,
        revoked_at: None,
    };
    (token, row)
}

/// Starts a family for `user` signed in under credentials version `cv`: its first token.
pub fn start(
    conn: &mut AnyConnection,
    user: Uuid,
    cv: i64,
    ttl_days: i64,
) -> Result<String, ApiError> {
    let (token, row) = new_token(None, Id::from(user), cv, ttl_days);
    RefreshTokenRow::insert(conn, &row)?;
    Ok(token)
}

/// Exchanges `token` for a new access token and refresh token (see the module documentation),
/// or refuses it with `invalid_grant` (revoking its family when it was reused or its user
/// changed).
pub async fn exchange(state: &AppState, token: String) -> Result<Outcome, ApiError> {
    let ttl_days = state.config.refresh_token_ttl_days;
    let rotated = db::run(&state.pool, move |conn| {
        db::transaction(conn, |conn| {
            let Some(row) = RefreshTokenRow::find_by_hash(conn, &sha256_hex(&token))? else {
                return Ok(None);
            };
            let t = now();
            if row.revoked_at.is_some() || row.expires_at <= t {
                return Ok(None);
            }
            if !RefreshTokenRow::mark_used(conn, &row.id, t)? {
                RefreshTokenRow::revoke_family(conn, &row.family_id, t)?;
                log::warn!(
                    user_id = row.user_id.to_string().as_str(),
                    family_id = row.family_id.to_string().as_str();
                    "refresh token reused: its family is revoked"
                );
                return Ok(None);
            }
            let user = UserRow::find(conn, row.user_id.uuid())?.filter(|u| {
                !u.disabled
                    && !u.must_change_password
                    && u.credentials_version == row.credentials_version
            });
            let Some(user) = user else {
                RefreshTokenRow::revoke_family(conn, &row.family_id, t)?;
                return Ok(None);
            };
            let claims = user_claims(conn, &user)?;
            let (next, next_row) = new_token(
                Some(row.family_id),
                user.id,
                user.credentials_version,
                ttl_days,
            );
            RefreshTokenRow::insert(conn, &next_row)?;
            Ok(Some((claims, next)))
        })
    })
    .await?;
    let Some(((act, sub, tkind, tid, roles, cv), refresh_token)) = rotated else {
        return Ok(REFUSED);
    };
    let (access_token, expires_in) = state.jwt.issue(act, sub, tkind, tid, roles, cv)?;
    Ok(Outcome::Issued(Issued {
        access_token,
        expires_in,
        refresh_token: Some(refresh_token),
    }))
}

/// Revokes the family of `token` (RFC 7009 §2.1); an unknown token is not an error (§2.2).
pub async fn revoke(state: &AppState, token: String) -> Result<(), ApiError> {
    db::run(&state.pool, move |conn| {
        if let Some(row) = RefreshTokenRow::find_by_hash(conn, &sha256_hex(&token))? {
            RefreshTokenRow::revoke_family(conn, &row.family_id, now())?;
        }
        Ok(())
    })
    .await
}
