//! `sign_in_throttle`: failed sign-in attempts limited with the generic cell rate algorithm
//! (GCRA, the algorithm of the `governor` crate and of RFC-style token buckets), kept in the
//! database so every replica shares it (docs/operations.md#running-in-production).
//!
//! Each bucket stores its theoretical arrival time (`tat_ms`). With `per_minute` attempts per
//! minute the emission interval is `T = 60 000 / per_minute` ms and the burst is `per_minute`: an
//! attempt is allowed while `max(tat, now) - now <= (per_minute - 1) * T`, and it advances `tat`
//! by `T`. Allowing is a compare-and-swap on the stored value, so concurrent attempts cannot all
//! slip through. A sign-in *reserves* an attempt in each of its buckets before the password is
//! checked and *refunds* it when the password was right: failures count, successes don't.

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::db::AnyConnection;
use crate::error::{ApiError, ProblemCode};
use crate::schema::sign_in_throttle as t;

/// Milliseconds since the epoch.
fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The emission interval in milliseconds for `per_minute` attempts per minute.
fn interval_ms(per_minute: i64) -> i64 {
    (60_000 / per_minute.max(1)).max(1)
}

/// Reserves one attempt in `bucket`. `Ok(Err(seconds))` when the bucket is spent: the whole
/// seconds until the next attempt is allowed (at least 1).
pub fn reserve(
    conn: &mut AnyConnection,
    bucket: &str,
    per_minute: i64,
) -> QueryResult<Result<(), u64>> {
    let step = interval_ms(per_minute);
    let tolerance = step * (per_minute.max(1) - 1);
    for _ in 0..16 {
        let now = now_ms();
        let stored: Option<i64> = t::table
            .find(bucket)
            .select(t::tat_ms)
            .first(conn)
            .optional()?;
        match stored {
            None => {
                let inserted = diesel::insert_into(t::table)
                    .values((t::bucket.eq(bucket), t::tat_ms.eq(now + step)))
                    .execute(conn);
                match inserted {
                    Ok(_) => return Ok(Ok(())),
                    Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
                        continue;
                    }
                    Err(e) => return Err(e),
                }
            }
            Some(tat) => {
                let base = tat.max(now);
                let ahead = base - now;
                if ahead > tolerance {
                    let wait_ms = ahead - tolerance;
                    return Ok(Err(((wait_ms + 999) / 1000).max(1) as u64));
                }
                let n = diesel::update(t::table.find(bucket).filter(t::tat_ms.eq(tat)))
                    .set(t::tat_ms.eq(base + step))
                    .execute(conn)?;
                if n == 1 {
                    return Ok(Ok(()));
                }
            }
        }
    }
    // Sixteen lost races in a row: the bucket is under a flood; ask for a second's patience.
    Ok(Err(1))
}

/// Gives back an attempt reserved in `bucket` (the sign-in succeeded).
pub fn refund(conn: &mut AnyConnection, bucket: &str, per_minute: i64) -> QueryResult<()> {
    diesel::update(t::table.find(bucket))
        .set(t::tat_ms.eq(t::tat_ms - interval_ms(per_minute)))
        .execute(conn)?;
    Ok(())
}

/// Deletes at most `limit` buckets whose window has passed at `now_ms` (milliseconds since the
/// epoch): a bucket whose theoretical arrival time is not after now allows a whole burst, as a
/// fresh one does, so it is no longer needed. PostgreSQL skips rows another replica's purge
/// holds.
pub fn purge_expired(conn: &mut AnyConnection, now_ms: i64, limit: i64) -> QueryResult<usize> {
    let lock = if matches!(conn, AnyConnection::Postgresql(_)) {
        " FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    crate::models::raw::execute(
        conn,
        &format!(
            "DELETE FROM sign_in_throttle WHERE bucket IN (SELECT bucket FROM sign_in_throttle \
             WHERE tat_ms < ? LIMIT ?{lock})"
        ),
        vec![
            crate::models::raw::Arg::Int(now_ms),
            crate::models::raw::Arg::Int(limit),
        ],
    )
}

/// Deletes buckets idle for an hour or more (their state equals a fresh bucket's).
pub fn purge(conn: &mut AnyConnection) -> QueryResult<usize> {
    diesel::delete(t::table.filter(t::tat_ms.lt(now_ms() - 3_600_000))).execute(conn)
}

impl Spent {
    /// `RateLimit-Policy: "<policy>";q=<quota>;w=60` and `RateLimit: "<policy>";r=0;t=<wait>`
    /// (draft-ietf-httpapi-ratelimit-headers, as on every other rate-limited response).
    pub fn headers(&self) -> [(actix_web::http::header::HeaderName, String); 2] {
        [
            (
                crate::rate_limit::POLICY,
                format!("\"{}\";q={};w=60", self.policy, self.per_minute),
            ),
            (
                crate::rate_limit::RATE_LIMIT,
                format!("\"{}\";r=0;t={}", self.policy, self.retry_after),
            ),
        ]
    }
}

