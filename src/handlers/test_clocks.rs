//! Test clocks (docs/concepts.md#subscription-terms-and-lifecycle): create a clock, create customers on it, advance it to walk
//! their subscriptions' terms in seconds. Only where `TEST_CLOCKS_ENABLED` is true (default in
//! demo mode); elsewhere every path answers 404.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, delete, get, post, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::api::test_clocks::TestClock;
use crate::auth::{Authorized, ops};
use crate::db;
use crate::error::{ApiError, Problem};
use crate::extract::ValidJson;
use crate::paging::{Page, PageParams, Paged};
use crate::respond::{Accepted, Created, Json, NoContent};
use crate::services::{lifecycle, test_clocks as service};
use crate::state::AppState;
use crate::validate;

/// Transitions an advance runs before answering; a longer advance answers 202 and the
/// lifecycle runner finishes it.
pub const ADVANCE_BUDGET: usize = 500;

/// Passes when test clocks are enabled; 404 `not_found` otherwise (before anything else is
/// read, so a server without them looks as if the paths did not exist).
pub struct ClocksEnabled;

impl FromRequest for ClocksEnabled {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let enabled = req
            .app_data::<web::Data<AppState>>()
            .is_some_and(|s| s.config.test_clocks_enabled);
        ready(if enabled {
            Ok(ClocksEnabled)
        } else {
            Err(ApiError::not_found(
                "Test clocks are not enabled here; the path",
            ))
        })
    }
}

/// A new test clock.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateTestClock {
    /// A name for it.
    #[validate(length(min = 1, max = 200), custom(function = "validate::not_blank"))]
    #[schema(example = "Three-year walk", min_length = 1, max_length = 200)]
    pub name: String,
    /// Its starting time (RFC 3339).
    #[schema(example = "2027-01-01T09:00:00Z")]
    pub frozen_time: DateTime<Utc>,
}

/// Where to advance a test clock.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AdvanceTestClock {
    /// The new time: after the clock's current time (RFC 3339).
    #[schema(example = "2027-02-01T00:00:00Z")]
    pub frozen_time: DateTime<Utc>,
}

