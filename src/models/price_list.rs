//! `price_lists`, `price_list_versions` and `price_list_assignments` (docs/billing.md): a
//! partner's price list, its versions dated by `effective_from` (entries stored as a JSON array
//! of [`PriceEntry`]), and which of its lists a partner assigned to a reseller or a customer.

use chrono::NaiveDateTime;
use diesel::dsl::exists;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::AnyConnection;
use crate::domain::{BillingCycle, Id, TermDuration};
use crate::error::ApiError;
use crate::schema::{price_list_assignments as a, price_list_versions as v, price_lists as l};

/// The list `owner` assigned to `target` (its id; at most one row: the assignment's key).
#[diesel::dsl::auto_type]
fn assignment(owner: Id, target: Id) -> _ {
    a::table
        .filter(a::partner_id.eq(owner))
        .filter(a::target_id.eq(target))
        .select(a::price_list_id)
}

/// Whether a list is `owner`'s default list.
#[diesel::dsl::auto_type]
fn is_default_of(owner: Id) -> _ {
    l::partner_id.eq(owner).and(l::is_default)
}

/// Whether `owner` prices `target` with one of its lists — a list assigned to `target`, or
/// `owner`'s default list: true exactly when [`PriceListRow::assigned_or_default`] with
/// `or_default` finds one. An `EXISTS` expression to select with other columns (an order reads
/// it with its offers, `OfferRow::find_many_priced`, and skips the list lookup when false).
#[diesel::dsl::auto_type]
pub fn applies(owner: Id, target: Id) -> _ {
    let assigned: assignment = assignment(owner, target);
    let default: is_default_of = is_default_of(owner);
    exists(assigned).or(exists(l::table.filter(default).select(l::id)))
}

/// A price list.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = l)]
#[diesel(treat_none_as_default_value = false)]
pub struct PriceListRow {
    pub id: Id,
    /// The partner that owns it (a provider: prices over cost; a reseller: over its price).
    pub partner_id: Id,
    pub name: String,
    pub currency: String,
    /// The owner's default list (a provider's: the reseller price of resellers without one).
    pub is_default: bool,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The start of the version created with a list (2000-01-01 00:00): it prices every date
/// before the next version, earlier ones included ([`PriceListVersionRow::in_effect`]).
pub fn beginning() -> NaiveDateTime {
    chrono::NaiveDate::from_ymd_opt(2000, 1, 1)
        .unwrap_or(chrono::NaiveDate::MIN)
        .and_time(chrono::NaiveTime::MIN)
}

/// The time a version lookup at `at` uses: `at`, or [`beginning`] for an earlier time.
fn priced_as(at: NaiveDateTime) -> NaiveDateTime {
    at.max(beginning())
}

/// One version of a price list.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = v)]
#[diesel(treat_none_as_default_value = false)]
pub struct PriceListVersionRow {
    pub id: Id,
    pub price_list_id: Id,
    /// From when it prices (until the next version's `effective_from`).
    pub effective_from: NaiveDateTime,
    /// Decimal string: the markup of offers without an entry.
    pub default_markup_percent: String,
    /// JSON array of [`PriceEntry`].
    pub entries: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The price of one offer, term and cycle in a version: a fixed unit price per license per
/// cycle (minor units of the list's currency) or a markup over the price below.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PriceEntry {
    pub offer_id: Id,
    pub term_duration: TermDuration,
    pub billing_cycle: BillingCycle,
    pub unit_price_minor: Option<i64>,
    /// Decimal string.
    pub markup_percent: Option<String>,
}

impl PriceListVersionRow {
    /// The entries.
    pub fn entries(&self) -> Result<Vec<PriceEntry>, ApiError> {
        serde_json::from_str(&self.entries)
            .map_err(|e| ApiError::internal(format!("price list entries: {e}")))
    }
}

impl PriceListRow {
    /// How many price lists the partner `partner_id` has (its quota's count).
    pub fn count_for_partner(conn: &mut AnyConnection, partner_id: uuid::Uuid) -> QueryResult<i64> {
        l::table
            .filter(l::partner_id.eq(Id::from(partner_id)))
            .count()
            .get_result(conn)
    }
    /// Inserts a list.
    pub fn insert(conn: &mut AnyConnection, row: &PriceListRow) -> QueryResult<()> {
        diesel::insert_into(l::table)
            .values(row)
            .execute(conn)
            .map(drop)
    }

