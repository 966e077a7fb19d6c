//! A customer's users as its partners administer them (docs/concepts.md#relationships, #roles-and-permissions "Customer users"):
//! listing them and resetting a user's password to a temporary one. Both need a relationship with
//! the customer that includes delegated admin privileges, checked by
//! [`visibility::customer`] with the permission-table rows `ListCustomerUsers` and `ResetCustomerUserPassword` (404 without a relationship,
//! 403 `delegated_admin_required` without DAP).

use uuid::Uuid;

use crate::auth::Principal;
use crate::auth::password::NewSecret;
use crate::auth::permissions::Operation;
use crate::auth::visibility;
use crate::change::Change;
use crate::db::AnyConnection;
use crate::domain::AuditOperation;
use crate::error::ApiError;
use crate::models::audit::Audit;
use crate::models::user::UserRow;
use crate::paging::PageRequest;
use crate::services::users;

/// One page of a reachable customer's users (up to `page.limit + 1` rows in id order).
pub fn list(
    conn: &mut AnyConnection,
    caller: &Principal,
    customer_id: Uuid,
    page: &PageRequest,
) -> Result<Vec<UserRow>, ApiError> {
    visibility::customer(conn, caller, customer_id, Operation::ListCustomerUsers)?;
    Ok(UserRow::page(
        conn,
        customer_id,
        true,
        page.after.as_deref(),
        page.rows_to_fetch(),
    )?)
}

/// Gives a user of a reachable customer a new temporary password (returned with the user, shown
/// once) that must be changed at the next sign-in; its current tokens stop working. The
/// relationship and its DAP are checked inside the transaction, so a DAP removed meanwhile wins.
/// Errors: 404 (customer out of reach, or no such user of it), 403 `delegated_admin_required`,
/// 409 `concurrent_update`.
pub fn reset_password(
    change: &mut Change<'_>,
    caller: &Principal,
    customer_id: Uuid,
    user_id: Uuid,
    temporary: NewSecret,
) -> Result<(UserRow, String), ApiError> {
    visibility::customer(
        change.conn(),
        caller,
        customer_id,
        Operation::ResetCustomerUserPassword,
    )?;
    let user = UserRow::find_for_customer(change.conn(), customer_id, user_id)?
        .ok_or_else(|| ApiError::not_found("The user"))?;
    let audit =
        Audit::new(AuditOperation::ResetCustomerUserPassword, user.id).customer(customer_id);
    let user = users::set_temporary_password(change, &user, &temporary.hash, audit)?;
    Ok((user, temporary.clear))
}
