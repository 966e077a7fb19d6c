//! `billing_period_closes`, `statement_counters` and `statements` (docs/billing.md): a period
//! closed once per time scope, each issuer's last statement number, and the statements a close
//! issued. A statement's lines are not copied: they are the `billing_line_items` its key selects
//! ([`StatementRow::lines_page`]), which a closed period never gains (the insert trigger of the
//! migration refuses a line for a closed period), so a statement never changes once issued and
//! a line matches one statement per price level (the key is unique).
//!
//! The close is set-based ([`StatementRow::issue`]): one `INSERT … SELECT … GROUP BY` writes
//! every statement of the period and scope, numbered from the issuers' counters, and one upsert
//! then moves the counters — never a statement per line.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};

use crate::db::AnyConnection;
use crate::domain::statement::{BillTo, Period};
use crate::domain::{AuditOperation, Id, TenantKind};
use crate::models::audit::Actor;
use crate::models::billing_line::LineItemRow;
use crate::models::raw::{self, Arg};
use crate::schema::{
    billing_line_items as b, billing_period_closes as pc, customers, statements as st,
    subscriptions,
};

/// The clock key of a time scope: `''` for real time, else the test clock's id.
pub fn clock_key(clock: Option<&Id>) -> String {
    clock.map(|c| c.as_str().to_owned()).unwrap_or_default()
}

/// A closed period of one time scope.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = pc)]
#[diesel(treat_none_as_default_value = false)]
pub struct CloseRow {
    pub id: Id,
    /// `''`: real time; else the test clock's id.
    pub clock_key: String,
    /// `YYYY-MM`.
    pub period: String,
    /// The scope's time when it closed (on a test clock: 00:00 on the 1st, the clock's time).
    pub closed_at: NaiveDateTime,
    /// Statements issued.
    pub statement_count: i64,
    /// Real time of the close.
    pub created_at: NaiveDateTime,
}

impl CloseRow {
    /// The latest period closed in the scope `key`.
    pub fn last_period(conn: &mut AnyConnection, key: &str) -> QueryResult<Option<String>> {
        pc::table
            .filter(pc::clock_key.eq(key))
            .select(diesel::dsl::max(pc::period))
            .first(conn)
    }

    /// Claims the close of `row.period` in `row.clock_key`: inserts the row unless it exists.
    /// Returns whether this caller claimed it (a second runner waits for the first one's
    /// transaction on the unique key, then finds it taken).
    pub fn claim(conn: &mut AnyConnection, row: &CloseRow) -> QueryResult<bool> {
        let n = diesel::sql_query(
            "INSERT INTO billing_period_closes \
               (id, clock_key, period, closed_at, statement_count, created_at) \
             VALUES ($1, $2, $3, $4, 0, $5) ON CONFLICT (clock_key, period) DO NOTHING",
        )
        .bind::<Text, _>(&row.id)
        .bind::<Text, _>(&row.clock_key)
        .bind::<Text, _>(&row.period)
        .bind::<Timestamp, _>(row.closed_at)
        .bind::<Timestamp, _>(row.created_at)
        .execute(conn)?;
        Ok(n == 1)
    }

    /// The periods closed in the scope `key` before `before` (`YYYY-MM`; `None`: all), newest
    /// first, up to `limit`.
    pub fn page_before(
        conn: &mut AnyConnection,
        key: &str,
        before: Option<&str>,
        limit: i64,
    ) -> QueryResult<Vec<CloseRow>> {
        let mut q = pc::table
            .filter(pc::clock_key.eq(key))
            .select(CloseRow::as_select())
            .into_boxed();
        if let Some(before) = before {
            q = q.filter(pc::period.lt(before.to_owned()));
        }
        q.order(pc::period.desc()).limit(limit).load(conn)
    }
}

