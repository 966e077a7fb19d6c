//! Reading audit records (docs/concepts.md#audit-records-and-events): a partner reads its own records only, filtered and
//! keyset-paged. (Records are written by each workflow, in its own transaction, through
//! [`crate::models::audit::Audit`].)

use crate::auth::PartnerCaller;
use crate::db::AnyConnection;
use crate::error::ApiError;
use crate::models::audit::{AuditFilter, AuditRow};
use crate::paging::PageRequest;

/// One page of the caller's partner's audit records matching `filter` (up to `page.limit + 1`
/// rows in id order). A window whose `to` is not after its `from` holds no records: an empty
/// page, not an error (the two are independent parameters of the document).
pub fn list(
    conn: &mut AnyConnection,
    caller: &PartnerCaller,
    filter: &AuditFilter,
    page: &PageRequest,
) -> Result<Vec<AuditRow>, ApiError> {
    let partner_id = caller.partner_id();
    Ok(AuditRow::page(
        conn,
        partner_id,
        filter,
        page.after.as_deref(),
        page.rows_to_fetch(),
    )?)
}
