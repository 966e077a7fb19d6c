//! `idempotency_keys`: one row per `Idempotency-Key` a caller sent with a creating POST
//! (docs/api-guide.md): claimed before the request runs, marked committed in the transaction of the
//! change it made ([`ClaimedKey::mark_committed`], called by `crate::change::Change` at commit),
//! completed with the response to replay, released when the request failed. The rules of replay
//! and conflict live with the middleware (`crate::idempotency`).
//!
//! A claim is a lease: it holds until `lease_until` ([`LEASE_SECONDS`] after it was claimed),
//! and the request renews it while it runs ([`renew`], every [`RENEW_EVERY_SECONDS`]). A claim
//! whose lease ran out belongs to a process that died (or lost the database for longer than
//! the lease): a request with the same key takes it over. Every later write of a claim names
//! the claim (its `created_at`), so a process that lost its claim can neither commit its change
//! under the key ([`ClaimedKey::mark_committed`] fails, and the change rolls back) nor store,
//! release or renew the claim that replaced it.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::db::AnyConnection;
use crate::domain::IdempotencyStatus;
use crate::error::{ApiError, ProblemCode};
use crate::models::now;
use crate::schema::idempotency_keys as keys;
use actix_web::http::header;
use sha2::Digest;

use crate::error::FieldError;

/// How long keys are kept.
pub const RETENTION_HOURS: i64 = 24;
/// How long a claim holds without being renewed: a key interrupted by a crash is free again
/// within this many seconds.
pub const LEASE_SECONDS: i64 = 30;
/// How often a running request renews its claim's lease.
pub const RENEW_EVERY_SECONDS: u64 = 10;
/// A claim made before leases existed (no `lease_until`) is abandoned this long after it was
/// claimed, as it was then.
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
    /// Until when the claim of an `in_progress` key holds (see the module documentation).
    pub lease_until: Option<NaiveDateTime>,
}

impl KeyRow {
    /// Until when the claim holds (a claim from before leases: [`ABANDONED_AFTER_SECONDS`]
    /// after it was made).
    fn lease_end(&self) -> NaiveDateTime {
        self.lease_until
            .unwrap_or(self.created_at + Duration::seconds(ABANDONED_AFTER_SECONDS))
    }
}

/// What a claimed key means for the request.
#[derive(Debug)]
pub enum Claim {
    /// The key is new (or was released, or taken over): run the request under this claim.
    Run(ClaimedKey),
    /// The first response, to replay.
    Replay(KeyRow),
}

/// Claims `key` for the caller `scope` and the request `hash`: [`Claim::Run`] for a new key (or
/// one that expired, or whose claim's lease ran out: taken over in one conditional update, so of
/// two requests taking over the same key one wins), [`Claim::Replay`] for a completed one.
/// Errors: 422
/// `idempotency_key_reused` (another request), 409 `idempotency_request_in_progress` (with
/// `Retry-After`), 409 `idempotency_response_unavailable` (the change committed, its response was
/// lost).
pub fn claim(
    conn: &mut AnyConnection,
    scope: &str,
    key: &str,
    hash: &str,
) -> Result<Claim, ApiError> {
    let t = now();
    let fresh = KeyRow {
        scope: scope.to_owned(),
        idempotency_key: key.to_owned(),
        request_hash: hash.to_owned(),
        status: IdempotencyStatus::InProgress,
        response_status: None,
        response_headers: None,
        response_body: None,
        created_at: t,
        committed_at: None,
        lease_until: Some(t + Duration::seconds(LEASE_SECONDS)),
    };
    let claimed = ClaimedKey {
        scope: scope.to_owned(),
        key: key.to_owned(),
        claimed_at: t,
    };
    for _ in 0..3 {
        match diesel::insert_into(keys::table)
            .values(&fresh)
            .execute(conn)
        {
            Ok(_) => return Ok(Claim::Run(claimed)),
            Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {}
            Err(e) => return Err(e.into()),
        }
        let existing: Option<KeyRow> = keys::table
            .find((scope, key))
            .select(KeyRow::as_select())
            .first(conn)
            .optional()?;
        let Some(existing) = existing else { continue };
        match judge(existing, hash)? {
            Verdict::Free(observed) => {
                if take_over(conn, &observed, &fresh)? {
                    return Ok(Claim::Run(claimed));
                }
            }
            Verdict::Replay(row) => return Ok(Claim::Replay(row)),
        }
    }
    Err(ApiError::conflict(
        ProblemCode::IdempotencyRequestInProgress,
        "A request with this Idempotency-Key is still being processed; retry shortly.",
    ))
}

