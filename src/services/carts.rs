//! Carts (docs/concepts.md#commerce, seed "Partner with indirect resellers": cart → review → submit or
//! cancel): creating one, reading it priced (the review), replacing its lines, cancelling it and
//! checking it out into one order. A cart answer shows each line's prices now at the levels the
//! reader may see (`services::pricing`, resolved at the time of the read). Every change is one function here: one transaction that
//! reaches (and so locks) the customer once through `visibility::customer` with
//! [`Operation::ManageOrders`], applies the rules (the ordering rules of `services::orders`, the
//! open-cart rule of [`CartRow::ensure_open`]) and writes the audit record.

use std::collections::HashMap;

use uuid::Uuid;

use crate::auth::permissions::Operation;
use crate::auth::{PartnerCaller, visibility};
use crate::change::Change;
use crate::db::AnyConnection;
use crate::domain::billing::{PriceView, UnitPrices};
use crate::domain::{AuditOperation, BillingCycle, CartStatus, Id, TermDuration};
use crate::domain::{Quota, Quotas};
use crate::error::ApiError;
use crate::etag::Precondition;
use crate::models::audit::Audit;
use crate::models::cart::{self, CartRow, LineItem};
use crate::models::customer::CustomerRow;
use crate::models::test_clock::TestClockRow;
use crate::services::orders::{self, Placed, Priced};
use crate::services::pricing;

/// A cart with its lines priced from the current catalog (the review).
#[derive(Debug, Clone)]
pub struct PricedCart {
    /// The cart.
    pub cart: CartRow,
    /// Its lines, priced.
    pub priced: Priced,
    /// Each line's unit prices now (`services::pricing`), in line order (`None`: the offer
    /// sells no term with the line's cycle).
    pub prices: Vec<Option<UnitPrices>>,
    /// The levels the reader may see.
    pub view: PriceView,
}

/// `priced` with each line's three prices for `customer` of `provider` at the customer's time,
/// resolved once per distinct offer, term, cycle and reseller of record.
fn quoted(
    conn: &mut AnyConnection,
    caller: &PartnerCaller,
    customer: &CustomerRow,
    cart: CartRow,
    priced: Priced,
) -> Result<PricedCart, ApiError> {
    let at = TestClockRow::time_on(conn, customer.test_clock_id.as_ref())?;
    let provider = Id::from(caller.partner_id());
    let mut seen: HashMap<(Id, TermDuration, BillingCycle, Option<Uuid>), UnitPrices> =
        HashMap::new();
    let mut prices = Vec::with_capacity(priced.lines.len());
    for p in &priced.lines {
        let Some(term) = &p.term else {
            prices.push(None);
            continue;
        };
        let reseller = p.line.partner_id_on_record;
        let key = (
            p.offer.id,
            term.term_duration,
            p.line.billing_cycle,
            reseller,
        );
        if let Some(u) = seen.get(&key) {
            prices.push(Some(*u));
            continue;
        }
        let resolved = pricing::prices(
            conn,
            &provider,
            reseller.map(Id::from).as_ref(),
            &customer.id,
            &p.offer,
            term.term_duration,
            p.line.billing_cycle,
            at,
            None,
        )?;
        let units = UnitPrices {
            cost: resolved.cost_minor,
            reseller: resolved.reseller.map(|r| (r.unit_minor, r.price_list_id)),
            customer: (
                resolved.customer.unit_minor,
                resolved.customer.price_list_id,
            ),
        };
        seen.insert(key, units);
        prices.push(Some(units));
    }
    Ok(PricedCart {
        cart,
        priced,
        prices,
        view: PriceView::of(caller.tenant_kind),
    })
}

/// The caller's cart `cart_id` of a customer within reach; 404 `not_found` otherwise. Inside a
/// transaction the customer is locked until it ends (see `visibility::customer`).
fn reach(
    conn: &mut AnyConnection,
    caller: &PartnerCaller,
    customer_id: Uuid,
    cart_id: Uuid,
) -> Result<(CustomerRow, CartRow), ApiError> {
    let reached = visibility::customer(conn, caller, customer_id, Operation::ManageOrders)?;
    let cart = CartRow::find(conn, caller.partner_id(), customer_id, cart_id)?
        .ok_or_else(|| ApiError::not_found("The cart"))?;
    Ok((reached.customer, cart))
}

/// Creates an active cart of the caller (an indirect provider) for `customer_id`, expiring in
/// `CART_TTL_DAYS`, after checking `lines` against every ordering rule; audits `create_cart`.
///
/// Errors: 404 `not_found` (customer out of reach), 422 per `services::orders::check`.
pub fn create(
    change: &mut Change<'_>,
    caller: &PartnerCaller,
    customer_id: Uuid,
    lines: Vec<LineItem>,
    quotas: &Quotas,
) -> Result<PricedCart, ApiError> {
    let reached =
        visibility::customer(change.conn(), caller, customer_id, Operation::ManageOrders)?;
    let provider_id = caller.partner_id();
    let priced = orders::check(change.conn(), provider_id, customer_id, &lines)?;
    super::quotas::check(change, quotas, Quota::OpenCartsPerCustomer, customer_id)?;
    let row = CartRow::new(provider_id, customer_id, &lines);
    CartRow::insert(change.conn(), &row)?;
    change.audit(
        Audit::new(AuditOperation::CreateCart, row.id)
            .customer(customer_id)
            .new_value(serde_json::json!({ "lineItems": lines })),
    );
    quoted(change.conn(), caller, &reached.customer, row, priced)
}