    /// The list `owner` assigned to `target`, else (with `or_default`) `owner`'s default list:
    /// one query (the assignment is read as a subquery; PostgreSQL ORs two index scans).
    pub fn assigned_or_default(
        conn: &mut AnyConnection,
        owner: &Id,
        target: &Id,
        or_default: bool,
    ) -> QueryResult<Option<Self>> {
        let assigned = || {
            l::id
                .nullable()
                .eq(assignment(*owner, *target).single_value())
        };
        let query = l::table.select(Self::as_select()).into_boxed();
        let query = if or_default {
            query
                .filter(assigned().or(is_default_of(*owner).nullable()))
                // The assigned list first (`true` sorts after `false`).
                .order(assigned().desc())
        } else {
            query.filter(assigned())
        };
        query.first(conn).optional()
    }

    /// The list `id` of `partner_id`.
    pub fn find(conn: &mut AnyConnection, partner_id: &Id, id: &Id) -> QueryResult<Option<Self>> {
        l::table
            .filter(l::id.eq(id))
            .filter(l::partner_id.eq(partner_id))
            .select(Self::as_select())
            .first(conn)
            .optional()
    }

    /// The list `id`, whoever owns it.
    pub fn get(conn: &mut AnyConnection, id: &Id) -> QueryResult<Option<Self>> {
        l::table
            .find(id)
            .select(Self::as_select())
            .first(conn)
            .optional()
    }

    /// The default list of `partner_id`, if it has one.
    pub fn default_of(conn: &mut AnyConnection, partner_id: &Id) -> QueryResult<Option<Self>> {
        l::table
            .filter(l::partner_id.eq(partner_id))
            .filter(l::is_default.eq(true))
            .select(Self::as_select())
            .first(conn)
            .optional()
    }

    /// Makes every other list of `partner_id` not its default, advancing the version of the one
    /// that was (its ETag changes with `isDefault`).
    pub fn clear_default(conn: &mut AnyConnection, partner_id: &Id, keep: &Id) -> QueryResult<()> {
        diesel::update(
            l::table
                .filter(l::partner_id.eq(partner_id))
                .filter(l::id.ne(keep))
                .filter(l::is_default.eq(true)),
        )
        .set((
            l::is_default.eq(false),
            l::version.eq(l::version + 1),
            l::updated_at.eq(super::now()),
        ))
        .execute(conn)
        .map(drop)
    }

    /// Sets name and default flag when the version still matches; returns whether it did.
    pub fn update(
        conn: &mut AnyConnection,
        row: &PriceListRow,
        expected: i64,
    ) -> QueryResult<bool> {
        let n = diesel::update(
            l::table
                .filter(l::id.eq(&row.id))
                .filter(l::version.eq(expected)),
        )
        .set((
            l::name.eq(&row.name),
            l::is_default.eq(row.is_default),
            l::version.eq(expected + 1),
            l::updated_at.eq(row.updated_at),
        ))
        .execute(conn)?;
        Ok(n == 1)
    }

    /// One keyset page (by id) of a partner's lists.
    pub fn page(
        conn: &mut AnyConnection,
        partner_id: &Id,
        after: Option<&str>,
        limit: i64,
    ) -> QueryResult<Vec<Self>> {
        let mut q = l::table
            .filter(l::partner_id.eq(partner_id))
            .select(Self::as_select())
            .into_boxed();
        if let Some(after) = after {
            q = q.filter(l::id.gt(after.to_owned()));
        }
        q.order(l::id.asc()).limit(limit).load(conn)
    }
}

impl PriceListVersionRow {
    /// Inserts a version.
    pub fn insert(conn: &mut AnyConnection, row: &PriceListVersionRow) -> QueryResult<()> {
        diesel::insert_into(v::table)
            .values(row)
            .execute(conn)
            .map(drop)
    }

