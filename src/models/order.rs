//! `orders`: a completed order of a provider for a customer (docs/concepts.md#commerce). Orders are
//! immutable; their priced line items, each naming the subscription it created, are stored as a
//! JSON array of [`OrderLine`].

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::offer::BillingCycle;
use crate::db::AnyConnection;
use crate::domain::{Id, OrderStatus, TermDuration};
use crate::error::ApiError;
use crate::schema::orders as o;

/// One priced line of an order, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderLine {
    /// The offer bought.
    pub offer_id: Id,
    /// The offer's name at the time.
    pub offer_name: String,
    /// Number of licenses.
    pub quantity: i32,
    /// Billing cycle.
    pub billing_cycle: BillingCycle,
    /// The term bought (`None` in orders placed before terms existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub term_duration: Option<TermDuration>,
    /// The indirect reseller of record, if any.
    pub partner_id_on_record: Option<Uuid>,
    /// Price per license per month at the time, in minor units of the order's currency.
    pub unit_price_minor: i64,
    /// `unit_price_minor × quantity`.
    pub line_total_minor: i64,
    /// The subscription this line created.
    pub subscription_id: Uuid,
}

/// An order.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = o)]
#[diesel(treat_none_as_default_value = false)]
pub struct OrderRow {
    pub id: Id,
    pub customer_id: Id,
    pub partner_id: Id,
    /// Always `completed`: an order is created whole or not at all.
    pub status: OrderStatus,
    /// JSON array of [`OrderLine`].
    pub line_items: String,
    pub total_minor: i64,
    pub currency: String,
    pub created_at: NaiveDateTime,
    /// Row version (the ETag): always 1, since orders never change.
    pub version: i64,
}

impl OrderRow {
    /// The priced line items.
    pub fn lines(&self) -> Result<Vec<OrderLine>, ApiError> {
        serde_json::from_str(&self.line_items).map_err(|e| {
            ApiError::internal(format!(
                "order {}: stored line_items {:?}: {e}",
                self.id, self.line_items
            ))
        })
    }

    /// `partner_id`'s order `id` for `customer_id`, if any.
    pub fn find(
        conn: &mut AnyConnection,
        partner_id: Uuid,
        customer_id: Uuid,
        id: Uuid,
    ) -> QueryResult<Option<OrderRow>> {
        o::table
            .filter(o::id.eq(Id::from(id)))
            .filter(o::customer_id.eq(Id::from(customer_id)))
            .filter(o::partner_id.eq(Id::from(partner_id)))
            .select(OrderRow::as_select())
            .first(conn)
            .optional()
    }

    /// One keyset page (by id) of `partner_id`'s orders for `customer_id`.
    pub fn page(
        conn: &mut AnyConnection,
        partner_id: Uuid,
        customer_id: Uuid,
        after: Option<&str>,
        limit: i64,
    ) -> QueryResult<Vec<OrderRow>> {
        let mut q = o::table
            .filter(o::customer_id.eq(Id::from(customer_id)))
            .filter(o::partner_id.eq(Id::from(partner_id)))
            .select(OrderRow::as_select())
            .into_boxed();
        if let Some(after) = after {
            q = q.filter(o::id.gt(after.to_owned()));
        }
        q.order(o::id.asc()).limit(limit).load(conn)
    }
}
