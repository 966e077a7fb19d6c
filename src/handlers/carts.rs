//! Carts (docs/concepts.md#commerce, seed "Partner with indirect resellers": cart → review → submit or
//! cancel). Provider side only (an indirect reseller gets 403 `indirect_provider_required`).
//! Reading a cart is the review, priced from the current catalog; `PUT` replaces its lines
//! (`If-Match`), `DELETE` cancels it, and `POST …/checkout` creates its order and subscriptions
//! in one transaction.

use actix_web::{delete, get, post, put, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::api::orders::{LineItems, LinePrices, PriceTotals};
use crate::auth::{Authorized, ops};
use crate::domain;
use crate::domain::Id;
use crate::domain::TermDuration;
use crate::error::{ApiError, Problem};
use crate::etag::Precondition;
use crate::extract::ValidJson;
use crate::handlers::orders::PlacedOrder;
use crate::models::cart::CartRow;
use crate::models::offer::BillingCycle;
use crate::models::utc;
use crate::money::Money;
use crate::respond::{Created, NoContent, Tagged};
use crate::services::carts::{self as service, PricedCart};
use crate::state::AppState;

/// A cart line with its price.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CartLineItem {
    /// The offer.
    pub offer_id: String,
    /// The offer's name.
    pub offer_name: String,
    /// Number of licenses.
    pub quantity: i32,
    /// Billing cycle.
    pub billing_cycle: BillingCycle,
    /// The term (`null` when the offer sells no term with this cycle: checkout refuses it).
    pub term_duration: Option<TermDuration>,
    /// The indirect reseller of record, if any.
    pub partner_id_on_record: Option<Uuid>,
    /// Catalog price per license per month.
    pub unit_price: Money,
    /// `unitPrice × quantity`: the line's catalog price per month.
    pub line_total: Money,
    /// The prices the reader may see now (cost, reseller price, customer price), per license per
    /// billing cycle with the total for the line's seats over one cycle; absent when the offer
    /// sells no term with the line's cycle.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prices: Option<LinePrices>,
}

/// Where a cart stands: its stored status, or `expired` for an active cart past `expiresAt`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CartStatus {
    /// Open: can be changed, checked out or deleted.
    Active,
    /// Checked out: its order is `orderId`.
    CheckedOut,
    /// Past `expiresAt` without checkout: can only be deleted.
    Expired,
}

impl CartStatus {
    /// The status `row` shows now.
    pub fn of(row: &CartRow) -> CartStatus {
        match row.status {
            _ if row.is_expired() => CartStatus::Expired,
            domain::CartStatus::Active => CartStatus::Active,
            domain::CartStatus::CheckedOut => CartStatus::CheckedOut,
        }
    }
}

/// A cart, priced: the review before checkout.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Cart {
    /// Cart id.
    pub id: Uuid,
    /// The customer it is for.
    pub customer_id: Uuid,
    /// Status.
    pub status: CartStatus,
    /// The lines with their prices (from the current catalog).
    pub line_items: Vec<CartLineItem>,
    /// Sum of the line totals (catalog price per month).
    pub total: Money,
    /// Sums of the lines' `prices` at each level the reader may see.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price_totals: Option<PriceTotals>,
    /// The order created by checkout, once checked out.
    pub order_id: Option<Uuid>,
    /// When an unchecked-out cart expires: 7 days after its last change.
    pub expires_at: DateTime<Utc>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<PricedCart> for Cart {
    fn from(
        PricedCart {
            cart: row,
            priced,
            prices,
            view,
        }: PricedCart,
    ) -> Cart {
        let currency = priced.currency.clone();
        let line_items: Vec<CartLineItem> = priced
            .lines
            .into_iter()
            .zip(prices)
            .map(|(p, units)| CartLineItem {
                prices: units.map(|u| LinePrices::new(&u, p.line.quantity, &currency, view)),
                unit_price: Money::new(p.unit_price_minor, &currency),
                term_duration: p.term.as_ref().map(|t| t.term_duration),
                line_total: Money::new(p.line_total_minor, &currency),
                offer_id: p.line.offer_id.to_string(),
                offer_name: p.offer.name,
                quantity: p.line.quantity,
                billing_cycle: p.line.billing_cycle,
                partner_id_on_record: p.line.partner_id_on_record,
            })
            .collect();
        Cart {
            id: row.id.uuid(),
            customer_id: row.customer_id.uuid(),
            status: CartStatus::of(&row),
            price_totals: PriceTotals::of(line_items.iter().filter_map(|l| l.prices.as_ref())),
            line_items,
            total: Money::new(priced.total_minor, &currency),
            order_id: row.order_id.map(Id::uuid),
            expires_at: utc(row.expires_at),
            created_at: utc(row.created_at),
            updated_at: utc(row.updated_at),
        }
    }
}