/// One bucket of an attempt: its stored name, its limit per minute, and whether a successful
/// attempt gives its reservation back.
#[derive(Debug, Clone)]
struct Bucket {
    name: String,
    policy: &'static str,
    per_minute: i64,
    refundable: bool,
}

/// A spent bucket: the whole seconds until the next attempt, and the policy (name and quota per
/// minute) that was spent, for the `RateLimit-Policy` / `RateLimit` headers.
#[derive(Debug, Clone, Copy)]
pub struct Spent {
    /// Seconds until the next attempt is allowed (at least 1).
    pub retry_after: u64,
    /// The policy's name: `sign-in-name`, `sign-in-failures` or `sign-in-all`.
    pub policy: &'static str,
    /// The policy's quota per 60 s window.
    pub per_minute: i64,
}

/// The buckets of one sign-in attempt and their limits. Bucket names are stored as SHA-256
/// digests, never as what was typed into the user-name field.
#[derive(Debug, Clone)]
pub struct Buckets(Vec<Bucket>);

impl Buckets {
    /// The buckets of an attempt for `name` (a user name or client id) from `address`:
    /// failed attempts per (name, address) with `per_name_and_address` and per address with
    /// `per_address` (a flood against one user name from one address never blocks that user
    /// from another address), and every attempt per address with `all_per_address`, so that
    /// correct passwords cannot keep the hashing pool busy either.
    pub fn for_attempt(
        kind: &str,
        name: &str,
        address: &str,
        per_name_and_address: i64,
        per_address: i64,
        all_per_address: i64,
    ) -> Buckets {
        let digest = |s: String| crate::auth::password::sha256_hex(&s);
        Buckets(vec![
            Bucket {
                name: digest(format!("{kind}:{}|{address}", name.to_lowercase())),
                policy: "sign-in-name",
                per_minute: per_name_and_address,
                refundable: true,
            },
            Bucket {
                name: digest(format!("failed:{address}")),
                policy: "sign-in-failures",
                per_minute: per_address,
                refundable: true,
            },
            Bucket {
                name: digest(format!("all:{address}")),
                policy: "sign-in-all",
                per_minute: all_per_address,
                refundable: false,
            },
        ])
    }

    /// Reserves an attempt in every bucket; when one is spent, gives back the others and
    /// answers the spent bucket with the longest wait.
    pub fn reserve(&self, conn: &mut AnyConnection) -> QueryResult<Result<(), Spent>> {
        let mut taken = Vec::new();
        let mut spent: Option<Spent> = None;
        for bucket in &self.0 {
            match reserve(conn, &bucket.name, bucket.per_minute)? {
                Ok(()) => taken.push(bucket),
                Err(seconds) if spent.is_none_or(|s| s.retry_after < seconds) => {
                    spent = Some(Spent {
                        retry_after: seconds,
                        policy: bucket.policy,
                        per_minute: bucket.per_minute,
                    });
                }
                Err(_) => {}
            }
        }
        if let Some(spent) = spent {
            crate::metrics::count_rate_limited(spent.policy);
            for bucket in taken {
                refund(conn, &bucket.name, bucket.per_minute)?;
            }
            return Ok(Err(spent));
        }
        if rand::random::<u8>() == 0 {
            purge(conn)?;
        }
        Ok(Ok(()))
    }

    /// Gives back the attempt in the buckets that count failures only (the credentials were
    /// right).
    pub fn refund(&self, conn: &mut AnyConnection) -> QueryResult<()> {
        for bucket in self.0.iter().filter(|b| b.refundable) {
            refund(conn, &bucket.name, bucket.per_minute)?;
        }
        Ok(())
    }

    /// Gives back the attempt in every bucket (the server, not the caller, failed: 503).
    pub fn refund_all(&self, conn: &mut AnyConnection) -> QueryResult<()> {
        for bucket in &self.0 {
            refund(conn, &bucket.name, bucket.per_minute)?;
        }
        Ok(())
    }
}

impl From<Spent> for ApiError {
    /// 429 `rate_limited` with `Retry-After` and the IETF `RateLimit-Policy` / `RateLimit`
    /// headers of the spent policy: too many sign-in attempts.
    fn from(spent: Spent) -> ApiError {
        let seconds = spent.retry_after;
        let mut e = ApiError::new(
            actix_web::http::StatusCode::TOO_MANY_REQUESTS,
            ProblemCode::RateLimited,
            format!(
                "Too many sign-in attempts from this address (limit `{}`); retry in {seconds} seconds.",
                spent.policy
            ),
        )
        .with_header(actix_web::http::header::RETRY_AFTER, seconds.to_string());
        for (name, value) in spent.headers() {
            e = e.with_header(name, value);
        }
        e
    }
}
