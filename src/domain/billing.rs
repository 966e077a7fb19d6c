//! The arithmetic of billing (docs/billing.md), in one place: markups, cycle prices, billing
//! cycles and daily proration. Pure functions; no I/O, no floating point.
//!
//! - Amounts are integer minor units (cents for USD). Arithmetic in between is exact decimal
//!   ([`rust_decimal::Decimal`]); each result is rounded ONCE, half to even, to a whole minor
//!   unit ([`round_minor`]).
//! - A price list's price is `base × (100 + markupPercent) / 100`, rounded once ([`marked_up`]);
//!   a price is always a whole number of minor units.
//! - A unit price per cycle is the monthly price × the months of the cycle ([`cycle_price`]).
//! - Billing cycles run from the term's start date in steps of the cycle's months
//!   ([`cycle_containing`]).
//! - A line for `quantity` seats from date `d` to the cycle's end date `e` (cycle of `n` days)
//!   is `unit × quantity × (e − d) / n`, rounded once ([`prorate`]). A refund is the same
//!   formula for the seats returned and the days left (so a refund never exceeds what those
//!   seats were charged).

use std::fmt;
use std::str::FromStr;

use chrono::{Months, NaiveDate};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::BillingCycle;

/// Why a billing line was written (its `chargeType`).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    ToSchema,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "camelCase")]
pub enum ChargeType {
    /// A purchase: the first cycle, prorated from the purchase date.
    New,
    /// Seats added: prorated to the end of the current cycle.
    AddQuantity,
    /// Seats returned inside their window: a refund for the days left in the cycle.
    RemoveQuantity,
    /// A cancellation inside the window: a refund for the days left in the cycle.
    Cancel,
    /// A billing cycle after the first (a term billed in shorter cycles, such as a year billed
    /// monthly): the whole cycle, charged by the lifecycle runner when it begins.
    CycleFee,
    /// A renewal: the first cycle of the new term.
    Renew,
    /// An upgrade: a refund of the seats moved off the source for the days left in the cycle
    /// (negative), and the charge of those seats on the target for the same days.
    Upgrade,
}

impl ChargeType {
    /// Every charge type.
    pub const ALL: &'static [ChargeType] = &[
        ChargeType::New,
        ChargeType::AddQuantity,
        ChargeType::RemoveQuantity,
        ChargeType::Cancel,
        ChargeType::CycleFee,
        ChargeType::Renew,
        ChargeType::Upgrade,
    ];

    /// The camelCase wire and storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            ChargeType::New => "new",
            ChargeType::AddQuantity => "addQuantity",
            ChargeType::RemoveQuantity => "removeQuantity",
            ChargeType::Cancel => "cancel",
            ChargeType::CycleFee => "cycleFee",
            ChargeType::Renew => "renew",
            ChargeType::Upgrade => "upgrade",
        }
    }
}

impl fmt::Display for ChargeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ChargeType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        ChargeType::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| format!("unknown ChargeType {s:?}"))
    }
}

super::text_column!(ChargeType);

/// Where a resolved price came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum PriceSource {
    /// The version's entry with a fixed `unitPrice`.
    UnitPrice,
    /// The version's entry with a `markupPercent`.
    EntryMarkup,
    /// The version's `defaultMarkupPercent`.
    DefaultMarkup,
    /// No list applies: the price below (cost, or the reseller price).
    Base,
}

/// The unit prices (per license per billing cycle, minor units) of one subscription's term at
/// the three levels, with the price lists they came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnitPrices {
    /// What the provider pays.
    pub cost: i64,
    /// What the reseller of record pays the provider (none without a reseller of record).
    pub reseller: Option<(i64, Option<super::Id>)>,
    /// What the customer pays whoever bills it.
    pub customer: (i64, Option<super::Id>),
}

/// Which price levels a reader may see: a provider all three; a reseller its own price and its
/// customer's, never cost; a customer its own price only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriceView {
    /// Cost, reseller price and customer price.
    Provider,
    /// Reseller price and customer price.
    Reseller,
    /// Customer price.
    Customer,
}

