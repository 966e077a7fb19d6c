//! Service requests (docs/concepts.md#roles-and-permissions, DAP row; seed "Connect with customers": a partner opens a
//! service request on behalf of a customer): a partner with DAP on a customer opens, updates,
//! annotates and closes its own requests for that customer, each change audited in the same
//! transaction. A partner reaches only the requests it opened; a closed request takes no notes
//! until it is reopened. A request holds at most [`MAX_NOTES`] notes of at most
//! [`MAX_NOTE_CHARS`] characters; each note is its own row, and the change that adds one carries
//! that note (not the earlier ones) in its event.

use uuid::Uuid;

use crate::api::service_requests::{Note, ServiceRequest, ServiceRequestChange};
use crate::auth::permissions::Operation;
use crate::auth::{PartnerCaller, visibility};
use crate::change::Change;
use crate::db::AnyConnection;
use crate::domain::{AuditOperation, Id, ServiceRequestStatus, Severity};
use crate::error::{ApiError, ProblemCode};
use crate::etag::Precondition;
use crate::models::audit::Audit;
use crate::models::service_request::{NoteRow, ServiceRequestChanges, ServiceRequestRow};
use crate::models::{ids, now};
use crate::paging::PageRequest;

/// The most notes one service request holds (409 `quota_exceeded`, limit
/// `notesPerServiceRequest`, past it).
pub const MAX_NOTES: i64 = 1_000;
/// The longest note, in characters (checked at the edge: 422 naming the field).
pub const MAX_NOTE_CHARS: u64 = 4_000;

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
        "noteCount": row.note_count,
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
        note_count: 0,
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
        return Err(closed());
    }
    let changes = ServiceRequestChanges {
        title: patch.title.map(|t| t.trim().to_owned()),
        severity: patch.severity,
        status: patch.status,
    };
    if !ServiceRequestRow::update(change.conn(), &before.id, expected, &changes)? {
        return Err(ApiError::precondition_failed());
    }
    let added = match patch.add_note {
        Some(text) => Some(add_note_row(change, principal, &before.id, text)?),
        None => None,
    };
    record(change, principal, customer_id, id, &before, added)
}

/// Adds a note to one of the caller's requests (`ManageServiceRequests`), audited as
/// `update_service_request` like a PATCH carrying `addNote`. Errors: 404 `not_found`, 403
/// `delegated_admin_required`, 409 `service_request_closed`, 409 `quota_exceeded` (the request
/// holds [`MAX_NOTES`] notes).
pub fn add_note(
    change: &mut Change<'_>,
    principal: &PartnerCaller,
    customer_id: Uuid,
    id: Uuid,
    text: String,
) -> Result<(ServiceRequestRow, Note), ApiError> {
    let before = find(
        change.conn(),
        principal,
        customer_id,
        id,
        Operation::ManageServiceRequests,
    )?;
    if before.status == ServiceRequestStatus::Closed {
        return Err(closed());
    }
    let note = add_note_row(change, principal, &before.id, text)?;
    ServiceRequestRow::bump_version(change.conn(), &before.id)?;
    let after = record(
        change,
        principal,
        customer_id,
        id,
        &before,
        Some(note.clone()),
    )?;
    Ok((after, note))
}

/// One page (up to `page.limit + 1` rows, oldest first) of the notes of one of the caller's
/// requests (`ReadServiceRequests`). Errors as [`get`].
pub fn notes(
    conn: &mut AnyConnection,
    caller: &PartnerCaller,
    customer_id: Uuid,
    id: Uuid,
    page: &PageRequest,
) -> Result<Vec<NoteRow>, ApiError> {
    let request = get(conn, caller, customer_id, id)?;
    Ok(NoteRow::page(
        conn,
        &request.id,
        page.after.as_deref(),
        page.rows_to_fetch(),
    )?)
}

fn closed() -> ApiError {
    ApiError::conflict(
        ProblemCode::ServiceRequestClosed,
        "This service request is closed and takes no notes; reopen it first (PATCH with \"status\": \"open\", which may carry the note).",
    )
}

/// Writes one note row (409 `quota_exceeded` when the request holds [`MAX_NOTES`]).
fn add_note_row(
    change: &mut Change<'_>,
    principal: &PartnerCaller,
    request: &Id,
    text: String,
) -> Result<Note, ApiError> {
    let row = NoteRow {
        id: ids::new(),
        service_request_id: *request,
        text,
        author: principal.display_name.clone(),
        created_at: now(),
    };
    if !NoteRow::add(change.conn(), &row, MAX_NOTES)? {
        return Err(ApiError::quota_exceeded(
            "notesPerServiceRequest",
            MAX_NOTES,
            "This service request",
        ));
    }
    Ok(Note::from(row))
}

/// Audits a change of a request (`before` → as it is now), with the note it added: the audit
/// record names the note, the event carries it.
fn record(
    change: &mut Change<'_>,
    principal: &PartnerCaller,
    customer_id: Uuid,
    id: Uuid,
    before: &ServiceRequestRow,
    added: Option<Note>,
) -> Result<ServiceRequestRow, ApiError> {
    let after = ServiceRequestRow::find(change.conn(), customer_id, principal.partner_id(), id)?
        .ok_or_else(|| ApiError::not_found("The service request"))?;
    let mut new_value = snapshot(&after);
    if let Some(note) = &added {
        new_value["addedNoteId"] = serde_json::Value::from(note.id.to_string());
    }
    change.audit(
        Audit::new(AuditOperation::UpdateServiceRequest, after.id)
            .customer(customer_id)
            .old_value(snapshot(before))
            .new_value(new_value)
            .resource(ServiceRequestChange {
                request: ServiceRequest::from(after.clone()),
                added_note: added,
            }),
    );
    Ok(after)
}