/// The earliest period with a line of a customer in the scope `key`, up to `upto`.
pub fn first_line_period(
    conn: &mut AnyConnection,
    key: &str,
    upto: Period,
) -> QueryResult<Option<String>> {
    let in_scope = customers::table
        .filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("COALESCE(customers.test_clock_id, '') = ")
                .bind::<Text, _>(key.to_owned()),
        )
        .select(customers::id);
    b::table
        .filter(b::billing_period.le(upto.to_string()))
        .filter(b::customer_id.eq_any(in_scope))
        .select(diesel::dsl::min(b::billing_period))
        .first(conn)
}

/// Whether a subscription of the scope (`clock`; `None`: real time) still has a transition due
/// before `at`: the period ending at `at` closes only after those have run, since they write
/// their lines at their due time.
pub fn transitions_due_before(
    conn: &mut AnyConnection,
    clock: Option<&Id>,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let q = subscriptions::table
        .filter(subscriptions::next_transition_at.lt(at))
        .select(subscriptions::id)
        .into_boxed();
    let q = match clock {
        None => q.filter(subscriptions::test_clock_id.is_null()),
        Some(c) => q.filter(subscriptions::test_clock_id.eq(*c)),
    };
    Ok(q.first::<Id>(conn).optional()?.is_some())
}

/// A statement: what `issuer` bills `bill_to` for one period, currency and time scope.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = st)]
pub struct StatementRow {
    pub id: Id,
    pub close_id: Id,
    /// The provider (bills resellers and direct customers) or a reseller (bills its customers).
    pub issuer_id: Id,
    pub issuer_kind: TenantKind,
    /// Who pays, which is also the price level of the amounts.
    pub bill_to_kind: BillTo,
    /// A reseller's partner id or a customer's id.
    pub bill_to_id: Id,
    /// `''`: real time; else the test clock's id.
    pub clock_key: String,
    /// `YYYY-MM`.
    pub period: String,
    pub currency: String,
    /// Gap-free per issuer from 1 (set in the transaction that issues it).
    pub number: Option<i64>,
    /// Sum of the lines' totals at the statement's price level.
    pub total_minor: i64,
    pub line_count: i64,
    /// The scope's time at issue (on a test clock: 00:00 on the 1st, the clock's time).
    pub issued_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

/// Which statements a reader may see.
#[derive(Debug, Clone, Copy)]
pub enum StatementScope {
    /// A provider: the statements it issued.
    Provider(Id),
    /// A reseller: the statements it issued and those issued to it.
    Reseller(Id),
    /// A customer: the statements issued to it.
    Customer(Id),
}

/// Statement filters.
#[derive(Debug, Clone, Default)]
pub struct StatementFilter {
    pub period: Option<String>,
    pub bill_to_id: Option<Id>,
    pub issuer_id: Option<Id>,
    /// Only the statements of this test clock's scope.
    pub test_clock_id: Option<Id>,
}

/// What [`StatementRow::issue`] needs.
#[derive(Debug, Clone)]
pub struct Issue<'a> {
    /// The claimed close.
    pub close: &'a CloseRow,
    /// The first 24 characters of a fresh UUIDv7 (`xxxxxxxx-xxxx-7xxx-yxxx-`): each statement's
    /// id is it followed by the statement's rank in the close as 12 hex digits, so the ids are
    /// unique, time-ordered across closes and made by the same statement that sums.
    pub id_prefix: String,
    /// Real time.
    pub created_at: NaiveDateTime,
}

