//! Billing periods and statements (the vocabulary): a [`Period`] is a calendar month in UTC,
//! written `YYYY-MM`; a statement bills a [`BillTo`] party at one price level. No I/O.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate, NaiveDateTime};

use crate::domain::Id;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A billing period: one calendar month (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    year: i32,
    month: u32,
}

impl Period {
    /// The period that contains `at`.
    pub fn of(at: NaiveDateTime) -> Period {
        Period {
            year: at.year(),
            month: at.month(),
        }
    }

    /// The month after this one.
    pub fn next(self) -> Period {
        if self.month == 12 {
            Period {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Period {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// The month before this one.
    pub fn previous(self) -> Period {
        if self.month == 1 {
            Period {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Period {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    /// Its first day.
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN)
    }

    /// Its last day.
    pub fn last_day(self) -> NaiveDate {
        self.next().first_day().pred_opt().unwrap_or(NaiveDate::MIN)
    }

    /// 00:00 UTC on its first day.
    pub fn start(self) -> NaiveDateTime {
        self.first_day().and_time(chrono::NaiveTime::MIN)
    }

    /// 00:00 UTC on the first day of the next month: when the period closes.
    pub fn end(self) -> NaiveDateTime {
        self.next().start()
    }
}

/// A billing period of one time scope (`GET /v1/billing/periods`).
#[derive(Debug, Clone)]
pub struct PeriodState {
    pub period: Period,
    /// The test clock of the scope (`None`: real time).
    pub clock: Option<Id>,
    /// When it closed (the scope's time): its statements are issued.
    pub closed_at: Option<NaiveDateTime>,
    /// Whether it has ended in the scope's time (an ended period not closed yet is closed by
    /// the runner's next pass, once no transition is due before its end).
    pub ended: bool,
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for Period {
    type Err = String;
    /// Parses `YYYY-MM` (a four-digit year, month 01-12).
    fn from_str(s: &str) -> Result<Period, String> {
        let bad = || format!("{s:?} is not a period (YYYY-MM)");
        let (y, m) = s.split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u32 = m.parse().map_err(|_| bad())?;
        if !(1..=12).contains(&month) {
            return Err(bad());
        }
        Ok(Period { year, month })
    }
}

/// Who a statement bills, which is also the price level of its amounts: a reseller pays the
/// reseller price, a customer the customer price.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    ToSchema,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
pub enum BillTo {
    /// An indirect reseller, billed by its provider at reseller prices.
    Reseller,
    /// A customer, billed at customer prices by its provider (direct) or its reseller.
    Customer,
}

impl BillTo {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            BillTo::Reseller => "reseller",
            BillTo::Customer => "customer",
        }
    }
}

impl FromStr for BillTo {
    type Err = String;
    fn from_str(s: &str) -> Result<BillTo, String> {
        match s {
            "reseller" => Ok(BillTo::Reseller),
            "customer" => Ok(BillTo::Customer),
            other => Err(format!("unknown bill-to kind {other:?}")),
        }
    }
}

super::text_column!(BillTo);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_parse_print_and_step_across_years() {
        let p: Period = "2026-12".parse().unwrap();
        assert_eq!(p.to_string(), "2026-12");
        assert_eq!(p.next().to_string(), "2027-01");
        assert_eq!(p.next().previous(), p);
        assert_eq!(p.last_day().to_string(), "2026-12-31");
        assert_eq!(p.end().to_string(), "2027-01-01 00:00:00");
        assert!("2026-13".parse::<Period>().is_err());
        assert!("2026-1".parse::<Period>().is_err());
        assert!("x".parse::<Period>().is_err());
    }
}
