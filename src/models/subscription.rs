//! `subscriptions`: a customer's subscription to an offer, with its license quantity, billing
//! partner (the indirect provider), reseller of record and designated support contact
//! (product.md §3, §4).

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Nullable};
use uuid::Uuid;

use crate::db::{AnyConnection, MultiBackend};
use crate::domain::{BillingCycle, Id, SubscriptionStatus};
use crate::schema::subscriptions as s;

/// A subscription.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = s)]
#[diesel(treat_none_as_default_value = false)]
pub struct SubscriptionRow {
    pub id: Id,
    pub customer_id: Id,
    pub offer_id: Id,
    pub order_id: Option<Id>,
    pub quantity: i32,
    pub status: SubscriptionStatus,
    /// An unknown stored cycle fails the read.
    pub billing_cycle: BillingCycle,
    pub auto_renew: bool,
    pub friendly_name: String,
    pub billing_partner_id: Id,
    pub partner_id_on_record: Option<Id>,
    pub support_contact_partner_id: Id,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl SubscriptionRow {
    /// A customer's subscription with `id`, if any.
    pub fn find(
        conn: &mut AnyConnection,
        customer_id: Uuid,
        id: Uuid,
    ) -> QueryResult<Option<SubscriptionRow>> {
        s::table
            .filter(s::id.eq(Id::from(id)))
            .filter(s::customer_id.eq(Id::from(customer_id)))
            .select(SubscriptionRow::as_select())
            .first(conn)
            .optional()
    }

    /// A customer's subscription with `id` if it is within `scope` (see [`SubscriptionScope`]).
    pub fn find_in_scope(
        conn: &mut AnyConnection,
        customer_id: Uuid,
        id: Uuid,
        scope: SubscriptionScope,
    ) -> QueryResult<Option<SubscriptionRow>> {
        s::table
            .filter(s::id.eq(Id::from(id)))
            .filter(s::customer_id.eq(Id::from(customer_id)))
            .filter(scope.condition())
            .select(SubscriptionRow::as_select())
            .first(conn)
            .optional()
    }

    /// Inserts a subscription.
    pub fn insert(conn: &mut AnyConnection, row: &SubscriptionRow) -> QueryResult<()> {
        diesel::insert_into(s::table)
            .values(row)
            .execute(conn)
            .map(drop)
    }

    /// Ids of the customer's `active` subscriptions billed by or attributed to `partner_id`
    /// (what blocks removing that partner's relationship, product.md §2).
    pub fn active_ids_for_partner(
        conn: &mut AnyConnection,
        customer_id: Uuid,
        partner_id: Uuid,
    ) -> QueryResult<Vec<Id>> {
        let p = Id::from(partner_id);
        s::table
            .filter(s::customer_id.eq(Id::from(customer_id)))
            .filter(s::status.eq(SubscriptionStatus::Active))
            .filter(
                s::billing_partner_id
                    .eq(p)
                    .or(s::partner_id_on_record.eq(p)),
            )
            .order(s::id.asc())
            .select(s::id)
            .load(conn)
    }

    /// Subscriptions whose support contact is `partner_id`, optionally only one customer's or
    /// only those billed by one provider.
    pub fn supported_by(
        conn: &mut AnyConnection,
        partner_id: Uuid,
        customer_id: Option<Uuid>,
        billing_partner_id: Option<Uuid>,
    ) -> QueryResult<Vec<SubscriptionRow>> {
        let mut q = s::table
            .filter(s::support_contact_partner_id.eq(Id::from(partner_id)))
            .select(SubscriptionRow::as_select())
            .into_boxed();
        if let Some(c) = customer_id {
            q = q.filter(s::customer_id.eq(Id::from(c)));
        }
        if let Some(b) = billing_partner_id {
            q = q.filter(s::billing_partner_id.eq(Id::from(b)));
        }
        q.order(s::id.asc()).load(conn)
    }

    /// Sets the support contact, bumping the version.
    pub fn set_support_contact(
        conn: &mut AnyConnection,
        row: &SubscriptionRow,
        partner_id: &Id,
    ) -> QueryResult<bool> {
        let n = diesel::update(
            s::table
                .filter(s::id.eq(&row.id))
                .filter(s::version.eq(row.version)),
        )
        .set((
            s::support_contact_partner_id.eq(partner_id),
            s::version.eq(row.version + 1),
            s::updated_at.eq(super::now()),
        ))
        .execute(conn)?;
        Ok(n == 1)
    }
}

/// Filters for listing a customer's subscriptions.
#[derive(Debug, Default)]
pub struct SubscriptionFilter {
    /// Only this status.
    pub status: Option<SubscriptionStatus>,
    /// Only subscriptions to this offer.
    pub offer_id: Option<Id>,
    /// Only those with this reseller of record.
    pub partner_id_on_record: Option<Uuid>,
}

/// Which of a customer's subscriptions a caller reaches (product.md §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionScope {
    /// All of them (the customer's own users).
    All,
    /// Those billed by this indirect provider.
    BilledBy(Uuid),
    /// Those this indirect reseller is reseller of record or support contact for.
    OnRecordOrSupporting(Uuid),
}

impl SubscriptionScope {
    /// The scope as a SQL condition on `subscriptions`: the one statement of which of a
    /// customer's subscriptions a caller reaches, used by [`SubscriptionRow::find_in_scope`] and
    /// [`SubscriptionRow::page`] alike.
    fn condition(
        self,
    ) -> Box<dyn BoxableExpression<s::table, MultiBackend, SqlType = Nullable<Bool>>> {
        match self {
            SubscriptionScope::All => Box::new(s::id.is_not_null().nullable()),
            SubscriptionScope::BilledBy(p) => {
                Box::new(s::billing_partner_id.eq(Id::from(p)).nullable())
            }
            SubscriptionScope::OnRecordOrSupporting(r) => Box::new(
                s::partner_id_on_record
                    .eq(Id::from(r))
                    .or(s::support_contact_partner_id.eq(Id::from(r))),
            ),
        }
    }
}

