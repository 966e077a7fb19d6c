//! `subscriptions`: a customer's subscription to an offer, with its license quantity, billing
//! partner (the indirect provider), reseller of record and designated support contact
//! (docs/concepts.md#commerce, #designated-support-contact).

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Nullable};
use uuid::Uuid;

use crate::db::{AnyConnection, MultiBackend};
use crate::domain::term::{self, NextTerm, Refundable, RefundableSeats};
use crate::domain::{BillingCycle, Id, SubscriptionStatus, TermDuration, Transition};
use crate::error::ApiError;
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
    /// Creation time (`startDate`).
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The current term's length (docs/concepts.md#subscription-terms-and-lifecycle).
    pub term_duration: TermDuration,
    /// When the current term started (a purchase or the last renewal).
    pub term_start_date: NaiveDateTime,
    /// Until when the subscription may be cancelled (the purchase's or renewal's window).
    pub cancellation_allowed_until: Option<NaiveDateTime>,
    /// JSON array of [`RefundableSeats`]: the lots of seats that may be returned.
    pub refundable: String,
    /// JSON [`NextTerm`]: what the next term changes, if anything.
    pub scheduled_next_term: Option<String>,
    /// The customer's test clock, if it lives on one (its times come from the clock).
    pub test_clock_id: Option<Id>,
    /// What the lifecycle runner does next, and when.
    pub next_transition: Option<Transition>,
    pub next_transition_at: Option<NaiveDateTime>,
}

impl SubscriptionRow {
    /// When the current term ends (00:00 UTC after its commitment end date).
    pub fn term_end(&self) -> NaiveDateTime {
        term::term_end(self.term_start_date, self.term_duration)
    }

    /// The returnable seats (all lots, open or not).
    pub fn refundable(&self) -> Result<Refundable, ApiError> {
        serde_json::from_str::<Vec<RefundableSeats>>(&self.refundable)
            .map(Refundable)
            .map_err(|e| ApiError::internal(format!("subscription {} refundable: {e}", self.id)))
    }

    /// The instructions for the next term, if any.
    pub fn next_term(&self) -> Result<Option<NextTerm>, ApiError> {
        self.scheduled_next_term
            .as_deref()
            .map(serde_json::from_str::<NextTerm>)
            .transpose()
            .map_err(|e| ApiError::internal(format!("subscription {} next term: {e}", self.id)))
    }

    /// Whether the status is final (`expired`, `disabled`, `deleted`).
    pub fn has_ended(&self) -> bool {
        !matches!(
            self.status,
            SubscriptionStatus::Active | SubscriptionStatus::Suspended
        )
    }
}

/// The JSON text of `refundable` lots.
pub fn refundable_json(r: &Refundable) -> String {
    serde_json::to_string(&r.0).unwrap_or_else(|_| "[]".to_owned())
}

/// The JSON text of next-term instructions.
pub fn next_term_json(n: &NextTerm) -> String {
    serde_json::to_string(n).unwrap_or_default()
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
    /// (what blocks removing that partner's relationship, docs/concepts.md#relationships).
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

/// Which of a customer's subscriptions a caller reaches (docs/concepts.md#roles-and-permissions).
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
    pub refundable: Option<String>,
    pub scheduled_next_term: Option<Option<String>>,
    pub next_transition: Option<Option<Transition>>,
    pub next_transition_at: Option<Option<NaiveDateTime>>,
    pub offer_id: Option<Id>,
    pub billing_cycle: Option<BillingCycle>,
    pub term_duration: Option<TermDuration>,
    pub term_start_date: Option<NaiveDateTime>,
    pub cancellation_allowed_until: Option<Option<NaiveDateTime>>,
}

impl SubscriptionChanges {
    /// Whether nothing changes.
    pub fn is_empty(&self) -> bool {
        self.quantity.is_none()
            && self.status.is_none()
            && self.auto_renew.is_none()
            && self.friendly_name.is_none()
            && self.partner_id_on_record.is_none()
            && self.refundable.is_none()
            && self.scheduled_next_term.is_none()
            && self.next_transition.is_none()
            && self.next_transition_at.is_none()
            && self.offer_id.is_none()
            && self.billing_cycle.is_none()
            && self.term_duration.is_none()
            && self.term_start_date.is_none()
            && self.cancellation_allowed_until.is_none()
    }
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

    /// How many subscriptions `customer_id` holds to each of `offer_ids` (active or suspended:
    /// ended ones no longer count), one indexed aggregate over (customer_id, offer_id, status);
    /// offers it holds none of are absent.
    pub fn count_by_offer(
        conn: &mut AnyConnection,
        customer_id: Uuid,
        offer_ids: &[Id],
    ) -> QueryResult<HashMap<Id, i64>> {
        let rows: Vec<(Id, i64)> = s::table
            .filter(s::customer_id.eq(Id::from(customer_id)))
            .filter(s::offer_id.eq_any(offer_ids))
            .filter(s::status.eq_any([SubscriptionStatus::Active, SubscriptionStatus::Suspended]))
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
    /// offer's name (the customer's product support page, docs/concepts.md#designated-support-contact).
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
    /// The subscription's time now: the real time, or its customer's test clock's.
    pub now: NaiveDateTime,
}

impl SubscriptionRow {
    /// The subscription whose lifecycle transition is due first (at or before `now`) among
    /// those on real time (`clock` `None`) or on test clock `clock`, oldest due first. On
    /// PostgreSQL the row is locked for the caller's transaction and rows locked by another
    /// runner are skipped (`FOR UPDATE SKIP LOCKED`), so runners on several replicas never
    /// take the same one; SQLite has a single writer.
    pub fn claim_due(
        conn: &mut AnyConnection,
        clock: Option<&Id>,
        now: NaiveDateTime,
    ) -> QueryResult<Option<SubscriptionRow>> {
        macro_rules! due {
            ($clock:expr) => {
                s::table
                    .filter(s::next_transition_at.le(now))
                    .filter($clock)
                    .order((s::next_transition_at.asc(), s::id.asc()))
                    .select(SubscriptionRow::as_select())
            };
        }
        use AnyConnection::{Postgresql, Sqlite};
        match (conn, clock) {
            (Postgresql(c), None) => due!(s::test_clock_id.is_null())
                .for_update()
                .skip_locked()
                .first(c)
                .optional(),
            (Postgresql(c), Some(id)) => due!(s::test_clock_id.eq(*id))
                .for_update()
                .skip_locked()
                .first(c)
                .optional(),
            (Sqlite(c), None) => due!(s::test_clock_id.is_null()).first(c).optional(),
            (Sqlite(c), Some(id)) => due!(s::test_clock_id.eq(*id)).first(c).optional(),
        }
    }

    /// Records that `transition` of subscription `id`, due at `due`, is being applied; `false`
    /// when it was applied before (then nothing else may be written for it).
    pub fn record_transition(
        conn: &mut AnyConnection,
        id: &Id,
        transition: Transition,
        due: NaiveDateTime,
    ) -> QueryResult<bool> {
        use crate::schema::subscription_transitions as st;
        let n = crate::db::on_backend!(conn, |c| {
            diesel::insert_into(st::table)
                .values((
                    st::subscription_id.eq(id),
                    st::transition.eq(transition),
                    st::due_at.eq(due),
                    st::applied_at.eq(super::now()),
                ))
                .on_conflict_do_nothing()
                .execute(c)
        })?;
        Ok(n == 1)
    }
}