/// (SQLite numbers `$N` parameters by first appearance, so each first appears in order.)
///
/// The grouped sums of a close and the statements they make (one statement per issuer, bill-to
/// party and currency): the provider bills each reseller of record at reseller prices and each
/// direct customer at customer prices; a reseller bills each customer the lines it priced with
/// its own list for that customer (`customer_price_list_id` set) at customer prices.
const ISSUE_SQL: &str = "\
WITH g AS MATERIALIZED (
    SELECT l.provider_id, l.reseller_id, l.customer_id, l.currency,
           CASE WHEN l.customer_price_list_id IS NULL THEN 0 ELSE 1 END AS listed,
           SUM(COALESCE(l.reseller_total_minor, 0)) AS r_total,
           SUM(l.customer_total_minor) AS c_total,
           COUNT(*) AS n
    FROM billing_line_items l
    WHERE l.billing_period = $1 AND SCOPE
    GROUP BY l.provider_id, l.reseller_id, l.customer_id, l.currency,
             CASE WHEN l.customer_price_list_id IS NULL THEN 0 ELSE 1 END
), k AS (
    SELECT provider_id AS issuer_id, 'indirect_provider' AS issuer_kind, 'reseller' AS bill_to_kind,
           reseller_id AS bill_to_id, currency, SUM(r_total) AS t, SUM(n) AS n
    FROM g WHERE reseller_id IS NOT NULL GROUP BY provider_id, reseller_id, currency
    UNION ALL
    SELECT provider_id, 'indirect_provider', 'customer', customer_id, currency, SUM(c_total),
           SUM(n)
    FROM g WHERE reseller_id IS NULL GROUP BY provider_id, customer_id, currency
    UNION ALL
    SELECT reseller_id, 'indirect_reseller', 'customer', customer_id, currency, SUM(c_total),
           SUM(n)
    FROM g WHERE reseller_id IS NOT NULL AND listed = 1 GROUP BY reseller_id, customer_id, currency
)
INSERT INTO statements (id, close_id, issuer_id, issuer_kind, bill_to_kind, bill_to_id, clock_key,
    period, currency, number, total_minor, line_count, issued_at,
    created_at)
SELECT $3 || RANK_HEX, $4, k.issuer_id, k.issuer_kind, k.bill_to_kind, k.bill_to_id, $2, $1,
       k.currency, STATEMENT_NUMBER, k.t, k.n, $5, $6
FROM k LEFT JOIN statement_counters c ON c.issuer_id = k.issuer_id WHERE true";

/// The rank of a statement in its close as 12 hex digits, per dialect.
const RANK: &str = "ROW_NUMBER() OVER (ORDER BY k.issuer_id, k.bill_to_id, k.currency)";

/// A statement's number: its issuer's last number before this close, plus its rank among the
/// issuer's statements of the close (in the order of their ids). Gap-free per issuer because
/// closes number one at a time ([`StatementRow::issue`]) and [`COUNT_SQL`] then moves the
/// counter by as many.
const NUMBER: &str = "COALESCE(c.last_number, 0) \
     + ROW_NUMBER() OVER (PARTITION BY k.issuer_id ORDER BY k.bill_to_id, k.currency)";

/// The rank of an audit record in its close.
const AUDIT_RANK: &str = "ROW_NUMBER() OVER (ORDER BY x.id, x.partner_id)";

/// Moves each issuer's counter by its statements in the close, after they are numbered.
const COUNT_SQL: &str = "\
INSERT INTO statement_counters (issuer_id, last_number)
SELECT issuer_id, COUNT(*) FROM statements WHERE close_id = $1 GROUP BY issuer_id
ON CONFLICT (issuer_id) DO UPDATE SET last_number = statement_counters.last_number + excluded.last_number";

/// `$q` (a boxed query on `statements`) narrowed to what `$scope` may see.
macro_rules! scoped {
    ($q:expr, $scope:expr) => {
        match $scope {
            StatementScope::Provider(p) => $q.filter(st::issuer_id.eq(p)),
            StatementScope::Reseller(r) => $q.filter(
                st::issuer_id.eq(r).or(st::bill_to_kind
                    .eq(BillTo::Reseller)
                    .and(st::bill_to_id.eq(r))),
            ),
            StatementScope::Customer(c) => $q
                .filter(st::bill_to_kind.eq(BillTo::Customer))
                .filter(st::bill_to_id.eq(c)),
        }
    };
}

