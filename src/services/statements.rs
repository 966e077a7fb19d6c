//! Billing periods and statements (docs/billing.md). A period is a calendar month in UTC; when
//! it ends (00:00 UTC on the 1st) the lifecycle runner closes it and issues the statements, one
//! per issuer, bill-to party and currency: the provider to each reseller of record (reseller
//! prices), the provider to each direct customer (customer prices), and a reseller to each
//! customer it priced with its own list (customer prices).
//!
//! **Time scopes.** Real time and each test clock are separate scopes: a customer on a clock has
//! its lines closed by the clock's advances (in order with its transitions), a customer on real
//! time by the runner — neither ever closes the other's lines, and their statements are
//! separate (a statement names its clock). A scope's period closes only once no subscription of
//! the scope has a transition due before its end, since a transition writes its lines at its
//! due time.
//!
//! **Exactly once.** A close is one change: it claims `(scope, period)` with a unique row (a
//! second runner waits for the first one's commit, then finds the row and does nothing), sums
//! the period's lines into statements in one `INSERT … SELECT … GROUP BY`, moves each issuer's
//! counter and numbers the statements from it (gap-free), and writes the audit records and
//! `statement-issued` events, all in one transaction. Statements also have a unique key
//! (issuer, bill-to party, period, currency, scope).
//!
//! [`close_due`] and [`close_period`] are the library entry points (the runner, test clocks, the
//! benchmark and tests call them with an explicit time).

use chrono::NaiveDateTime;
use uuid::Uuid;

use crate::api::statements::Statement;
use crate::auth::{PartnerCaller, Principal};
use crate::change::Change;
use crate::db::AnyConnection;
use crate::domain::events::event_for;
use crate::domain::statement::{BillTo, Period, PeriodState};
use crate::domain::{AuditOperation, Id, TenantKind};
use crate::error::ApiError;
use crate::models::audit::{Actor, Audit};
use crate::models::billing_line::LineItemRow;
use crate::models::change_rows;
use crate::models::statement::{
    self as m, CloseRow, Issue, StatementFilter, StatementRow, StatementScope,
};
use crate::models::test_clock::TestClockRow;
use crate::models::{ids, now};
use crate::services::test_clocks;

/// The name of the closing runner in audit records.
pub const ACTOR: &str = "lifecycle runner";

fn stored_period(p: &str) -> Result<Period, ApiError> {
    p.parse()
        .map_err(|e| ApiError::internal(format!("stored period: {e}")))
}

/// Closes every period of the scope `clock` (`None`: real time) that has ended by `now` and is
/// not closed yet, oldest first, each as one change ([`close_period`]); stops at the first
/// period whose scope still has a transition due before its end. A scope that never closed
/// starts at the month of its first line (or, with none, the month before `now`). Returns how
/// many statements were issued.
///
/// On a test clock each period closes at its end in the clock's time (the clock is moved to it
/// first when it is behind); on real time, at `now`.
pub fn close_due(
    conn: &mut AnyConnection,
    clock: Option<&Id>,
    now: NaiveDateTime,
) -> Result<usize, ApiError> {
    let key = m::clock_key(clock);
    let target = Period::of(now).previous();
    let mut next = match CloseRow::last_period(conn, &key)? {
        Some(p) => stored_period(&p)?.next(),
        None => match m::first_line_period(conn, &key, target)? {
            Some(p) => stored_period(&p)?.min(target),
            None => target,
        },
    };
    let mut issued = 0;
    while next <= target {
        if m::transitions_due_before(conn, clock, next.end())? {
            break;
        }
        let closed_at = match clock {
            Some(c) => {
                // The clock passes the 1st first: a change on its customers from then on
                // writes its lines in the next month, never in the one closing.
                if TestClockRow::time_on(conn, Some(c))? < next.end() {
                    TestClockRow::set_time(conn, c, next.end(), false)?;
                }
                next.end()
            }
            None => now,
        };
        issued += close_period(conn, clock, next, closed_at)?.unwrap_or(0);
        next = next.next();
    }
    Ok(issued)
}

