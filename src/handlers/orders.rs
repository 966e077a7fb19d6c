//! Orders (docs/concepts.md#commerce): `POST …/orders` places an order in one call (what a cart checkout
//! does, for scripts), and the provider lists and reads its orders for a customer. Provider side
//! only; orders are immutable and always `completed` (created whole or not at all), so an
//! order's ETag is its row version, 1.

use actix_web::{get, post, web};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::api::orders::LineItems;
use crate::api::orders::Order;
use crate::api::subscriptions::Subscription;
use crate::auth::{Authorized, ops};
use crate::error::{ApiError, Problem};
use crate::extract::ValidJson;
use crate::paging::{Page, PageParams, Paged};
use crate::respond::{Created, Json, Tagged};
use crate::services::orders::{self as service, Placed};
use crate::state::AppState;

/// A placed order with the subscriptions it created.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlacedOrder {
    /// The order.
    pub order: Order,
    /// Its new subscriptions, one per line, in line order.
    pub subscriptions: Vec<Subscription>,
}

impl PlacedOrder {
    /// 201 with the order's `Location`.
    pub fn created(placed: Placed) -> Result<Created<PlacedOrder>, ApiError> {
        let lines = placed.order.lines()?;
        let subscriptions = placed
            .subscriptions
            .into_iter()
            .zip(lines)
            .map(|(s, l)| Subscription::new(s, l.offer_name, placed.at))
            .collect::<Result<_, _>>()?;
        let location = format!(
            "/v1/customers/{}/orders/{}",
            placed.order.customer_id, placed.order.id
        );
        Ok(Created::new(
            location,
            PlacedOrder {
                order: Order::new(placed.order, &placed.prices, placed.view)?,
                subscriptions,
            },
        ))
    }
}

/// Place an order in one call: the same rules and the same all-or-nothing transaction as a cart
/// checkout. Each line becomes one `active` subscription billed by you, with you as its support
/// contact. Rules (422 naming `lineItems[i].<field>`): `unknown_offer`, `quantity_out_of_range`,
/// `billing_cycle_not_offered`, `partnership_required`, `prerequisite_required`,
/// `limit_per_customer_exceeded`, `mixed_currencies`.
#[utoipa::path(
    tag = "carts and orders",
    params(
        ("customerId" = Uuid, Path, description = "Customer id"),
        ("Idempotency-Key" = Option<String>, Header)
    ),
    request_body = LineItems,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Ordered.", body = PlacedOrder, headers(("Location" = String, description = "The order's URL"))),
        (status = 403, description = "Role not enough, or `indirect_provider_required` (orders are placed by the indirect provider).", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer within reach.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The Idempotency-Key is in use.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`customerId` is not a UUID, invalid fields, an ordering rule naming `lineItems[i].<field>`, or `idempotency_key_reused`.", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/customers/{customerId}/orders")]
pub async fn create_order(
    caller: Authorized<ops::ManageOrders>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: ValidJson<LineItems>,
) -> Result<Created<PlacedOrder>, ApiError> {
    let customer_id = path.into_inner();
    let lines = body.0.into_lines()?;
    let window = state.config.cancellation_window_hours;
    let placed = caller
        .change(&state.pool, move |change, caller| {
            service::create(change, caller, customer_id, &lines, window)
        })
        .await?;
    PlacedOrder::created(placed)
}

/// List your orders for a customer, oldest first. Each line shows `prices`: the unit prices its
/// subscription's purchase was charged at (cost, reseller price, customer price), per license
/// per billing cycle, with the total for its seats over one cycle.
#[utoipa::path(
    tag = "carts and orders",
    params(("customerId" = Uuid, Path, description = "Customer id"), PageParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of orders.", body = Page<Order>),
        (status = 403, description = "Role not enough, or `indirect_provider_required`.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer within reach.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`customerId` is not a UUID, or bad `limit` or `cursor`.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/customers/{customerId}/orders")]
pub async fn list_orders(
    caller: Authorized<ops::ManageOrders>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    query: Paged,
) -> Result<Json<Page<Order>>, ApiError> {
    let customer_id = path.into_inner();
    let page = query.page.clone();
    let shown = caller
        .run(&state.pool, move |conn, caller| {
            service::list(conn, caller, customer_id, &page)
        })
        .await?;
    let (prices, view) = (shown.prices, shown.view);
    Ok(Json::new(
        query
            .answer(
                shown.rows,
                |r| r.id.as_str(),
                |r| Order::new(r, &prices, view),
            )
            .transpose()?,
    ))
}

/// Read one of your orders for a customer.
#[utoipa::path(
    tag = "carts and orders",
    params(
        ("customerId" = Uuid, Path, description = "Customer id"),
        ("orderId" = Uuid, Path, description = "Order id")
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The order.", body = Order, headers(("ETag" = String))),
        (status = 403, description = "Role not enough, or `indirect_provider_required`.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer or order within reach.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An id is not a UUID.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/customers/{customerId}/orders/{orderId}")]
pub async fn get_order(
    caller: Authorized<ops::ManageOrders>,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<Tagged<Order>, ApiError> {
    let (customer_id, order_id) = path.into_inner();
    let shown = caller
        .run(&state.pool, move |conn, caller| {
            service::get(conn, caller, customer_id, order_id)
        })
        .await?;
    let row = shown
        .rows
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::not_found("The order"))?;
    Ok(Tagged::new(
        row.version,
        Order::new(row, &shown.prices, shown.view)?,
    ))
}

/// Registers the order operations.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_order)
        .service(list_orders)
        .service(get_order);
}

crate::bodies!(PlacedOrder);
