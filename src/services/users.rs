//! Managing a partner's users (docs/concepts.md#organisations-and-who-signs-in, #roles-and-permissions "Partner users and their roles"): create, change,
//! reset the password of, and delete the users of the caller's own partner, each in one
//! transaction with its audit record. The rules that keep an organisation manageable:
//!
//! - a user management admin cannot create, change, reset or delete a global admin, nor grant
//!   `global_admin` (403 `global_admin_protected`; only a global admin can);
//! - nobody disables or deletes themselves (409 `self_protected`);
//! - the last enabled global admin cannot lose the role, be disabled or be deleted (409
//!   `last_global_admin`).
//!
//! Other partners' users answer 404. Temporary passwords are shown once and stored as argon2id
//! hashes; these functions hash, so call them inside the request's blocking hop. Giving a user a
//! temporary password ([`set_temporary_password`]) is shared with `services::customer_users`.

use actix_web::http::StatusCode;
use uuid::Uuid;

use crate::auth::password::NewSecret;
use crate::auth::permissions;
use crate::auth::{PartnerCaller, Principal};
use crate::change::Change;
use crate::db::AnyConnection;
use crate::domain::AuditOperation;
use crate::domain::Role;
use crate::domain::{Quota, Quotas};
use crate::error::{ApiError, ProblemCode};
use crate::etag::Precondition;
use crate::models::audit::Audit;
use crate::models::partner::PartnerRow;
use crate::models::user::{NewUser, UserChanges, UserRow};
use crate::paging::PageRequest;

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewPartnerUser {
    /// Sign-in name (an email address; stored in lower case).
    pub user_name: String,
    /// Display name.
    pub display_name: String,
    /// Partner roles, at least one.
    pub roles: Vec<Role>,
}

/// Changes to a user; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserUpdate {
    /// New display name.
    pub display_name: Option<String>,
    /// New roles (replacing the current ones).
    pub roles: Option<Vec<Role>>,
    /// Disable or re-enable the account.
    pub disabled: Option<bool>,
}

/// The audit snapshot of a user (never the hash).
fn snapshot(u: &UserRow) -> serde_json::Value {
    serde_json::json!({
        "userName": u.user_name,
        "displayName": u.display_name,
        "roles": u.roles.to_vec(),
        "disabled": u.disabled,
        "mustChangePassword": u.must_change_password,
    })
}

fn is_global_admin(u: &UserRow) -> bool {
    u.roles.contains(&Role::GlobalAdmin)
}

/// 409 `self_protected` when the caller is the target.
fn guard_self(caller: &Principal, target: &UserRow, what: &str) -> Result<(), ApiError> {
    if caller.actor_id == target.id.uuid() {
        return Err(ApiError::conflict(
            ProblemCode::SelfProtected,
            format!("You cannot {what} your own account; ask another admin."),
        ));
    }
    Ok(())
}

/// 409 `last_global_admin` when no other enabled global admin would remain.
fn guard_last_global_admin(
    conn: &mut AnyConnection,
    partner_id: Uuid,
    target: &UserRow,
) -> Result<(), ApiError> {
    if UserRow::count_other_enabled_global_admins(conn, partner_id, &target.id)? == 0 {
        return Err(ApiError::conflict(
            ProblemCode::LastGlobalAdmin,
            "This is the organisation's last enabled global admin; make another user a global admin first.",
        ));
    }
    Ok(())
}

/// The caller's partner's user `user_id`, or 404.
fn find(conn: &mut AnyConnection, partner_id: Uuid, user_id: Uuid) -> Result<UserRow, ApiError> {
    UserRow::find_for_partner(conn, partner_id, user_id)?
        .ok_or_else(|| ApiError::not_found("The user"))
}

fn duplicate_user_name(user_name: &str) -> ApiError {
    ApiError::field(
        StatusCode::CONFLICT,
        ProblemCode::DuplicateUserName,
        "userName",
        format!("A user named `{user_name}` already exists; sign-in names are unique."),
    )
}

/// Gives `user` the temporary password whose hash is `hash`: it must be changed at the next
/// sign-in and the user's current tokens stop working (the credentials version advances). A
/// compare-and-swap on the version the caller read (409 `concurrent_update` when the user
/// changed meanwhile); writes `audit` (the operation and its partner or customer) with the new
/// state as its new value. Call inside the workflow's transaction; returns the user as changed.
pub fn set_temporary_password(
    change: &mut Change<'_>,
    user: &UserRow,
    hash: &str,
    audit: Audit,
) -> Result<UserRow, ApiError> {
    let changes = UserChanges {
        password_hash: Some(hash.to_owned()),
        must_change_password: Some(true),
        ..Default::default()
    };
    if !UserRow::update(change.conn(), &user.id, user.version, &changes)? {
        return Err(ApiError::conflict(
            ProblemCode::ConcurrentUpdate,
            "The user changed while its password was being reset; retry.",
        ));
    }
    change.audit(
        audit.new_value(
            serde_json::json!({ "userName": user.user_name, "mustChangePassword": true }),
        ),
    );
    UserRow::find(change.conn(), user.id.uuid())?.ok_or_else(|| ApiError::not_found("The user"))
}

/// One page of the caller's partner's users (up to `page.limit + 1` rows in id order).
pub fn list(
    conn: &mut AnyConnection,
    caller: &PartnerCaller,
    page: &PageRequest,
) -> Result<Vec<UserRow>, ApiError> {
    let partner_id = caller.partner_id();
    Ok(UserRow::page(
        conn,
        partner_id,
        false,
        page.after.as_deref(),
        page.rows_to_fetch(),
    )?)
}