/// What an existing key means for a request with `hash`.
enum Verdict {
    /// Expired, or abandoned (its lease ran out before its change committed): it may be taken
    /// over, as long as it is still the claim that was judged.
    Free(NaiveDateTime),
    /// Completed by the same request: its response is the answer.
    Replay(KeyRow),
}

/// The rules of an existing key (see [`claim`] for the errors).
fn judge(existing: KeyRow, hash: &str) -> Result<Verdict, ApiError> {
    let t = now();
    let expired = t - existing.created_at > Duration::hours(RETENTION_HOURS);
    let abandoned = existing.status == IdempotencyStatus::InProgress && existing.lease_end() < t;
    // A request that died after its change committed: running it again would repeat it.
    if abandoned && existing.committed_at.is_some() && !expired {
        return Err(response_lost());
    }
    if expired || abandoned {
        return Ok(Verdict::Free(existing.created_at));
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
    Ok(Verdict::Replay(existing))
}

/// What `key` means for a request with `hash` without claiming it (the request failed before it
/// could run): `Some` first response to replay, `None` when the key is free. Errors as [`claim`].
pub fn peek(
    conn: &mut AnyConnection,
    scope: &str,
    key: &str,
    hash: &str,
) -> Result<Option<KeyRow>, ApiError> {
    let existing: Option<KeyRow> = keys::table
        .find((scope, key))
        .select(KeyRow::as_select())
        .first(conn)
        .optional()?;
    match existing.map(|row| judge(row, hash)).transpose()? {
        Some(Verdict::Replay(row)) => Ok(Some(row)),
        Some(Verdict::Free(_)) | None => Ok(None),
    }
}

/// 409 `idempotency_response_unavailable`.
pub fn response_lost() -> ApiError {
    ApiError::conflict(
        ProblemCode::IdempotencyResponseUnavailable,
        "The change requested with this Idempotency-Key was applied, but its response was lost; read the resource instead of retrying, or use a new key.",
    )
}

/// Replaces the key claimed at `observed` with `fresh` when it is still that claim and still
/// free to take (expired, or in progress, not committed, its lease run out): one conditional
/// update, so a renewal, a commit or another taker in between makes it change nothing. Returns
/// whether it took the key.
fn take_over(
    conn: &mut AnyConnection,
    observed: &NaiveDateTime,
    fresh: &KeyRow,
) -> Result<bool, ApiError> {
    let t = fresh.created_at;
    let expired = keys::created_at.lt(t - Duration::hours(RETENTION_HOURS));
    let lease_over = keys::lease_until.lt(t).or(keys::lease_until
        .is_null()
        .and(keys::created_at.lt(t - Duration::seconds(ABANDONED_AFTER_SECONDS))));
    let abandoned = keys::status
        .eq(IdempotencyStatus::InProgress)
        .and(keys::committed_at.is_null())
        .and(lease_over);
    let n = diesel::update(
        keys::table
            .find((&fresh.scope, &fresh.idempotency_key))
            .filter(keys::created_at.eq(observed))
            .filter(expired.or(abandoned)),
    )
    .set((
        keys::request_hash.eq(&fresh.request_hash),
        keys::status.eq(IdempotencyStatus::InProgress),
        keys::response_status.eq(None::<i32>),
        keys::response_headers.eq(None::<String>),
        keys::response_body.eq(None::<String>),
        keys::created_at.eq(fresh.created_at),
        keys::committed_at.eq(None::<NaiveDateTime>),
        keys::lease_until.eq(fresh.lease_until),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Releases a claim (its request failed); a claim that was taken over stays.
pub fn release(conn: &mut AnyConnection, claim: &ClaimedKey) -> Result<(), ApiError> {
    diesel::delete(claim.filter()).execute(conn)?;
    Ok(())
}

/// Renews a running request's claim: its lease ends [`LEASE_SECONDS`] from now. Returns false
/// when the claim is no longer held (answered, released, or taken over after its lease ran out).
pub fn renew(conn: &mut AnyConnection, claim: &ClaimedKey) -> Result<bool, ApiError> {
    let n = diesel::update(
        claim
            .filter()
            .filter(keys::status.eq(IdempotencyStatus::InProgress)),
    )
    .set(keys::lease_until.eq(Some(now() + Duration::seconds(LEASE_SECONDS))))
    .execute(conn)?;
    Ok(n == 1)
}

/// Stores the response of a claim's request, to replay.
pub fn complete(
    conn: &mut AnyConnection,
    claim: &ClaimedKey,
    status: u16,
    headers: String,
    body: String,
) -> Result<(), ApiError> {
    diesel::update(claim.filter())
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
    /// When it was claimed: names this claim, as opposed to one that took the key over later.
    pub claimed_at: NaiveDateTime,
}

/// The key row of one claim.
type ClaimFilter<'a> = diesel::dsl::Filter<
    diesel::dsl::Find<keys::table, (&'a String, &'a String)>,
    diesel::dsl::Eq<keys::created_at, &'a NaiveDateTime>,
>;

impl ClaimedKey {
    /// The key row while it is still this claim.
    fn filter(&self) -> ClaimFilter<'_> {
        keys::table
            .find((&self.scope, &self.key))
            .filter(keys::created_at.eq(&self.claimed_at))
    }

    /// Records, inside the transaction of the change the keyed request made, that the change
    /// committed, so the mark exists exactly when the change does. Errors: 409
    /// `idempotency_request_in_progress` when the claim is no longer held (its lease ran out and
    /// another request took the key over): the change then rolls back, so it is made once.
    pub fn mark_committed(&self, conn: &mut AnyConnection) -> Result<(), ApiError> {
        let n = diesel::update(self.filter().filter(keys::committed_at.is_null()))
            .set(keys::committed_at.eq(Some(now())))
            .execute(conn)?;
        if n == 0 {
            return Err(ApiError::conflict(
                ProblemCode::IdempotencyRequestInProgress,
                "This request took too long to keep its Idempotency-Key, which another request with the same key now holds; nothing was changed.",
            ));
        }
        Ok(())
    }
}

/// The key of a keyed POST while the request is served, in the request's extensions: put there
/// by the middleware (`crate::idempotency`) (no I/O, nothing checked yet), its format checked and its caller scope set
/// by the extractor that authorized the caller (`crate::auth::Authorized`, or [`Claimed`] for the
/// anonymous enrolment, `crate::idempotency::Claimed`), its body hashed by the body extractor (`crate::extract::ValidJson`), and
/// claimed inside the request's database hop, after the caller was reloaded
/// ([`PendingKey::claim`]). So the key is looked at only after authentication and authorization,
/// and before the body's own validation when that fails.
#[derive(Debug, Clone)]
pub struct PendingKey(std::sync::Arc<Pending>);

#[derive(Debug)]
struct Pending {
    /// The key as sent, `None` when it is not 1 to 255 visible ASCII characters.
    key: Option<String>,
    /// `METHOD path?query`, the part of the request hash before the body.
    request_line: String,
    /// The canonical hash of the body the operation read (none read: an empty body).
    body_hash: std::sync::Mutex<Option<String>>,
    state: std::sync::Mutex<KeyState>,
}

/// Where a pending key stands.
#[derive(Debug, Default)]
pub enum KeyState {
    /// Not yet looked at (no caller authorized, or the handler takes no key).
    #[default]
    Open,
    /// The caller was authorized: its scope (`user:<id>`, `application:<id>`, `anonymous`).
    Scoped(String),
    /// Claimed by the request's hop: the request runs.
    Claimed(ClaimedKey),
    /// A completed key: the first response is the answer.
    Replay(KeyRow),
}

impl PendingKey {
    /// A pending key as sent (`None`: not 1 to 255 visible ASCII characters) for the request
    /// `request_line` (`METHOD path?query`).
    pub fn new(key: Option<String>, request_line: String) -> PendingKey {
        PendingKey(std::sync::Arc::new(Pending {
            key,
            request_line,
            body_hash: std::sync::Mutex::new(None),
            state: std::sync::Mutex::new(KeyState::Open),
        }))
    }

    /// The key as sent, when well formed.
    pub fn key(&self) -> Option<String> {
        self.0.key.clone()
    }

    /// The claim the request holds, while it holds one (for renewing its lease).
    pub fn claimed(&self) -> Option<ClaimedKey> {
        match &*self.state() {
            KeyState::Claimed(c) => Some(c.clone()),
            _ => None,
        }
    }

    /// Takes the state the request left the key in (leaving [`KeyState::Open`]).
    pub fn take(&self) -> KeyState {
        std::mem::take(&mut *self.state())
    }

    /// Checks the key's format (422 `validation_failed` on `Idempotency-Key`) for the caller
    /// `scope`, who was authenticated and authorized. No I/O.
    pub fn admit(&self, scope: String) -> Result<(), ApiError> {
        if self.0.key.is_none() {
            return Err(ApiError::validation(vec![FieldError::new(
                "Idempotency-Key",
                "invalid",
                "must be 1 to 255 visible ASCII characters",
            )]));
        }
        *self.state() = KeyState::Scoped(scope);
        Ok(())
    }

    /// Records the body the operation read (its canonical JSON form: key order and whitespace
    /// do not matter).
    pub fn read_body(&self, body: &[u8]) {
        let hash = hex::encode(sha2::Sha256::digest(canonical_body(body)));
        *self
            .0
            .body_hash
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(hash);
    }

    fn state(&self) -> std::sync::MutexGuard<'_, KeyState> {
        self.0
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The request's hash: its request line and the body it read.
    pub fn hash(&self) -> String {
        let body = self
            .0
            .body_hash
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
            .unwrap_or_default();
        hex::encode(sha2::Sha256::digest(
            format!("{}\n{body}", self.0.request_line).as_bytes(),
        ))
    }

    fn scoped(&self) -> Option<(String, String)> {
        match (&*self.state(), &self.0.key) {
            (KeyState::Scoped(scope), Some(key)) => Some((scope.clone(), key.clone())),
            _ => None,
        }
    }

    /// Claims the key on `conn`, inside the request's hop and after its caller was reloaded:
    /// `Some` key for the change to mark at commit when the request is to run; `None` when the
    /// key was never admitted (a handler that takes none). Errors: those of
    /// [`claim`]; and for a completed key an error the middleware
    /// replaces with the first response (so nothing else runs).
    pub fn claim(&self, conn: &mut AnyConnection) -> Result<Option<ClaimedKey>, ApiError> {
        let Some((scope, key)) = self.scoped() else {
            return Ok(None);
        };
        let claimed = claim(conn, &scope, &key, &self.hash());
        let mut state = self.state();
        match claimed {
            Ok(Claim::Run(claimed)) => {
                *state = KeyState::Claimed(claimed.clone());
                Ok(Some(claimed))
            }
            Ok(Claim::Replay(row)) => {
                *state = KeyState::Replay(row);
                // Never answered: the middleware answers the stored response instead.
                Err(ApiError::conflict(
                    ProblemCode::IdempotencyRequestInProgress,
                    "This request was already answered; its answer is replayed.",
                ))
            }
            Err(e) => {
                // Judged: the error is the answer, nothing is left to do.
                *state = KeyState::Open;
                Err(e)
            }
        }
    }
}

/// A canonical form of a JSON body (object keys sorted, no whitespace); other bodies as they are.
fn canonical_body(body: &[u8]) -> Vec<u8> {
    fn sort(v: serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::Object(map) => {
                let mut entries: Vec<_> = map.into_iter().map(|(k, v)| (k, sort(v))).collect();
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                serde_json::Value::Object(entries.into_iter().collect())
            }
            serde_json::Value::Array(items) => {
                serde_json::Value::Array(items.into_iter().map(sort).collect())
            }
            other => other,
        }
    }
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(v) => serde_json::to_vec(&sort(v)).unwrap_or_else(|_| body.to_vec()),
        Err(_) => body.to_vec(),
    }
}