/// Closes `period` in the scope `clock` (`None`: real time) as one change at `closed_at` (the
/// statements' `issuedAt`): claims the close, issues and numbers the statements with set-based
/// statements, and audits each one (`issue_statement`, for the issuer and, when the bill-to
/// party is a reseller, for it too; each gets a `statement-issued` event). Returns the number
/// of statements issued, or `None` when the period was already closed in that scope (by
/// another runner, or before).
pub fn close_period(
    conn: &mut AnyConnection,
    clock: Option<&Id>,
    period: Period,
    closed_at: NaiveDateTime,
) -> Result<Option<usize>, ApiError> {
    let prefix = ids::bulk_prefix();
    close_period_with_ids(conn, clock, period, closed_at, &prefix)
}

/// As [`close_period`], with the statements' ids made of `id_prefix` (the first 24 characters
/// of a UUID, `xxxxxxxx-xxxx-7xxx-yxxx-`) and each one's rank in the close as 12 hex digits: the
/// demo's fixed ids. Ids must never repeat, so anything else uses [`close_period`].
pub fn close_period_with_ids(
    conn: &mut AnyConnection,
    clock: Option<&Id>,
    period: Period,
    closed_at: NaiveDateTime,
    id_prefix: &str,
) -> Result<Option<usize>, ApiError> {
    Change::run(conn, Actor::system(ACTOR), None, |change| {
        let close = CloseRow {
            id: ids::new(),
            clock_key: m::clock_key(clock),
            period: period.to_string(),
            closed_at,
            statement_count: 0,
            created_at: now(),
        };
        if !CloseRow::claim(change.conn(), &close)? {
            return Ok(None);
        }
        let issue = Issue {
            close: &close,
            id_prefix: id_prefix.to_owned(),
            created_at: close.created_at,
        };
        let n = StatementRow::issue(change.conn(), &issue)?;
        if n > 0 {
            audit_issued(change, &close)?;
        }
        Ok(Some(n))
    })
}

