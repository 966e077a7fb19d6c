//! Pricing and placing orders (docs/concepts.md#commerce, seed "Partner with indirect resellers" → add new
//! subscriptions): [`price`] reads line items against the catalog (the cart review), [`check`]
//! applies every rule, and [`create`] places ONE order and its subscriptions in ONE transaction —
//! all or nothing — for a direct `POST …/orders` (a cart checkout, `services::carts::checkout`,
//! places its lines the same way inside its own one transaction). [`list`] and [`get`] read a
//! provider's orders for a customer.
//!
//! Rules, each refused with 422 naming `lineItems[i].<field>`: the offer exists (`unknown_offer`);
//! the quantity is within the offer's min/max (`quantity_out_of_range`); the billing cycle is
//! offered (`billing_cycle_not_offered`); `partnerIdOnRecord` is an indirect reseller with an
//! active partnership with the provider (`partnership_required`); an add-on needs an active
//! subscription to one of its prerequisites owned by the customer, or a line for one in the same
//! order (`prerequisite_required`); `limitPerCustomer` counts the customer's existing
//! subscriptions to the offer (active or suspended) plus the order's lines
//! (`limit_per_customer_exceeded`); one currency per order (`mixed_currencies`).

use std::collections::HashMap;

use actix_web::http::StatusCode;
use uuid::Uuid;

use crate::api::orders::Order;
use crate::api::subscriptions::Subscription;
use crate::auth::permissions::Operation;
use crate::auth::{PartnerCaller, visibility};
use crate::change::Change;
use crate::db::AnyConnection;
use crate::domain::billing::{ChargeType, PriceView, UnitPrices};
use crate::domain::term::{OfferTerm, Refundable, after_hours};
use crate::domain::{self, AuditOperation, Id};
use crate::error::{ApiError, ProblemCode};
use crate::models::audit::Audit;
use crate::models::billing_line::LineItemRow;
use crate::models::cart::LineItem;
use crate::models::customer::CustomerRow;
use crate::models::offer::OfferRow;
use crate::models::order::{OrderLine, OrderRow};
use crate::models::partnership::PartnershipRow;
use crate::models::subscription::{SubscriptionRow, refundable_json};
use crate::models::test_clock::TestClockRow;
use crate::models::{ids, now};
use crate::paging::PageRequest;

/// A line item with its offer and its price.
#[derive(Debug, Clone)]
pub struct PricedLine {
    /// The line as requested.
    pub line: LineItem,
    /// Its offer, as the catalog has it now.
    pub offer: OfferRow,
    /// The term the line buys (`None` when the offer sells none with the line's cycle and
    /// term: [`check`] refuses the line).
    pub term: Option<OfferTerm>,
    /// Price per license per month of the term and cycle, in minor units.
    pub unit_price_minor: i64,
    /// `unit price × quantity`, in minor units (price per month of the line).
    pub line_total_minor: i64,
}

/// Priced line items with their total.
#[derive(Debug, Clone)]
pub struct Priced {
    /// The lines, in request order.
    pub lines: Vec<PricedLine>,
    /// The sum of the line totals, in minor units.
    pub total_minor: i64,
    /// The one currency of every line.
    pub currency: String,
    /// Whether the provider prices the customer with a price list, when [`check`] read it with
    /// the offers (`None` otherwise): `Some(false)` spares the `new` lines' list lookup.
    pub customer_listed: Option<bool>,
}

/// A placed order with the subscriptions it created (in line order).
#[derive(Debug, Clone)]
pub struct Placed {
    /// The order.
    pub order: OrderRow,
    /// Its subscriptions.
    pub subscriptions: Vec<SubscriptionRow>,
    /// The customer's time when it was placed (the real time, or its test clock's).
    pub at: chrono::NaiveDateTime,
    /// The unit prices each subscription's `new` billing line charged, by subscription id.
    pub prices: HashMap<Uuid, UnitPrices>,
    /// The levels the placer sees (orders are placed by the indirect provider: all three).
    pub view: PriceView,
}

