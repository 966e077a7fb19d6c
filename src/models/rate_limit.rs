//! `rate_limit_windows`: fixed-window counters kept in the database, so that every replica
//! shares them (product.md §8). Used for sign-in attempts.

use actix_web::http::{StatusCode, header};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::db::AnyConnection;
use crate::error::ApiError;
use crate::schema::rate_limit_windows as w;

/// Counts one hit on `bucket` in the current `window_seconds` window; 429 `rate_limited` with
/// `Retry-After` (seconds until the window ends) once more than `limit` hits arrived in it.
/// Runs outside any transaction (its statements commit on their own).
pub fn hit(
    conn: &mut AnyConnection,
    bucket: &str,
    limit: i64,
    window_seconds: i64,
) -> Result<(), ApiError> {
    let now = chrono::Utc::now().timestamp();
    let start = now - now.rem_euclid(window_seconds);
    let mut counted = false;
    for _ in 0..3 {
        let n = diesel::update(w::table.find((bucket, start)))
            .set(w::hits.eq(w::hits + 1))
            .execute(conn)?;
        if n == 1 {
            counted = true;
            break;
        }
        match diesel::insert_into(w::table)
            .values((
                w::bucket.eq(bucket),
                w::window_start.eq(start),
                w::hits.eq(1),
            ))
            .execute(conn)
        {
            Ok(_) => {
                counted = true;
                break;
            }
            Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    if !counted {
        return Err(ApiError::internal(
            "rate limit counter could not be written",
        ));
    }
    if now % 97 == 0 {
        diesel::delete(w::table.filter(w::window_start.lt(start - 3600))).execute(conn)?;
    }
    let hits: i32 = w::table.find((bucket, start)).select(w::hits).first(conn)?;
    if i64::from(hits) > limit {
        let retry_after = (start + window_seconds - now).max(1);
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("Too many attempts; retry in {retry_after} seconds."),
        )
        .with_header(header::RETRY_AFTER, retry_after.to_string()));
    }
    Ok(())
}
