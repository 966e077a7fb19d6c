//! Statements (docs/billing.md): the statements a partner issued or received and those a
//! customer received, each with its lines as JSON pages or, with `Accept: text/csv`, as one CSV
//! stream ([`crate::csv_export`]: constant memory however many lines).

use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;
use validator::{Validate, ValidationError};

use crate::api::statements::{CSV_COLUMNS, CsvStatementLine, Statement, StatementLine};
use crate::auth::{Authorized, Principal, ops};
use crate::csv_export::{self, Chunk};
use crate::db;
use crate::domain::statement::Period;
use crate::error::{ApiError, Problem};
use crate::models::statement::{StatementFilter, StatementRow};
use crate::paging::{Page, PageParams, Paged};
use crate::respond::Json;
use crate::services::statements as service;
use crate::state::AppState;

fn valid_period(p: &str) -> Result<(), ValidationError> {
    p.parse::<Period>()
        .map(drop)
        .map_err(|_| ValidationError::new("period").with_message("must be YYYY-MM".into()))
}

/// Statement filters (paging is [`PageParams`]).
#[derive(Debug, Clone, Deserialize, Validate, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatementQuery {
    /// Only this billing period, `YYYY-MM`.
    #[validate(custom(function = "valid_period"))]
    #[param(example = "2027-01", pattern = "^[0-9]{4}-(0[1-9]|1[0-2])$")]
    pub period: Option<String>,
    /// Only the statements to this party (a reseller's partner id or a customer's id).
    pub bill_to_id: Option<Uuid>,
    /// Only the statements of this issuer (a reseller sees those of its providers to it).
    pub issuer_id: Option<Uuid>,
    /// Only the statements of the customers on this test clock (its months close as its
    /// advances pass them).
    pub test_clock_id: Option<Uuid>,
}

/// A customer admin's statement filters.
#[derive(Debug, Clone, Deserialize, Validate, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MyStatementQuery {
    /// Only this billing period, `YYYY-MM`.
    #[validate(custom(function = "valid_period"))]
    #[param(example = "2027-01", pattern = "^[0-9]{4}-(0[1-9]|1[0-2])$")]
    pub period: Option<String>,
}

/// Either a page of JSON or a CSV stream.
type LinesAnswer = actix_web::Either<Json<Page<StatementLine>>, HttpResponse>;

/// List statements, oldest first: a provider sees the statements it issued (to its resellers
/// at reseller prices, to its direct customers at customer prices); a reseller sees those it
/// issued to its customers and those its providers issued to it.
#[utoipa::path(
    tag = "billing",
    params(PageParams, StatementQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of statements.", body = Page<Statement>),
        (status = 400, description = "`invalid_cursor`.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or bad bearer token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role not enough (global admin, admin agent or sales agent), or not a partner.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad `period`, `billToId`, `issuerId`, `testClockId` or `limit`.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/statements")]
pub async fn list_statements(
    caller: Authorized<ops::ReadBilling>,
    state: web::Data<AppState>,
    query: Paged<StatementQuery>,
) -> Result<Json<Page<Statement>>, ApiError> {
    let f = &query.filters;
    let filter = StatementFilter {
        period: f.period.clone(),
        bill_to_id: f.bill_to_id.map(Into::into),
        issuer_id: f.issuer_id.map(Into::into),
        test_clock_id: f.test_clock_id.map(Into::into),
    };
    let page = query.page.clone();
    let rows = caller
        .run(&state.pool, move |conn, caller| {
            service::list(
                conn,
                caller,
                &filter,
                page.after.as_deref(),
                page.rows_to_fetch(),
            )
        })
        .await?;
    Ok(Json::new(query.answer(
        rows,
        |r| r.id.as_str(),
        Statement::from,
    )))
}