/// Orders as a reader sees them: the rows, the unit prices their subscriptions' purchases
/// charged (by subscription id) and the levels the reader may see.
#[derive(Debug, Clone)]
pub struct Shown {
    /// The orders.
    pub rows: Vec<OrderRow>,
    /// Unit prices by subscription id.
    pub prices: HashMap<Uuid, UnitPrices>,
    /// What the reader may see.
    pub view: PriceView,
}

/// `rows` with the prices `caller` may see: one query for all their lines (the purchase lines
/// of their subscriptions, `models::billing_line`).
fn shown(
    conn: &mut AnyConnection,
    caller: &PartnerCaller,
    rows: Vec<OrderRow>,
) -> Result<Shown, ApiError> {
    let mut subscriptions = Vec::new();
    for r in &rows {
        subscriptions.extend(r.lines()?.iter().map(|l| Id::from(l.subscription_id)));
    }
    Ok(Shown {
        prices: LineItemRow::purchase_prices(conn, &subscriptions)?,
        view: PriceView::of(caller.tenant_kind),
        rows,
    })
}

fn line_error(i: usize, field: &str, code: ProblemCode, message: String) -> ApiError {
    ApiError::field(
        StatusCode::UNPROCESSABLE_ENTITY,
        code,
        &format!("lineItems[{i}].{field}"),
        message,
    )
}

fn too_large() -> ApiError {
    ApiError::unprocessable(
        ProblemCode::AmountTooLarge,
        "The order total does not fit in 64-bit minor units; split the order.",
    )
}

/// Prices `lines` with the current catalog, in integer minor units.
///
/// Errors: 422 `unknown_offer` or `mixed_currencies` naming `lineItems[i].offerId`.
pub fn price(conn: &mut AnyConnection, lines: &[LineItem]) -> Result<Priced, ApiError> {
    let wanted: Vec<Id> = lines.iter().map(|l| l.offer_id).collect();
    price_with(OfferRow::find_many(conn, &wanted)?, lines)
}

/// [`price`] with the `offers` already read.
fn price_with(offers: HashMap<Id, OfferRow>, lines: &[LineItem]) -> Result<Priced, ApiError> {
    let mut priced = Vec::with_capacity(lines.len());
    let mut total_minor: i64 = 0;
    let mut currency: Option<String> = None;
    for (i, line) in lines.iter().enumerate() {
        let offer = offers.get(&line.offer_id).cloned().ok_or_else(|| {
            line_error(
                i,
                "offerId",
                ProblemCode::UnknownOffer,
                format!(
                    "No offer `{}` in the catalog (GET /v1/offers).",
                    line.offer_id
                ),
            )
        })?;
        match &currency {
            Some(c) if *c != offer.currency => {
                return Err(line_error(
                    i,
                    "offerId",
                    ProblemCode::MixedCurrencies,
                    format!(
                        "`{}` is priced in {}, the rest of the order in {c}; one order has one currency.",
                        offer.id, offer.currency
                    ),
                ));
            }
            Some(_) => {}
            None => currency = Some(offer.currency.clone()),
        }
        let term = offer.term_for(line.term_duration, line.billing_cycle)?;
        let unit_price_minor = term.as_ref().map_or(offer.unit_price_minor, |t| {
            t.unit_price_minor(line.billing_cycle, offer.unit_price_minor)
        });
        let line_total_minor = unit_price_minor
            .checked_mul(i64::from(line.quantity))
            .ok_or_else(too_large)?;
        total_minor = total_minor
            .checked_add(line_total_minor)
            .ok_or_else(too_large)?;
        priced.push(PricedLine {
            line: line.clone(),
            offer,
            term,
            unit_price_minor,
            line_total_minor,
        });
    }
    Ok(Priced {
        lines: priced,
        total_minor,
        currency: currency.unwrap_or_default(),
        customer_listed: None,
    })
}