/// Changes to a subscription (`None` leaves a column as it is).
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = s)]
pub struct SubscriptionChanges {
    pub quantity: Option<i32>,
    pub status: Option<SubscriptionStatus>,
    pub auto_renew: Option<bool>,
    pub friendly_name: Option<String>,
    pub partner_id_on_record: Option<Option<Id>>,
}

impl SubscriptionRow {
    /// One keyset page (by id) of a customer's subscriptions within `scope` (see
    /// [`SubscriptionScope`]) matching `filter`.
    pub fn page(
        conn: &mut AnyConnection,
        customer_id: Uuid,
        scope: SubscriptionScope,
        filter: &SubscriptionFilter,
        after: Option<&str>,
        limit: i64,
    ) -> QueryResult<Vec<SubscriptionRow>> {
        let mut q = s::table
            .filter(s::customer_id.eq(Id::from(customer_id)))
            .select(SubscriptionRow::as_select())
            .into_boxed();
        if let Some(status) = filter.status {
            q = q.filter(s::status.eq(status));
        }
        if let Some(offer) = &filter.offer_id {
            q = q.filter(s::offer_id.eq(*offer));
        }
        if let Some(p) = filter.partner_id_on_record {
            q = q.filter(s::partner_id_on_record.eq(Id::from(p)));
        }
        q = q.filter(scope.condition());
        if let Some(after) = after {
            q = q.filter(s::id.gt(after.to_owned()));
        }
        q.order(s::id.asc()).limit(limit).load(conn)
    }

    /// How many subscriptions `customer_id` holds to each of `offer_ids` (any status), one
    /// indexed aggregate over (customer_id, offer_id, status); offers it holds none of are absent.
    pub fn count_by_offer(
        conn: &mut AnyConnection,
        customer_id: Uuid,
        offer_ids: &[Id],
    ) -> QueryResult<HashMap<Id, i64>> {
        let rows: Vec<(Id, i64)> = s::table
            .filter(s::customer_id.eq(Id::from(customer_id)))
            .filter(s::offer_id.eq_any(offer_ids))
            .group_by(s::offer_id)
            .select((s::offer_id, diesel::dsl::count_star()))
            .load(conn)?;
        Ok(rows.into_iter().collect())
    }

    /// Which of `offer_ids` `customer_id` holds an active subscription to (each at most once).
    pub fn active_offers_among(
        conn: &mut AnyConnection,
        customer_id: Uuid,
        offer_ids: &[Id],
    ) -> QueryResult<HashSet<Id>> {
        if offer_ids.is_empty() {
            return Ok(HashSet::new());
        }
        let rows: Vec<Id> = s::table
            .filter(s::customer_id.eq(Id::from(customer_id)))
            .filter(s::offer_id.eq_any(offer_ids))
            .filter(s::status.eq(SubscriptionStatus::Active))
            .select(s::offer_id)
            .distinct()
            .load(conn)?;
        Ok(rows.into_iter().collect())
    }

    /// Applies `changes` when the version still matches; returns whether a row changed.
    pub fn update(
        conn: &mut AnyConnection,
        id: &Id,
        expected_version: i64,
        changes: &SubscriptionChanges,
    ) -> QueryResult<bool> {
        let n = diesel::update(
            s::table
                .filter(s::id.eq(id))
                .filter(s::version.eq(expected_version)),
        )
        .set((
            changes,
            s::version.eq(expected_version + 1),
            s::updated_at.eq(super::now()),
        ))
        .execute(conn)?;
        Ok(n == 1)
    }
}

impl SubscriptionRow {
    /// One keyset page (by id, oldest first) of a customer's subscriptions, each with its
    /// offer's name (the customer's product support page, product.md §4).
    pub fn page_with_offer_name(
        conn: &mut AnyConnection,
        customer_id: Uuid,
        after: Option<&str>,
        limit: i64,
    ) -> QueryResult<Vec<(SubscriptionRow, String)>> {
        use crate::schema::offers;
        let mut q = s::table
            .inner_join(offers::table.on(offers::id.eq(s::offer_id)))
            .filter(s::customer_id.eq(Id::from(customer_id)))
            .select((SubscriptionRow::as_select(), offers::name))
            .into_boxed();
        if let Some(after) = after {
            q = q.filter(s::id.gt(after.to_owned()));
        }
        q.order(s::id.asc()).limit(limit).load(conn)
    }

    /// Moves the support contact from `from` to `to` if it still names `from`, bumping the
    /// version whatever it is (a revert must not fail because of an unrelated concurrent change);
    /// returns whether the row changed.
    pub fn replace_support_contact(
        conn: &mut AnyConnection,
        id: &Id,
        from: &Id,
        to: &Id,
    ) -> QueryResult<bool> {
        let n = diesel::update(
            s::table
                .filter(s::id.eq(id))
                .filter(s::support_contact_partner_id.eq(from)),
        )
        .set((
            s::support_contact_partner_id.eq(to),
            s::version.eq(s::version + 1),
            s::updated_at.eq(super::now()),
        ))
        .execute(conn)?;
        Ok(n == 1)
    }
}

/// A subscription with its offer's name (what the wire form shows).
#[derive(Debug, Clone)]
pub struct Named {
    /// The subscription.
    pub row: SubscriptionRow,
    /// Its offer's name.
    pub offer_name: String,
}
