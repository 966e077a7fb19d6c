//! The calendar of a subscription's term (docs/concepts.md#subscription-terms-and-lifecycle, Partner Center "new commerce"): when a
//! term ends, its commitment end date, which billing cycles a term is sold with, the seats that
//! may still be returned, and the order of the lifecycle transitions. Pure functions of times
//! (UTC, stored as `NaiveDateTime`); no I/O.
//!
//! - A term that starts at `start` ends at 00:00 UTC of the day `termDuration` after `start`'s
//!   date ([`term_end`]); its `commitmentEndDate` is the day before ([`commitment_end_date`]).
//!   Renewal happens at that end, and the next term starts there.
//! - Within a term the runner sends `subscription-renewal-upcoming` 30 and then 7 days before
//!   the end (each only when it falls after the term's start), then ends the term
//!   ([`next_in_term`]); an expired subscription is disabled 30 days later and deleted 90 days
//!   after that ([`DISABLE_AFTER_DAYS`], [`DELETE_AFTER_DAYS`]).
//! - Seats come with a window in which they may be returned: the purchase's (or renewal's)
//!   quantity, and each later addition on its own ([`Refundable`]).

use chrono::{Days, Months, NaiveDate, NaiveDateTime, TimeDelta};
use serde::{Deserialize, Serialize};

use super::{BillingCycle, Id, TermDuration, Transition};

/// Days from expiry to `disabled`.
pub const DISABLE_AFTER_DAYS: i64 = 30;
/// Days from `disabled` to `deleted`.
pub const DELETE_AFTER_DAYS: i64 = 90;
/// Days before a term's end at which `subscription-renewal-upcoming` is sent.
pub const NOTICE_DAYS: [(Transition, i64); 2] = [
    (Transition::RenewalNotice30, 30),
    (Transition::RenewalNotice7, 7),
];

impl TermDuration {
    /// The term's length in calendar months.
    pub fn months(self) -> u32 {
        match self {
            TermDuration::P1M => 1,
            TermDuration::P1Y => 12,
            TermDuration::P3Y => 36,
        }
    }

    /// The billing cycles a term of this length may be sold with: P1M monthly; P1Y monthly or
    /// annual; P3Y monthly, annual or triennial.
    pub fn cycles(self) -> &'static [BillingCycle] {
        match self {
            TermDuration::P1M => &[BillingCycle::Monthly],
            TermDuration::P1Y => &[BillingCycle::Monthly, BillingCycle::Annual],
            TermDuration::P3Y => &[
                BillingCycle::Monthly,
                BillingCycle::Annual,
                BillingCycle::Triennial,
            ],
        }
    }

    /// The term an offer or subscription from before terms existed has for `cycle`: monthly →
    /// P1M, annual → P1Y, triennial → P3Y.
    pub fn for_cycle(cycle: BillingCycle) -> TermDuration {
        match cycle {
            BillingCycle::Monthly => TermDuration::P1M,
            BillingCycle::Annual => TermDuration::P1Y,
            BillingCycle::Triennial => TermDuration::P3Y,
        }
    }
}

/// When a term of `duration` that starts at `start` ends: 00:00 UTC of the day `duration`
/// after `start`'s date (a month after 31 January is the last day of February).
pub fn term_end(start: NaiveDateTime, duration: TermDuration) -> NaiveDateTime {
    let date = start
        .date()
        .checked_add_months(Months::new(duration.months()))
        .unwrap_or(NaiveDate::MAX);
    date.and_time(chrono::NaiveTime::MIN)
}

/// The last day of the term (`commitmentEndDate`): the day before [`term_end`].
pub fn commitment_end_date(start: NaiveDateTime, duration: TermDuration) -> NaiveDate {
    let end = term_end(start, duration).date();
    end.checked_sub_days(Days::new(1)).unwrap_or(end)
}

/// `t` plus `hours` (a window's end).
pub fn after_hours(t: NaiveDateTime, hours: i64) -> NaiveDateTime {
    t.checked_add_signed(TimeDelta::hours(hours))
        .unwrap_or(NaiveDateTime::MAX)
}

/// `t` plus `days`.
pub fn after_days(t: NaiveDateTime, days: i64) -> NaiveDateTime {
    t.checked_add_signed(TimeDelta::days(days))
        .unwrap_or(NaiveDateTime::MAX)
}