/// Prices `lines` and applies every rule of the module documentation for an order of
/// `provider_id` for `customer_id`.
pub fn check(
    conn: &mut AnyConnection,
    provider_id: Uuid,
    customer_id: Uuid,
    lines: &[LineItem],
) -> Result<Priced, ApiError> {
    // The offers, and whether a price list prices the customer, in one statement.
    let wanted: Vec<Id> = lines.iter().map(|l| l.offer_id).collect();
    let (offers, listed) =
        OfferRow::find_many_priced(conn, &wanted, Id::from(provider_id), Id::from(customer_id))?;
    let mut priced = price_with(offers, lines)?;
    priced.customer_listed = Some(listed);
    for (i, p) in priced.lines.iter().enumerate() {
        let (line, offer) = (&p.line, &p.offer);
        offer.check_quantity(line.quantity, &format!("lineItems[{i}].quantity"))?;
        if !offer.offers_cycle(line.billing_cycle) {
            let offered: Vec<&str> = offer.billing_cycles().iter().map(|c| c.as_str()).collect();
            return Err(line_error(
                i,
                "billingCycle",
                ProblemCode::BillingCycleNotOffered,
                format!("`{}` is billed {} only.", offer.id, offered.join(" or ")),
            ));
        }
        if p.term.is_none() {
            let sold: Vec<String> = offer
                .terms()?
                .iter()
                .map(|t| {
                    let cycles: Vec<&str> = t.billing_cycles.iter().map(|c| c.as_str()).collect();
                    format!("{} ({})", t.term_duration, cycles.join(", "))
                })
                .collect();
            return Err(line_error(
                i,
                "termDuration",
                ProblemCode::TermNotOffered,
                format!(
                    "`{}` is not sold with this term and a {} billing cycle; it sells {}.",
                    offer.id,
                    line.billing_cycle,
                    sold.join("; ")
                ),
            ));
        }
        if let Some(reseller) = line.partner_id_on_record {
            PartnershipRow::require_active(
                conn,
                provider_id,
                reseller,
                &format!("lineItems[{i}].partnerIdOnRecord"),
                "The reseller of record must be an indirect reseller with an active partnership with you (GET /v1/indirect-resellers).",
            )?;
        }
    }
    // Two indexed aggregates over only the offers this order names (and their prerequisites):
    // the cost does not grow with the subscriptions the customer already holds.
    let prerequisites_of: Vec<Vec<Id>> = priced
        .lines
        .iter()
        .map(|p| p.offer.prerequisite_ids())
        .collect::<Result<_, _>>()?;
    let prerequisite_ids: Vec<Id> = prerequisites_of.iter().flatten().copied().collect();
    let active_prerequisites =
        SubscriptionRow::active_offers_among(conn, customer_id, &prerequisite_ids)?;
    let in_order: Vec<Id> = lines.iter().map(|l| l.offer_id).collect();
    for (i, (p, prerequisites)) in priced.lines.iter().zip(&prerequisites_of).enumerate() {
        let is_base = |id: &Id| prerequisites.contains(id);
        if !prerequisites.is_empty()
            && !prerequisites
                .iter()
                .any(|pre| active_prerequisites.contains(pre))
            && !in_order.iter().any(is_base)
        {
            return Err(line_error(
                i,
                "offerId",
                ProblemCode::PrerequisiteRequired,
                format!(
                    "`{}` is an add-on: the customer needs an active subscription to one of {} (or a line for one in this order).",
                    p.offer.id,
                    prerequisites
                        .iter()
                        .map(Id::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
    let limited: Vec<Id> = priced
        .lines
        .iter()
        .filter(|p| p.offer.limit_per_customer.is_some())
        .map(|p| p.offer.id)
        .collect();
    let mut held = if limited.is_empty() {
        HashMap::new()
    } else {
        SubscriptionRow::count_by_offer(conn, customer_id, &limited)?
    };
    for (i, p) in priced.lines.iter().enumerate() {
        let Some(limit) = p.offer.limit_per_customer else {
            continue;
        };
        let count = held.entry(p.offer.id).or_default();
        *count += 1;
        if *count > i64::from(limit) {
            return Err(line_error(
                i,
                "offerId",
                ProblemCode::LimitPerCustomerExceeded,
                format!(
                    "A customer may hold at most {limit} subscription(s) to `{}`, counting existing ones and this order.",
                    p.offer.id
                ),
            ));
        }
    }
    Ok(priced)
}

/// Places an order of the caller (an indirect provider: the permission-table row `ManageOrders` admits only
/// providers) for `customer_id`, in one transaction: reaches the customer (locking it), checks
/// `lines` and writes the order and its subscriptions (see [`place`]). `window_hours` is the
/// instance's default cancellation window.
///
/// Errors: 404 `not_found` (customer out of reach), 422 per [`check`].
pub fn create(
    change: &mut Change<'_>,
    caller: &PartnerCaller,
    customer_id: Uuid,
    lines: &[LineItem],
    window_hours: i64,
) -> Result<Placed, ApiError> {
    let reached =
        visibility::customer(change.conn(), caller, customer_id, Operation::ManageOrders)?;
    place(
        change,
        caller.partner_id(),
        &reached.customer,
        lines,
        window_hours,
    )
}

/// The caller's orders for a customer within reach, one page (up to `page.limit + 1` rows in id
/// order; see `paging`), with the prices the caller may see. Errors: 404 `not_found` (customer
/// out of reach).
pub fn list(
    conn: &mut AnyConnection,
    caller: &PartnerCaller,
    customer_id: Uuid,
    page: &PageRequest,
) -> Result<Shown, ApiError> {
    visibility::customer(conn, caller, customer_id, Operation::ManageOrders)?;
    let rows = OrderRow::page(
        conn,
        caller.partner_id(),
        customer_id,
        page.after.as_deref(),
        page.rows_to_fetch(),
    )?;
    shown(conn, caller, rows)
}

/// One of the caller's orders for a customer within reach, with the prices the caller may see;
/// 404 `not_found` otherwise.
pub fn get(
    conn: &mut AnyConnection,
    caller: &PartnerCaller,
    customer_id: Uuid,
    order_id: Uuid,
) -> Result<Shown, ApiError> {
    visibility::customer(conn, caller, customer_id, Operation::ManageOrders)?;
    let row = OrderRow::find(conn, caller.partner_id(), customer_id, order_id)?
        .ok_or_else(|| ApiError::not_found("The order"))?;
    shown(conn, caller, vec![row])
}

/// Checks `lines` and writes the order of `provider_id` for `customer` and one subscription
/// per line: `active`, billed by the provider, support contact the provider, auto-renewing,
/// named after the offer, its term starting now (the customer's test clock's time when it
/// lives on one), with the offer's cancellation window (`window_hours` unless the offer has
/// its own) for all its seats and the term's first transition scheduled (docs/concepts.md#subscription-terms-and-lifecycle).
/// Audits `create_order` once and `create_subscription` per subscription, and writes each
/// subscription's `new` billing line (`services::billing`). Runs inside the
/// caller's transaction, which has already reached (and so locked) the customer: [`create`],
/// `services::carts::checkout` and the demo seeding (several orders in one change). The order
/// and its subscriptions are written at commit (`Change::create`); the rows earlier orders of
/// the same change created are written first, so the rules see them. Errors: see [`check`].
pub fn place(
    change: &mut Change<'_>,
    provider_id: Uuid,
    customer: &CustomerRow,
    lines: &[LineItem],
    window_hours: i64,
) -> Result<Placed, ApiError> {
    let customer_id = customer.id.uuid();
    // The caller reached the customer through its relationship (the caller's change).
    change.reached(customer_id, provider_id);
    // An earlier order of this change: its subscriptions count for the rules below.
    change.write_created()?;
    let priced = check(change.conn(), provider_id, customer_id, lines)?;
    let t = now();
    let at = TestClockRow::time_on(change.conn(), customer.test_clock_id.as_ref())?;
    let order_id = ids::new();
    let provider = Id::from(provider_id);
    let subscriptions: Vec<SubscriptionRow> = priced
        .lines
        .iter()
        .map(|p| {
            let term = p
                .term
                .as_ref()
                .ok_or_else(|| ApiError::internal("checked line without a term"))?;
            let window = p.offer.window_hours(window_hours);
            let end = domain::term::term_end(at, term.term_duration);
            let (next, next_at) =
                domain::term::next_in_term(at, end, p.line.billing_cycle, at, None);
            let mut refundable = Refundable::default();
            refundable.add(p.line.quantity, after_hours(at, window), at);
            Ok(SubscriptionRow {
                id: ids::new(),
                customer_id: Id::from(customer_id),
                offer_id: p.offer.id,
                order_id: Some(order_id),
                quantity: p.line.quantity,
                status: crate::domain::SubscriptionStatus::Active,
                billing_cycle: p.line.billing_cycle,
                auto_renew: true,
                friendly_name: p.offer.name.clone(),
                billing_partner_id: provider,
                partner_id_on_record: p.line.partner_id_on_record.map(Id::from),
                support_contact_partner_id: provider,
                version: 1,
                created_at: at,
                updated_at: t,
                term_duration: term.term_duration,
                term_start_date: at,
                cancellation_allowed_until: Some(after_hours(at, window)),
                refundable: refundable_json(&refundable),
                scheduled_next_term: None,
                test_clock_id: customer.test_clock_id,
                next_transition: Some(next),
                next_transition_at: Some(next_at),
            })
        })
        .collect::<Result<_, ApiError>>()?;
    let order_lines: Vec<OrderLine> = priced
        .lines
        .iter()
        .zip(&subscriptions)
        .map(|(p, s)| OrderLine {
            offer_id: p.offer.id,
            offer_name: p.offer.name.clone(),
            quantity: p.line.quantity,
            billing_cycle: p.line.billing_cycle,
            term_duration: Some(s.term_duration),
            partner_id_on_record: p.line.partner_id_on_record,
            unit_price_minor: p.unit_price_minor,
            line_total_minor: p.line_total_minor,
            subscription_id: s.id.uuid(),
        })
        .collect();
    let order = OrderRow {
        id: order_id,
        customer_id: Id::from(customer_id),
        partner_id: provider,
        status: crate::domain::OrderStatus::Completed,
        line_items: serde_json::to_string(&order_lines)
            .map_err(|e| ApiError::internal(format!("order lines: {e}")))?,
        total_minor: priced.total_minor,
        currency: priced.currency.clone(),
        created_at: t,
        version: 1,
    };
    // The order and its subscriptions are written at commit, before their lines and records.
    change.create(order.clone());
    // Each subscription's `new` line resolves its prices once; the answer and the event show
    // those.
    let mut prices = HashMap::with_capacity(subscriptions.len());
    for (s, p) in subscriptions.iter().zip(&priced.lines) {
        change.create(s.clone());
        let units = super::billing::charge_offer(
            change,
            s,
            &p.offer,
            ChargeType::New,
            s.quantity,
            at,
            priced.customer_listed,
        )?;
        prices.insert(s.id.uuid(), units);
    }
    change.audit(
        Audit::new(AuditOperation::CreateOrder, order.id)
            .partner(provider_id)
            .customer(customer_id)
            .new_value(serde_json::json!({
                "lineItems": order_lines,
                "totalMinor": order.total_minor,
                "currency": order.currency,
            }))
            .resource(Order::new(order.clone(), &prices, PriceView::Provider)?),
    );
    for (s, p) in subscriptions.iter().zip(&priced.lines) {
        change.audit(
            Audit::new(AuditOperation::CreateSubscription, s.id)
                .partner(provider_id)
                .customer(customer_id)
                .resource(Subscription::new(s.clone(), p.offer.name.clone(), at)?)
                .subscription(s.clone())
                .new_value(serde_json::json!({
                    "orderId": order.id,
                    "offerId": s.offer_id,
                    "quantity": s.quantity,
                    "billingCycle": s.billing_cycle,
                    "termDuration": s.term_duration,
                    "partnerIdOnRecord": s.partner_id_on_record,
                })),
        );
    }
    Ok(Placed {
        order,
        subscriptions,
        at,
        prices,
        view: PriceView::Provider,
    })
}
