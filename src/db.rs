//! Database access: one binary, two backends. A small r2d2 manager picks SQLite or PostgreSQL
//! from the URL, sets SQLite's pragmas on every new connection, and embedded migrations (one
//! folder per dialect under `migrations/`) run at start. [`run`] is the only place blocking work
//! happens: every diesel call goes through it, off the actix workers.

use std::time::Duration;

use actix_web::web;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::error::ApiError;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// A connection to whichever backend `DATABASE_URL` names.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    /// `postgres://…` or `postgresql://…`.
    Postgresql(PgConnection),
    /// A file path, `sqlite://PATH`, or `:memory:`.
    Sqlite(SqliteConnection),
}

/// Runs `$body` with `$c` bound to the concrete connection inside an [`AnyConnection`]: the
/// same diesel query, type-checked once per backend. For the hottest statements only (the
/// caller's load on every request): through `AnyConnection` diesel renders a query's
/// whole SQL text again on every run, even when its prepared statement is cached (the
/// multi-connection wrapper serializes before the backend sees it; 10 % of the server's CPU
/// on a signed-in read in a `perf` profile), while the concrete connection finds a cached
/// statement by the query's type and only binds (`GET /v1/customers/{id}` on PostgreSQL:
/// 14.5k → 16.2k requests/s in one A/B run; the order path's statements measured no gain, so
/// they stay on `AnyConnection`).
///
/// ```ignore
/// let n: i64 = db::on_backend!(conn, |c| customers::table.count().get_result(c))?;
/// ```
#[macro_export]
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::AnyConnection::Postgresql($c) => $body,
            $crate::db::AnyConnection::Sqlite($c) => $body,
        }
    };
}
pub use on_backend;

/// The connection pool shared by every request.
pub type Pool = r2d2::Pool<Manager>;

/// Which backend a database URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// PostgreSQL (production).
    Postgres,
    /// SQLite (embedded default).
    Sqlite,
}

