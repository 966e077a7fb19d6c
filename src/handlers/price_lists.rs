//! Price lists (docs/billing.md): create, rename, version, resolve a price, and assign a list to
//! an indirect reseller (the reseller price) or to a customer (the customer price).

use actix_web::{HttpRequest, get, patch, post, put, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::api::price_lists::{PriceEntryBody, PriceList, PriceListVersion, ResolvedPrice};
use crate::auth::{Authorized, ops};
use crate::domain::{BillingCycle, TermDuration};
use crate::error::{ApiError, Problem};
use crate::etag::Precondition;
use crate::extract::{ValidJson, parse_query};
use crate::models::{now, utc};
use crate::money::Money;
use crate::paging::{Page, PageParams, Paged};
use crate::respond::{Created, Json, Tagged};
use crate::services::price_lists::{self as service, NewPriceList, NewVersion};
use crate::state::AppState;
use crate::validate;

/// A new price list.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreatePriceList {
    /// Its name.
    #[validate(length(min = 1, max = 200), custom(function = "validate::not_blank"))]
    #[schema(example = "Northwind IT 12%", min_length = 1, max_length = 200)]
    pub name: String,
    /// ISO 4217 currency: the list prices offers in this currency.
    #[schema(example = "USD", pattern = "^[A-Z]{3}$")]
    pub currency: String,
    /// Markup over the price below for offers without an entry, in percent (decimal string,
    /// above -100, at most 1000, at most four decimals).
    #[validate(length(min = 1, max = 16))]
    #[schema(
        example = "12",
        pattern = "^(-?[0-9]{1,2}(\\.[0-9]{1,4})?|[0-9]{3}(\\.[0-9]{1,4})?|1000)$"
    )]
    pub default_markup_percent: String,
    /// Make it your default list (default `false`).
    #[serde(default)]
    pub is_default: bool,
}

/// Changes to a price list (its prices change with versions).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdatePriceList {
    /// A new name.
    #[validate(length(min = 1, max = 200), custom(function = "validate::not_blank"))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// Make it (or no longer) your default list.
    pub is_default: Option<bool>,
}

/// A new version of a price list (or the replacement of the future version with the same
/// `effectiveFrom`).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreatePriceListVersion {
    /// From when it prices: after now.
    #[schema(example = "2099-01-01T00:00:00Z")]
    pub effective_from: DateTime<Utc>,
    /// Markup for offers without an entry (default: the version in effect now's).
    #[validate(length(min = 1, max = 16))]
    #[schema(
        example = "15",
        pattern = "^(-?[0-9]{1,2}(\\.[0-9]{1,4})?|[0-9]{3}(\\.[0-9]{1,4})?|1000)$"
    )]
    pub default_markup_percent: Option<String>,
    /// Prices per offer, term and billing cycle (at most 200 per version).
    #[validate(length(max = 200))]
    #[schema(max_items = 200)]
    #[serde(default)]
    pub entries: Vec<PriceEntryBody>,
}

/// Which of your price lists applies.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AssignPriceList {
    /// One of your price lists.
    pub price_list_id: Uuid,
}

/// What to price.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PriceQuery {
    /// The offer.
    pub offer_id: Uuid,
    /// The term (default: the one the billing cycle implies, as for orders).
    pub term_duration: Option<TermDuration>,
    /// The billing cycle (default `monthly`).
    pub billing_cycle: Option<BillingCycle>,
    /// The date priced (RFC 3339; default now).
    pub at: Option<DateTime<Utc>>,
}

/// `row` as answered where no ETag goes with it (a page of lists, an assignment).
fn with_markup(
    conn: &mut crate::db::AnyConnection,
    row: crate::models::price_list::PriceListRow,
) -> Result<PriceList, ApiError> {
    let markup = service::markup_now(conn, &row)?;
    Ok(PriceList::new(row, markup))
}

/// `row` as answered, with the version its ETag carries (`service::ListNow`).
fn tagged(
    conn: &mut crate::db::AnyConnection,
    row: crate::models::price_list::PriceListRow,
) -> Result<(i64, PriceList), ApiError> {
    let now = service::list_now(conn, &row)?;
    Ok((now.tag, PriceList::new(row, now.markup)))
}

