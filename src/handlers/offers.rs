//! The catalog (docs/concepts.md#commerce): list offers with filters by product family, name prefix and
//! add-on flag, and read one. Offers are instance-wide and loaded by `partner-center catalog
//! import FILE`; their ids are UUIDs the catalog file assigns and keeps. An offer's ETag is its
//! row version, which each import that updates it advances.

use actix_web::{get, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::{Authorized, ops};
use crate::domain::TermDuration;
use crate::error::{ApiError, Problem};
use crate::models::offer::{BillingCycle, OfferFilter, OfferRow};
use crate::models::utc;
use crate::money::Money;
use crate::paging::{Page, PageParams, Paged};
use crate::respond::{Json, Tagged};
use crate::services::catalog as service;
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
    /// Billing cycles it is sold with (on any of its terms).
    pub billing_cycles: Vec<BillingCycle>,
    /// The terms it sells, each with its billing cycles and their prices.
    pub terms: Vec<OfferTermInfo>,
    /// Hours after a purchase or renewal within which seats may be returned and a subscription
    /// cancelled (`null`: the instance's default, 168 unless configured).
    pub cancellation_window_hours: Option<i32>,
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

/// A term an offer sells.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OfferTermInfo {
    /// The term's length (ISO 8601 duration).
    pub term_duration: TermDuration,
    /// The billing cycles it is sold with.
    pub billing_cycles: Vec<BillingCycle>,
    /// The price of each of those cycles.
    pub prices: Vec<TermPriceInfo>,
}

/// The price of one billing cycle of a term.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TermPriceInfo {
    /// The billing cycle.
    pub billing_cycle: BillingCycle,
    /// Price per license per month (integer minor units).
    pub unit_price: Money,
}

impl TryFrom<OfferRow> for Offer {
    type Error = ApiError;

    /// The wire form of `r`; an internal error when its stored offer id lists cannot be read.
    fn try_from(r: OfferRow) -> Result<Offer, ApiError> {
        let texts = |ids: Vec<crate::domain::Id>| ids.iter().map(ToString::to_string).collect();
        let terms = r
            .terms()?
            .into_iter()
            .map(|t| OfferTermInfo {
                prices: t
                    .billing_cycles
                    .iter()
                    .map(|c| TermPriceInfo {
                        billing_cycle: *c,
                        unit_price: Money::new(
                            t.unit_price_minor(*c, r.unit_price_minor),
                            &r.currency,
                        ),
                    })
                    .collect(),
                term_duration: t.term_duration,
                billing_cycles: t.billing_cycles,
            })
            .collect();
        Ok(Offer {
            terms,
            cancellation_window_hours: r.cancellation_window_hours,
            unit_price: Money::new(r.unit_price_minor, &r.currency),
            billing_cycles: r.billing_cycles().to_vec(),
            prerequisite_offer_ids: texts(r.prerequisite_ids()?),
            upgrade_target_offer_ids: texts(r.upgrade_target_ids()?),
            id: r.id.to_string(),
            name: r.name,
            description: r.description,
            product_family: r.product_family,
            min_quantity: r.min_quantity,
            max_quantity: r.max_quantity,
            is_add_on: r.is_add_on,
            limit_per_customer: r.limit_per_customer,
            created_at: utc(r.created_at),
            updated_at: utc(r.updated_at),
        })
    }
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
}

/// List the catalog's offers, by id.
#[utoipa::path(
    tag = "catalog",
    params(PageParams, OfferQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of offers.", body = Page<Offer>),
        (status = 403, description = "Role not enough (customer users).", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad `limit`, `cursor` or filter.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/offers")]
pub async fn list_offers(
    caller: Authorized<ops::ReadOffers>,
    state: web::Data<AppState>,
    query: Paged<OfferQuery>,
) -> Result<Json<Page<Offer>>, ApiError> {
    let filter = OfferFilter {
        product_family: query.filters.product_family.clone(),
        q: query.filters.q.clone(),
        is_add_on: query.filters.is_add_on,
    };
    let page = query.page.clone();
    let rows = caller
        .run(&state.pool, move |conn, _| {
            service::list(conn, &filter, &page)
        })
        .await?;
    Ok(Json::new(
        query
            .answer(rows, |r| r.id.as_str(), Offer::try_from)
            .transpose()?,
    ))
}

/// Read one offer.
#[utoipa::path(
    tag = "catalog",
    params(("offerId" = Uuid, Path, description = "Offer id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The offer.", body = Offer, headers(("ETag" = String))),
        (status = 403, description = "Role not enough (customer users).", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such offer.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`offerId` is not a UUID.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/offers/{offerId}")]
pub async fn get_offer(
    caller: Authorized<ops::ReadOffers>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<Tagged<Offer>, ApiError> {
    let id = crate::domain::Id::from(path.into_inner());
    let row = caller
        .run(&state.pool, move |conn, _| service::get(conn, &id))
        .await?;
    Ok(Tagged::new(row.version, Offer::try_from(row)?))
}

/// Registers the catalog operations.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_offers).service(get_offer);
}

crate::bodies!(Offer);