impl Backend {
    /// `postgres://` and `postgresql://` are PostgreSQL; anything else is a SQLite path.
    pub fn of(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

/// Opens connections for the pool, giving the backend's own error message on failure.
#[derive(Debug, Clone)]
pub struct Manager {
    url: String,
}

impl Manager {
    /// A manager for `url` (see [`Backend::of`]).
    pub fn new(url: &str) -> Manager {
        Manager {
            url: url.to_owned(),
        }
    }

    fn sqlite_path(&self) -> &str {
        self.url.strip_prefix("sqlite://").unwrap_or(&self.url)
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = AnyConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<AnyConnection, r2d2::Error> {
        match Backend::of(&self.url) {
            Backend::Postgres => PgConnection::establish(&self.url)
                .map(AnyConnection::Postgresql)
                .map_err(r2d2::Error::ConnectionError),
            Backend::Sqlite => {
                let mut conn = SqliteConnection::establish(self.sqlite_path())
                    .map_err(r2d2::Error::ConnectionError)?;
                conn.batch_execute(
                    "PRAGMA busy_timeout = 15000; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
                )
                .map_err(r2d2::Error::QueryError)?;
                Ok(AnyConnection::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    /// A connection is dropped instead of going back to the pool when its transaction manager
    /// broke, when it comes back from a panicking thread, or when the work done on it failed
    /// (see [`run`]) and it no longer answers a ping. This replaces a liveness query on every
    /// checkout with one after a failure only.
    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        use r2d2::R2D2Connection;
        std::thread::panicking()
            || conn.is_broken()
            || (FAILED_ON_THIS_THREAD.replace(false) && conn.ping().is_err())
    }
}

thread_local! {
    /// Set by [`run`] when the work on a connection failed, read by [`Manager::has_broken`] as
    /// the connection goes back to the pool on the same thread.
    static FAILED_ON_THIS_THREAD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Builds the pool (without migrating). Fails when the first connection cannot be opened,
/// with the backend's message.
///
/// Checkouts run no liveness query (`test_on_check_out(false)`): a connection that died is
/// noticed by the query that fails on it (that request answers 503) and dropped on return by
/// [`Manager::has_broken`], so a read costs one round trip instead of two.
pub fn pool(url: &str) -> Result<Pool, String> {
    let size = match Backend::of(url) {
        Backend::Postgres => 16,
        Backend::Sqlite if url.contains(":memory:") => 1,
        Backend::Sqlite => 8,
    };
    let pool = r2d2::Pool::builder()
        .max_size(size)
        .min_idle(Some(1))
        .test_on_check_out(false)
        .connection_timeout(Duration::from_secs(5))
        .build(Manager::new(url))
        .map_err(|e| format!("cannot open database {}: {e}", redact(url)))?;
    if let Ok(mut conn) = pool.get()
        && let AnyConnection::Sqlite(c) = &mut *conn
        && !sqlite_plans_are_stable(c)
    {
        log::warn!(
            "SQLite was built without SQLITE_ENABLE_QPSG (see .cargo/config.toml): every query \
             with a LIMIT is prepared again on every run"
        );
    }
    Ok(pool)
}

/// Whether the linked SQLite keeps a prepared plan when its parameters are bound again
/// (compiled with `SQLITE_ENABLE_QPSG`, set in `.cargo/config.toml`). Without it SQLite 3.50
/// plans `LIMIT ?` with the bound value and expires the statement at the next bind, so diesel's
/// statement cache never hits for `.first()` and `.limit(n)`: a signed-in read served 12.7k
/// instead of 30.4k requests/s.
pub fn sqlite_plans_are_stable(conn: &mut SqliteConnection) -> bool {
    diesel::select(diesel::dsl::sql::<diesel::sql_types::Integer>(
        "sqlite_compileoption_used('ENABLE_QPSG')",
    ))
    .get_result::<i32>(conn)
    .is_ok_and(|used| used == 1)
}

/// Applies pending migrations for the pool's backend; returns how many ran.
pub fn migrate(pool: &Pool) -> Result<usize, String> {
    let mut conn = pool
        .get()
        .map_err(|e| format!("database unavailable: {e}"))?;
    let applied = match &mut *conn {
        AnyConnection::Sqlite(c) => c
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map(|v| v.len())
            .and_then(|n| {
                // A migration may edit a table's text in the schema (loosening a CHECK
                // constraint: migrations/sqlite/2026-12-07-220001_charge_types). Every other
                // connection re-reads the schema when its version changes, but the one that
                // made the change keeps what it had parsed until a transaction that changed the
                // schema rolls back: this one goes back to the pool, so it re-reads it now.
                c.batch_execute("BEGIN; CREATE TABLE schema_reload (x INTEGER); ROLLBACK;")?;
                Ok(n)
            }),
        AnyConnection::Postgresql(c) => c
            .run_pending_migrations(POSTGRES_MIGRATIONS)
            .map(|v| v.len()),
    };
    applied.map_err(|e| format!("migration failed: {e}"))
}

/// Runs blocking database work on actix's blocking thread pool with a pooled connection.
///
/// Errors: pool exhaustion or a dead database answer 503 `database_unavailable`; whatever `f`
/// returns is passed through.
pub async fn run<T, F>(pool: &Pool, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    web::block(move || {
        let asked = std::time::Instant::now();
        let conn = pool.get();
        crate::metrics::record_pool_wait(asked.elapsed(), conn.is_err());
        let mut conn = conn.map_err(ApiError::from)?;
        let result = f(&mut conn);
        FAILED_ON_THIS_THREAD.set(result.is_err());
        result
    })
    .await
    .map_err(|e| ApiError::internal(format!("blocking task failed: {e}")))?
}

/// Runs `f` in one transaction that holds the write lock from its first statement.
///
/// On SQLite a plain `BEGIN` takes the write lock only at the first write, and two such
/// transactions that both read first deadlock (SQLITE_BUSY without waiting), so the outermost
/// transaction starts with `BEGIN IMMEDIATE` and writers queue on `busy_timeout` instead. A
/// nested call is a savepoint. PostgreSQL needs nothing extra. Every change goes through here
/// by way of `crate::change::Change`, which adds its audit records, events and idempotency mark
/// before the commit; workers' bookkeeping (delivery claims) uses it directly.
pub fn transaction<T, F>(conn: &mut AnyConnection, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, ApiError>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    let immediate = match conn {
        AnyConnection::Sqlite(c) => {
            match AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE") {
                Ok(()) => true,
                Err(diesel::result::Error::AlreadyInTransaction) => false,
                Err(e) => return Err(e.into()),
            }
        }
        AnyConnection::Postgresql(_) => false,
    };
    if !immediate {
        return conn.transaction(f);
    }
    let result = f(conn);
    let AnyConnection::Sqlite(c) = conn else {
        return Err(ApiError::internal("SQLite transaction on another backend"));
    };
    match result {
        Ok(value) => match AnsiTransactionManager::commit_transaction(c) {
            Ok(()) => Ok(value),
            Err(e) => {
                let _ = AnsiTransactionManager::rollback_transaction(c);
                Err(e.into())
            }
        },
        Err(e) => {
            if let Err(rollback) = AnsiTransactionManager::rollback_transaction(c) {
                log::error!("rollback failed: {rollback}");
            }
            Err(e)
        }
    }
}

/// The newest migration applied to the database (its version, e.g. `20261206220001`), if any.
pub fn schema_version(conn: &mut AnyConnection) -> Result<Option<String>, ApiError> {
    let applied = match conn {
        AnyConnection::Sqlite(c) => c.applied_migrations(),
        AnyConnection::Postgresql(c) => c.applied_migrations(),
    }
    .map_err(|e| ApiError::internal(format!("migrations: {e}")))?;
    Ok(applied.iter().map(|v| v.to_string()).max())
}

/// Whether the database answers a trivial query (readiness probe).
pub fn ping(conn: &mut AnyConnection) -> Result<(), ApiError> {
    conn.batch_execute("SELECT 1")?;
    Ok(())
}

/// A URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme + 3],
                    &creds[..colon],
                    &url[at..]
                ),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use diesel::{Connection, SqliteConnection};

    #[test]
    fn bundled_sqlite_keeps_prepared_plans_across_binds() {
        let mut conn = SqliteConnection::establish(":memory:").expect("in-memory SQLite");
        assert!(
            super::sqlite_plans_are_stable(&mut conn),
            "build with LIBSQLITE3_FLAGS=SQLITE_ENABLE_QPSG (.cargo/config.toml)"
        );
    }
}