/// The caller's cart, priced from the current catalog.
///
/// Errors: 404 `not_found` (customer or cart out of reach), 422 `unknown_offer` /
/// `mixed_currencies` when the catalog changed under a line.
pub fn get(
    conn: &mut AnyConnection,
    caller: &PartnerCaller,
    customer_id: Uuid,
    cart_id: Uuid,
) -> Result<PricedCart, ApiError> {
    let (customer, cart) = reach(conn, caller, customer_id, cart_id)?;
    let priced = orders::price(conn, &cart.lines()?)?;
    quoted(conn, caller, &customer, cart, priced)
}

/// Replaces the lines of an open cart (checked like a new cart) and restarts its expiry, as a
/// compare-and-swap on its version; audits `update_cart` with the lines before and after.
///
/// Errors: 404 `not_found`, 409 `cart_checked_out` / `cart_expired`, 412
/// `precondition_failed` (stale `If-Match`), 422 per `services::orders::check`.
pub fn update(
    change: &mut Change<'_>,
    caller: &PartnerCaller,
    customer_id: Uuid,
    cart_id: Uuid,
    precondition: Precondition,
    lines: Vec<LineItem>,
) -> Result<PricedCart, ApiError> {
    let (customer, before) = reach(change.conn(), caller, customer_id, cart_id)?;
    before.ensure_open()?;
    let expected = precondition.expect(before.version)?;
    let provider_id = caller.partner_id();
    let priced = orders::check(change.conn(), provider_id, customer_id, &lines)?;
    if !CartRow::replace_lines(change.conn(), &before.id, expected, &lines)? {
        return Err(ApiError::precondition_failed());
    }
    let after = CartRow::find(change.conn(), provider_id, customer_id, cart_id)?
        .ok_or_else(|| ApiError::not_found("The cart"))?;
    change.audit(
        Audit::new(AuditOperation::UpdateCart, after.id)
            .customer(customer_id)
            .old_value(serde_json::json!({ "lineItems": before.lines()? }))
            .new_value(serde_json::json!({ "lineItems": lines })),
    );
    quoted(change.conn(), caller, &customer, after, priced)
}

/// Cancels a cart that was not checked out (an expired one too): deletes it, as a
/// compare-and-swap on its version; audits `delete_cart` with its lines.
///
/// Errors: 404 `not_found`, 409 `cart_checked_out`, 412 `precondition_failed`.
pub fn delete(
    change: &mut Change<'_>,
    caller: &PartnerCaller,
    customer_id: Uuid,
    cart_id: Uuid,
    precondition: Precondition,
) -> Result<(), ApiError> {
    let (_, cart) = reach(change.conn(), caller, customer_id, cart_id)?;
    cart.ensure_not_checked_out()?;
    let expected = precondition.expect(cart.version)?;
    if !CartRow::delete(change.conn(), &cart.id, expected)? {
        return Err(ApiError::precondition_failed());
    }
    change.audit(
        Audit::new(AuditOperation::DeleteCart, cart.id)
            .customer(customer_id)
            .old_value(serde_json::json!({ "lineItems": cart.lines()? })),
    );
    Ok(())
}

/// Checks out an open cart at the `If-Match` version: in ONE transaction that locks the
/// customer once, checks its lines again, places ONE order with its subscriptions
/// (`services::orders`), marks the cart `checked_out` with the order (a compare-and-swap, so two
/// checkouts of one cart never both create an order) and audits `checkout_cart`. All or nothing.
///
/// Errors: 404 `not_found`, 409 `cart_checked_out` / `cart_expired`, 412
/// `precondition_failed`, 422 per `services::orders::check`.
pub fn checkout(
    change: &mut Change<'_>,
    caller: &PartnerCaller,
    customer_id: Uuid,
    cart_id: Uuid,
    precondition: Precondition,
    window_hours: i64,
) -> Result<Placed, ApiError> {
    let (customer, cart) = reach(change.conn(), caller, customer_id, cart_id)?;
    cart.ensure_open()?;
    let expected = precondition.expect(cart.version)?;
    let provider_id = caller.partner_id();
    let placed = orders::place(change, provider_id, &customer, &cart.lines()?, window_hours)?;
    if !CartRow::check_out(change.conn(), &cart.id, expected, &placed.order.id)? {
        return Err(cart::checked_out());
    }
    change.audit(
        Audit::new(AuditOperation::CheckoutCart, cart.id)
            .partner(provider_id)
            .customer(customer_id)
            .new_value(
                serde_json::json!({ "status": CartStatus::CheckedOut, "orderId": placed.order.id }),
            ),
    );
    Ok(placed)
}
