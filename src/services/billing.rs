//! Billing line items (docs/billing.md), written in the transaction of the subscription change
//! that causes them and never updated:
//!
//! - `new` (an order) and `renew` (the lifecycle runner): the first billing cycle of the term,
//!   at the three prices resolved then (`services::pricing`); they fix the term's prices;
//! - `cycleFee` (the lifecycle runner, when a billing cycle after the first of a term begins):
//!   the whole cycle for the subscription's seats at the term's prices;
//! - `addQuantity` and `removeQuantity` (a seat change) and `cancel` (a cancellation inside the
//!   window): the seats added or returned, prorated by day to the end of the current billing
//!   cycle at the term's prices (a refund is negative);
//! - `upgrade`, two lines in the upgrade's change: on the source, a refund of the seats moved for
//!   the days left in its cycle at its term's prices; on the target, the charge of those seats
//!   for the same days at the target's prices resolved then (they fix the target's term prices).
//!
//! Each total is `unit × quantity × days / cycle days`, rounded once (`domain::billing`).
//! [`list`] reads the lines a caller may see: a provider the lines it bills, a reseller the
//! lines of the subscriptions it is reseller of record for (never cost: that is the answer's
//! business, `api::billing`).

use chrono::NaiveDateTime;

use super::pricing;
use crate::auth::PartnerCaller;
use crate::change::Change;
use crate::db::AnyConnection;
use crate::domain::billing::{self, ChargeType, UnitPrices as Units};
use crate::domain::{Id, TenantKind};
use crate::error::{ApiError, ProblemCode};
use crate::models::billing_line::{LineFilter, LineItemRow, LineScope};
use crate::models::ids;
use crate::models::offer::OfferRow;
use crate::models::subscription::SubscriptionRow;

fn too_large() -> ApiError {
    ApiError::unprocessable(
        ProblemCode::AmountTooLarge,
        "The charge does not fit in 64-bit minor units.",
    )
}

/// Writes the line of `kind` for `seats` seats (negative: returned) of `row` (as it is after
/// the change) at `at`, the subscription's time. The line is buffered in the change and
/// written at its commit. Returns the term's unit prices it charged (an order's answer shows
/// them without resolving them again).
pub fn charge(
    change: &mut Change<'_>,
    row: &SubscriptionRow,
    kind: ChargeType,
    seats: i32,
    at: NaiveDateTime,
) -> Result<Units, ApiError> {
    let offer = OfferRow::find(change.conn(), &row.offer_id)?
        .ok_or_else(|| ApiError::internal(format!("offer {} missing", row.offer_id)))?;
    charge_offer(change, row, &offer, kind, seats, at, None)
}

/// [`charge`] when the caller holds the subscription's `offer` already (an order), and perhaps
/// knows whether the billing partner prices the customer with a price list (`customer_listed`,
/// see `pricing::prices`).
pub fn charge_offer(
    change: &mut Change<'_>,
    row: &SubscriptionRow,
    offer: &OfferRow,
    kind: ChargeType,
    seats: i32,
    at: NaiveDateTime,
    customer_listed: Option<bool>,
) -> Result<Units, ApiError> {
    let units = units(change.conn(), row, offer, kind, seats, at, customer_listed)?;
    let (start, end) =
        billing::cycle_containing(row.term_start_date.date(), row.billing_cycle, at.date());
    let cycle_days = (end - start).num_days();
    let days = (end - at.date()).num_days();
    let total = |unit: i64| {
        billing::prorate(unit, i64::from(seats), days, cycle_days).ok_or_else(too_large)
    };
    let line = LineItemRow {
        id: ids::new(),
        provider_id: row.billing_partner_id,
        customer_id: row.customer_id,
        reseller_id: row.partner_id_on_record,
        subscription_id: row.id,
        offer_id: row.offer_id,
        term_duration: row.term_duration,
        billing_cycle: row.billing_cycle,
        charge_type: kind,
        quantity: seats,
        charge_start_date: at.date(),
        charge_end_date: end.pred_opt().unwrap_or(end),
        days: i32::try_from(days).map_err(|_| too_large())?,
        cycle_days: i32::try_from(cycle_days).map_err(|_| too_large())?,
        billing_period: at.format("%Y-%m").to_string(),
        currency: offer.currency.clone(),
        cost_unit_minor: units.cost,
        cost_total_minor: total(units.cost)?,
        reseller_unit_minor: units.reseller.map(|r| r.0),
        reseller_total_minor: units.reseller.map(|r| total(r.0)).transpose()?,
        customer_unit_minor: units.customer.0,
        customer_total_minor: total(units.customer.0)?,
        reseller_price_list_id: units.reseller.and_then(|r| r.1),
        customer_price_list_id: units.customer.1,
        created_at: at,
    };
    change.bill(line);
    Ok(units)
}

/// The term's prices: resolved now for a purchase, a renewal or an upgrade's target; else
/// those of the term's opening line (resolved now when it has none, or its reseller of record has changed since).
fn units(
    conn: &mut AnyConnection,
    row: &SubscriptionRow,
    offer: &OfferRow,
    kind: ChargeType,
    seats: i32,
    at: NaiveDateTime,
    customer_listed: Option<bool>,
) -> Result<Units, ApiError> {
    let opens = match kind {
        ChargeType::New | ChargeType::Renew => true,
        ChargeType::Upgrade => seats > 0,
        _ => false,
    };
    if !opens
        && let Some(open) = LineItemRow::term_opening(conn, &row.id)?
        && open.reseller_id == row.partner_id_on_record
        && open.term_duration == row.term_duration
        && open.billing_cycle == row.billing_cycle
        && open.offer_id == row.offer_id
    {
        return Ok(open.unit_prices());
    }
    let p = pricing::prices(
        conn,
        &row.billing_partner_id,
        row.partner_id_on_record.as_ref(),
        &row.customer_id,
        offer,
        row.term_duration,
        row.billing_cycle,
        at,
        customer_listed,
    )?;
    Ok(Units {
        cost: p.cost_minor,
        reseller: p.reseller.map(|r| (r.unit_minor, r.price_list_id)),
        customer: (p.customer.unit_minor, p.customer.price_list_id),
    })
}

/// Who reads lines: a provider (all three prices) or a reseller (no cost).
pub fn scope_of(caller: &PartnerCaller) -> LineScope {
    let me = Id::from(caller.partner_id());
    match caller.tenant_kind {
        TenantKind::IndirectReseller => LineScope::Reseller(me),
        _ => LineScope::Provider(me),
    }
}

/// One page of the lines the caller may see that match `filter` (up to `limit` rows after
/// `after`, in id order).
pub fn list(
    conn: &mut AnyConnection,
    caller: &PartnerCaller,
    filter: &LineFilter,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<LineItemRow>, ApiError> {
    Ok(LineItemRow::page(
        conn,
        scope_of(caller),
        filter,
        after,
        limit,
    )?)
}
