//! The one home of the per-tenant quota rule ([`crate::domain::Quota`]): a workflow that creates
//! one more of a counted thing calls [`check`] inside its change, right before the insert. The
//! check locks the holder's row (the partner, or the customer for carts) and counts in the same
//! transaction, so two concurrent creations are counted one after the other and the holder never
//! ends with more than its limit (on SQLite the change's transaction already holds the database's
//! write lock). Past the limit: 409 `quota_exceeded` naming the quota (`limit`) and its value
//! (`max`).

use uuid::Uuid;

use crate::change::Change;
use crate::domain::{Quota, Quotas};
use crate::error::ApiError;
use crate::models::application::ApplicationRow;
use crate::models::cart::CartRow;
use crate::models::customer::CustomerRow;
use crate::models::partner::PartnerRow;
use crate::models::price_list::PriceListRow;
use crate::models::security_group::SecurityGroupRow;
use crate::models::user::UserRow;
use crate::models::webhook::WebhookRow;

/// Ok when `holder` (the partner, or the customer for [`Quota::OpenCartsPerCustomer`]) may
/// create one more of what `quota` counts under `quotas`; locks the holder's row until the
/// change ends. Errors: 409 `quota_exceeded`.
pub fn check(
    change: &mut Change<'_>,
    quotas: &Quotas,
    quota: Quota,
    holder: Uuid,
) -> Result<(), ApiError> {
    let conn = change.conn();
    if quota == Quota::OpenCartsPerCustomer {
        CustomerRow::lock(conn, holder)?;
    } else {
        PartnerRow::lock(conn, holder)?;
    }
    let held = match quota {
        Quota::UsersPerPartner => UserRow::count_for_partner(conn, holder)?,
        Quota::WebhooksPerPartner => WebhookRow::count_for_partner(conn, holder)?,
        Quota::ApplicationsPerPartner => ApplicationRow::count_for_partner(conn, holder)?,
        Quota::PriceListsPerPartner => PriceListRow::count_for_partner(conn, holder)?,
        Quota::SecurityGroupsPerPartner => SecurityGroupRow::count_for_partner(conn, holder)?,
        Quota::OpenCartsPerCustomer => CartRow::count_open_for_customer(conn, holder)?,
    };
    let max = quotas.limit(quota);
    if held >= max {
        return Err(ApiError::quota_exceeded(quota.name(), max, quota.holder()));
    }
    Ok(())
}
