//! Billing line items on the wire (docs/billing.md): JSON with the price levels the reader may
//! see (a provider: cost, reseller price, customer price and margin; a reseller: its price and
//! its customer's, never cost), and the same rows as CSV with stable camelCase columns.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::billing::ChargeType;
use crate::domain::statement::PeriodState;
use crate::domain::{BillingCycle, TermDuration};
use crate::models::billing_line::{LineItemRow, LineScope};
use crate::models::utc;
use crate::money::Money;

/// One price level of a line.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PriceLevel {
    /// Per license per billing cycle.
    pub unit_price: Money,
    /// A billing line's: `unitPrice × quantity × days / cycleDays`, rounded once (half to
    /// even); a cart or order line's: `unitPrice × quantity` (one whole cycle).
    pub total: Money,
    /// The price list it came from (none: the price below, or the catalog).
    pub price_list_id: Option<Uuid>,
}

/// A billing line item: a charge (or, negative, a refund) written with the subscription change
/// that caused it; never changed.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BillingLineItem {
    /// Line id.
    pub id: Uuid,
    /// Why it was written.
    pub charge_type: ChargeType,
    /// The subscription.
    pub subscription_id: Uuid,
    /// The customer.
    pub customer_id: Uuid,
    /// The reseller of record (none: a direct customer's subscription).
    pub reseller_id: Option<Uuid>,
    /// The offer.
    pub offer_id: Uuid,
    /// The term.
    pub term_duration: TermDuration,
    /// The billing cycle.
    pub billing_cycle: BillingCycle,
    /// Seats charged (negative: returned).
    #[schema(example = 10)]
    pub quantity: i32,
    /// First day charged.
    pub charge_start_date: NaiveDate,
    /// Last day charged (the day before the billing cycle ends).
    pub charge_end_date: NaiveDate,
    /// Days charged.
    pub days: i32,
    /// Days in the billing cycle.
    pub cycle_days: i32,
    /// Calendar month (UTC) it belongs to, `YYYY-MM`.
    #[schema(example = "2027-01")]
    pub billing_period: String,
    /// What the provider pays (providers only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost: Option<PriceLevel>,
    /// What the reseller of record pays the provider (subscriptions with one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reseller_price: Option<PriceLevel>,
    /// What the customer pays.
    pub customer_price: PriceLevel,
    /// The reader's margin: a provider's is the reseller price (or, for a direct customer, the
    /// customer price) less cost; a reseller's is the customer price less its price.
    pub margin: Money,
    /// The subscription's time when written.
    pub created_at: DateTime<Utc>,
}

impl BillingLineItem {
    /// The line as `scope` may see it.
    pub fn new(r: LineItemRow, scope: LineScope) -> BillingLineItem {
        let c = r.currency.as_str();
        let level = |unit: i64, total: i64, list: Option<crate::domain::Id>| PriceLevel {
            unit_price: Money::new(unit, c),
            total: Money::new(total, c),
            price_list_id: list.map(|l| l.uuid()),
        };
        let reseller = r
            .reseller_unit_minor
            .zip(r.reseller_total_minor)
            .map(|(u, t)| level(u, t, r.reseller_price_list_id));
        let provider_view = matches!(scope, LineScope::Provider(_));
        let margin = if provider_view {
            r.reseller_total_minor
                .unwrap_or(r.customer_total_minor)
                .saturating_sub(r.cost_total_minor)
        } else {
            r.customer_total_minor
                .saturating_sub(r.reseller_total_minor.unwrap_or(r.customer_total_minor))
        };
        BillingLineItem {
            id: r.id.uuid(),
            charge_type: r.charge_type,
            subscription_id: r.subscription_id.uuid(),
            customer_id: r.customer_id.uuid(),
            reseller_id: r.reseller_id.map(|i| i.uuid()),
            offer_id: r.offer_id.uuid(),
            term_duration: r.term_duration,
            billing_cycle: r.billing_cycle,
            quantity: r.quantity,
            charge_start_date: r.charge_start_date,
            charge_end_date: r.charge_end_date,
            days: r.days,
            cycle_days: r.cycle_days,
            billing_period: r.billing_period.clone(),
            cost: provider_view.then(|| level(r.cost_unit_minor, r.cost_total_minor, None)),
            reseller_price: reseller,
            customer_price: level(
                r.customer_unit_minor,
                r.customer_total_minor,
                r.customer_price_list_id,
            ),
            margin: Money::new(margin, c),
            created_at: utc(r.created_at),
        }
    }
}

