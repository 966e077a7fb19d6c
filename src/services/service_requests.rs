//! Service requests (product.md §5, DAP row; seed "Connect with customers": a partner opens a
//! service request on behalf of a customer): a partner with DAP on a customer opens, updates,
//! annotates and closes its own requests for that customer, each change audited in the same
//! transaction. A partner reaches only the requests it opened; a closed request takes no notes
//! until it is reopened.

use uuid::Uuid;

use crate::auth::permissions::Operation;
use crate::auth::{PartnerCaller, visibility};
use crate::change::Change;
use crate::db::AnyConnection;
use crate::domain::{AuditOperation, Id, ServiceRequestStatus, Severity};
use crate::error::{ApiError, ProblemCode};
use crate::etag::Precondition;
use crate::models::audit::Audit;
use crate::models::service_request::{ServiceRequestChanges, ServiceRequestRow, StoredNote};
use crate::models::{ids, now};
use crate::paging::PageRequest;

/// A new service request's fields (validated at the edge).
#[derive(Debug, Clone)]
pub struct NewRequest {
    /// Short summary.
    pub title: String,
    /// What the customer needs.
    pub description: String,
    /// How urgent it is.
    pub severity: Severity,
}

/// Changes to a service request; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct Patch {
    /// New title.
    pub title: Option<String>,
    /// New severity.
    pub severity: Option<Severity>,
    /// New status.
    pub status: Option<ServiceRequestStatus>,
    /// A note to append.
    pub add_note: Option<String>,
}

impl Patch {
    /// Whether the patch changes nothing.
    pub fn is_empty(&self) -> bool {
        self.title.is_none()
            && self.severity.is_none()
            && self.status.is_none()
            && self.add_note.is_none()
    }
}

/// What the audit records show of a request.
fn snapshot(row: &ServiceRequestRow) -> serde_json::Value {
    serde_json::json!({
        "title": row.title,
        "severity": row.severity,
        "status": row.status,
        "noteCount": row.notes().len(),
    })
}

/// Opens a service request for a customer the caller administers (`ManageServiceRequests`:
/// relationship with DAP, else 404 / 403 `delegated_admin_required`), status `open`, no notes;
/// audited as `create_service_request`.
pub fn create(
    change: &mut Change<'_>,
    principal: &PartnerCaller,
    customer_id: Uuid,
    new: NewRequest,
) -> Result<ServiceRequestRow, ApiError> {
    visibility::customer(
        change.conn(),
        principal,
        customer_id,
        Operation::ManageServiceRequests,
    )?;
    let partner_id = principal.partner_id();
    let t = now();
    let row = ServiceRequestRow {
        id: ids::new(),
        customer_id: Id::from(customer_id),
        partner_id: Id::from(partner_id),
        title: new.title.trim().to_owned(),
        description: new.description,
        severity: new.severity,
        status: ServiceRequestStatus::Open,
        notes: "[]".to_owned(),
        created_by: principal.display_name.clone(),
        version: 1,
        created_at: t,
        updated_at: t,
    };
    ServiceRequestRow::insert(change.conn(), &row)?;
    change.audit(
        Audit::new(AuditOperation::CreateServiceRequest, row.id)
            .customer(customer_id)
            .new_value(snapshot(&row)),
    );
    Ok(row)
}

/// One page (up to `page.limit + 1` rows in id order) of the service requests the caller's
/// organisation opened for a customer (`ReadServiceRequests`: relationship with DAP), optionally
/// only those in `status`. Errors: 404 `not_found`, 403 `delegated_admin_required`.
pub fn list(
    conn: &mut AnyConnection,
    caller: &PartnerCaller,
    customer_id: Uuid,
    status: Option<ServiceRequestStatus>,
    page: &PageRequest,
) -> Result<Vec<ServiceRequestRow>, ApiError> {
    visibility::customer(conn, caller, customer_id, Operation::ReadServiceRequests)?;
    Ok(ServiceRequestRow::page(
        conn,
        customer_id,
        caller.partner_id(),
        status,
        page.after.as_deref(),
        page.rows_to_fetch(),
    )?)
}

/// Reads one of the caller's service requests for a customer (`ReadServiceRequests`); see
/// [`find`].
pub fn get(
    conn: &mut AnyConnection,
    caller: &PartnerCaller,
    customer_id: Uuid,
    id: Uuid,
) -> Result<ServiceRequestRow, ApiError> {
    find(
        conn,
        caller,
        customer_id,
        id,
        Operation::ReadServiceRequests,
    )
}

/// Reads one of the caller's service requests for a customer (`op` decides the role and DAP
/// check); another partner's request, or one of another customer, is 404 `not_found`.
fn find(
    conn: &mut AnyConnection,
    principal: &PartnerCaller,
    customer_id: Uuid,
    id: Uuid,
    op: Operation,
) -> Result<ServiceRequestRow, ApiError> {
    visibility::customer(conn, principal, customer_id, op)?;
    ServiceRequestRow::find(conn, customer_id, principal.partner_id(), id)?
        .ok_or_else(|| ApiError::not_found("The service request"))
}

/// Applies `patch` to one of the caller's requests, honouring `If-Match` (412 when stale);
/// audited as `update_service_request` with the values before and after (and the added note).
/// A note on a request that is closed and stays closed is 409 `service_request_closed`; a patch
/// that reopens the request, or closes it, may carry a note. An empty patch changes nothing.
pub fn update(
    change: &mut Change<'_>,
    principal: &PartnerCaller,
    customer_id: Uuid,
    id: Uuid,
    precondition: Precondition,
    patch: Patch,
) -> Result<ServiceRequestRow, ApiError> {
    let before = find(
        change.conn(),
        principal,
        customer_id,
        id,
        Operation::ManageServiceRequests,
    )?;
    let expected = precondition.expect(before.version)?;
    if patch.is_empty() {
        return Ok(before);
    }
    let stays_closed = patch.status.unwrap_or(before.status) == ServiceRequestStatus::Closed;
    if patch.add_note.is_some() && before.status == ServiceRequestStatus::Closed && stays_closed {
        return Err(ApiError::conflict(
            ProblemCode::ServiceRequestClosed,
            "This service request is closed and takes no notes; reopen it first (PATCH with \"status\": \"open\", which may carry the note).",
        ));
    }
    let notes = match &patch.add_note {
        Some(text) => {
            let mut notes = before.notes();
            notes.push(StoredNote {
                text: text.clone(),
                author: principal.display_name.clone(),
                created_at: now(),
            });
            Some(serde_json::to_string(&notes).map_err(ApiError::internal)?)
        }
        None => None,
    };
    let changes = ServiceRequestChanges {
        title: patch.title.map(|t| t.trim().to_owned()),
        severity: patch.severity,
        status: patch.status,
        notes,
    };
    if !ServiceRequestRow::update(change.conn(), &before.id, expected, &changes)? {
        return Err(ApiError::precondition_failed());
    }
    let after = ServiceRequestRow::find(change.conn(), customer_id, principal.partner_id(), id)?
        .ok_or_else(|| ApiError::not_found("The service request"))?;
    let mut new_value = snapshot(&after);
    if let Some(text) = &patch.add_note {
        new_value["addedNote"] = serde_json::Value::from(text.as_str());
    }
    change.audit(
        Audit::new(AuditOperation::UpdateServiceRequest, after.id)
            .customer(customer_id)
            .old_value(snapshot(&before))
            .new_value(new_value),
    );
    Ok(after)
}