/// Create a price list with its first version (pricing from the beginning: every offer at
/// `defaultMarkupPercent` over the price below). A provider's list marks up cost; a reseller's
/// marks up the reseller price it pays.
#[utoipa::path(
    tag = "billing",
    request_body = CreatePriceList,
    params(("Idempotency-Key" = Option<String>, Header)),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created.", body = PriceList, headers(("Location" = String, description = "The list's URL"))),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`quota_exceeded` (`limit`: `priceListsPerPartner`, default 100), or the Idempotency-Key is in use.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or `unknown_currency` on `currency`.", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/price-lists")]
pub async fn create_price_list(
    caller: Authorized<ops::ManagePriceLists>,
    state: web::Data<AppState>,
    body: ValidJson<CreatePriceList>,
) -> Result<Created<PriceList>, ApiError> {
    let b = body.0;
    let quotas = state.config.quotas;
    let list = caller
        .change(&state.pool, move |change, caller| {
            let new = NewPriceList {
                name: b.name,
                currency: b.currency,
                default_markup_percent: b.default_markup_percent,
                is_default: b.is_default,
            };
            let (row, version) = service::create(change, caller, new, &quotas)?;
            Ok(PriceList::new(row, version.default_markup_percent))
        })
        .await?;
    Ok(Created::new(format!("/v1/price-lists/{}", list.id), list))
}

/// List your price lists, oldest first.
#[utoipa::path(
    tag = "billing",
    params(PageParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of price lists.", body = Page<PriceList>),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad `limit` or `cursor`.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/price-lists")]
pub async fn list_price_lists(
    caller: Authorized<ops::ManagePriceLists>,
    state: web::Data<AppState>,
    query: Paged,
) -> Result<Json<Page<PriceList>>, ApiError> {
    let page = query.page.clone();
    let rows = caller
        .run(&state.pool, move |conn, caller| {
            let rows = service::list(conn, caller, &page)?;
            rows.into_iter()
                .map(|r| Ok((r.id.as_str().to_owned(), with_markup(conn, r)?)))
                .collect::<Result<Vec<_>, ApiError>>()
        })
        .await?;
    Ok(Json::new(query.answer(rows, |r| r.0.as_str(), |r| r.1)))
}

/// Read one of your price lists.
#[utoipa::path(
    tag = "billing",
    params(("priceListId" = Uuid, Path, description = "Price list id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The list.", body = PriceList, headers(("ETag" = String, description = "For If-Match"))),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such price list of yours.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`priceListId` is not a UUID.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/price-lists/{priceListId}")]
pub async fn get_price_list(
    caller: Authorized<ops::ManagePriceLists>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<Tagged<PriceList>, ApiError> {
    let id = path.into_inner();
    let (tag, list) = caller
        .run(&state.pool, move |conn, caller| {
            let row = service::get(conn, caller, id)?;
            tagged(conn, row)
        })
        .await?;
    Ok(Tagged::new(tag, list))
}

/// Rename a price list, or make it (or no longer) your default list.
#[utoipa::path(
    tag = "billing",
    request_body = UpdatePriceList,
    params(
        ("priceListId" = Uuid, Path, description = "Price list id"),
        ("If-Match" = Option<String>, Header, description = "The ETag last read; 412 when stale.")
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Changed.", body = PriceList, headers(("ETag" = String, description = "For If-Match"))),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such price list of yours.", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The ETag is stale.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields.", body = Problem, content_type = "application/problem+json")
    )
)]
#[patch("/price-lists/{priceListId}")]
pub async fn update_price_list(
    caller: Authorized<ops::ManagePriceLists>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    precondition: Precondition,
    body: ValidJson<UpdatePriceList>,
) -> Result<Tagged<PriceList>, ApiError> {
    let id = path.into_inner();
    let b = body.0;
    let (tag, list) = caller
        .change(&state.pool, move |change, caller| {
            let row = service::update(change, caller, id, precondition, b.name, b.is_default)?;
            tagged(change.conn(), row)
        })
        .await?;
    Ok(Tagged::new(tag, list))
}

