//! Test clocks (docs/concepts.md#subscription-terms-and-lifecycle): an indirect provider creates a clock at a time of its choosing,
//! creates customers on it (`POST /v1/customers` with `testClockId`), and advances it; each
//! advance runs every lifecycle transition due for those customers on the way, in order
//! (`services::lifecycle::advance_clock`). A clock only moves forward, and is deleted only
//! when no customer lives on it. Each change is audited for the provider.

use actix_web::http::StatusCode;
use chrono::NaiveDateTime;
use uuid::Uuid;

use crate::auth::PartnerCaller;
use crate::change::Change;
use crate::db::AnyConnection;
use crate::domain::{AuditOperation, TestClockStatus};
use crate::error::{ApiError, ProblemCode};
use crate::models::audit::Audit;
use crate::models::test_clock::TestClockRow;
use crate::models::{ids, now, utc};
use crate::paging::PageRequest;

fn not_found() -> ApiError {
    ApiError::not_found("The test clock")
}

/// Creates a clock of the caller frozen at `frozen_time`; audits `create_test_clock`.
pub fn create(
    change: &mut Change<'_>,
    caller: &PartnerCaller,
    name: String,
    frozen_time: NaiveDateTime,
) -> Result<TestClockRow, ApiError> {
    let t = now();
    let row = TestClockRow {
        id: ids::new(),
        partner_id: caller.partner_id().into(),
        name: name.trim().to_owned(),
        frozen_time,
        advance_to: None,
        status: TestClockStatus::Ready,
        version: 1,
        created_at: t,
        updated_at: t,
    };
    TestClockRow::insert(change.conn(), &row)?;
    change.audit(
        Audit::new(AuditOperation::CreateTestClock, row.id)
            .partner(caller.partner_id())
            .new_value(serde_json::json!({ "name": row.name, "frozenTime": utc(frozen_time) })),
    );
    Ok(row)
}

/// One page of the caller's clocks (up to `page.limit + 1` rows in id order).
pub fn list(
    conn: &mut AnyConnection,
    caller: &PartnerCaller,
    page: &PageRequest,
) -> Result<Vec<TestClockRow>, ApiError> {
    Ok(TestClockRow::page(
        conn,
        caller.partner_id(),
        page.after.as_deref(),
        page.rows_to_fetch(),
    )?)
}

/// One of the caller's clocks; 404 `not_found` otherwise.
pub fn get(
    conn: &mut AnyConnection,
    caller: &PartnerCaller,
    id: Uuid,
) -> Result<TestClockRow, ApiError> {
    TestClockRow::find(conn, caller.partner_id(), id)?.ok_or_else(not_found)
}

/// Starts advancing one of the caller's clocks to `to`: the clock becomes `advancing` with
/// `advanceTo`; the transitions run afterwards (`services::lifecycle::advance_clock`). Audits
/// `advance_test_clock`.
///
/// Errors: 404 `not_found`; 409 `test_clock_advancing` (an advance is still running); 422
/// `test_clock_not_forward` on `frozenTime` (not after the clock's time).
pub fn start_advance(
    change: &mut Change<'_>,
    caller: &PartnerCaller,
    id: Uuid,
    to: NaiveDateTime,
) -> Result<TestClockRow, ApiError> {
    let row = get(change.conn(), caller, id)?;
    if row.status == TestClockStatus::Advancing {
        return Err(ApiError::conflict(
            ProblemCode::TestClockAdvancing,
            format!(
                "The clock is still advancing to {}; wait until its status is `ready`.",
                row.advance_to
                    .map(utc)
                    .map(|t| t.to_rfc3339())
                    .unwrap_or_default()
            ),
        ));
    }
    if to <= row.frozen_time {
        return Err(ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            ProblemCode::TestClockNotForward,
            "frozenTime",
            format!(
                "must be after the clock's time, {}",
                utc(row.frozen_time).to_rfc3339()
            ),
        ));
    }
    if !TestClockRow::start_advance(change.conn(), &row.id, row.version, to)? {
        return Err(ApiError::precondition_failed());
    }
    change.audit(
        Audit::new(AuditOperation::AdvanceTestClock, row.id)
            .partner(caller.partner_id())
            .old_value(serde_json::json!({ "frozenTime": utc(row.frozen_time) }))
            .new_value(serde_json::json!({ "advanceTo": utc(to) })),
    );
    get(change.conn(), caller, id)
}

/// Deletes one of the caller's clocks; audits `delete_test_clock`.
///
/// Errors: 404 `not_found`; 409 `test_clock_in_use` while customers live on it.
pub fn delete(change: &mut Change<'_>, caller: &PartnerCaller, id: Uuid) -> Result<(), ApiError> {
    let row = get(change.conn(), caller, id)?;
    let customers = TestClockRow::customer_count(change.conn(), &row.id)?;
    if customers > 0 {
        return Err(ApiError::conflict(
            ProblemCode::TestClockInUse,
            format!("{customers} customer(s) live on this clock; a clock is deleted only when none does."),
        )
        .with("customerCount", customers));
    }
    TestClockRow::delete(change.conn(), &row.id)?;
    change.audit(
        Audit::new(AuditOperation::DeleteTestClock, row.id)
            .partner(caller.partner_id())
            .old_value(serde_json::json!({ "name": row.name, "frozenTime": utc(row.frozen_time) })),
    );
    Ok(())
}