/// Read a statement the caller issued or received.
#[utoipa::path(
    tag = "billing",
    params(("statementId" = Uuid, Path, description = "Statement id", example = "019a8f3c-5000-7000-8000-000000000001")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The statement.", body = Statement),
        (status = 401, description = "No or bad bearer token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role not enough (global admin, admin agent or sales agent), or not a partner.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such statement the caller issued or received.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`statementId` is not a UUID.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/statements/{statementId}")]
pub async fn get_statement(
    caller: Authorized<ops::ReadBilling>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<Json<Statement>, ApiError> {
    let id = path.into_inner();
    let row = caller
        .run(&state.pool, move |conn, caller| {
            service::get(conn, caller, id)
        })
        .await?;
    Ok(Json::new(row.into()))
}

/// List a statement's lines, oldest first, at the statement's price level (reseller prices on
/// a statement to a reseller, customer prices on one to a customer). With `Accept: text/csv`
/// the answer is every line as CSV, streamed, with the columns `statementId, statementNumber,
/// period, id, createdAt, chargeType, customerId, resellerId, subscriptionId, offerId,
/// termDuration, billingCycle, quantity, chargeStartDate, chargeEndDate, days, cycleDays,
/// currency, unitPriceMinor, totalMinor`.
#[utoipa::path(
    tag = "billing",
    params(("statementId" = Uuid, Path, description = "Statement id", example = "019a8f3c-5000-7000-8000-000000000001"), PageParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of lines, or all of them as CSV.", content(
            (Page<StatementLine> = "application/json"),
            (String = "text/csv", example = "statementId,statementNumber,period,id,createdAt,chargeType,...")
        )),
        (status = 400, description = "`invalid_cursor`.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or bad bearer token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role not enough (global admin, admin agent or sales agent), or not a partner.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such statement the caller issued or received.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`statementId` is not a UUID, or a bad `limit`.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/statements/{statementId}/lines")]
pub async fn list_statement_lines(
    caller: Authorized<ops::ReadBilling>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    query: Paged,
    req: HttpRequest,
) -> Result<LinesAnswer, ApiError> {
    let (id, csv, page) = (
        path.into_inner(),
        csv_export::wants_csv(&req),
        query.page.clone(),
    );
    let (statement, rows) = caller
        .run(&state.pool, move |conn, caller| {
            lines_of(
                conn,
                caller,
                id,
                csv,
                page.after.as_deref(),
                page.rows_to_fetch(),
            )
        })
        .await?;
    Ok(answer_lines(&state, &query, statement, rows, csv))
}

