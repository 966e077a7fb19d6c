//! Orders on the wire (docs/concepts.md#commerce): the line items a cart or an order request names, and an
//! order with its priced lines, as GET answers it and as its `order-created` event carries it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::domain::{OrderStatus, TermDuration};
use crate::error::ApiError;
use crate::models::cart::LineItem;
use crate::models::offer::BillingCycle;
use crate::models::order::OrderRow;
use crate::models::utc;
use crate::money::Money;
use crate::validate;

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
    /// The term bought (absent on orders placed before terms existed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub term_duration: Option<TermDuration>,
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
                    term_duration: l.term_duration,
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

/// One line of a cart or order request.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LineItemInput {
    /// The offer to buy (GET /v1/offers).
    #[validate(custom(function = "validate::offer_id"))]
    #[schema(
        example = "019a8f3c-2001-737d-82f2-a4276b0bd666",
        format = Uuid
    )]
    pub offer_id: String,
    /// Number of licenses, within the offer's `minQuantity`–`maxQuantity`.
    #[validate(range(min = 1, max = 1_000_000))]
    #[schema(example = 10, minimum = 1, maximum = 1_000_000)]
    #[serde(deserialize_with = "crate::extract::whole_number")]
    pub quantity: i32,
    /// Billing cycle, one the offer sells with the term.
    pub billing_cycle: BillingCycle,
    /// The term, one of the offer's `terms` sold with `billingCycle`. Left out: the term the
    /// cycle implies (monthly → P1M, annual → P1Y, triennial → P3Y) when the offer sells it,
    /// else the offer's first term sold with the cycle.
    #[serde(default)]
    pub term_duration: Option<TermDuration>,
    /// The indirect reseller of record (earns incentives): a reseller with an active partnership
    /// with you, or `null`.
    #[serde(default)]
    pub partner_id_on_record: Option<Uuid>,
}

impl TryFrom<LineItemInput> for LineItem {
    type Error = ApiError;

    /// The line of a validated input (its `offerId` is a UUID; anything else is a 422).
    fn try_from(l: LineItemInput) -> Result<LineItem, ApiError> {
        Ok(LineItem {
            offer_id: crate::models::offer::parse_id(&l.offer_id, "offerId")?,
            quantity: l.quantity,
            billing_cycle: l.billing_cycle,
            partner_id_on_record: l.partner_id_on_record,
            term_duration: l.term_duration,
        })
    }
}

/// The line items of a cart (`POST …/carts`, `PUT …/carts/{cartId}`) or a direct order.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LineItems {
    /// 1 to 100 lines; each becomes one subscription at checkout.
    #[validate(length(min = 1, max = 100), nested)]
    #[schema(min_items = 1, max_items = 100)]
    pub line_items: Vec<LineItemInput>,
}

impl LineItems {
    /// The lines as the services take them.
    pub fn into_lines(self) -> Result<Vec<LineItem>, ApiError> {
        self.line_items
            .into_iter()
            .map(LineItem::try_from)
            .collect()
    }
}