/// The audit records of the statements of `close` (`issue_statement`, for the issuer and, when
/// the bill-to party is a reseller, for it too), written set-based; then, for the partners
/// with an endpoint subscribed to `statement-issued`, the same records announced to the change,
/// which writes their events at commit. A close of thousands of statements thus builds no
/// record or payload in memory that nobody receives.
fn audit_issued(change: &mut Change<'_>, close: &CloseRow) -> Result<(), ApiError> {
    let prefix = ids::bulk_prefix();
    let actor = change.actor().clone();
    StatementRow::audit_issued(change.conn(), &close.id, &actor, &prefix, close.created_at)?;
    let event = event_for(AuditOperation::IssueStatement.as_str())
        .ok_or_else(|| ApiError::internal("issue_statement has no event"))?;
    let pairs: Vec<(String, &'static str)> =
        StatementRow::partners_of_close(change.conn(), &close.id)?
            .into_iter()
            .map(|p| (p, event.name))
            .collect();
    let listening: Vec<Id> = change_rows::subscribed_among(change.conn(), &pairs)?
        .into_iter()
        .filter_map(|(p, _)| p.parse().ok())
        .collect();
    if listening.is_empty() {
        return Ok(());
    }
    for row in StatementRow::of_close_for(change.conn(), &close.id, &listening)? {
        announce_issue(change, row, &listening, close.created_at);
    }
    Ok(())
}

/// Announces the audit records of an issued statement to the partners among `listening` (the
/// records themselves, with their `new_value`, are [`StatementRow::audit_issued`]'s; an event
/// carries the statement as its resource).
fn announce_issue(change: &mut Change<'_>, row: StatementRow, listening: &[Id], at: NaiveDateTime) {
    let (issuer, bill_to, kind) = (row.issuer_id, row.bill_to_id, row.bill_to_kind);
    let resource = Statement::from(row);
    let record = |partner: Id| {
        let a = Audit::new(AuditOperation::IssueStatement, resource.id)
            .partner(partner.uuid())
            .resource(&resource)
            .at(at);
        if kind == BillTo::Customer {
            a.customer(bill_to.uuid())
        } else {
            a
        }
    };
    if listening.contains(&issuer) {
        change.announce(record(issuer));
    }
    if kind == BillTo::Reseller && listening.contains(&bill_to) {
        change.announce(record(bill_to));
    }
}

/// One page of the billing periods of a time scope, newest first: the scope's current period
/// (open), the ended ones not closed yet, then the closed ones; up to `limit` periods before
/// the period `before` (`YYYY-MM`, the cursor). The scope is real time, or with `clock` one of
/// the caller's test clocks (404 `not_found` for any other clock). A scope that never closed a
/// month lists its months from the one of its first line (a runner closing an earlier month
/// without lines, see [`close_due`], makes it appear as `closed`).
pub fn periods(
    conn: &mut AnyConnection,
    caller: &PartnerCaller,
    clock: Option<Uuid>,
    before: Option<&str>,
    limit: i64,
) -> Result<Vec<PeriodState>, ApiError> {
    let (clock, scope_now) = match clock {
        Some(id) => {
            let row = test_clocks::get(conn, caller, id)?;
            (Some(row.id), row.frozen_time)
        }
        None => (None, now()),
    };
    let key = m::clock_key(clock.as_ref());
    let current = Period::of(scope_now);
    let first_open = match CloseRow::last_period(conn, &key)? {
        Some(p) => stored_period(&p)?.next(),
        None => match m::first_line_period(conn, &key, current)? {
            Some(p) => stored_period(&p)?.min(current),
            None => current,
        },
    };
    let is_before = |p: &Period| before.is_none_or(|b| p.to_string().as_str() < b);
    let mut out = Vec::new();
    let mut p = current;
    while p >= first_open && (out.len() as i64) < limit {
        if is_before(&p) {
            out.push(PeriodState {
                period: p,
                clock,
                closed_at: None,
                ended: p < current,
            });
        }
        p = p.previous();
    }
    let room = limit - out.len() as i64;
    if room > 0 {
        let first = first_open.to_string();
        let before = match before {
            Some(b) if b < first.as_str() => b,
            _ => first.as_str(),
        };
        for row in CloseRow::page_before(conn, &key, Some(before), room)? {
            out.push(PeriodState {
                period: stored_period(&row.period)?,
                clock,
                closed_at: Some(row.closed_at),
                ended: true,
            });
        }
    }
    Ok(out)
}

/// Which statements `caller` may see: a provider those it issued; a reseller those it issued
/// and those issued to it; a customer (its admin) those issued to it.
pub fn scope_of(caller: &Principal) -> StatementScope {
    let me = Id::from(caller.tenant_id);
    match caller.tenant_kind {
        TenantKind::IndirectProvider => StatementScope::Provider(me),
        TenantKind::IndirectReseller => StatementScope::Reseller(me),
        TenantKind::Customer => StatementScope::Customer(me),
    }
}

/// One page of the statements `caller` may see that match `filter`.
pub fn list(
    conn: &mut AnyConnection,
    caller: &Principal,
    filter: &StatementFilter,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<StatementRow>, ApiError> {
    Ok(StatementRow::page(
        conn,
        scope_of(caller),
        filter,
        after,
        limit,
    )?)
}

/// The statement `id` if `caller` may see it; 404 `not_found` otherwise.
pub fn get(
    conn: &mut AnyConnection,
    caller: &Principal,
    id: Uuid,
) -> Result<StatementRow, ApiError> {
    StatementRow::find(conn, scope_of(caller), &Id::from(id))?
        .ok_or_else(|| ApiError::not_found("The statement"))
}

/// One page of the lines of `statement` (up to `limit` after the line id `after`).
pub fn lines(
    conn: &mut AnyConnection,
    statement: &StatementRow,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<LineItemRow>, ApiError> {
    Ok(statement.lines_page(conn, after, limit)?)
}
