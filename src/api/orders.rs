//! Orders on the wire (docs/concepts.md#commerce): the line items a cart or an order request names, and an
//! order with its priced lines, as GET answers it and as its `order-created` event carries it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use std::collections::HashMap;

use crate::api::billing::PriceLevel;
use crate::domain::billing::{PriceView, UnitPrices};
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
    /// Catalog price per license per month when ordered.
    pub unit_price: Money,
    /// `unitPrice × quantity`: the line's catalog price per month.
    pub line_total: Money,
    /// The prices the reader may see, as charged (absent on orders placed before billing).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prices: Option<LinePrices>,
    /// The subscription this line created.
    pub subscription_id: Uuid,
}

/// The prices of a cart or order line at the levels the reader may see (a provider: cost,
/// reseller price and customer price; a reseller: its price and its customer's, never cost; a
/// customer: its own): each per license per billing cycle, with the total for the line's seats
/// over one whole cycle (`unitPrice × quantity`). The reseller price shows only on lines with a
/// reseller of record.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LinePrices {
    /// What the provider pays (providers only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost: Option<PriceLevel>,
    /// What the reseller of record pays the provider.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reseller_price: Option<PriceLevel>,
    /// What the customer pays.
    pub customer_price: PriceLevel,
}

impl LinePrices {
    /// The levels of `units` that `view` may see, for `quantity` seats.
    pub fn new(units: &UnitPrices, quantity: i32, currency: &str, view: PriceView) -> LinePrices {
        let level = |unit: i64, list: Option<crate::domain::Id>| PriceLevel {
            unit_price: Money::new(unit, currency),
            total: Money::new(unit.saturating_mul(i64::from(quantity)), currency),
            price_list_id: list.map(|l| l.uuid()),
        };
        LinePrices {
            cost: view.sees_cost().then(|| level(units.cost, None)),
            reseller_price: units
                .reseller
                .filter(|_| view.sees_reseller_price())
                .map(|(u, l)| level(u, l)),
            customer_price: level(units.customer.0, units.customer.1),
        }
    }
}

/// The sums of the line totals of a cart or order at each level the reader may see (the
/// reseller price sums the lines that have one; absent when none has).
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PriceTotals {
    /// Cost (providers only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost: Option<Money>,
    /// Reseller price.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reseller_price: Option<Money>,
    /// Customer price.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_price: Option<Money>,
}

impl PriceTotals {
    /// The sums of `lines` (absent when no line has prices).
    pub fn of<'a>(lines: impl IntoIterator<Item = &'a LinePrices>) -> Option<PriceTotals> {
        let add = |sum: &mut Option<Money>, m: &Money| match sum {
            Some(s) => s.amount_minor = s.amount_minor.saturating_add(m.amount_minor),
            None => *sum = Some(m.clone()),
        };
        let mut totals: Option<PriceTotals> = None;
        for l in lines {
            let t = totals.get_or_insert_with(PriceTotals::default);
            if let Some(c) = &l.cost {
                add(&mut t.cost, &c.total);
            }
            if let Some(r) = &l.reseller_price {
                add(&mut t.reseller_price, &r.total);
            }
            add(&mut t.customer_price, &l.customer_price.total);
        }
        totals
    }
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
    /// Sum of the line totals (catalog price per month).
    pub total: Money,
    /// Sums of the lines' `prices` at each level the reader may see.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price_totals: Option<PriceTotals>,
    /// When it was placed.
    pub created_at: DateTime<Utc>,
}

impl Order {
    /// The wire form of `r` for a reader who sees `view`, with the unit prices charged for each
    /// line's subscription (`prices`, by subscription id; a line without them shows none); an
    /// internal error when its stored lines cannot be read.
    pub fn new(
        r: OrderRow,
        prices: &HashMap<Uuid, UnitPrices>,
        view: PriceView,
    ) -> Result<Order, ApiError> {
        let currency = r.currency.clone();
        let line_items: Vec<OrderLineItem> = r
            .lines()?
            .into_iter()
            .map(|l| OrderLineItem {
                prices: prices
                    .get(&l.subscription_id)
                    .map(|u| LinePrices::new(u, l.quantity, &currency, view)),
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
            .collect();
        Ok(Order {
            id: r.id.uuid(),
            customer_id: r.customer_id.uuid(),
            price_totals: PriceTotals::of(line_items.iter().filter_map(|l| l.prices.as_ref())),
            line_items,
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
