//! Statements on the wire (docs/billing.md): a statement with its totals, its lines at the
//! statement's one price level (the reseller price on a provider's statement to a reseller, the
//! customer price on a statement to a customer — never cost, never another level), and the same
//! lines as CSV with stable camelCase columns.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::billing::ChargeType;
use crate::domain::statement::{BillTo, Period};
use crate::domain::{BillingCycle, TenantKind, TermDuration};
use crate::models::billing_line::LineItemRow;
use crate::models::statement::StatementRow;
use crate::models::utc;
use crate::money::Money;

/// A statement: what its issuer bills one party for one calendar month (UTC), in one currency.
/// Issued when the period closes (00:00 UTC on the 1st; on a test clock, the clock's time) and
/// never changed.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Statement {
    /// Statement id.
    pub id: Uuid,
    /// Gap-free per issuer, from 1.
    #[schema(example = 1)]
    pub number: i64,
    /// The billing period, `YYYY-MM`.
    #[schema(example = "2027-01")]
    pub period: String,
    /// The period's first day.
    pub period_start: NaiveDate,
    /// The period's last day.
    pub period_end: NaiveDate,
    /// Who issued it: the indirect provider, or an indirect reseller billing its customer.
    pub issuer_id: Uuid,
    /// `indirect_provider` or `indirect_reseller`.
    #[schema(value_type = String, example = "indirect_provider")]
    pub issuer_kind: TenantKind,
    /// Who pays: a reseller's partner id or a customer's id.
    pub bill_to_id: Uuid,
    /// `reseller` (amounts at reseller prices) or `customer` (amounts at customer prices).
    pub bill_to_kind: BillTo,
    /// The test clock whose customers' lines it bills (none: real time).
    pub test_clock_id: Option<Uuid>,
    /// ISO 4217 code of every amount on it.
    #[schema(example = "USD")]
    pub currency: String,
    /// The sum of its lines' totals.
    pub total: Money,
    /// How many lines it has.
    #[schema(example = 3)]
    pub line_count: i64,
    /// When it was issued (on a test clock, the clock's time).
    pub issued_at: DateTime<Utc>,
}

impl From<StatementRow> for Statement {
    fn from(r: StatementRow) -> Statement {
        let c = r.currency.as_str();
        let period: Option<Period> = r.period.parse().ok();
        Statement {
            id: r.id.uuid(),
            number: r.number.unwrap_or_default(),
            period_start: period.map(Period::first_day).unwrap_or_default(),
            period_end: period.map(Period::last_day).unwrap_or_default(),
            period: r.period.clone(),
            issuer_id: r.issuer_id.uuid(),
            issuer_kind: r.issuer_kind,
            bill_to_id: r.bill_to_id.uuid(),
            bill_to_kind: r.bill_to_kind,
            test_clock_id: r.clock_key.parse::<Uuid>().ok(),
            total: Money::new(r.total_minor, c),
            currency: r.currency.clone(),
            line_count: r.line_count,
            issued_at: utc(r.issued_at),
        }
    }
}

/// A line of a statement: a billing line item at the statement's price level.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatementLine {
    /// The billing line item's id.
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
    /// Last day charged.
    pub charge_end_date: NaiveDate,
    /// Days charged.
    pub days: i32,
    /// Days in the billing cycle.
    pub cycle_days: i32,
    /// Per license per billing cycle, at the statement's price level.
    pub unit_price: Money,
    /// `unitPrice × quantity × days / cycleDays`, rounded once (half to even).
    pub total: Money,
    /// The subscription's time when the line was written.
    pub created_at: DateTime<Utc>,
}

/// The unit price and total of `r` at the price level of a statement to `bill_to`.
fn level(r: &LineItemRow, bill_to: BillTo) -> (i64, i64) {
    match bill_to {
        BillTo::Reseller => (
            r.reseller_unit_minor.unwrap_or_default(),
            r.reseller_total_minor.unwrap_or_default(),
        ),
        BillTo::Customer => (r.customer_unit_minor, r.customer_total_minor),
    }
}

impl StatementLine {
    /// `r` on a statement to `bill_to`.
    pub fn new(r: LineItemRow, bill_to: BillTo) -> StatementLine {
        let (unit, total) = level(&r, bill_to);
        let c = r.currency.as_str();
        StatementLine {
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
            unit_price: Money::new(unit, c),
            total: Money::new(total, c),
            created_at: utc(r.created_at),
        }
    }
}

/// The CSV columns of statement lines, in order (the fields of [`CsvStatementLine`]); written
/// alone when a statement has no line to show.
pub const CSV_COLUMNS: &[&str] = &[
    "statementId",
    "statementNumber",
    "period",
    "id",
    "createdAt",
    "chargeType",
    "customerId",
    "resellerId",
    "subscriptionId",
    "offerId",
    "termDuration",
    "billingCycle",
    "quantity",
    "chargeStartDate",
    "chargeEndDate",
    "days",
    "cycleDays",
    "currency",
    "unitPriceMinor",
    "totalMinor",
];

/// A statement line as one CSV record (amounts in minor units).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CsvStatementLine {
    pub statement_id: Uuid,
    pub statement_number: i64,
    pub period: String,
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
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
    pub unit_price_minor: i64,
    pub total_minor: i64,
}

impl CsvStatementLine {
    /// The record of line `r` of `statement`.
    pub fn new(statement: &Statement, r: LineItemRow) -> CsvStatementLine {
        let (unit, total) = level(&r, statement.bill_to_kind);
        CsvStatementLine {
            statement_id: statement.id,
            statement_number: statement.number,
            period: statement.period.clone(),
            id: r.id.uuid(),
            created_at: utc(r.created_at),
            charge_type: r.charge_type,
            customer_id: r.customer_id.uuid(),
            reseller_id: r.reseller_id.map(|i| i.uuid()),
            subscription_id: r.subscription_id.uuid(),
            offer_id: r.offer_id.uuid(),
            term_duration: r.term_duration,
            billing_cycle: r.billing_cycle,
            quantity: r.quantity,
            charge_start_date: r.charge_start_date,
            charge_end_date: r.charge_end_date,
            days: r.days,
            cycle_days: r.cycle_days,
            currency: r.currency,
            unit_price_minor: unit,
            total_minor: total,
        }
    }
}