/// Add a version to a price list, taking effect at `effectiveFrom` (in the future). Posting a
/// version with the `effectiveFrom` of a version not yet in effect replaces it; versions in
/// effect never change.
#[utoipa::path(
    tag = "billing",
    request_body = CreatePriceListVersion,
    params(
        ("priceListId" = Uuid, Path, description = "Price list id"),
        ("Idempotency-Key" = Option<String>, Header)
    ),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created (or the future version replaced).", body = PriceListVersion, headers(("Location" = String, description = "The version's URL"))),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such price list of yours.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The Idempotency-Key is in use.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, `price_list_version_in_past` on `effectiveFrom`, `invalid_price_entry` on `entries[i]`, or `unknown_offer` / `billing_cycle_not_offered` / `term_not_offered` on an entry the catalog does not sell (`entries[i].offerId` / `entries[i].billingCycle` / `entries[i].termDuration`).", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/price-lists/{priceListId}/versions")]
pub async fn create_price_list_version(
    caller: Authorized<ops::ManagePriceLists>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: ValidJson<CreatePriceListVersion>,
) -> Result<Created<PriceListVersion>, ApiError> {
    let id = path.into_inner();
    let b = body.0;
    let version = caller
        .change(&state.pool, move |change, caller| {
            let new = NewVersion {
                effective_from: b.effective_from.naive_utc(),
                default_markup_percent: b.default_markup_percent,
                entries: b.entries,
            };
            let row = service::create_version(change, caller, id, new)?;
            let list = service::get(change.conn(), caller, id)?;
            PriceListVersion::new(row, &list.currency, now())
        })
        .await?;
    Ok(Created::new(
        format!("/v1/price-lists/{id}/versions/{}", version.id),
        version,
    ))
}

/// Read one version of a price list, with whether it can still be replaced (`editable`: it
/// has not taken effect).
#[utoipa::path(
    tag = "billing",
    params(
        ("priceListId" = Uuid, Path, description = "Price list id"),
        ("versionId" = Uuid, Path, description = "Version id")
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The version.", body = PriceListVersion),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such price list of yours, or no such version of it.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`priceListId` or `versionId` is not a UUID.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/price-lists/{priceListId}/versions/{versionId}")]
pub async fn get_price_list_version(
    caller: Authorized<ops::ManagePriceLists>,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<Json<PriceListVersion>, ApiError> {
    let (id, version_id) = path.into_inner();
    let version = caller
        .run(&state.pool, move |conn, caller| {
            let (list, version) = service::version(conn, caller, id, version_id)?;
            PriceListVersion::new(version, &list.currency, now())
        })
        .await?;
    Ok(Json::new(version))
}

/// List a price list's versions, oldest first.
#[utoipa::path(
    tag = "billing",
    params(("priceListId" = Uuid, Path, description = "Price list id"), PageParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of versions.", body = Page<PriceListVersion>),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such price list of yours.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`priceListId` is not a UUID, or bad `limit` or `cursor`.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/price-lists/{priceListId}/versions")]
pub async fn list_price_list_versions(
    caller: Authorized<ops::ManagePriceLists>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    query: Paged,
) -> Result<Json<Page<PriceListVersion>>, ApiError> {
    let id = path.into_inner();
    let page = query.page.clone();
    let (rows, currency) = caller
        .run(&state.pool, move |conn, caller| {
            let list = service::get(conn, caller, id)?;
            Ok((service::versions(conn, caller, id, &page)?, list.currency))
        })
        .await?;
    let t = now();
    Ok(Json::new(query.try_answer(
        rows,
        |r| r.id.as_str(),
        |r| PriceListVersion::new(r, &currency, t),
    )?))
}