/// A user of the caller's partner; 404 otherwise.
pub fn get(
    conn: &mut AnyConnection,
    caller: &PartnerCaller,
    user_id: Uuid,
) -> Result<UserRow, ApiError> {
    find(conn, caller.partner_id(), user_id)
}

/// Creates a user of the caller's partner with a temporary password; returns the row and the
/// password (shown once). Errors: 403 `global_admin_protected`, 409 `duplicate_user_name` on
/// `userName`.
pub fn create(
    change: &mut Change<'_>,
    caller: &PartnerCaller,
    new: NewPartnerUser,
    temporary: NewSecret,
    quotas: &Quotas,
) -> Result<(UserRow, String), ApiError> {
    let partner_id = caller.partner_id();
    if new.roles.contains(&Role::GlobalAdmin) {
        permissions::may_manage_global_admins(caller)?;
    }
    let user_name = new.user_name.trim().to_lowercase();
    super::tenant_domains::require_owned(change.conn(), partner_id, &user_name, "userName")?;
    if UserRow::find_by_user_name(change.conn(), &user_name)?.is_some() {
        return Err(duplicate_user_name(&user_name));
    }
    super::quotas::check(change, quotas, Quota::UsersPerPartner, partner_id)?;
    let insert = NewUser::new(
        Some(partner_id),
        None,
        &user_name,
        new.display_name.trim(),
        temporary.hash,
        Role::join(&new.roles),
        true,
    );
    UserRow::insert(change.conn(), &insert).map_err(|e| match e {
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        ) => duplicate_user_name(&user_name),
        other => other.into(),
    })?;
    let row = find(change.conn(), partner_id, insert.id.uuid())?;
    change.audit(
        Audit::new(AuditOperation::CreateUser, row.id)
            .partner(partner_id)
            .new_value(snapshot(&row)),
    );
    Ok((row, temporary.clear))
}

/// Changes a user of the caller's partner, compare-and-swap on its version. Errors: 404, 403
/// `global_admin_protected`, 409 `self_protected` (disabling oneself), 409 `last_global_admin`,
/// 412 when `precondition` is stale.
pub fn update(
    change: &mut Change<'_>,
    caller: &PartnerCaller,
    user_id: Uuid,
    precondition: Precondition,
    update: UserUpdate,
) -> Result<UserRow, ApiError> {
    let partner_id = caller.partner_id();
    PartnerRow::lock(change.conn(), partner_id)?;
    let before = find(change.conn(), partner_id, user_id)?;
    let was_ga = is_global_admin(&before);
    let grants_ga = update
        .roles
        .as_ref()
        .is_some_and(|r| r.contains(&Role::GlobalAdmin));
    if was_ga || grants_ga {
        permissions::may_manage_global_admins(caller)?;
    }
    if update.disabled == Some(true) {
        guard_self(caller, &before, "disable")?;
    }
    let loses_ga = update
        .roles
        .as_ref()
        .is_some_and(|r| !r.contains(&Role::GlobalAdmin));
    if was_ga && !before.disabled && (loses_ga || update.disabled == Some(true)) {
        guard_last_global_admin(change.conn(), partner_id, &before)?;
    }
    let expected = precondition.expect(before.version)?;
    let changes = UserChanges {
        display_name: update.display_name.map(|d| d.trim().to_owned()),
        roles: update.roles.as_deref().map(Role::join),
        disabled: update.disabled,
        ..Default::default()
    };
    if !UserRow::update(change.conn(), &before.id, expected, &changes)? {
        return Err(ApiError::precondition_failed());
    }
    let after = find(change.conn(), partner_id, user_id)?;
    change.audit(
        Audit::new(AuditOperation::UpdateUser, after.id)
            .partner(partner_id)
            .old_value(snapshot(&before))
            .new_value(snapshot(&after)),
    );
    Ok(after)
}

/// Deletes a user of the caller's partner. Errors: 404, 403 `global_admin_protected`, 409
/// `self_protected`, 409 `last_global_admin`.
pub fn delete(
    change: &mut Change<'_>,
    caller: &PartnerCaller,
    user_id: Uuid,
) -> Result<(), ApiError> {
    let partner_id = caller.partner_id();
    PartnerRow::lock(change.conn(), partner_id)?;
    let before = find(change.conn(), partner_id, user_id)?;
    if is_global_admin(&before) {
        permissions::may_manage_global_admins(caller)?;
    }
    guard_self(caller, &before, "delete")?;
    if is_global_admin(&before) && !before.disabled {
        guard_last_global_admin(change.conn(), partner_id, &before)?;
    }
    UserRow::delete(change.conn(), &before.id)?;
    change.audit(
        Audit::new(AuditOperation::DeleteUser, before.id)
            .partner(partner_id)
            .old_value(snapshot(&before)),
    );
    Ok(())
}

/// Gives a user of the caller's partner a new temporary password (returned, shown once) that
/// must be changed at the next sign-in; the user's current tokens stop working. Errors: 404,
/// 403 `global_admin_protected`.
pub fn reset_password(
    change: &mut Change<'_>,
    caller: &PartnerCaller,
    user_id: Uuid,
    temporary: NewSecret,
) -> Result<(UserRow, String), ApiError> {
    let partner_id = caller.partner_id();
    let before = find(change.conn(), partner_id, user_id)?;
    if is_global_admin(&before) {
        permissions::may_manage_global_admins(caller)?;
    }
    let audit = Audit::new(AuditOperation::ResetUserPassword, before.id).partner(partner_id);
    let row = set_temporary_password(change, &before, &temporary.hash, audit)?;
    Ok((row, temporary.clear))
}