    /// Replaces the markup and entries of version `id`.
    pub fn replace(conn: &mut AnyConnection, row: &PriceListVersionRow) -> QueryResult<()> {
        diesel::update(v::table.find(&row.id))
            .set((
                v::default_markup_percent.eq(&row.default_markup_percent),
                v::entries.eq(&row.entries),
                v::updated_at.eq(row.updated_at),
            ))
            .execute(conn)
            .map(drop)
    }

    /// Version `id` of `list`.
    pub fn find(conn: &mut AnyConnection, list: &Id, id: &Id) -> QueryResult<Option<Self>> {
        v::table
            .filter(v::id.eq(id))
            .filter(v::price_list_id.eq(list))
            .select(Self::as_select())
            .first(conn)
            .optional()
    }

    /// The version of `list` starting exactly at `from`.
    pub fn at_exactly(
        conn: &mut AnyConnection,
        list: &Id,
        from: NaiveDateTime,
    ) -> QueryResult<Option<Self>> {
        v::table
            .filter(v::price_list_id.eq(list))
            .filter(v::effective_from.eq(from))
            .select(Self::as_select())
            .first(conn)
            .optional()
    }

    /// The version of `list` in effect at `at` (the latest that starts at or before it). A time
    /// before [`beginning`] is priced as at [`beginning`]: the version created with the list
    /// starts there and prices every earlier date too (a test clock may be set to any date).
    pub fn in_effect(
        conn: &mut AnyConnection,
        list: &Id,
        at: NaiveDateTime,
    ) -> QueryResult<Option<Self>> {
        v::table
            .filter(v::price_list_id.eq(list))
            .filter(v::effective_from.le(priced_as(at)))
            .order(v::effective_from.desc())
            .select(Self::as_select())
            .first(conn)
            .optional()
    }

    /// How many of `list`'s versions have taken effect by `at` (the one created with the list
    /// always has).
    pub fn count_in_effect(
        conn: &mut AnyConnection,
        list: &Id,
        at: NaiveDateTime,
    ) -> QueryResult<i64> {
        v::table
            .filter(v::price_list_id.eq(list))
            .filter(v::effective_from.le(priced_as(at)))
            .count()
            .get_result(conn)
    }

    /// One keyset page (by id) of a list's versions.
    pub fn page(
        conn: &mut AnyConnection,
        list: &Id,
        after: Option<&str>,
        limit: i64,
    ) -> QueryResult<Vec<Self>> {
        let mut q = v::table
            .filter(v::price_list_id.eq(list))
            .select(Self::as_select())
            .into_boxed();
        if let Some(after) = after {
            q = q.filter(v::id.gt(after.to_owned()));
        }
        q.order(v::id.asc()).limit(limit).load(conn)
    }
}

/// Which list a partner assigned to a reseller (`reseller`) or a customer (`customer`).
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = a)]
#[diesel(treat_none_as_default_value = false)]
pub struct PriceListAssignmentRow {
    pub partner_id: Id,
    pub target_id: Id,
    pub target_kind: String,
    pub price_list_id: Id,
    pub updated_at: NaiveDateTime,
}

impl PriceListAssignmentRow {
    /// Assigns (or re-assigns) a list: delete then insert, in the caller's transaction.
    pub fn put(conn: &mut AnyConnection, row: &PriceListAssignmentRow) -> QueryResult<()> {
        diesel::delete(
            a::table
                .filter(a::partner_id.eq(&row.partner_id))
                .filter(a::target_id.eq(&row.target_id)),
        )
        .execute(conn)?;
        diesel::insert_into(a::table)
            .values(row)
            .execute(conn)
            .map(drop)
    }

    /// The list `partner_id` assigned to `target_id`, if any.
    pub fn of(
        conn: &mut AnyConnection,
        partner_id: &Id,
        target_id: &Id,
    ) -> QueryResult<Option<Id>> {
        a::table
            .filter(a::partner_id.eq(partner_id))
            .filter(a::target_id.eq(target_id))
            .select(a::price_list_id)
            .first(conn)
            .optional()
    }
}