/// Resolve the price of an offer through a price list at a date, with the version it came
/// from: the version's entry for the offer, term and cycle, else its default markup, over the
/// price below (cost for a provider's list, your reseller price for a reseller's).
#[utoipa::path(
    tag = "billing",
    params(("priceListId" = Uuid, Path, description = "Price list id"), PriceQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The price per license per billing cycle.", body = ResolvedPrice),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such price list of yours.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad parameters; `unknown_offer` on `offerId`; `term_not_offered` on `termDuration`.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/price-lists/{priceListId}/prices")]
pub async fn get_price_list_price(
    caller: Authorized<ops::ManagePriceLists>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    req: HttpRequest,
) -> Result<Json<ResolvedPrice>, ApiError> {
    let id = path.into_inner();
    let q: PriceQuery = parse_query(req.query_string())?;
    let at = q.at.map_or_else(now, |t| t.naive_utc());
    let cycle = q.billing_cycle.unwrap_or(BillingCycle::Monthly);
    let (list, offer, duration, base, resolved) = caller
        .run(&state.pool, move |conn, caller| {
            service::price(
                conn,
                caller,
                id,
                q.offer_id.into(),
                q.term_duration,
                cycle,
                at,
            )
        })
        .await?;
    Ok(Json::new(ResolvedPrice {
        price_list_id: list.id.uuid(),
        version_id: resolved.version_id.map(|v| v.uuid()),
        source: resolved.source,
        offer_id: offer.id.uuid(),
        term_duration: duration,
        billing_cycle: cycle,
        at: utc(at),
        base_price: Money::new(base, &offer.currency),
        unit_price: Money::new(resolved.unit_minor, &offer.currency),
    }))
}

/// Assign one of your price lists to an indirect reseller: it sets the reseller price of the
/// subscriptions the reseller is reseller of record for (purchases and renewals from now on;
/// a term keeps the prices it started with).
#[utoipa::path(
    tag = "billing",
    request_body = AssignPriceList,
    params(("resellerId" = Uuid, Path, description = "Indirect reseller id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Assigned; the list.", body = PriceList),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No active partnership with that reseller, or no such price list of yours (`priceListId`).", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields.", body = Problem, content_type = "application/problem+json")
    )
)]
#[put("/indirect-resellers/{resellerId}/price-list")]
pub async fn update_reseller_price_list(
    caller: Authorized<ops::ManagePriceLists>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: ValidJson<AssignPriceList>,
) -> Result<Json<PriceList>, ApiError> {
    let reseller = path.into_inner();
    let list_id = body.0.price_list_id;
    let list = caller
        .change(&state.pool, move |change, caller| {
            let row = service::assign_to_reseller(change, caller, reseller, list_id)?;
            with_markup(change.conn(), row)
        })
        .await?;
    Ok(Json::new(list))
}

/// Assign one of your price lists to a customer: it sets the customer price of the customer's
/// purchases and renewals from now on (the provider for its direct customers, a reseller for
/// its customers; a term keeps the prices it started with).
#[utoipa::path(
    tag = "billing",
    request_body = AssignPriceList,
    params(("customerId" = Uuid, Path, description = "Customer id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Assigned; the list.", body = PriceList),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Customer out of reach, or no such price list of yours (`priceListId`).", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields.", body = Problem, content_type = "application/problem+json")
    )
)]
#[put("/customers/{customerId}/price-list")]
pub async fn update_customer_price_list(
    caller: Authorized<ops::ManagePriceLists>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: ValidJson<AssignPriceList>,
) -> Result<Json<PriceList>, ApiError> {
    let customer = path.into_inner();
    let list_id = body.0.price_list_id;
    let list = caller
        .change(&state.pool, move |change, caller| {
            let row = service::assign_to_customer(change, caller, customer, list_id)?;
            with_markup(change.conn(), row)
        })
        .await?;
    Ok(Json::new(list))
}

/// Registers the price list operations.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_price_list)
        .service(list_price_lists)
        .service(get_price_list)
        .service(update_price_list)
        .service(create_price_list_version)
        .service(list_price_list_versions)
        .service(get_price_list_version)
        .service(get_price_list_price)
        .service(update_reseller_price_list)
        .service(update_customer_price_list);
}
