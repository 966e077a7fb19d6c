//! Orders (product.md §3, §9): `POST …/orders` places an order in one call (what a cart checkout
//! does, for scripts), and the provider lists and reads its orders for a customer. Provider side
//! only; orders are immutable and always `completed` (created whole or not at all).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::permissions::Operation;
use crate::auth::{Principal, visibility};
use crate::db;
use crate::error::{ApiError, Problem};
use crate::etag;
use crate::extract::{ValidJson, ValidQuery};
use crate::handlers::carts::LineItems;
use crate::handlers::subscriptions::Subscription;
use crate::models::audit::Actor;
use crate::models::offer::BillingCycle;
use crate::models::order::OrderRow;
use crate::models::{ids, utc};
use crate::money::Money;
use crate::paging::{Page, PageParams};
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
    #[schema(example = "completed")]
    pub status: String,
    /// The priced lines.
    pub line_items: Vec<OrderLineItem>,
    /// Sum of the line totals (per month).
    pub total: Money,
    /// When it was placed.
    pub created_at: DateTime<Utc>,
}

impl From<OrderRow> for Order {
    fn from(r: OrderRow) -> Order {
        let currency = r.currency.clone();
        Order {
            id: ids::parse(&r.id),
            customer_id: ids::parse(&r.customer_id),
            line_items: r
                .lines()
                .into_iter()
                .map(|l| OrderLineItem {
                    unit_price: Money::new(l.unit_price_minor, &currency),
                    line_total: Money::new(l.line_total_minor, &currency),
                    offer_id: l.offer_id,
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
        }
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
    pub fn created(placed: Placed) -> HttpResponse {
        let lines = placed.order.lines();
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
        HttpResponse::Created()
            .insert_header((header::LOCATION, location))
            .json(PlacedOrder {
                order: placed.order.into(),
                subscriptions,
            })
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
        (status = 400, description = "Malformed JSON.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role not enough, or `indirect_provider_required` (orders are placed by the indirect provider).", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer within reach.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The Idempotency-Key is in use.", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, an ordering rule naming `lineItems[i].<field>`, or `idempotency_key_reused`.", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/customers/{customerId}/orders")]
pub async fn create_order(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<Uuid>,
    body: ValidJson<LineItems>,
) -> Result<HttpResponse, ApiError> {
    let customer_id = path.into_inner();
    let lines = body.0.into_lines();
    let placed = db::run(&state.pool, move |conn| {
        db::transaction(conn, |conn| {
            visibility::customer(conn, &principal, customer_id, Operation::ManageOrders)?;
            let actor = Actor::from(&principal);
            service::place(conn, &actor, principal.tenant_id, customer_id, &lines)
        })
    })
    .await?;
    Ok(PlacedOrder::created(placed))
}

/// Order list paging.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OrderQuery {
    /// Items per page, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `nextCursor` of the previous page.
    pub cursor: Option<String>,
}

/// List your orders for a customer, oldest first.
#[utoipa::path(
    tag = "carts and orders",
    params(("customerId" = Uuid, Path, description = "Customer id"), OrderQuery),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "One page of orders.", body = Page<Order>),
        (status = 401, description = "Not signed in.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role not enough, or `indirect_provider_required`.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer within reach.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad `limit` or `cursor`.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/customers/{customerId}/orders")]
pub async fn list_orders(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    path: web::Path<Uuid>,
    query: ValidQuery<OrderQuery>,
) -> Result<HttpResponse, ApiError> {
    let customer_id = path.into_inner();
    let q = query.0;
    let page = PageParams {
        limit: q.limit,
        cursor: q.cursor,
    }
    .validate()?;
    let p = page.clone();
    let rows = db::run(&state.pool, move |conn| {
        visibility::customer(conn, &principal, customer_id, Operation::ManageOrders)?;
        Ok(OrderRow::page(
            conn,
            principal.tenant_id,
            customer_id,
            p.after.as_deref(),
            p.limit + 1,
        )?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(rows, &page, &req, |r| &r.id, Order::from)))
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
        (status = 401, description = "Not signed in.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role not enough, or `indirect_provider_required`.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer or order within reach.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An id is not a UUID.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/customers/{customerId}/orders/{orderId}")]
pub async fn get_order(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (customer_id, order_id) = path.into_inner();
    let row = db::run(&state.pool, move |conn| {
        visibility::customer(conn, &principal, customer_id, Operation::ManageOrders)?;
        OrderRow::find(conn, principal.tenant_id, customer_id, order_id)?
            .ok_or_else(|| ApiError::not_found("The order"))
    })
    .await?;
    // Orders never change: one version.
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag::etag(1)))
        .json(Order::from(row)))
}

/// Registers the order operations.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_order)
        .service(list_orders)
        .service(get_order);
}