/// When the billing cycles of a term from `start` to `end` after the first begin: 00:00 UTC of
/// `start`'s date plus each whole multiple of the cycle's months, before the end (none when
/// the cycle is as long as the term). Each is due a `cycleFee` charge.
pub fn cycle_starts(
    start: NaiveDateTime,
    end: NaiveDateTime,
    cycle: BillingCycle,
) -> impl Iterator<Item = NaiveDateTime> {
    let step = super::billing::cycle_months(cycle);
    (1u32..)
        .map(move |k| {
            start
                .date()
                .checked_add_months(Months::new(k.saturating_mul(step)))
                .unwrap_or(NaiveDate::MAX)
                .and_time(chrono::NaiveTime::MIN)
        })
        .take_while(move |at| *at < end)
}

/// The order of transitions due at the same time: a cycle's charge, the notices, the end.
fn rank(t: Option<Transition>) -> i8 {
    match t {
        None => -1,
        Some(Transition::CycleFee) => 0,
        Some(Transition::RenewalNotice30) => 1,
        Some(Transition::RenewalNotice7) => 2,
        Some(_) => 3,
    }
}

/// The first transition of a term from `start` to `end` billed each `cycle` that comes after
/// `current` (the transition just applied, due at `after`; `None`: nothing yet, so strictly
/// after `after`): the charge of a billing cycle after the first ([`cycle_starts`]), a renewal
/// notice 30 or 7 days before the end (only those that fall after `start`), else the end of
/// the term. Transitions due at the same time come in the order cycle charge, notices, end.
pub fn next_in_term(
    start: NaiveDateTime,
    end: NaiveDateTime,
    cycle: BillingCycle,
    after: NaiveDateTime,
    current: Option<Transition>,
) -> (Transition, NaiveDateTime) {
    let later = |kind: Transition, at: NaiveDateTime| {
        at > after || (at == after && rank(Some(kind)) > rank(current))
    };
    let mut best = (Transition::TermEnd, end);
    let mut consider = |kind: Transition, at: NaiveDateTime| {
        if later(kind, at) && (at, rank(Some(kind))) < (best.1, rank(Some(best.0))) {
            best = (kind, at);
        }
    };
    if let Some(at) = cycle_starts(start, end, cycle).find(|at| later(Transition::CycleFee, *at)) {
        consider(Transition::CycleFee, at);
    }
    for (kind, days) in NOTICE_DAYS {
        let at = after_days(end, -days);
        if at > start {
            consider(kind, at);
        }
    }
    best
}

/// Seats that may still be returned, bought together (a purchase, a renewal or one addition)
/// and returnable until `allowed_until`. Stored as a JSON array on the subscription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundableSeats {
    /// Seats.
    pub quantity: i32,
    /// Until when they may be returned.
    pub allowed_until: NaiveDateTime,
}

/// The returnable seats of a subscription (`refundableQuantity`): the lots whose window is
/// still open at a given time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Refundable(pub Vec<RefundableSeats>);

impl Refundable {
    /// The lots still open at `now`, earliest window first.
    pub fn open_at(&self, now: NaiveDateTime) -> Refundable {
        let mut open: Vec<RefundableSeats> = self
            .0
            .iter()
            .filter(|l| l.allowed_until > now && l.quantity > 0)
            .cloned()
            .collect();
        open.sort_by_key(|l| l.allowed_until);
        Refundable(open)
    }

    /// How many seats may be returned at `now`.
    pub fn total_at(&self, now: NaiveDateTime) -> i32 {
        self.open_at(now).0.iter().map(|l| l.quantity).sum()
    }

    /// Adds a lot of `quantity` seats returnable until `allowed_until` (nothing when the
    /// window is empty).
    pub fn add(&mut self, quantity: i32, allowed_until: NaiveDateTime, now: NaiveDateTime) {
        *self = self.open_at(now);
        if allowed_until > now && quantity > 0 {
            self.0.push(RefundableSeats {
                quantity,
                allowed_until,
            });
        }
    }