/// List the signed-in customer admin's statements, oldest first (at customer prices).
#[utoipa::path(
    tag = "customer self-service",
    params(PageParams, MyStatementQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of the customer's statements.", body = Page<Statement>),
        (status = 400, description = "`invalid_cursor`.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or bad bearer token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a customer admin (`insufficient_role`, `customer_required`).", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad `period` or `limit`.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/my/statements")]
pub async fn list_my_statements(
    caller: Authorized<ops::CustomerSelfService>,
    state: web::Data<AppState>,
    query: Paged<MyStatementQuery>,
) -> Result<Json<Page<Statement>>, ApiError> {
    let filter = StatementFilter {
        period: query.filters.period.clone(),
        ..Default::default()
    };
    let page = query.page.clone();
    let rows = caller
        .run(&state.pool, move |conn, caller| {
            service::list(
                conn,
                caller,
                &filter,
                page.after.as_deref(),
                page.rows_to_fetch(),
            )
        })
        .await?;
    Ok(Json::new(query.answer(
        rows,
        |r| r.id.as_str(),
        Statement::from,
    )))
}

/// Read one of the signed-in customer admin's statements.
#[utoipa::path(
    tag = "customer self-service",
    params(("statementId" = Uuid, Path, description = "Statement id", example = "019a8f3c-5000-7000-8000-000000000003")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The statement.", body = Statement),
        (status = 401, description = "No or bad bearer token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a customer admin (`insufficient_role`, `customer_required`).", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such statement issued to the customer.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`statementId` is not a UUID.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/my/statements/{statementId}")]
pub async fn get_my_statement(
    caller: Authorized<ops::CustomerSelfService>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<Json<Statement>, ApiError> {
    let id = path.into_inner();
    let row = caller
        .run(&state.pool, move |conn, caller| {
            service::get(conn, caller, id)
        })
        .await?;
    Ok(Json::new(row.into()))
}

/// List the lines of one of the signed-in customer admin's statements, at customer prices;
/// with `Accept: text/csv`, all of them as streamed CSV (the columns of
/// `GET /v1/statements/{statementId}/lines`).
#[utoipa::path(
    tag = "customer self-service",
    params(("statementId" = Uuid, Path, description = "Statement id", example = "019a8f3c-5000-7000-8000-000000000003"), PageParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of lines, or all of them as CSV.", content(
            (Page<StatementLine> = "application/json"),
            (String = "text/csv", example = "statementId,statementNumber,period,id,createdAt,chargeType,...")
        )),
        (status = 400, description = "`invalid_cursor`.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or bad bearer token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a customer admin (`insufficient_role`, `customer_required`).", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such statement issued to the customer.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`statementId` is not a UUID, or a bad `limit`.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/my/statements/{statementId}/lines")]
pub async fn list_my_statement_lines(
    caller: Authorized<ops::CustomerSelfService>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    query: Paged,
    req: HttpRequest,
) -> Result<LinesAnswer, ApiError> {
    let (id, csv, page) = (
        path.into_inner(),
        csv_export::wants_csv(&req),
        query.page.clone(),
    );
    let (statement, rows) = caller
        .run(&state.pool, move |conn, caller| {
            lines_of(
                conn,
                caller,
                id,
                csv,
                page.after.as_deref(),
                page.rows_to_fetch(),
            )
        })
        .await?;
    Ok(answer_lines(&state, &query, statement, rows, csv))
}

/// The statement `id` as `caller` may see it, with its first page of lines (none for a CSV
/// export, which reads its own chunks).
fn lines_of(
    conn: &mut db::AnyConnection,
    caller: &Principal,
    id: Uuid,
    csv: bool,
    after: Option<&str>,
    limit: i64,
) -> Result<(StatementRow, Vec<crate::models::billing_line::LineItemRow>), ApiError> {
    let statement = service::get(conn, caller, id)?;
    let rows = if csv {
        Vec::new()
    } else {
        service::lines(conn, &statement, after, limit)?
    };
    Ok((statement, rows))
}

fn answer_lines(
    state: &AppState,
    query: &Paged,
    statement: StatementRow,
    rows: Vec<crate::models::billing_line::LineItemRow>,
    csv: bool,
) -> LinesAnswer {
    if csv {
        return actix_web::Either::Right(csv_stream(state.pool.clone(), statement));
    }
    let bill_to = statement.bill_to_kind;
    actix_web::Either::Left(Json::new(query.answer(
        rows,
        |r| r.id.as_str(),
        |r| StatementLine::new(r, bill_to),
    )))
}

/// Every line of `statement` as CSV ([`csv_export::stream`]).
fn csv_stream(pool: db::Pool, statement: StatementRow) -> HttpResponse {
    let wire = Statement::from(statement.clone());
    csv_export::stream(CSV_COLUMNS, move |after| {
        let (pool, statement, wire) = (pool.clone(), statement.clone(), wire.clone());
        async move {
            db::run(&pool, move |conn| {
                let rows = service::lines(conn, &statement, after.as_deref(), csv_export::CHUNK)?;
                let last = rows.last().map(|r| r.id.as_str().to_owned());
                let records = rows
                    .into_iter()
                    .map(|r| CsvStatementLine::new(&wire, r))
                    .collect();
                Ok(Chunk { records, last })
            })
            .await
        }
    })
}

/// Registers the statement operations.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_statements)
        .service(get_statement)
        .service(list_statement_lines)
        .service(list_my_statements)
        .service(get_my_statement)
        .service(list_my_statement_lines);
}
