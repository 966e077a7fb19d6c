//! Billing line items (docs/billing.md): the lines a caller may see, as JSON pages or, with
//! `Accept: text/csv`, as one CSV stream ([`crate::csv_export`]: constant memory however many
//! lines there are).

use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;
use validator::Validate;

use crate::api::billing::{BillingLineItem, BillingPeriod, CsvLine};
use crate::auth::{Authorized, ops};
use crate::csv_export::{self, Chunk};
use crate::db;
use crate::domain::billing::ChargeType;
use crate::error::{ApiError, Problem};
use crate::models::billing_line::LineFilter;
use crate::paging::{ByPeriod, Page, PageParams, Paged};
use crate::respond::Json;
use crate::services::billing as service;
use crate::services::statements;
use crate::state::AppState;

/// Line item filters (paging is [`PageParams`]; a CSV export ignores `limit`).
#[derive(Debug, Clone, Deserialize, Validate, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LineItemQuery {
    /// Only this customer's lines.
    pub customer_id: Option<Uuid>,
    /// Only the lines with this reseller of record.
    pub reseller_id: Option<Uuid>,
    /// Only this subscription's lines.
    pub subscription_id: Option<Uuid>,
    /// Only this charge type.
    pub charge_type: Option<ChargeType>,
}

impl LineItemQuery {
    fn to_filter(&self) -> LineFilter {
        LineFilter {
            customer_id: self.customer_id.map(Into::into),
            reseller_id: self.reseller_id.map(Into::into),
            subscription_id: self.subscription_id.map(Into::into),
            charge_type: self.charge_type,
        }
    }
}

/// List billing line items, oldest first: a provider sees the lines it bills with cost,
/// reseller price, customer price and its margin; a reseller sees the lines of the
/// subscriptions it is reseller of record for, at its price and its customer's (never cost).
/// With `Accept: text/csv` the answer is every matching line as CSV, streamed, with the
/// columns `id, createdAt, billingPeriod, chargeType, customerId, resellerId, subscriptionId,
/// offerId, termDuration, billingCycle, quantity, chargeStartDate, chargeEndDate, days,
/// cycleDays, currency, costUnitPriceMinor, costTotalMinor, resellerUnitPriceMinor,
/// resellerTotalMinor, customerUnitPriceMinor, customerTotalMinor, marginMinor` (cost cells
/// empty for a reseller).
#[utoipa::path(
    tag = "billing",
    params(PageParams, LineItemQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of line items, or all of them as CSV.", content(
            (Page<BillingLineItem> = "application/json"),
            (String = "text/csv", example = "id,createdAt,billingPeriod,chargeType,...")
        )),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad filters, `limit` or `cursor`.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/billing/line-items")]
pub async fn list_billing_line_items(
    caller: Authorized<ops::ReadBilling>,
    state: web::Data<AppState>,
    query: Paged<LineItemQuery>,
    req: HttpRequest,
) -> Result<actix_web::Either<Json<Page<BillingLineItem>>, HttpResponse>, ApiError> {
    let filter = query.filters.to_filter();
    if csv_export::wants_csv(&req) {
        let caller = caller
            .run(&state.pool, |_, caller| Ok(caller.clone()))
            .await?;
        return Ok(actix_web::Either::Right(csv_stream(
            state.pool.clone(),
            caller,
            filter,
        )));
    }
    let page = query.page.clone();
    let (rows, scope) = caller
        .run(&state.pool, move |conn, caller| {
            let rows = service::list(
                conn,
                caller,
                &filter,
                page.after.as_deref(),
                page.rows_to_fetch(),
            )?;
            Ok((rows, service::scope_of(caller)))
        })
        .await?;
    Ok(actix_web::Either::Left(Json::new(query.answer(
        rows,
        |r| r.id.as_str(),
        |r| BillingLineItem::new(r, scope),
    ))))
}

/// Every line `caller` may see matching `filter`, as CSV ([`csv_export::stream`]).
fn csv_stream(
    pool: db::Pool,
    caller: crate::auth::PartnerCaller,
    filter: LineFilter,
) -> HttpResponse {
    csv_export::stream(CSV_COLUMNS, move |after| {
        let (pool, caller, filter) = (pool.clone(), caller.clone(), filter.clone());
        async move {
            db::run(&pool, move |conn| {
                let rows =
                    service::list(conn, &caller, &filter, after.as_deref(), csv_export::CHUNK)?;
                let scope = service::scope_of(&caller);
                let last = rows.last().map(|r| r.id.as_str().to_owned());
                let records = rows.into_iter().map(|r| CsvLine::new(r, scope)).collect();
                Ok(Chunk { records, last })
            })
            .await
        }
    })
}

/// The CSV columns (the fields of [`CsvLine`], in order), written alone when no line matches.
const CSV_COLUMNS: &[&str] = &[
    "id",
    "createdAt",
    "billingPeriod",
    "chargeType",
    "customerId",
    "resellerId",
    "subscriptionId",
    "offerId",
    "termDuration",
    "billingCycle",
    "quantity",
    "chargeStartDate",
    "chargeEndDate",
    "days",
    "cycleDays",
    "currency",
    "costUnitPriceMinor",
    "costTotalMinor",
    "resellerUnitPriceMinor",
    "resellerTotalMinor",
    "customerUnitPriceMinor",
    "customerTotalMinor",
    "marginMinor",
];

/// Billing period filters (paging is [`PageParams`]).
#[derive(Debug, Clone, Deserialize, Validate, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// The periods of this test clock of the caller (default: real time).
    #[param(example = "019a8f3c-4000-7000-8000-000000000001")]
    pub test_clock_id: Option<Uuid>,
}

/// List billing periods, newest first.
///
/// The current calendar month (`open`), any ended month whose statements are not issued yet
/// (`closing`), then the closed ones with when they closed (`closed`; list their statements with
/// `GET /v1/statements?period=`). Periods are those of real time, or with `testClockId` those of
/// one of the caller's test clocks (a clock's months close as its advances pass them).
#[utoipa::path(
    tag = "billing",
    params(PageParams, PeriodQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of billing periods.", body = Page<BillingPeriod>),
        (status = 400, description = "`invalid_cursor`.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or bad bearer token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role not enough (global admin, admin agent or sales agent), or not a partner.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`testClockId` is not one of the caller's test clocks.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad `testClockId` or `limit`.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/billing/periods")]
pub async fn list_billing_periods(
    caller: Authorized<ops::ReadBilling>,
    state: web::Data<AppState>,
    query: Paged<PeriodQuery, ByPeriod>,
) -> Result<Json<Page<BillingPeriod>>, ApiError> {
    let (clock, page) = (query.filters.test_clock_id, query.page.clone());
    let rows = caller
        .run(&state.pool, move |conn, caller| {
            statements::periods(
                conn,
                caller,
                clock,
                page.after.as_deref(),
                page.rows_to_fetch(),
            )
        })
        .await?;
    let periods: Vec<BillingPeriod> = rows.into_iter().map(BillingPeriod::from).collect();
    Ok(Json::new(query.answer(
        periods,
        |p| p.period.as_str(),
        |p| p,
    )))
}

/// Registers the billing read operations.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_billing_line_items)
        .service(list_billing_periods);
}
