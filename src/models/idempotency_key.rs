//! `idempotency_keys`: one row per `Idempotency-Key` a caller sent with a creating POST
//! (product.md §7): claimed before the request runs, marked committed in the transaction of the
//! change it made ([`ClaimedKey::mark_committed`], called by `crate::change::Change` at commit),
//! completed with the response to replay, released when the request failed. The rules of replay
//! and conflict live with the middleware (`crate::idempotency`).

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::db::AnyConnection;
use crate::domain::IdempotencyStatus;
use crate::error::{ApiError, ProblemCode};
use crate::models::now;
use crate::schema::idempotency_keys as keys;
use actix_web::http::header;

/// How long keys are kept.
pub const RETENTION_HOURS: i64 = 24;
/// A key still `in_progress` after this long belongs to a request that died; it may be retaken.
pub const ABANDONED_AFTER_SECONDS: i64 = 300;

/// A stored key with the response it replays.
#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = keys)]
#[diesel(treat_none_as_default_value = false)]
pub struct KeyRow {
    pub scope: String,
    pub idempotency_key: String,
    pub request_hash: String,
    pub status: IdempotencyStatus,
    pub response_status: Option<i32>,
    pub response_headers: Option<String>,
    pub response_body: Option<String>,
    pub created_at: NaiveDateTime,
    pub committed_at: Option<NaiveDateTime>,
}

/// What a claimed key means for the request.
#[derive(Debug)]
pub enum Claim {
    /// The key is new (or was released): run the request.
    Run,
    /// The first response, to replay.
    Replay(KeyRow),
    /// The token's account changed since it was issued: no key is claimed and nothing is
    /// replayed; the handler answers (401 where the operation needs a caller).
    Revoked,
}

/// Claims `key` for the caller `scope` and the request `hash`: [`Claim::Run`] for a new key (or
/// one that expired or was abandoned), [`Claim::Replay`] for a completed one. Errors: 422
/// `idempotency_key_reused` (another request), 409 `idempotency_request_in_progress` (with
/// `Retry-After`), 409 `idempotency_response_unavailable` (the change committed, its response was
/// lost).
pub fn claim(
    conn: &mut AnyConnection,
    scope: &str,
    key: &str,
    hash: &str,
) -> Result<Claim, ApiError> {
    let fresh = KeyRow {
        scope: scope.to_owned(),
        idempotency_key: key.to_owned(),
        request_hash: hash.to_owned(),
        status: IdempotencyStatus::InProgress,
        response_status: None,
        response_headers: None,
        response_body: None,
        created_at: now(),
        committed_at: None,
    };
    for _ in 0..3 {
        match diesel::insert_into(keys::table)
            .values(&fresh)
            .execute(conn)
        {
            Ok(_) => return Ok(Claim::Run),
            Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {}
            Err(e) => return Err(e.into()),
        }
        let existing: Option<KeyRow> = keys::table
            .find((scope, key))
            .select(KeyRow::as_select())
            .first(conn)
            .optional()?;
        let Some(existing) = existing else { continue };
        let age = now() - existing.created_at;
        let expired = age > Duration::hours(RETENTION_HOURS);
        let stale = existing.status == IdempotencyStatus::InProgress
            && age > Duration::seconds(ABANDONED_AFTER_SECONDS);
        // A request that died after its change committed: running it again would repeat it.
        if stale && existing.committed_at.is_some() && !expired {
            return Err(response_lost());
        }
        let abandoned = stale;
        if expired || abandoned {
            release(conn, scope, key)?;
            continue;
        }
        if existing.request_hash != hash {
            return Err(ApiError::unprocessable(
                ProblemCode::IdempotencyKeyReused,
                "This Idempotency-Key was already used with a different request; use a new key for a new request.",
            ));
        }
        if existing.status == IdempotencyStatus::InProgress {
            return Err(ApiError::conflict(
                ProblemCode::IdempotencyRequestInProgress,
                "A request with this Idempotency-Key is still being processed; retry shortly.",
            )
            .with_header(header::RETRY_AFTER, "1"));
        }
        return Ok(Claim::Replay(existing));
    }
    Err(ApiError::conflict(
        ProblemCode::IdempotencyRequestInProgress,
        "A request with this Idempotency-Key is still being processed; retry shortly.",
    ))
}

/// 409 `idempotency_response_unavailable`.
pub fn response_lost() -> ApiError {
    ApiError::conflict(
        ProblemCode::IdempotencyResponseUnavailable,
        "The change requested with this Idempotency-Key was applied, but its response was lost; read the resource instead of retrying, or use a new key.",
    )
}

/// Releases a key (its request failed, or it expired).
pub fn release(conn: &mut AnyConnection, scope: &str, key: &str) -> Result<(), ApiError> {
    diesel::delete(keys::table.find((scope, key))).execute(conn)?;
    Ok(())
}

/// Stores the response of a key's request, to replay.
pub fn complete(
    conn: &mut AnyConnection,
    scope: &str,
    key: &str,
    status: u16,
    headers: String,
    body: String,
) -> Result<(), ApiError> {
    diesel::update(keys::table.find((scope, key)))
        .set((
            keys::status.eq(IdempotencyStatus::Completed),
            keys::response_status.eq(Some(i32::from(status))),
            keys::response_headers.eq(Some(headers)),
            keys::response_body.eq(Some(body)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Deletes keys older than the retention period (a range scan of the `created_at` index);
/// returns how many.
pub fn purge_expired(conn: &mut AnyConnection) -> Result<usize, ApiError> {
    let cutoff = now() - Duration::hours(RETENTION_HOURS);
    Ok(diesel::delete(keys::table.filter(keys::created_at.lt(cutoff))).execute(conn)?)
}

/// The key of the keyed request being served: the middleware claims it and puts it in the
/// request's extensions; the authorized caller carries it into its change, which marks it
/// committed in the change's transaction.
#[derive(Debug, Clone)]
pub struct ClaimedKey {
    /// The caller (`user:<id>`, `application:<id>` or `anonymous`).
    pub scope: String,
    /// The key.
    pub key: String,
}

impl ClaimedKey {
    /// Records, inside the transaction of the change the keyed request made, that the change
    /// committed, so the mark exists exactly when the change does.
    pub fn mark_committed(&self, conn: &mut AnyConnection) -> Result<(), ApiError> {
        diesel::update(
            keys::table
                .find((&self.scope, &self.key))
                .filter(keys::committed_at.is_null()),
        )
        .set(keys::committed_at.eq(Some(now())))
        .execute(conn)?;
        Ok(())
    }
}
