//! The catalog (product.md §3, §9): list offers with filters by product family, name prefix and
//! add-on flag, and read one. Offers are instance-wide and loaded by `partner-center catalog
//! import FILE`; their ids are UUIDs the catalog file assigns and keeps.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::Principal;
use crate::auth::permissions::{self, Operation};
use crate::db;
use crate::error::{ApiError, Problem};
use crate::etag;
use crate::extract::ValidQuery;
use crate::models::offer::{BillingCycle, OfferFilter, OfferRow};
use crate::models::utc;
use crate::money::Money;
use crate::paging::{Page, PageParams};
use crate::state::AppState;

/// A catalog offer.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Offer {
    /// Offer id: a UUID assigned by the catalog file, stable across imports.
    #[schema(example = "019a8f3c-2001-737d-82f2-a4276b0bd666", format = Uuid)]
    pub id: String,
    /// Display name.
    #[schema(example = "Microsoft 365 Business Standard")]
    pub name: String,
    /// Description.
    pub description: String,
    /// Product family.
    #[schema(example = "Microsoft 365")]
    pub product_family: String,
    /// Fewest licenses per subscription.
    pub min_quantity: i32,
    /// Most licenses per subscription.
    pub max_quantity: i32,
    /// Price per license per month (integer minor units).
    pub unit_price: Money,
    /// Billing cycles it is sold with.
    pub billing_cycles: Vec<BillingCycle>,
    /// Whether it is an add-on (needs an active subscription to one of its prerequisites).
    pub is_add_on: bool,
    /// Offers one of which the customer must own (active) to buy this one.
    pub prerequisite_offer_ids: Vec<String>,
    /// Offers a subscription to this one may be upgraded to.
    pub upgrade_target_offer_ids: Vec<String>,
    /// Most subscriptions to this offer one customer may hold (`null`: no limit).
    pub limit_per_customer: Option<i32>,
    /// When the offer was first imported.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// When it was last imported.
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<OfferRow> for Offer {
    fn from(r: OfferRow) -> Offer {
        Offer {
            unit_price: Money::new(r.unit_price_minor, &r.currency),
            billing_cycles: r.billing_cycles(),
            prerequisite_offer_ids: r.prerequisite_ids(),
            upgrade_target_offer_ids: r.upgrade_target_ids(),
            id: r.id,
            name: r.name,
            description: r.description,
            product_family: r.product_family,
            min_quantity: r.min_quantity,
            max_quantity: r.max_quantity,
            is_add_on: r.is_add_on,
            limit_per_customer: r.limit_per_customer,
            created_at: utc(r.created_at),
            updated_at: utc(r.updated_at),
        }
    }
}

/// The ETag of an offer: offers change only by import, which sets `updatedAt`.
fn offer_etag(row: &OfferRow) -> String {
    etag::etag(row.updated_at.and_utc().timestamp_micros())
}

/// Offer list filters.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OfferQuery {
    /// Only this product family (exact), e.g. `Microsoft 365`.
    #[validate(length(max = 100))]
    #[param(max_length = 100)]
    pub product_family: Option<String>,
    /// Case-insensitive prefix of the name.
    #[validate(length(max = 200))]
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// Only add-ons (`true`) or only base offers (`false`).
    pub is_add_on: Option<bool>,
    /// Items per page, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `nextCursor` of the previous page.
    pub cursor: Option<String>,
}

/// List the catalog's offers, by id.
#[utoipa::path(
    tag = "catalog",
    params(OfferQuery),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "One page of offers.", body = Page<Offer>),
        (status = 401, description = "Not signed in.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role not enough (customer users).", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad `limit`, `cursor` or filter.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/offers")]
pub async fn list_offers(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    query: ValidQuery<OfferQuery>,
) -> Result<HttpResponse, ApiError> {
    permissions::require(&principal, Operation::ReadOffers)?;
    let q = query.0;
    let page = PageParams {
        limit: q.limit,
        cursor: q.cursor,
    }
    .validate()?;
    let filter = OfferFilter {
        product_family: q.product_family,
        q: q.q,
        is_add_on: q.is_add_on,
    };
    let p = page.clone();
    let rows = db::run(&state.pool, move |conn| {
        Ok(OfferRow::page(
            conn,
            &filter,
            p.after.as_deref(),
            p.limit + 1,
        )?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(rows, &page, &req, |r| &r.id, Offer::from)))
}

/// Read one offer.
#[utoipa::path(
    tag = "catalog",
    params(("offerId" = Uuid, Path, description = "Offer id")),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "The offer.", body = Offer, headers(("ETag" = String))),
        (status = 401, description = "Not signed in.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role not enough (customer users).", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such offer.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`offerId` is not a UUID.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/offers/{offerId}")]
pub async fn get_offer(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    permissions::require(&principal, Operation::ReadOffers)?;
    let id = path.into_inner().to_string();
    let row = db::run(&state.pool, move |conn| {
        OfferRow::find(conn, &id)?.ok_or_else(|| ApiError::not_found("The offer"))
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, offer_etag(&row)))
        .json(Offer::from(row)))
}

/// Registers the catalog operations.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_offers).service(get_offer);
}