    /// Returns `seats` seats at `now`, taking them from the lot bought last; `Err` with the
    /// returnable total when fewer may be returned.
    pub fn remove(&mut self, seats: i32, now: NaiveDateTime) -> Result<(), i32> {
        let mut open = self.open_at(now);
        let total: i32 = open.0.iter().map(|l| l.quantity).sum();
        if seats > total {
            return Err(total);
        }
        let mut left = seats;
        while left > 0 {
            let Some(last) = open.0.last_mut() else { break };
            let taken = left.min(last.quantity);
            last.quantity -= taken;
            left -= taken;
            if last.quantity == 0 {
                open.0.pop();
            }
        }
        *self = open;
        Ok(())
    }
}

/// The price of one billing cycle of an offer's term: per license per month, in minor units of
/// the offer's currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TermPrice {
    /// The billing cycle.
    pub billing_cycle: BillingCycle,
    /// Price per license per month, in minor units.
    pub unit_price_minor: i64,
}

/// A term an offer sells (docs/concepts.md#subscription-terms-and-lifecycle), with the billing cycles it is sold with and their
/// prices (a cycle without its own price costs the offer's unit price). Stored as a JSON array
/// on the offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OfferTerm {
    /// The term's length.
    pub term_duration: TermDuration,
    /// The billing cycles it is sold with (each allowed for the term: see
    /// [`TermDuration::cycles`]).
    pub billing_cycles: Vec<BillingCycle>,
    /// Prices per billing cycle, where they differ from the offer's unit price.
    #[serde(default)]
    pub prices: Vec<TermPrice>,
}

impl OfferTerm {
    /// The price per license per month of `cycle` on this term (`base` when it has none).
    pub fn unit_price_minor(&self, cycle: BillingCycle, base: i64) -> i64 {
        self.prices
            .iter()
            .find(|p| p.billing_cycle == cycle)
            .map_or(base, |p| p.unit_price_minor)
    }
}

/// The terms of an offer from before terms existed: for each of its billing cycles, the term
/// that cycle implies ([`TermDuration::for_cycle`]) sold with that cycle at the offer's price.
pub fn terms_of_cycles(cycles: &[BillingCycle]) -> Vec<OfferTerm> {
    let mut terms: Vec<OfferTerm> = Vec::new();
    for c in cycles {
        let d = TermDuration::for_cycle(*c);
        match terms.iter_mut().find(|t| t.term_duration == d) {
            Some(t) => t.billing_cycles.push(*c),
            None => terms.push(OfferTerm {
                term_duration: d,
                billing_cycles: vec![*c],
                prices: Vec::new(),
            }),
        }
    }
    terms
}

/// The term an order line gets when it names only its billing cycle: the term that cycle
/// implies when the offer sells that pair, else the first term (in the offer's order) sold with
/// the cycle.
pub fn default_term(terms: &[OfferTerm], cycle: BillingCycle) -> Option<&OfferTerm> {
    let sells = |t: &&OfferTerm| t.billing_cycles.contains(&cycle);
    terms
        .iter()
        .filter(sells)
        .find(|t| t.term_duration == TermDuration::for_cycle(cycle))
        .or_else(|| terms.iter().find(sells))
}

