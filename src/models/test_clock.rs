//! `test_clocks`: a provider's simulated time (docs/concepts.md#subscription-terms-and-lifecycle). A customer created on a clock
//! lives on it: every time of its subscriptions comes from the clock's `frozen_time`, and the
//! lifecycle runner leaves its subscriptions to the clock's advances. While an advance runs,
//! `status` is `advancing` and `advance_to` holds the time it is advancing to.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::AnyConnection;
use crate::domain::{Id, TestClockStatus};
use crate::schema::{customers, test_clocks as t};

/// A test clock.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = t)]
#[diesel(treat_none_as_default_value = false)]
pub struct TestClockRow {
    pub id: Id,
    /// The indirect provider that owns it.
    pub partner_id: Id,
    pub name: String,
    /// The clock's time: every transition due by then has run once `status` is `ready`.
    pub frozen_time: NaiveDateTime,
    /// The time an advance in progress is heading for.
    pub advance_to: Option<NaiveDateTime>,
    pub status: TestClockStatus,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl TestClockRow {
    /// Inserts a clock.
    pub fn insert(conn: &mut AnyConnection, row: &TestClockRow) -> QueryResult<()> {
        diesel::insert_into(t::table)
            .values(row)
            .execute(conn)
            .map(drop)
    }

    /// The clock `id` of `partner_id`, if any.
    pub fn find(
        conn: &mut AnyConnection,
        partner_id: Uuid,
        id: Uuid,
    ) -> QueryResult<Option<TestClockRow>> {
        t::table
            .filter(t::id.eq(Id::from(id)))
            .filter(t::partner_id.eq(Id::from(partner_id)))
            .select(TestClockRow::as_select())
            .first(conn)
            .optional()
    }

    /// The clock `id`, whoever owns it.
    pub fn get(conn: &mut AnyConnection, id: &Id) -> QueryResult<Option<TestClockRow>> {
        t::table
            .find(id)
            .select(TestClockRow::as_select())
            .first(conn)
            .optional()
    }

    /// One keyset page (by id) of a partner's clocks.
    pub fn page(
        conn: &mut AnyConnection,
        partner_id: Uuid,
        after: Option<&str>,
        limit: i64,
    ) -> QueryResult<Vec<TestClockRow>> {
        let mut q = t::table
            .filter(t::partner_id.eq(Id::from(partner_id)))
            .select(TestClockRow::as_select())
            .into_boxed();
        if let Some(after) = after {
            q = q.filter(t::id.gt(after.to_owned()));
        }
        q.order(t::id.asc()).limit(limit).load(conn)
    }

    /// The time on `clock`: its frozen time, or the real time for `None` (customers on no
    /// clock).
    pub fn time_on(conn: &mut AnyConnection, clock: Option<&Id>) -> QueryResult<NaiveDateTime> {
        match clock {
            None => Ok(super::now()),
            Some(id) => t::table.find(id).select(t::frozen_time).first(conn),
        }
    }

    /// The frozen times of `ids` (none queried when `ids` is empty).
    pub fn times(
        conn: &mut AnyConnection,
        ids: &[Id],
    ) -> QueryResult<std::collections::HashMap<Id, NaiveDateTime>> {
        if ids.is_empty() {
            return Ok(std::collections::HashMap::new());
        }
        let rows: Vec<(Id, NaiveDateTime)> = t::table
            .filter(t::id.eq_any(ids))
            .select((t::id, t::frozen_time))
            .load(conn)?;
        Ok(rows.into_iter().collect())
    }

    /// Starts an advance to `to` when the version still matches; returns whether it did.
    pub fn start_advance(
        conn: &mut AnyConnection,
        id: &Id,
        version: i64,
        to: NaiveDateTime,
    ) -> QueryResult<bool> {
        let n = diesel::update(t::table.filter(t::id.eq(id)).filter(t::version.eq(version)))
            .set((
                t::advance_to.eq(Some(to)),
                t::status.eq(TestClockStatus::Advancing),
                t::version.eq(version + 1),
                t::updated_at.eq(super::now()),
            ))
            .execute(conn)?;
        Ok(n == 1)
    }

    /// Moves the clock's time to `time` (the due time of the transition about to run, or the
    /// end of the advance); `ready` ends the advance.
    pub fn set_time(
        conn: &mut AnyConnection,
        id: &Id,
        time: NaiveDateTime,
        ready: bool,
    ) -> QueryResult<()> {
        let q = diesel::update(t::table.find(id));
        if ready {
            q.set((
                t::frozen_time.eq(time),
                t::advance_to.eq(None::<NaiveDateTime>),
                t::status.eq(TestClockStatus::Ready),
                t::version.eq(t::version + 1),
                t::updated_at.eq(super::now()),
            ))
            .execute(conn)
            .map(drop)
        } else {
            q.set(t::frozen_time.eq(time)).execute(conn).map(drop)
        }
    }

    /// Ids of the clocks with an advance in progress (oldest change first).
    pub fn advancing(conn: &mut AnyConnection, limit: i64) -> QueryResult<Vec<Id>> {
        t::table
            .filter(t::status.eq(TestClockStatus::Advancing))
            .order(t::updated_at.asc())
            .select(t::id)
            .limit(limit)
            .load(conn)
    }

    /// How many customers live on the clock.
    pub fn customer_count(conn: &mut AnyConnection, id: &Id) -> QueryResult<i64> {
        customers::table
            .filter(customers::test_clock_id.eq(Some(*id)))
            .count()
            .get_result(conn)
    }

    /// Deletes the clock.
    pub fn delete(conn: &mut AnyConnection, id: &Id) -> QueryResult<()> {
        diesel::delete(t::table.find(id)).execute(conn).map(drop)
    }
}
