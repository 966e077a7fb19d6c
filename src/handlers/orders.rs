//! Orders (product.md §3, §9): `POST …/orders` places an order in one call (what a cart checkout
//! does, for scripts), and the provider lists and reads its orders for a customer. Provider side
//! only; orders are immutable and always `completed` (created whole or not at all), so an
//! order's ETag is its row version, 1.

use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::{Authorized, ops};
use crate::domain::OrderStatus;
use crate::error::{ApiError, Problem};
use crate::etag;
use crate::extract::ValidJson;
use crate::handlers::carts::LineItems;
use crate::handlers::subscriptions::Subscription;
use crate::models::offer::BillingCycle;
use crate::models::order::OrderRow;
use crate::models::utc;
use crate::money::Money;
use crate::paging::{Page, PageParams, Paged};
use crate::services::orders::{self as service, Placed};
use crate::state::AppState;

/// One priced line of an order.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderLineItem {
    /// The offer bought.
    pub offer_id: String,
    /// The offer's name when ordered.
    pub offer_name: String,
    /// Number of licenses.
    #[serde(deserialize_with = "crate::extract::whole_number")]
    pub quantity: i32,
    /// Billing cycle.
    pub billing_cycle: BillingCycle,
    /// The indirect reseller of record, if any.
    pub partner_id_on_record: Option<Uuid>,
    /// Price per license per month when ordered.
    pub unit_price: Money,
    /// `unitPrice × quantity`: the line's price per month.
    pub line_total: Money,
    /// The subscription this line created.
    pub subscription_id: Uuid,
}

/// An order.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    /// Order id.
    pub id: Uuid,
    /// The customer it is for.
    pub customer_id: Uuid,
    /// Always `completed`.
    #[schema(value_type = String, example = "completed")]
    pub status: OrderStatus,
    /// The priced lines.
    pub line_items: Vec<OrderLineItem>,
    /// Sum of the line totals (per month).
    pub total: Money,
    /// When it was placed.
    pub created_at: DateTime<Utc>,
}

impl TryFrom<OrderRow> for Order {
    type Error = ApiError;

    /// The wire form of `r`; an internal error when its stored lines cannot be read.
    fn try_from(r: OrderRow) -> Result<Order, ApiError> {
        let currency = r.currency.clone();
        Ok(Order {
            id: r.id.uuid(),
            customer_id: r.customer_id.uuid(),
            line_items: r
                .lines()?
                .into_iter()
                .map(|l| OrderLineItem {
                    unit_price: Money::new(l.unit_price_minor, &currency),
                    line_total: Money::new(l.line_total_minor, &currency),
                    offer_id: l.offer_id.to_string(),
                    offer_name: l.offer_name,
                    quantity: l.quantity,
                    billing_cycle: l.billing_cycle,
                    partner_id_on_record: l.partner_id_on_record,
                    subscription_id: l.subscription_id,
                })
                .collect(),
            status: r.status,
            total: Money::new(r.total_minor, &currency),
            created_at: utc(r.created_at),
        })
    }
}

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
    pub fn created(placed: Placed) -> Result<HttpResponse, ApiError> {
        let lines = placed.order.lines()?;
        let subscriptions = placed
            .subscriptions
            .into_iter()
            .zip(lines)
            .map(|(s, l)| Subscription::new(s, l.offer_name))
            .collect();
        let location = format!(
            "/v1/customers/{}/orders/{}",
            placed.order.customer_id, placed.order.id
        );
        Ok(HttpResponse::Created()
            .insert_header((header::LOCATION, location))
            .json(PlacedOrder {
                order: placed.order.try_into()?,
                subscriptions,
            }))
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
    security(("bearer" = []), ("oauth2" = [])),
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
) -> Result<HttpResponse, ApiError> {
    let customer_id = path.into_inner();
    let lines = body.0.into_lines()?;
    let placed = caller
        .run(&state.pool, move |conn, caller| {
            service::create(conn, caller, customer_id, &lines)
        })
        .await?;
    PlacedOrder::created(placed)
}

/// List your orders for a customer, oldest first.
#[utoipa::path(
    tag = "carts and orders",
    params(("customerId" = Uuid, Path, description = "Customer id"), PageParams),
    security(("bearer" = []), ("oauth2" = [])),
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
) -> Result<HttpResponse, ApiError> {
    let customer_id = path.into_inner();
    let page = query.page.clone();
    let rows = caller
        .run(&state.pool, move |conn, caller| {
            service::list(conn, caller, customer_id, &page)
        })
        .await?;
    Ok(HttpResponse::Ok().json(
        query
            .answer(rows, |r| r.id.as_str(), Order::try_from)
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
    security(("bearer" = []), ("oauth2" = [])),
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
) -> Result<HttpResponse, ApiError> {
    let (customer_id, order_id) = path.into_inner();
    let row = caller
        .run(&state.pool, move |conn, caller| {
            service::get(conn, caller, customer_id, order_id)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag::etag(row.version)))
        .json(Order::try_from(row)?))
}

/// Registers the order operations.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_order)
        .service(list_orders)
        .service(get_order);
}
