//! Carts (docs/concepts.md#commerce, seed "Partner with indirect resellers": cart → review → submit or
//! cancel): creating one, reading it priced (the review), replacing its lines, cancelling it and
//! checking it out into one order. Every change is one function here: one transaction that
//! reaches (and so locks) the customer once through `visibility::customer` with
//! [`Operation::ManageOrders`], applies the rules (the ordering rules of `services::orders`, the
//! open-cart rule of [`CartRow::ensure_open`]) and writes the audit record.

use uuid::Uuid;

use crate::auth::permissions::Operation;
use crate::auth::{PartnerCaller, visibility};
use crate::change::Change;
use crate::db::AnyConnection;
use crate::domain::{AuditOperation, CartStatus};
use crate::error::ApiError;
use crate::etag::Precondition;
use crate::models::audit::Audit;
use crate::models::cart::{self, CartRow, LineItem};
use crate::models::customer::CustomerRow;
use crate::services::orders::{self, Placed, Priced};

/// A cart with its lines priced from the current catalog (the review).
#[derive(Debug, Clone)]
pub struct PricedCart {
    /// The cart.
    pub cart: CartRow,
    /// Its lines, priced.
    pub priced: Priced,
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
) -> Result<PricedCart, ApiError> {
    visibility::customer(change.conn(), caller, customer_id, Operation::ManageOrders)?;
    let provider_id = caller.partner_id();
    let priced = orders::check(change.conn(), provider_id, customer_id, &lines)?;
    let row = CartRow::new(provider_id, customer_id, &lines);
    CartRow::insert(change.conn(), &row)?;
    change.audit(
        Audit::new(AuditOperation::CreateCart, row.id)
            .customer(customer_id)
            .new_value(serde_json::json!({ "lineItems": lines })),
    );
    Ok(PricedCart { cart: row, priced })
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
    let (_, cart) = reach(conn, caller, customer_id, cart_id)?;
    let priced = orders::price(conn, &cart.lines()?)?;
    Ok(PricedCart { cart, priced })
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
    let (_, before) = reach(change.conn(), caller, customer_id, cart_id)?;
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
    Ok(PricedCart {
        cart: after,
        priced,
    })
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