impl PriceView {
    /// The levels a reader of `kind` may see.
    pub fn of(kind: super::TenantKind) -> PriceView {
        match kind {
            super::TenantKind::IndirectProvider => PriceView::Provider,
            super::TenantKind::IndirectReseller => PriceView::Reseller,
            super::TenantKind::Customer => PriceView::Customer,
        }
    }

    /// Whether cost shows.
    pub fn sees_cost(self) -> bool {
        self == PriceView::Provider
    }

    /// Whether the reseller price shows.
    pub fn sees_reseller_price(self) -> bool {
        self != PriceView::Customer
    }
}

/// Rounds `x` (an amount in minor units) to a whole minor unit, half to even; `None` when it
/// does not fit in 64 bits.
pub fn round_minor(x: Decimal) -> Option<i64> {
    let r = x.round_dp_with_strategy(0, RoundingStrategy::MidpointNearestEven);
    i64::try_from(r).ok()
}

/// A markup percentage as written on the wire: a decimal string with at most four decimals,
/// above -100 (a discount) and at most 1000 (`"12"`, `"7.5"`, `"-10"`).
pub fn parse_percent(s: &str) -> Result<Decimal, String> {
    let plain = s
        .strip_prefix('-')
        .unwrap_or(s)
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b'.');
    let d = Decimal::from_str(s)
        .ok()
        .filter(|_| plain && !s.is_empty())
        .ok_or_else(|| format!("`{s}` is not a decimal number such as \"12.5\""))?;
    if d.scale() > 4 {
        return Err("has more than four decimals".to_owned());
    }
    if d <= Decimal::from(-100) || d > Decimal::from(1000) {
        return Err("must be above -100 and at most 1000".to_owned());
    }
    Ok(d.normalize())
}

/// `base_minor × (100 + percent) / 100`, rounded once; `None` when it overflows.
pub fn marked_up(base_minor: i64, percent: Decimal) -> Option<i64> {
    let factor = Decimal::ONE_HUNDRED.checked_add(percent)? / Decimal::ONE_HUNDRED;
    round_minor(Decimal::from(base_minor).checked_mul(factor)?)
}

/// The months of one billing cycle.
pub fn cycle_months(cycle: BillingCycle) -> u32 {
    match cycle {
        BillingCycle::Monthly => 1,
        BillingCycle::Annual => 12,
        BillingCycle::Triennial => 36,
    }
}

/// The price per license of one cycle: `monthly_minor × months of the cycle`.
pub fn cycle_price(monthly_minor: i64, cycle: BillingCycle) -> Option<i64> {
    monthly_minor.checked_mul(i64::from(cycle_months(cycle)))
}

/// The billing cycle (start date, end date exclusive) that contains `day`, for a term that
/// started on `term_start`: cycles start at `term_start` plus whole multiples of the cycle's
/// months (a cycle from 31 January ends on the last day of February).
pub fn cycle_containing(
    term_start: NaiveDate,
    cycle: BillingCycle,
    day: NaiveDate,
) -> (NaiveDate, NaiveDate) {
    let step = cycle_months(cycle);
    let at = |k: u32| {
        term_start
            .checked_add_months(Months::new(k.saturating_mul(step)))
            .unwrap_or(NaiveDate::MAX)
    };
    let mut k = 0;
    while at(k + 1) <= day && k < 10_000 {
        k += 1;
    }
    (at(k), at(k + 1))
}