/// What the next term of a subscription changes (`scheduledNextTermInstructions`), applied at
/// renewal: another offer (of the same product family or an upgrade target), another term or
/// billing cycle, another seat count. Stored as JSON on the subscription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NextTerm {
    /// The offer of the next term.
    #[schema(value_type = String, format = Uuid)]
    pub offer_id: Id,
    /// The next term's length.
    pub term_duration: TermDuration,
    /// The next term's billing cycle.
    pub billing_cycle: BillingCycle,
    /// The next term's seats (within the offer's min/max).
    #[schema(minimum = 1, maximum = 1_000_000, example = 8)]
    #[serde(deserialize_with = "crate::money::whole_i32")]
    pub quantity: i32,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn a_year_from_mid_morning_ends_at_midnight_after_its_commitment_end_date() {
        let start = at("2026-01-15 10:30:00");
        assert_eq!(
            term_end(start, TermDuration::P1Y),
            at("2027-01-15 00:00:00")
        );
        assert_eq!(
            commitment_end_date(start, TermDuration::P1Y).to_string(),
            "2027-01-14"
        );
        assert_eq!(
            term_end(at("2026-01-31 00:00:00"), TermDuration::P1M),
            at("2026-02-28 00:00:00")
        );
        assert_eq!(
            term_end(start, TermDuration::P3Y),
            at("2029-01-15 00:00:00")
        );
    }

    #[test]
    fn notices_come_30_and_7_days_before_the_end_then_the_end() {
        let start = at("2026-01-15 10:30:00");
        let end = term_end(start, TermDuration::P1Y);
        let annual = BillingCycle::Annual;
        let first = next_in_term(start, end, annual, start, None);
        assert_eq!(
            first,
            (Transition::RenewalNotice30, at("2026-12-16 00:00:00"))
        );
        let second = next_in_term(start, end, annual, first.1, Some(first.0));
        assert_eq!(
            second,
            (Transition::RenewalNotice7, at("2027-01-08 00:00:00"))
        );
        assert_eq!(
            next_in_term(start, end, annual, second.1, Some(second.0)),
            (Transition::TermEnd, end)
        );
        // A month-long term that starts late in the day has no 30-day notice.
        let m = at("2026-02-01 12:00:00");
        let m_end = term_end(m, TermDuration::P1M);
        assert_eq!(
            next_in_term(m, m_end, BillingCycle::Monthly, m, None).0,
            Transition::RenewalNotice7
        );
    }

    #[test]
    fn a_year_billed_monthly_charges_each_cycle_after_the_first_then_the_notices() {
        let start = at("2027-01-15 10:30:00");
        let end = term_end(start, TermDuration::P1Y);
        let monthly = BillingCycle::Monthly;
        let starts: Vec<_> = cycle_starts(start, end, monthly).collect();
        assert_eq!(starts.len(), 11);
        assert_eq!(starts[0], at("2027-02-15 00:00:00"));
        assert_eq!(starts[10], at("2027-12-15 00:00:00"));
        let mut walk = vec![];
        let (mut t, mut kind) = (start, None);
        loop {
            let next = next_in_term(start, end, monthly, t, kind);
            walk.push(next);
            if next.0 == Transition::TermEnd {
                break;
            }
            (kind, t) = (Some(next.0), next.1);
        }
        assert_eq!(walk.len(), 11 + 2 + 1);
        assert_eq!(
            walk[11],
            (Transition::RenewalNotice30, at("2027-12-16 00:00:00"))
        );
        // A term from 1 May: the 30-day notice falls on a cycle start; both run, charge first.
        let may = at("2027-05-01 00:00:00");
        let may_end = term_end(may, TermDuration::P1Y);
        let due = at("2028-04-01 00:00:00");
        let fee = next_in_term(
            may,
            may_end,
            monthly,
            at("2028-03-01 00:00:00"),
            Some(Transition::CycleFee),
        );
        assert_eq!(fee, (Transition::CycleFee, due));
        assert_eq!(
            next_in_term(may, may_end, monthly, due, Some(Transition::CycleFee)),
            (Transition::RenewalNotice30, due)
        );
        assert_eq!(cycle_starts(may, may_end, BillingCycle::Annual).count(), 0);
    }

    #[test]
    fn seats_are_returned_from_the_last_lot_within_its_window() {
        let t0 = at("2026-01-01 00:00:00");
        let mut r = Refundable::default();
        r.add(10, after_hours(t0, 168), t0);
        let day3 = after_days(t0, 3);
        r.add(5, after_hours(day3, 168), day3);
        assert_eq!(r.total_at(day3), 15);
        let day9 = after_days(t0, 9);
        assert_eq!(r.total_at(day9), 5);
        assert_eq!(r.remove(3, day9), Ok(()));
        assert_eq!(r.total_at(day9), 2);
        let day12 = after_days(t0, 12);
        assert_eq!(r.remove(5, day12), Err(0));
    }

    #[test]
    fn terms_sell_the_cycles_of_their_length() {
        assert_eq!(TermDuration::P1M.cycles(), &[BillingCycle::Monthly]);
        assert!(
            TermDuration::P3Y
                .cycles()
                .contains(&BillingCycle::Triennial)
        );
        assert!(
            !TermDuration::P1Y
                .cycles()
                .contains(&BillingCycle::Triennial)
        );
        assert_eq!(
            TermDuration::for_cycle(BillingCycle::Annual),
            TermDuration::P1Y
        );
    }
}