impl StatementRow {
    /// Issues every statement of `issue.close` (its period and scope), numbered as it is written
    /// ([`NUMBER`]); then moves the issuers' counters and records the count on the close.
    /// Returns how many were issued. On PostgreSQL the table of line items is locked in SHARE
    /// mode first: changes still writing lines commit before the sums are taken, and later ones
    /// wait, then find the period closed; and the counters are locked against another close
    /// (of another scope) until this one commits. On SQLite the transaction holds the write
    /// lock from its start, so closes are one at a time already.
    pub fn issue(conn: &mut AnyConnection, issue: &Issue<'_>) -> QueryResult<usize> {
        let rank = match conn {
            AnyConnection::Postgresql(_) => {
                diesel::sql_query("LOCK TABLE billing_line_items IN SHARE MODE").execute(conn)?;
                // One close numbers at a time (the mode conflicts with itself, not with reads).
                diesel::sql_query("LOCK TABLE statement_counters IN SHARE ROW EXCLUSIVE MODE")
                    .execute(conn)?;
                format!("lpad(to_hex({RANK}), 12, '0')")
            }
            AnyConnection::Sqlite(_) => format!("printf('%012x', {RANK})"),
        };
        let close = issue.close;
        // The scope as a set of customers: for real time, every customer but those on a clock
        // (a small hashed set; PostgreSQL then scans the month's lines once, as the plain sum
        // does, rather than joining every line to its customer).
        let scope = if close.clock_key.is_empty() {
            "$2 = '' AND l.customer_id NOT IN \
             (SELECT id FROM customers WHERE test_clock_id IS NOT NULL)"
        } else {
            "l.customer_id IN (SELECT id FROM customers WHERE test_clock_id = $2)"
        };
        let sql = ISSUE_SQL
            .replace("STATEMENT_NUMBER", NUMBER)
            .replace("RANK_HEX", &rank)
            .replace("SCOPE", scope);
        let n = diesel::sql_query(sql)
            .bind::<Text, _>(&close.period)
            .bind::<Text, _>(&close.clock_key)
            .bind::<Text, _>(&issue.id_prefix)
            .bind::<Text, _>(&close.id)
            .bind::<Timestamp, _>(close.closed_at)
            .bind::<Timestamp, _>(issue.created_at)
            .execute(conn)?;
        if n == 0 {
            return Ok(0);
        }
        diesel::sql_query(COUNT_SQL)
            .bind::<Text, _>(&close.id)
            .execute(conn)?;
        diesel::update(pc::table.find(&close.id))
            .set(pc::statement_count.eq(n as i64))
            .execute(conn)?;
        Ok(n)
    }