/// Create a cart for a customer: the lines are checked against every ordering rule (see
/// `POST …/orders`) and the answer is the priced review.
#[utoipa::path(
    tag = "carts and orders",
    params(
        ("customerId" = Uuid, Path, description = "Customer id"),
        ("Idempotency-Key" = Option<String>, Header)
    ),
    request_body = LineItems,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created: the priced review.", body = Cart, headers(("Location" = String, description = "The cart's URL"), ("ETag" = String))),
        (status = 403, description = "Role not enough, or `indirect_provider_required` (orders are placed by the indirect provider).", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer within reach.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`quota_exceeded` (`limit`: `openCartsPerCustomer`, default 100: the customer's carts not checked out, expired ones included until deleted), or the Idempotency-Key is in use.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`customerId` is not a UUID, invalid fields, an ordering rule naming `lineItems[i].<field>`, or `idempotency_key_reused`.", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/customers/{customerId}/carts")]
pub async fn create_cart(
    caller: Authorized<ops::ManageOrders>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: ValidJson<LineItems>,
) -> Result<Created<Cart>, ApiError> {
    let customer_id = path.into_inner();
    let lines = body.0.into_lines()?;
    let quotas = state.config.quotas;
    let created = caller
        .change(&state.pool, move |change, caller| {
            service::create(change, caller, customer_id, lines, &quotas)
        })
        .await?;
    let version = created.cart.version;
    Ok(Created::new(
        format!("/v1/customers/{customer_id}/carts/{}", created.cart.id),
        Cart::from(created),
    )
    .tagged(version))
}

/// Read a cart: the review, each line with its unit price and line total, and the cart total
/// (integer minor units, per month).
#[utoipa::path(
    tag = "carts and orders",
    params(
        ("customerId" = Uuid, Path, description = "Customer id"),
        ("cartId" = Uuid, Path, description = "Cart id")
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The priced cart.", body = Cart, headers(("ETag" = String))),
        (status = 403, description = "Role not enough, or `indirect_provider_required`.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer or cart within reach.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An id is not a UUID, or a line's offer now has another currency (`mixed_currencies`).", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/customers/{customerId}/carts/{cartId}")]
pub async fn get_cart(
    caller: Authorized<ops::ManageOrders>,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<Tagged<Cart>, ApiError> {
    let (customer_id, cart_id) = path.into_inner();
    let cart = caller
        .run(&state.pool, move |conn, caller| {
            service::get(conn, caller, customer_id, cart_id)
        })
        .await?;
    Ok(Tagged::new(cart.cart.version, Cart::from(cart)))
}

/// Replace a cart's lines (checked like a new cart) and restart its 7-day expiry. Send
/// `If-Match` with the ETag you reviewed (412 when stale).
#[utoipa::path(
    tag = "carts and orders",
    params(
        ("customerId" = Uuid, Path, description = "Customer id"),
        ("cartId" = Uuid, Path, description = "Cart id"),
        ("If-Match" = Option<String>, Header, description = "The ETag from your last read")
    ),
    request_body = LineItems,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Updated: the priced review.", body = Cart, headers(("ETag" = String))),
        (status = 403, description = "Role not enough, or `indirect_provider_required`.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer or cart within reach.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`cart_checked_out` or `cart_expired`.", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The ETag is stale.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An id is not a UUID, `If-Match` is malformed, invalid fields, or an ordering rule naming `lineItems[i].<field>`.", body = Problem, content_type = "application/problem+json")
    )
)]
#[put("/customers/{customerId}/carts/{cartId}")]
pub async fn update_cart(
    caller: Authorized<ops::ManageOrders>,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
    precondition: Precondition,
    body: ValidJson<LineItems>,
) -> Result<Tagged<Cart>, ApiError> {
    let (customer_id, cart_id) = path.into_inner();
    let lines = body.0.into_lines()?;
    let updated = caller
        .change(&state.pool, move |change, caller| {
            service::update(change, caller, customer_id, cart_id, precondition, lines)
        })
        .await?;
    Ok(Tagged::new(updated.cart.version, Cart::from(updated)))
}

/// Cancel a cart: it is deleted and nothing is ordered. A checked-out cart cannot be deleted.
#[utoipa::path(
    tag = "carts and orders",
    params(
        ("customerId" = Uuid, Path, description = "Customer id"),
        ("cartId" = Uuid, Path, description = "Cart id"),
        ("If-Match" = Option<String>, Header, description = "The ETag from your last read")
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Cancelled."),
        (status = 403, description = "Role not enough, or `indirect_provider_required`.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer or cart within reach.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`cart_checked_out`.", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The ETag is stale.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An id is not a UUID, or `If-Match` is malformed.", body = Problem, content_type = "application/problem+json")
    )
)]
#[delete("/customers/{customerId}/carts/{cartId}")]
pub async fn delete_cart(
    caller: Authorized<ops::ManageOrders>,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
    precondition: Precondition,
) -> Result<NoContent, ApiError> {
    let (customer_id, cart_id) = path.into_inner();
    caller
        .change(&state.pool, move |change, caller| {
            service::delete(change, caller, customer_id, cart_id, precondition)
        })
        .await?;
    Ok(NoContent)
}

/// Check out a cart: validates every line again and creates ONE order and its subscriptions in
/// ONE transaction (all or nothing); the cart becomes `checked_out`. Send `If-Match` to check
/// out exactly the version you reviewed, and an `Idempotency-Key` to retry safely.
#[utoipa::path(
    tag = "carts and orders",
    params(
        ("customerId" = Uuid, Path, description = "Customer id"),
        ("cartId" = Uuid, Path, description = "Cart id"),
        ("If-Match" = Option<String>, Header, description = "The ETag of the reviewed cart"),
        ("Idempotency-Key" = Option<String>, Header)
    ),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Ordered.", body = PlacedOrder, headers(("Location" = String, description = "The order's URL"))),
        (status = 403, description = "Role not enough, or `indirect_provider_required` (orders are placed by the indirect provider).", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer or cart within reach.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`cart_checked_out`, `cart_expired`, or the Idempotency-Key is in use.", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The cart changed since the ETag you sent.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An id is not a UUID, `If-Match` is malformed, an ordering rule naming `lineItems[i].<field>`, or `idempotency_key_reused`.", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/customers/{customerId}/carts/{cartId}/checkout")]
pub async fn create_cart_checkout(
    caller: Authorized<ops::ManageOrders>,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
    precondition: Precondition,
) -> Result<Created<PlacedOrder>, ApiError> {
    let (customer_id, cart_id) = path.into_inner();
    let window = state.config.cancellation_window_hours;
    let placed = caller
        .change(&state.pool, move |change, caller| {
            service::checkout(change, caller, customer_id, cart_id, precondition, window)
        })
        .await?;
    PlacedOrder::created(placed)
}

/// Registers the cart operations.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_cart)
        .service(get_cart)
        .service(update_cart)
        .service(delete_cart)
        .service(create_cart_checkout);
}

crate::bodies!(Cart);