/// `unit_minor × quantity × days / cycle_days`, rounded once (half to even); `None` on
/// overflow or an empty cycle. Negative `quantity` gives a refund.
pub fn prorate(unit_minor: i64, quantity: i64, days: i64, cycle_days: i64) -> Option<i64> {
    if cycle_days <= 0 {
        return None;
    }
    let whole = Decimal::from(unit_minor)
        .checked_mul(Decimal::from(quantity))?
        .checked_mul(Decimal::from(days))?;
    round_minor(whole.checked_div(Decimal::from(cycle_days))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn rounding_is_half_to_even_once() {
        assert_eq!(round_minor(Decimal::new(25, 1)), Some(2));
        assert_eq!(round_minor(Decimal::new(35, 1)), Some(4));
        assert_eq!(round_minor(Decimal::new(-25, 1)), Some(-2));
        assert_eq!(round_minor(Decimal::new(2501, 3)), Some(3));
    }

    #[test]
    fn markups_round_once_to_the_minor_unit() {
        let p = |s| parse_percent(s).unwrap();
        assert_eq!(marked_up(1000, p("12")), Some(1120));
        assert_eq!(marked_up(1120, p("20")), Some(1344));
        // 999 × 1.075 = 1073.925 → 1074; 1050 × 0.95 = 997.5 → 998 (even).
        assert_eq!(marked_up(999, p("7.5")), Some(1074));
        assert_eq!(marked_up(1050, p("-5")), Some(998));
        assert!(parse_percent("-100").is_err());
        assert!(parse_percent("1.23456").is_err());
        assert!(parse_percent("abc").is_err());
        assert!(parse_percent("1e3").is_err());
    }

    #[test]
    fn cycles_step_from_the_term_start() {
        let start = d("2027-01-15");
        assert_eq!(
            cycle_containing(start, BillingCycle::Monthly, d("2027-01-20")),
            (d("2027-01-15"), d("2027-02-15"))
        );
        assert_eq!(
            cycle_containing(start, BillingCycle::Monthly, d("2027-03-15")),
            (d("2027-03-15"), d("2027-04-15"))
        );
        assert_eq!(
            cycle_containing(start, BillingCycle::Annual, d("2027-12-31")),
            (d("2027-01-15"), d("2028-01-15"))
        );
        assert_eq!(cycle_price(1000, BillingCycle::Annual), Some(12_000));
    }

    #[test]
    fn the_worked_example_prorates_each_line_to_the_minor_unit() {
        // 10 seats at 10.00 a month bought on 15 January (a 31-day cycle), 5 added on day 3,
        // 3 returned on day 5, cancelled on day 6.
        assert_eq!(prorate(1000, 10, 31, 31), Some(10_000));
        assert_eq!(prorate(1000, 5, 29, 31), Some(4677));
        assert_eq!(prorate(1000, -3, 27, 31), Some(-2613));
        assert_eq!(prorate(1000, -12, 26, 31), Some(-10_065));
        assert_eq!(prorate(1000, 1, 1, 0), None);
    }

    /// Random sequences of seat changes inside one cycle (a fixed-seed generator, so a failure
    /// repeats): each refund is at most what its seats were charged, a cancellation on the
    /// purchase day nets zero, and the lines of a sequence sum to the seat-days used, each line
    /// off by at most half a minor unit.
    #[test]
    fn seat_changes_sum_to_the_seat_days_used_within_rounding() {
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |n: u64| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % n
        };
        for _ in 0..2_000 {
            let cycle_days = 28 + next(4) as i64;
            let unit = 1 + next(50_000) as i64;
            let mut seats = 1 + next(300) as i64;
            let mut day = 0;
            let mut sum = prorate(unit, seats, cycle_days, cycle_days).unwrap();
            let mut seat_days = Decimal::from(seats * cycle_days);
            let mut lines = 1;
            while day < cycle_days - 1 && next(3) > 0 {
                day += 1 + next(((cycle_days - 1 - day) as u64).max(1)) as i64;
                day = day.min(cycle_days - 1);
                let left = cycle_days - day;
                let delta = if next(2) == 0 {
                    1 + next(50) as i64
                } else {
                    -(next(seats as u64) as i64)
                };
                let line = prorate(unit, delta, left, cycle_days).unwrap();
                if delta < 0 {
                    // A refund never exceeds what those seats were charged for the whole cycle.
                    assert!(-line <= prorate(unit, -delta, cycle_days, cycle_days).unwrap());
                }
                sum += line;
                seat_days += Decimal::from(delta * left);
                seats += delta;
                lines += 1;
            }
            let exact = Decimal::from(unit) * seat_days / Decimal::from(cycle_days);
            let off = (Decimal::from(sum) - exact).abs();
            assert!(
                off <= Decimal::new(5, 1) * Decimal::from(lines),
                "{sum} vs {exact}"
            );
            assert_eq!(
                prorate(unit, seats, cycle_days, cycle_days).unwrap()
                    + prorate(unit, -seats, cycle_days, cycle_days).unwrap(),
                0
            );
        }
    }
}