    /// Writes the audit records of the statements of `close` with one `INSERT … SELECT`:
    /// `issue_statement` for the issuer of each (with the customer when it bills one) and, for
    /// a statement to a reseller, for the reseller too; each with `new_value` `{number, period,
    /// billToKind, billToId, total {amountMinor, currency}, lineCount}`, made by `actor` at `at`.
    /// Record ids are `id_prefix` (24 characters of a fresh UUIDv7) followed by the record's rank
    /// in the close as 12 hex digits. Returns how many records were written.
    pub fn audit_issued(
        conn: &mut AnyConnection,
        close: &Id,
        actor: &Actor,
        id_prefix: &str,
        at: NaiveDateTime,
    ) -> QueryResult<usize> {
        let (json, rank) = match conn {
            AnyConnection::Postgresql(_) => (
                "json_build_object",
                format!("lpad(to_hex({AUDIT_RANK}), 12, '0')"),
            ),
            AnyConnection::Sqlite(_) => ("json_object", format!("printf('%012x', {AUDIT_RANK})")),
        };
        let new_value = format!(
            "{json}('number', s.number, 'period', s.period, 'billToKind', s.bill_to_kind, \
             'billToId', s.bill_to_id, 'total', {json}('amountMinor', s.total_minor, \
             'currency', s.currency), 'lineCount', s.line_count)"
        );
        let cast = if json == "json_object" { "" } else { "::text" };
        let sql = format!(
            "INSERT INTO audit_records (id, partner_id, customer_id, actor_type, actor_id, \
               actor_name, operation_type, resource_type, resource_id, old_value, new_value, \
               request_id, created_at) \
             SELECT ? || {rank}, x.partner_id, x.customer_id, ?, ?, ?, ?, ?, x.id, NULL, \
               x.new_value, ?, ? \
             FROM (SELECT s.id, s.issuer_id AS partner_id, \
                     CASE WHEN s.bill_to_kind = 'customer' THEN s.bill_to_id END AS customer_id, \
                     {new_value}{cast} AS new_value \
                   FROM statements s WHERE s.close_id = ? \
                   UNION ALL \
                   SELECT s.id, s.bill_to_id, NULL, {new_value}{cast} \
                   FROM statements s WHERE s.close_id = ? AND s.bill_to_kind = 'reseller') x"
        );
        let op = AuditOperation::IssueStatement;
        raw::execute(
            conn,
            &sql,
            vec![
                Arg::Text(id_prefix.to_owned()),
                Arg::Text(actor.kind.to_owned()),
                Arg::OptText(actor.id.map(|i| i.to_string())),
                Arg::Text(actor.name.clone()),
                Arg::Text(op.as_str().to_owned()),
                Arg::Text(op.resource_type().to_owned()),
                Arg::Text(actor.request_id.clone()),
                Arg::Time(at),
                Arg::Text(close.as_str().to_owned()),
                Arg::Text(close.as_str().to_owned()),
            ],
        )
    }

    /// The partners a close's statements concern: each issuer and each reseller billed.
    pub fn partners_of_close(conn: &mut AnyConnection, close: &Id) -> QueryResult<Vec<String>> {
        let found: Vec<raw::IdText> = raw::load(
            conn,
            "SELECT issuer_id AS id FROM statements WHERE close_id = ? \
             UNION SELECT bill_to_id FROM statements WHERE close_id = ? \
               AND bill_to_kind = 'reseller'",
            vec![
                Arg::Text(close.as_str().to_owned()),
                Arg::Text(close.as_str().to_owned()),
            ],
        )?;
        Ok(found.into_iter().map(|r| r.id).collect())
    }

    /// The statements of a close that concern one of `partners` (as issuer, or as the reseller
    /// billed).
    pub fn of_close_for(
        conn: &mut AnyConnection,
        close: &Id,
        partners: &[Id],
    ) -> QueryResult<Vec<StatementRow>> {
        st::table
            .filter(st::close_id.eq(close))
            .filter(
                st::issuer_id.eq_any(partners).or(st::bill_to_kind
                    .eq(BillTo::Reseller)
                    .and(st::bill_to_id.eq_any(partners))),
            )
            .order(st::id.asc())
            .select(StatementRow::as_select())
            .load(conn)
    }

    /// The statement `id` if `scope` may see it.
    pub fn find(
        conn: &mut AnyConnection,
        scope: StatementScope,
        id: &Id,
    ) -> QueryResult<Option<StatementRow>> {
        let q = st::table.select(StatementRow::as_select()).into_boxed();
        scoped!(q, scope)
            .filter(st::id.eq(id))
            .first(conn)
            .optional()
    }

    /// One keyset page (by id) of the statements `scope` may see that match `filter`.
    pub fn page(
        conn: &mut AnyConnection,
        scope: StatementScope,
        filter: &StatementFilter,
        after: Option<&str>,
        limit: i64,
    ) -> QueryResult<Vec<StatementRow>> {
        let q = st::table.select(StatementRow::as_select()).into_boxed();
        let mut q = scoped!(q, scope);
        if let Some(p) = &filter.period {
            q = q.filter(st::period.eq(p.clone()));
        }
        if let Some(b) = filter.bill_to_id {
            q = q.filter(st::bill_to_id.eq(b));
        }
        if let Some(i) = filter.issuer_id {
            q = q.filter(st::issuer_id.eq(i));
        }
        if let Some(c) = &filter.test_clock_id {
            q = q.filter(st::clock_key.eq(c.as_str().to_owned()));
        }
        if let Some(after) = after {
            q = q.filter(st::id.gt(after.to_owned()));
        }
        q.order(st::id.asc()).limit(limit).load(conn)
    }

