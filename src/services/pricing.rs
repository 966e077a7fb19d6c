//! The three prices of an offer, term and billing cycle at a date (docs/billing.md), resolved in
//! one place:
//!
//! - **cost**: the catalog's monthly price of the term and cycle × the cycle's months;
//! - **reseller price** (subscriptions with a reseller of record): the provider's list assigned
//!   to the reseller, else the provider's default list, over cost; else cost;
//! - **customer price**: with a reseller of record, the reseller's list assigned to the
//!   customer over the reseller price, else the reseller price; without one, the provider's
//!   list assigned to the customer, else the provider's default list, over cost.
//!
//! A list prices with its version in effect at the date: the entry for the offer, term and
//! cycle (`unitPrice`, or `markupPercent` over the price below), else the version's
//! `defaultMarkupPercent`. A list in another currency than the offer, or a date before its
//! first version, leaves the price below unchanged.

use chrono::NaiveDateTime;
use rust_decimal::Decimal;

use crate::db::AnyConnection;
use crate::domain::billing::{self, PriceSource, parse_percent};
use crate::domain::{BillingCycle, Id, TermDuration};
use crate::error::ApiError;
use crate::models::offer::OfferRow;
use crate::models::price_list::{PriceListRow, PriceListVersionRow};

/// A price per license per billing cycle, in minor units, with the list and version it came
/// from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// Per license per cycle, minor units.
    pub unit_minor: i64,
    /// The list (none: the price below applies).
    pub price_list_id: Option<Id>,
    /// The list's version in effect.
    pub version_id: Option<Id>,
    /// How it was found.
    pub source: PriceSource,
}

impl Resolved {
    fn base(unit_minor: i64) -> Resolved {
        Resolved {
            unit_minor,
            price_list_id: None,
            version_id: None,
            source: PriceSource::Base,
        }
    }
}

/// The three prices of one subscription's term and cycle.
#[derive(Debug, Clone)]
pub struct Prices {
    /// What the provider pays.
    pub cost_minor: i64,
    /// What the reseller of record pays the provider (none without a reseller of record).
    pub reseller: Option<Resolved>,
    /// What the customer pays whoever bills it.
    pub customer: Resolved,
}

fn too_large() -> ApiError {
    ApiError::unprocessable(
        crate::error::ProblemCode::AmountTooLarge,
        "The price does not fit in 64-bit minor units.",
    )
}

/// The cost per license per cycle of `offer` sold with `duration` and `cycle`.
pub fn cost(
    offer: &OfferRow,
    duration: TermDuration,
    cycle: BillingCycle,
) -> Result<i64, ApiError> {
    let monthly = offer
        .term_for(Some(duration), cycle)?
        .map_or(offer.unit_price_minor, |t| {
            t.unit_price_minor(cycle, offer.unit_price_minor)
        });
    billing::cycle_price(monthly, cycle).ok_or_else(too_large)
}

/// The price of `offer` (term, cycle) through `list` at `at`, over `base_minor`.
pub fn through_list(
    conn: &mut AnyConnection,
    list: &PriceListRow,
    offer: &OfferRow,
    duration: TermDuration,
    cycle: BillingCycle,
    base_minor: i64,
    at: NaiveDateTime,
) -> Result<Resolved, ApiError> {
    if list.currency != offer.currency {
        return Ok(Resolved::base(base_minor));
    }
    let Some(version) = PriceListVersionRow::in_effect(conn, &list.id, at)? else {
        return Ok(Resolved::base(base_minor));
    };
    let entry = version.entries()?.into_iter().find(|e| {
        e.offer_id == offer.id && e.term_duration == duration && e.billing_cycle == cycle
    });
    let markup = |s: &str| -> Result<Decimal, ApiError> {
        parse_percent(s).map_err(|e| ApiError::internal(format!("stored markup: {e}")))
    };
    let (unit_minor, source) = match entry {
        Some(e) if e.unit_price_minor.is_some() => (
            e.unit_price_minor.unwrap_or(base_minor),
            PriceSource::UnitPrice,
        ),
        Some(e) if e.markup_percent.is_some() => (
            billing::marked_up(
                base_minor,
                markup(e.markup_percent.as_deref().unwrap_or("0"))?,
            )
            .ok_or_else(too_large)?,
            PriceSource::EntryMarkup,
        ),
        _ => (
            billing::marked_up(base_minor, markup(&version.default_markup_percent)?)
                .ok_or_else(too_large)?,
            PriceSource::DefaultMarkup,
        ),
    };
    Ok(Resolved {
        unit_minor,
        price_list_id: Some(list.id),
        version_id: Some(version.id),
        source,
    })
}

/// The list `owner` assigned to `target`, else (with `or_default`) `owner`'s default list.
fn list_for(
    conn: &mut AnyConnection,
    owner: &Id,
    target: &Id,
    or_default: bool,
) -> Result<Option<PriceListRow>, ApiError> {
    Ok(PriceListRow::assigned_or_default(
        conn, owner, target, or_default,
    )?)
}

/// The price `reseller` pays `provider` for `offer` (term, cycle) at `at`.
pub fn reseller_price(
    conn: &mut AnyConnection,
    provider: &Id,
    reseller: &Id,
    offer: &OfferRow,
    duration: TermDuration,
    cycle: BillingCycle,
    at: NaiveDateTime,
) -> Result<Resolved, ApiError> {
    let cost = cost(offer, duration, cycle)?;
    match list_for(conn, provider, reseller, true)? {
        Some(list) => through_list(conn, &list, offer, duration, cycle, cost, at),
        None => Ok(Resolved::base(cost)),
    }
}

/// The three prices of a subscription of `customer` billed by `provider` with `reseller` of
/// record, for `offer` (term, cycle) at `at` (see the module documentation). A caller that has
/// read whether `provider` prices `customer` with a list (`price_list::applies`, read by an
/// order with its offers) passes it as `customer_listed`: `Some(false)` skips that lookup.
#[expect(
    clippy::too_many_arguments,
    reason = "the parties and the term of one price"
)]
pub fn prices(
    conn: &mut AnyConnection,
    provider: &Id,
    reseller: Option<&Id>,
    customer: &Id,
    offer: &OfferRow,
    duration: TermDuration,
    cycle: BillingCycle,
    at: NaiveDateTime,
    customer_listed: Option<bool>,
) -> Result<Prices, ApiError> {
    let cost_minor = cost(offer, duration, cycle)?;
    let Some(reseller) = reseller else {
        let list = match customer_listed {
            Some(false) => None,
            _ => list_for(conn, provider, customer, true)?,
        };
        let customer = match list {
            Some(list) => through_list(conn, &list, offer, duration, cycle, cost_minor, at)?,
            None => Resolved::base(cost_minor),
        };
        return Ok(Prices {
            cost_minor,
            reseller: None,
            customer,
        });
    };
    let reseller_price = reseller_price(conn, provider, reseller, offer, duration, cycle, at)?;
    let customer = match list_for(conn, reseller, customer, false)? {
        Some(list) => through_list(
            conn,
            &list,
            offer,
            duration,
            cycle,
            reseller_price.unit_minor,
            at,
        )?,
        None => Resolved::base(reseller_price.unit_minor),
    };
    Ok(Prices {
        cost_minor,
        reseller: Some(reseller_price),
        customer,
    })
}
