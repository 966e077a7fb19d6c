//! Applications (docs/concepts.md#organisations-and-who-signs-in, #roles-and-permissions "Applications"): app-only credentials of the caller's own
//! partner. Creating one (a client id and a secret shown once, stored only as an argon2id hash)
//! and deleting one are each one transaction with its audit record; listing reads one page.
//! Other partners' applications answer 404.

use uuid::Uuid;

use crate::api::applications::Application;
use crate::auth::PartnerCaller;
use crate::auth::password::NewSecret;
use crate::change::Change;
use crate::db::AnyConnection;
use crate::domain::Role;
use crate::domain::{AuditOperation, Id};
use crate::domain::{Quota, Quotas};
use crate::error::ApiError;
use crate::models::application::ApplicationRow;
use crate::models::audit::Audit;
use crate::models::{ids, now};
use crate::paging::PageRequest;

/// An application to create, as the caller sent it.
#[derive(Debug, Clone)]
pub struct NewApplication {
    /// Display name (trimmed here).
    pub display_name: String,
    /// Application roles, at least one (validated at the edge).
    pub roles: Vec<Role>,
}

/// Creates an application of the caller's partner; returns the row and its client secret (shown
/// once; only its hash is stored). Hashes the secret: call inside the request's blocking hop.
pub fn create(
    change: &mut Change<'_>,
    caller: &PartnerCaller,
    new: NewApplication,
    client_secret: NewSecret,
    quotas: &Quotas,
) -> Result<(ApplicationRow, String), ApiError> {
    let partner_id = caller.partner_id();
    super::quotas::check(change, quotas, Quota::ApplicationsPerPartner, partner_id)?;
    let row = ApplicationRow {
        id: ids::new(),
        partner_id: Id::from(partner_id),
        display_name: new.display_name.trim().to_owned(),
        client_id: Id::from(Uuid::new_v4()),
        secret_hash: client_secret.hash,
        roles: Role::join(&new.roles),
        created_at: now(),
        version: 1,
    };
    ApplicationRow::insert(change.conn(), &row)?;
    change.audit(
        Audit::new(AuditOperation::CreateApplication, row.id)
            .partner(partner_id)
            .new_value(Application::from(row.clone())),
    );
    Ok((row, client_secret.clear))
}

/// One page of the caller's partner's applications (up to `page.limit + 1` rows in id order).
pub fn list(
    conn: &mut AnyConnection,
    caller: &PartnerCaller,
    page: &PageRequest,
) -> Result<Vec<ApplicationRow>, ApiError> {
    let partner_id = caller.partner_id();
    Ok(ApplicationRow::page(
        conn,
        partner_id,
        page.after.as_deref(),
        page.rows_to_fetch(),
    )?)
}

/// Deletes an application of the caller's partner, with its audit record; its tokens stop
/// working on their next request. Errors: 404 when the partner has no such application.
pub fn delete(
    change: &mut Change<'_>,
    caller: &PartnerCaller,
    application_id: Uuid,
) -> Result<(), ApiError> {
    let partner_id = caller.partner_id();
    let row = ApplicationRow::find_for_partner(change.conn(), partner_id, application_id)?
        .ok_or_else(|| ApiError::not_found("The application"))?;
    ApplicationRow::delete(change.conn(), &row.id)?;
    change.audit(
        Audit::new(AuditOperation::DeleteApplication, row.id)
            .partner(partner_id)
            .old_value(Application::from(row)),
    );
    Ok(())
}