    /// One keyset page (by line id) of this statement's lines: the line items of its period and
    /// currency, of its issuer and bill-to party, of customers in its time scope.
    pub fn lines_page(
        &self,
        conn: &mut AnyConnection,
        after: Option<&str>,
        limit: i64,
    ) -> QueryResult<Vec<LineItemRow>> {
        let mut q = b::table
            .select(LineItemRow::as_select())
            .filter(b::billing_period.eq(self.period.clone()))
            .filter(b::currency.eq(self.currency.clone()))
            .into_boxed();
        q = match (self.issuer_kind, self.bill_to_kind) {
            (_, BillTo::Reseller) => {
                let in_scope = customers::table
                    .filter(
                        diesel::dsl::sql::<diesel::sql_types::Bool>(
                            "COALESCE(customers.test_clock_id, '') = ",
                        )
                        .bind::<Text, _>(self.clock_key.clone()),
                    )
                    .select(customers::id);
                q.filter(b::provider_id.eq(self.issuer_id))
                    .filter(b::reseller_id.eq(self.bill_to_id))
                    .filter(b::customer_id.eq_any(in_scope))
            }
            (TenantKind::IndirectReseller, BillTo::Customer) => q
                .filter(b::reseller_id.eq(self.issuer_id))
                .filter(b::customer_id.eq(self.bill_to_id))
                .filter(b::customer_price_list_id.is_not_null()),
            (_, BillTo::Customer) => q
                .filter(b::provider_id.eq(self.issuer_id))
                .filter(b::reseller_id.is_null())
                .filter(b::customer_id.eq(self.bill_to_id)),
        };
        if let Some(after) = after {
            q = q.filter(b::id.gt(after.to_owned()));
        }
        q.order(b::id.asc()).limit(limit).load(conn)
    }
}

/// Sums of a statement's lines, read back (for checks): (count, total at its price level).
pub fn line_sums(conn: &mut AnyConnection, s: &StatementRow) -> QueryResult<(i64, i64)> {
    #[derive(QueryableByName)]
    struct Sums {
        #[diesel(sql_type = BigInt)]
        n: i64,
        #[diesel(sql_type = Nullable<BigInt>)]
        total: Option<i64>,
    }
    let amount = match s.bill_to_kind {
        BillTo::Reseller => "l.reseller_total_minor",
        BillTo::Customer => "l.customer_total_minor",
    };
    let party = match (s.issuer_kind, s.bill_to_kind) {
        (_, BillTo::Reseller) => "l.provider_id = $1 AND l.reseller_id = $2",
        (TenantKind::IndirectReseller, BillTo::Customer) => {
            "l.reseller_id = $1 AND l.customer_id = $2 AND l.customer_price_list_id IS NOT NULL"
        }
        (_, BillTo::Customer) => {
            "l.provider_id = $1 AND l.reseller_id IS NULL AND l.customer_id = $2"
        }
    };
    let sql = format!(
        "SELECT COUNT(*) AS n, CAST(SUM({amount}) AS BIGINT) AS total \
         FROM billing_line_items l JOIN customers c ON c.id = l.customer_id \
         WHERE {party} AND l.billing_period = $3 AND l.currency = $4 \
           AND COALESCE(c.test_clock_id, '') = $5"
    );
    let r: Sums = diesel::sql_query(sql)
        .bind::<Text, _>(&s.issuer_id)
        .bind::<Text, _>(&s.bill_to_id)
        .bind::<Text, _>(&s.period)
        .bind::<Text, _>(&s.currency)
        .bind::<Text, _>(&s.clock_key)
        .get_result(conn)?;
    Ok((r.n, r.total.unwrap_or(0)))
}
