//! Hand-written SQL that runs on either backend: written once with `?` placeholders (numbered
//! `$1`, `$2`, … for PostgreSQL here), its values bound in order. For the few statements the
//! query builder cannot say on both backends (upserts from a `SELECT`, bounded deletes).

use chrono::NaiveDateTime;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::BoxedSqlQuery;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};
use diesel::sqlite::Sqlite;

use crate::db::AnyConnection;

/// A value bound to a `?`.
#[derive(Debug, Clone)]
pub enum Arg {
    /// A `TEXT` value.
    Text(String),
    /// A `TEXT` value or `NULL`.
    OptText(Option<String>),
    /// A `TIMESTAMP` value.
    Time(NaiveDateTime),
    /// A `BIGINT` value.
    Int(i64),
}

/// `sql` with its `?` numbered `$1`, `$2`, … (the statements here hold no `?` in literals).
fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    out
}

macro_rules! bind_all {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                Arg::Text(s) => q.bind::<Text, _>(s),
                Arg::OptText(s) => q.bind::<Nullable<Text>, _>(s),
                Arg::Time(t) => q.bind::<Timestamp, _>(t),
                Arg::Int(i) => q.bind::<BigInt, _>(i),
            };
        }
        q
    }};
}

fn pg(sql: &str, args: Vec<Arg>) -> BoxedSqlQuery<'static, Pg, diesel::query_builder::SqlQuery> {
    bind_all!(diesel::sql_query(numbered(sql)).into_boxed::<Pg>(), args)
}

fn sqlite(
    sql: &str,
    args: Vec<Arg>,
) -> BoxedSqlQuery<'static, Sqlite, diesel::query_builder::SqlQuery> {
    bind_all!(diesel::sql_query(sql).into_boxed::<Sqlite>(), args)
}

/// Runs a statement; returns how many rows it changed.
pub fn execute(conn: &mut AnyConnection, sql: &str, args: Vec<Arg>) -> QueryResult<usize> {
    match conn {
        AnyConnection::Postgresql(c) => pg(sql, args).execute(c),
        AnyConnection::Sqlite(c) => sqlite(sql, args).execute(c),
    }
}

/// Runs a query and reads its rows by column name.
pub fn load<T>(conn: &mut AnyConnection, sql: &str, args: Vec<Arg>) -> QueryResult<Vec<T>>
where
    T: QueryableByName<Pg> + QueryableByName<Sqlite> + 'static,
{
    match conn {
        AnyConnection::Postgresql(c) => pg(sql, args).load(c),
        AnyConnection::Sqlite(c) => sqlite(sql, args).load(c),
    }
}

/// A `count(*) AS n` (or any one `BIGINT` column named `n`).
#[derive(QueryableByName)]
pub struct Count {
    /// The count.
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

/// One `TEXT` column named `id`.
#[derive(QueryableByName)]
pub struct IdText {
    /// The id.
    #[diesel(sql_type = Text)]
    pub id: String,
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbered_numbers_each_placeholder_in_order() {
        assert_eq!(
            super::numbered("a = ? AND b IN (SELECT c FROM d WHERE e < ?) LIMIT ?"),
            "a = $1 AND b IN (SELECT c FROM d WHERE e < $2) LIMIT $3"
        );
    }
}