/// A line as one CSV record: these columns, in this order, whoever reads (cost cells are empty
/// for a reseller). Amounts are minor units.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CsvLine {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    pub billing_period: String,
    pub charge_type: ChargeType,
    pub customer_id: Uuid,
    pub reseller_id: Option<Uuid>,
    pub subscription_id: Uuid,
    pub offer_id: Uuid,
    pub term_duration: TermDuration,
    pub billing_cycle: BillingCycle,
    pub quantity: i32,
    pub charge_start_date: NaiveDate,
    pub charge_end_date: NaiveDate,
    pub days: i32,
    pub cycle_days: i32,
    pub currency: String,
    pub cost_unit_price_minor: Option<i64>,
    pub cost_total_minor: Option<i64>,
    pub reseller_unit_price_minor: Option<i64>,
    pub reseller_total_minor: Option<i64>,
    pub customer_unit_price_minor: i64,
    pub customer_total_minor: i64,
    pub margin_minor: i64,
}

impl CsvLine {
    /// The record of `r` as `scope` may see it.
    pub fn new(r: LineItemRow, scope: LineScope) -> CsvLine {
        let provider_view = matches!(scope, LineScope::Provider(_));
        let item = BillingLineItem::new(r.clone(), scope);
        CsvLine {
            id: item.id,
            created_at: item.created_at,
            billing_period: item.billing_period,
            charge_type: item.charge_type,
            customer_id: item.customer_id,
            reseller_id: item.reseller_id,
            subscription_id: item.subscription_id,
            offer_id: item.offer_id,
            term_duration: item.term_duration,
            billing_cycle: item.billing_cycle,
            quantity: item.quantity,
            charge_start_date: item.charge_start_date,
            charge_end_date: item.charge_end_date,
            days: item.days,
            cycle_days: item.cycle_days,
            currency: r.currency,
            cost_unit_price_minor: provider_view.then_some(r.cost_unit_minor),
            cost_total_minor: provider_view.then_some(r.cost_total_minor),
            reseller_unit_price_minor: r.reseller_unit_minor,
            reseller_total_minor: r.reseller_total_minor,
            customer_unit_price_minor: r.customer_unit_minor,
            customer_total_minor: r.customer_total_minor,
            margin_minor: item.margin.amount_minor,
        }
    }
}

/// Where a billing period is.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum PeriodStatus {
    /// The current month of its time scope: changes still write lines into it.
    Open,
    /// Ended, statements not issued yet: the lifecycle runner closes it on its next pass (once
    /// no subscription of the scope has a transition due before the period's end).
    Closing,
    /// Closed: its statements are issued and it takes no more lines.
    Closed,
}

/// A billing period: one calendar month (UTC) of one time scope (real time, or a test
/// clock's simulated time). Closed once, when its statements are issued: in real time by the
/// lifecycle runner's first pass after the month ends (once no subscription of the scope has a
/// transition due before its end), on a test clock by the advance that passes the 1st.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BillingPeriod {
    /// `YYYY-MM`.
    #[schema(example = "2027-01")]
    pub period: String,
    /// Its first instant: 00:00 UTC on the 1st.
    pub starts_at: DateTime<Utc>,
    /// The instant after it: 00:00 UTC on the 1st of the next month.
    pub ends_at: DateTime<Utc>,
    /// `open`, `closing` or `closed`.
    pub status: PeriodStatus,
    /// When it closed, in its scope's time (closed periods only).
    pub closed_at: Option<DateTime<Utc>>,
    /// The test clock of its scope (none: real time).
    pub test_clock_id: Option<Uuid>,
}

impl From<PeriodState> for BillingPeriod {
    fn from(p: PeriodState) -> BillingPeriod {
        let status = match (p.closed_at, p.ended) {
            (Some(_), _) => PeriodStatus::Closed,
            (None, true) => PeriodStatus::Closing,
            (None, false) => PeriodStatus::Open,
        };
        BillingPeriod {
            period: p.period.to_string(),
            starts_at: utc(p.period.start()),
            ends_at: utc(p.period.end()),
            status,
            closed_at: p.closed_at.map(utc),
            test_clock_id: p.clock.map(|c| c.uuid()),
        }
    }
}
