//! `billing_line_items` (docs/billing.md): one row per charge or refund, written in the
//! transaction of the subscription change that causes it and never updated. Amounts are integer
//! minor units at each price level; `reseller_*` is empty for a subscription without a reseller
//! of record.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::AnyConnection;
use std::collections::HashMap;

use uuid::Uuid;

use crate::domain::billing::{ChargeType, UnitPrices};
use crate::domain::{BillingCycle, Id, TermDuration};
use crate::schema::billing_line_items as b;

/// A billing line item.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = b)]
#[diesel(treat_none_as_default_value = false)]
pub struct LineItemRow {
    pub id: Id,
    /// The billing provider.
    pub provider_id: Id,
    pub customer_id: Id,
    /// The reseller of record when the line was written.
    pub reseller_id: Option<Id>,
    pub subscription_id: Id,
    pub offer_id: Id,
    pub term_duration: TermDuration,
    pub billing_cycle: BillingCycle,
    pub charge_type: ChargeType,
    /// Seats charged (negative for a refund).
    pub quantity: i32,
    /// First day charged.
    pub charge_start_date: NaiveDate,
    /// Last day charged (inclusive): the day before the billing cycle ends.
    pub charge_end_date: NaiveDate,
    /// Days charged, and the days of the whole billing cycle.
    pub days: i32,
    pub cycle_days: i32,
    /// The calendar month (UTC, `YYYY-MM`) of the subscription's time when written.
    pub billing_period: String,
    pub currency: String,
    /// Unit prices are per license per billing cycle; totals are prorated and rounded once.
    pub cost_unit_minor: i64,
    pub cost_total_minor: i64,
    pub reseller_unit_minor: Option<i64>,
    pub reseller_total_minor: Option<i64>,
    pub customer_unit_minor: i64,
    pub customer_total_minor: i64,
    pub reseller_price_list_id: Option<Id>,
    pub customer_price_list_id: Option<Id>,
    /// The subscription's time when written (its test clock's when it lives on one).
    pub created_at: NaiveDateTime,
}

/// Which lines a reader asks for (its visibility is [`LineScope`]).
#[derive(Debug, Clone, Default)]
pub struct LineFilter {
    pub customer_id: Option<Id>,
    pub reseller_id: Option<Id>,
    pub subscription_id: Option<Id>,
    pub charge_type: Option<ChargeType>,
}

/// Which lines a reader may see: a provider those it bills, a reseller those of the
/// subscriptions it was reseller of record for.
#[derive(Debug, Clone, Copy)]
pub enum LineScope {
    /// Lines billed by this provider.
    Provider(Id),
    /// Lines with this reseller of record.
    Reseller(Id),
}

impl LineItemRow {
    /// The latest line that opened `subscription`'s current term (the prices of that term): a
    /// purchase, a renewal, or the charge of an upgrade's target (an upgrade's refund on its
    /// source opens nothing).
    pub fn term_opening(
        conn: &mut AnyConnection,
        subscription: &Id,
    ) -> QueryResult<Option<LineItemRow>> {
        b::table
            .filter(b::subscription_id.eq(subscription))
            .filter(
                b::charge_type
                    .eq_any([ChargeType::New, ChargeType::Renew])
                    .or(b::charge_type
                        .eq(ChargeType::Upgrade)
                        .and(b::quantity.gt(0))),
            )
            .order(b::id.desc())
            .select(LineItemRow::as_select())
            .first(conn)
            .optional()
    }

    /// The unit prices of the purchase (`new`) lines of `subscriptions`, by subscription: what
    /// their orders charged.
    pub fn purchase_prices(
        conn: &mut AnyConnection,
        subscriptions: &[Id],
    ) -> QueryResult<HashMap<Uuid, UnitPrices>> {
        if subscriptions.is_empty() {
            return Ok(HashMap::new());
        }
        let rows: Vec<LineItemRow> = b::table
            .filter(b::subscription_id.eq_any(subscriptions))
            .filter(b::charge_type.eq(ChargeType::New))
            .select(LineItemRow::as_select())
            .load(conn)?;
        Ok(rows
            .into_iter()
            .map(|r| (r.subscription_id.uuid(), r.unit_prices()))
            .collect())
    }

    /// The line's unit prices at the three levels.
    pub fn unit_prices(&self) -> UnitPrices {
        UnitPrices {
            cost: self.cost_unit_minor,
            reseller: self
                .reseller_unit_minor
                .map(|u| (u, self.reseller_price_list_id)),
            customer: (self.customer_unit_minor, self.customer_price_list_id),
        }
    }

    /// One keyset page (by id) of the lines `scope` may see that match `filter`.
    pub fn page(
        conn: &mut AnyConnection,
        scope: LineScope,
        filter: &LineFilter,
        after: Option<&str>,
        limit: i64,
    ) -> QueryResult<Vec<LineItemRow>> {
        let mut q = b::table.select(LineItemRow::as_select()).into_boxed();
        q = match scope {
            LineScope::Provider(p) => q.filter(b::provider_id.eq(p)),
            LineScope::Reseller(r) => q.filter(b::reseller_id.eq(r)),
        };
        if let Some(c) = filter.customer_id {
            q = q.filter(b::customer_id.eq(c));
        }
        if let Some(r) = filter.reseller_id {
            q = q.filter(b::reseller_id.eq(r));
        }
        if let Some(s) = filter.subscription_id {
            q = q.filter(b::subscription_id.eq(s));
        }
        if let Some(t) = filter.charge_type {
            q = q.filter(b::charge_type.eq(t));
        }
        if let Some(after) = after {
            q = q.filter(b::id.gt(after.to_owned()));
        }
        q.order(b::id.asc()).limit(limit).load(conn)
    }
}
