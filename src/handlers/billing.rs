//! Billing line items (docs/billing.md): the lines a caller may see, as JSON pages or, with
//! `Accept: text/csv`, as one CSV stream read a page at a time (constant memory however many
//! lines there are).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;
use validator::Validate;

use crate::api::billing::{BillingLineItem, CsvLine};
use crate::auth::{Authorized, ops};
use crate::db;
use crate::domain::billing::ChargeType;
use crate::error::{ApiError, Problem};
use crate::models::billing_line::LineFilter;
use crate::paging::{Page, PageParams, Paged};
use crate::respond::Json;
use crate::services::billing as service;
use crate::state::AppState;

/// Rows read per query while a CSV export streams.
pub const CSV_CHUNK: i64 = 1000;

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

fn wants_csv(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/csv"))
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
    if wants_csv(&req) {
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

/// Where a CSV export is: the last id written, and whether the header is out.
struct Cursor {
    after: Option<String>,
    header: bool,
    done: bool,
}

/// Every line `caller` may see matching `filter`, as CSV: one query of [`CSV_CHUNK`] rows per
/// chunk of the body, so memory stays constant whatever the number of lines.
fn csv_stream(
    pool: db::Pool,
    caller: crate::auth::PartnerCaller,
    filter: LineFilter,
) -> HttpResponse {
    let start = Cursor {
        after: None,
        header: true,
        done: false,
    };
    let body = futures_util::stream::try_unfold(start, move |cursor| {
        let (pool, caller, filter) = (pool.clone(), caller.clone(), filter.clone());
        async move {
            if cursor.done {
                return Ok::<_, ApiError>(None);
            }
            let after = cursor.after.clone();
            let (rows, scope) = db::run(&pool, move |conn| {
                let rows = service::list(conn, &caller, &filter, after.as_deref(), CSV_CHUNK)?;
                Ok((rows, service::scope_of(&caller)))
            })
            .await?;
            let done = (rows.len() as i64) < CSV_CHUNK;
            let after = rows.last().map(|r| r.id.as_str().to_owned());
            let mut out = csv::WriterBuilder::new()
                .has_headers(cursor.header)
                .from_writer(Vec::with_capacity(rows.len() * 256));
            if cursor.header && rows.is_empty() {
                out.write_record(CSV_COLUMNS)
                    .map_err(|e| ApiError::internal(format!("csv: {e}")))?;
            }
            for r in rows {
                out.serialize(CsvLine::new(r, scope))
                    .map_err(|e| ApiError::internal(format!("csv: {e}")))?;
            }
            let bytes = out
                .into_inner()
                .map_err(|e| ApiError::internal(format!("csv: {e}")))?;
            Ok(Some((
                web::Bytes::from(bytes),
                Cursor {
                    after,
                    header: false,
                    done,
                },
            )))
        }
    });
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .streaming(body)
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

/// Registers the billing read operations.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_billing_line_items);
}
