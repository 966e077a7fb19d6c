//! Orders on the wire (product.md §3): an order with its priced lines, as GET answers it and as
//! its `order-created` event carries it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::OrderStatus;
use crate::error::ApiError;
use crate::models::offer::BillingCycle;
use crate::models::order::OrderRow;
use crate::models::utc;
use crate::money::Money;

/// One priced line of an order.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderLineItem {
    /// The offer bought.
    pub offer_id: String,
    /// The offer's name when ordered.
    pub offer_name: String,
    /// Number of licenses.
    #[serde(deserialize_with = "crate::extract::whole_number")]
    pub quantity: i32,
    /// Billing cycle.
    pub billing_cycle: BillingCycle,
    /// The indirect reseller of record, if any.
    pub partner_id_on_record: Option<Uuid>,
    /// Price per license per month when ordered.
    pub unit_price: Money,
    /// `unitPrice × quantity`: the line's price per month.
    pub line_total: Money,
    /// The subscription this line created.
    pub subscription_id: Uuid,
}

/// An order.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    /// Order id.
    pub id: Uuid,
    /// The customer it is for.
    pub customer_id: Uuid,
    /// Always `completed`.
    #[schema(value_type = String, example = "completed")]
    pub status: OrderStatus,
    /// The priced lines.
    pub line_items: Vec<OrderLineItem>,
    /// Sum of the line totals (per month).
    pub total: Money,
    /// When it was placed.
    pub created_at: DateTime<Utc>,
}

impl TryFrom<OrderRow> for Order {
    type Error = ApiError;

    /// The wire form of `r`; an internal error when its stored lines cannot be read.
    fn try_from(r: OrderRow) -> Result<Order, ApiError> {
        let currency = r.currency.clone();
        Ok(Order {
            id: r.id.uuid(),
            customer_id: r.customer_id.uuid(),
            line_items: r
                .lines()?
                .into_iter()
                .map(|l| OrderLineItem {
                    unit_price: Money::new(l.unit_price_minor, &currency),
                    line_total: Money::new(l.line_total_minor, &currency),
                    offer_id: l.offer_id.to_string(),
                    offer_name: l.offer_name,
                    quantity: l.quantity,
                    billing_cycle: l.billing_cycle,
                    partner_id_on_record: l.partner_id_on_record,
                    subscription_id: l.subscription_id,
                })
                .collect(),
            status: r.status,
            total: Money::new(r.total_minor, &currency),
            created_at: utc(r.created_at),
        })
    }
}