/// Create a test clock, frozen at the time you give. Customers created with its id as
/// `testClockId` live on its time.
#[utoipa::path(
    tag = "test clocks",
    request_body = CreateTestClock,
    params(("Idempotency-Key" = Option<String>, Header)),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created.", body = TestClock, headers(("Location" = String, description = "The clock's URL"))),
        (status = 403, description = "Role not enough, or `indirect_provider_required`.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Test clocks are not enabled on this server.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The Idempotency-Key is in use.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields.", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/test-clocks")]
pub async fn create_test_clock(
    _: ClocksEnabled,
    caller: Authorized<ops::ManageTestClocks>,
    state: web::Data<AppState>,
    body: ValidJson<CreateTestClock>,
) -> Result<Created<TestClock>, ApiError> {
    let b = body.0;
    let row = caller
        .change(&state.pool, move |change, caller| {
            service::create(change, caller, b.name, b.frozen_time.naive_utc())
        })
        .await?;
    Ok(Created::new(
        format!("/v1/test-clocks/{}", row.id),
        row.into(),
    ))
}

/// List your test clocks, oldest first.
#[utoipa::path(
    tag = "test clocks",
    params(PageParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of clocks.", body = Page<TestClock>),
        (status = 403, description = "Role not enough, or `indirect_provider_required`.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Test clocks are not enabled on this server.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad `limit` or `cursor`.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/test-clocks")]
pub async fn list_test_clocks(
    _: ClocksEnabled,
    caller: Authorized<ops::ManageTestClocks>,
    state: web::Data<AppState>,
    query: Paged,
) -> Result<Json<Page<TestClock>>, ApiError> {
    let page = query.page.clone();
    let rows = caller
        .run(&state.pool, move |conn, caller| {
            service::list(conn, caller, &page)
        })
        .await?;
    Ok(Json::new(query.answer(
        rows,
        |r| r.id.as_str(),
        TestClock::from,
    )))
}

/// Read a test clock: `advancing` while an advance runs, `ready` once every transition due by
/// its `frozenTime` has run.
#[utoipa::path(
    tag = "test clocks",
    params(("clockId" = Uuid, Path, description = "Test clock id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The clock.", body = TestClock),
        (status = 403, description = "Role not enough, or `indirect_provider_required`.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such clock of yours, or test clocks are not enabled.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`clockId` is not a UUID.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/test-clocks/{clockId}")]
pub async fn get_test_clock(
    _: ClocksEnabled,
    caller: Authorized<ops::ManageTestClocks>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<Json<TestClock>, ApiError> {
    let id = path.into_inner();
    let row = caller
        .run(&state.pool, move |conn, caller| {
            service::get(conn, caller, id)
        })
        .await?;
    Ok(Json::new(row.into()))
}

/// Advance a test clock (forward only). Every renewal, expiry and notice due for its customers
/// on the way runs, in order, each with its audit record and event. Answers 200 with the
/// clock `ready` when they are done, or 202 with it `advancing` when there are more than an
/// answer should wait for: poll the clock until it is `ready`.
#[utoipa::path(
    tag = "test clocks",
    params(
        ("clockId" = Uuid, Path, description = "Test clock id"),
        ("Idempotency-Key" = Option<String>, Header)
    ),
    request_body = AdvanceTestClock,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Advanced; every transition due has run.", body = TestClock),
        (status = 202, description = "Advancing; poll the clock until it is `ready`.", body = TestClock, headers(("Location" = String, description = "The clock's URL"))),
        (status = 403, description = "Role not enough, or `indirect_provider_required`.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such clock of yours, or test clocks are not enabled.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`test_clock_advancing`, or the Idempotency-Key is in use.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`clockId` is not a UUID, invalid fields, or `test_clock_not_forward` on `frozenTime`.", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/test-clocks/{clockId}/advance")]
pub async fn create_test_clock_advance(
    _: ClocksEnabled,
    caller: Authorized<ops::ManageTestClocks>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: ValidJson<AdvanceTestClock>,
) -> Result<actix_web::Either<Json<TestClock>, Accepted<TestClock>>, ApiError> {
    let id = path.into_inner();
    let to = body.0.frozen_time.naive_utc();
    let started = caller
        .change(&state.pool, move |change, caller| {
            service::start_advance(change, caller, id, to)
        })
        .await?;
    let window = state.config.cancellation_window_hours;
    let clock = started.id;
    let row = db::run(&state.pool, move |conn| {
        lifecycle::advance_clock(conn, &clock, ADVANCE_BUDGET, window)?;
        crate::models::test_clock::TestClockRow::get(conn, &clock)?
            .ok_or_else(|| ApiError::not_found("The test clock"))
    })
    .await?;
    Ok(match row.status {
        crate::domain::TestClockStatus::Ready => actix_web::Either::Left(Json::new(row.into())),
        crate::domain::TestClockStatus::Advancing => {
            actix_web::Either::Right(Accepted::new(TestClock::from(row)).header(
                actix_web::http::header::LOCATION,
                format!("/v1/test-clocks/{id}"),
            ))
        }
    })
}

/// Delete a test clock. Refused while customers live on it.
#[utoipa::path(
    tag = "test clocks",
    params(("clockId" = Uuid, Path, description = "Test clock id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted."),
        (status = 403, description = "Role not enough, or `indirect_provider_required`.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such clock of yours, or test clocks are not enabled.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`test_clock_in_use`: customers live on it (`customerCount`).", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`clockId` is not a UUID.", body = Problem, content_type = "application/problem+json")
    )
)]
#[delete("/test-clocks/{clockId}")]
pub async fn delete_test_clock(
    _: ClocksEnabled,
    caller: Authorized<ops::ManageTestClocks>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<NoContent, ApiError> {
    let id = path.into_inner();
    caller
        .change(&state.pool, move |change, caller| {
            service::delete(change, caller, id)
        })
        .await?;
    Ok(NoContent)
}

/// Registers the test clock operations.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_test_clock)
        .service(list_test_clocks)
        .service(get_test_clock)
        .service(create_test_clock_advance)
        .service(delete_test_clock);
}
