//! The caller's own partner profile (docs/concepts.md#organisations-and-who-signs-in): reading it, and updating its name and
//! public support details as a compare-and-swap on the row version, with an audit record of
//! before and after, in one transaction.

use crate::api::partner::Partner;
use crate::auth::PartnerCaller;
use crate::change::Change;
use crate::db::AnyConnection;
use crate::domain::AuditOperation;
use crate::error::ApiError;
use crate::etag::Precondition;
use crate::models::audit::Audit;
use crate::models::partner::{PartnerChanges, PartnerRow};

/// The caller's partner.
pub fn get(conn: &mut AnyConnection, caller: &PartnerCaller) -> Result<PartnerRow, ApiError> {
    let partner_id = caller.partner_id();
    PartnerRow::find(conn, partner_id)?.ok_or_else(|| ApiError::not_found("The partner"))
}

/// Applies `changes` to the caller's partner if its version is still the one `precondition`
/// names (412 `precondition_failed` otherwise), with an `update_partner` audit record.
pub fn update(
    change: &mut Change<'_>,
    caller: &PartnerCaller,
    precondition: Precondition,
    changes: PartnerChanges,
) -> Result<PartnerRow, ApiError> {
    let partner_id = caller.partner_id();
    let before = get(change.conn(), caller)?;
    let expected = precondition.expect(before.version)?;
    if !PartnerRow::update(change.conn(), partner_id, expected, &changes)? {
        return Err(ApiError::precondition_failed());
    }
    let after = get(change.conn(), caller)?;
    change.audit(
        Audit::new(AuditOperation::UpdatePartner, partner_id)
            .partner(partner_id)
            .old_value(Partner::from(before))
            .new_value(Partner::from(after.clone())),
    );
    Ok(after)
}
