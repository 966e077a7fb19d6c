//! Service requests on the wire (product.md §4): a request with its notes, as GET answers it and
//! as its events carry it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::{ServiceRequestStatus, Severity};
use crate::models::service_request::ServiceRequestRow;
use crate::models::utc;

/// A note on a service request.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Note {
    /// The note.
    pub text: String,
    /// Display name of the user or application that added it.
    pub author: String,
    /// When it was added.
    pub created_at: DateTime<Utc>,
}

/// A service request as the API shows it.
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
    /// Notes, oldest first.
    pub notes: Vec<Note>,
    /// Display name of the user or application that opened it.
    pub created_by: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<ServiceRequestRow> for ServiceRequest {
    fn from(r: ServiceRequestRow) -> ServiceRequest {
        let notes = r
            .notes()
            .into_iter()
            .map(|n| Note {
                text: n.text,
                author: n.author,
                created_at: utc(n.created_at),
            })
            .collect();
        ServiceRequest {
            id: r.id.uuid(),
            customer_id: r.customer_id.uuid(),
            partner_id: r.partner_id.uuid(),
            severity: r.severity,
            status: r.status,
            notes,
            title: r.title,
            description: r.description,
            created_by: r.created_by,
            created_at: utc(r.created_at),
            updated_at: utc(r.updated_at),
        }
    }
}
