//! Service requests on the wire (docs/concepts.md#designated-support-contact): a request as GET and lists answer it (its
//! note count, never its notes), its notes (paged apart), and what its events carry.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::{ServiceRequestStatus, Severity};
use crate::models::service_request::{NoteRow, ServiceRequestRow};
use crate::models::utc;

/// A note on a service request.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Note {
    /// Note id.
    pub id: Uuid,
    /// The note (at most 4,000 characters).
    pub text: String,
    /// Display name of the user or application that added it.
    pub author: String,
    /// When it was added.
    pub created_at: DateTime<Utc>,
}

impl From<NoteRow> for Note {
    fn from(n: NoteRow) -> Note {
        Note {
            id: n.id.uuid(),
            text: n.text,
            author: n.author,
            created_at: utc(n.created_at),
        }
    }
}

/// A service request as the API shows it. Its notes are not part of it: read them, oldest
/// first and paged, at `GET …/service-requests/{serviceRequestId}/notes`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceRequest {
    /// Service request id.
    pub id: Uuid,
    /// The customer it is for.
    pub customer_id: Uuid,
    /// The partner that opened it.
    pub partner_id: Uuid,
    /// Short summary.
    pub title: String,
    /// What the customer needs.
    pub description: String,
    /// How urgent it is.
    pub severity: Severity,
    /// Where it stands.
    pub status: ServiceRequestStatus,
    /// How many notes it has (at most 1,000).
    pub note_count: i64,
    /// Display name of the user or application that opened it.
    pub created_by: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change (a note added included).
    pub updated_at: DateTime<Utc>,
}

impl From<ServiceRequestRow> for ServiceRequest {
    fn from(r: ServiceRequestRow) -> ServiceRequest {
        ServiceRequest {
            id: r.id.uuid(),
            customer_id: r.customer_id.uuid(),
            partner_id: r.partner_id.uuid(),
            severity: r.severity,
            status: r.status,
            note_count: r.note_count,
            title: r.title,
            description: r.description,
            created_by: r.created_by,
            created_at: utc(r.created_at),
            updated_at: utc(r.updated_at),
        }
    }
}

/// What a `service-request-updated` event carries as its resource: the request as GET answers
/// it and, when the change added a note, that note (never the earlier ones).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceRequestChange {
    /// The request after the change.
    #[serde(flatten)]
    pub request: ServiceRequest,
    /// The note the change added, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub added_note: Option<Note>,
}
