//! Database rows, one file per table: the row struct (never serialized), its insert form, and
//! its queries as functions on the type. Ids are UUIDv7 stored as text; times are UTC
//! `TIMESTAMP`s truncated to microseconds so both backends round-trip them exactly.
//!
//! Every insert form derives `Insertable` with `treat_none_as_default_value = false`: a `None`
//! is written as NULL (no nullable column here has another default), and the insert is one
//! fixed statement that diesel prepares once per connection and caches. With diesel's default,
//! each value may be `DEFAULT`, so the statement is never cached and PostgreSQL parsed and
//! planned every insert again (orders spread over customers went from 1,449 to 1,759
//! per second in one A/B run).

pub mod application;
pub mod audit;
pub mod billing_line;
pub mod cart;
pub mod change_rows;
pub mod customer;
pub mod gdap;
pub mod idempotency_key;
pub mod invitation;
pub mod offer;
pub mod order;
pub mod partner;
pub mod partnership;
pub mod price_list;
pub mod raw;
pub mod refresh_token;
pub mod relationship;
pub mod relationship_request;
pub mod security_group;
pub mod service_request;
pub mod sign_in_throttle;
pub mod statement;
pub mod subscription;
pub mod tenant_domain;
pub mod test_clock;
pub mod user;
pub mod webhook;

use chrono::{DateTime, NaiveDateTime, Timelike, Utc};

/// Id helpers: new UUIDv7 ids (stored ids are read as [`crate::domain::Id`]).
pub mod ids {
    use crate::domain::Id;

    /// A new time-ordered id (UUIDv7).
    pub fn new() -> Id {
        Id::now_v7()
    }
}

diesel::define_sql_function! {
    /// SQL `lower(text)`, the same on SQLite and PostgreSQL (for case-insensitive prefix search
    /// with [`like_prefix`]).
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// The current UTC time, truncated to microseconds.
pub fn now() -> NaiveDateTime {
    let t = Utc::now().naive_utc();
    t.with_nanosecond(t.nanosecond() / 1_000 * 1_000)
        .unwrap_or(t)
}

/// A stored time as an RFC 3339 UTC time.
pub fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` prefix pattern and appends `%`.
pub fn like_prefix(q: &str) -> String {
    let mut out = String::with_capacity(q.len() + 1);
    for c in q.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}
