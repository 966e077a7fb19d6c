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
    use std::cell::Cell;

    use crate::domain::Id;

    thread_local! {
        /// The block and last number of [`seeded`] ids on this thread, while it runs.
        static SEEDED: Cell<Option<(u16, u64)>> = const { Cell::new(None) };
    }

    /// A new time-ordered id (UUIDv7), or the next fixed one inside [`seeded`].
    pub fn new() -> Id {
        match SEEDED.get() {
            Some((block, last)) => {
                SEEDED.set(Some((block, last + 1)));
                fixed(block, last + 1)
            }
            None => Id::now_v7(),
        }
    }

    /// The first 24 characters of a new id (`xxxxxxxx-xxxx-7xxx-yxxx-`), for ids made in bulk by
    /// SQL: the prefix followed by a 12-hex-digit rank (a close's statements and their audit
    /// records). Its bits after the time are random, not this process's monotonic counter,
    /// whose low bits lie past the prefix: two closes in the same millisecond (two time scopes
    /// at once) would otherwise share a prefix and write the same ids. The chance that two
    /// prefixes of one millisecond match is 1 in 2^26; the primary key then refuses the second
    /// close, which its runner retries. Inside [`seeded`] it is the next fixed id's prefix.
    pub fn bulk_prefix() -> String {
        let id = match SEEDED.get() {
            Some(_) => new().as_str().to_owned(),
            None => uuid::Uuid::new_v7(uuid::Timestamp::now(uuid::NoContext)).to_string(),
        };
        id[..24].to_owned()
    }

    /// The `n`th id of `block` (counting from 1): `019a8f3c-5BBB-7000-8000-NNNNNNNNNNNN`, in the
    /// shape of a UUIDv7.
    pub fn fixed(block: u16, n: u64) -> Id {
        let text = format!("019a8f3c-5{:03x}-7000-8000-{n:012x}", block & 0xfff);
        text.parse().unwrap_or_else(|_| Id::now_v7())
    }

    /// Runs `f` with the ids it creates on this thread fixed: the first is `fixed(block, 1)`,
    /// then `fixed(block, 2)`, and so on. The demo data uses it, so the objects the OpenAPI
    /// document's examples name have the same ids in every `serve --demo` database.
    pub fn seeded<T>(block: u16, f: impl FnOnce() -> T) -> T {
        let outer = SEEDED.replace(Some((block, 0)));
        let result = f();
        SEEDED.set(outer);
        result
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
