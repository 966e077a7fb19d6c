//! `service_requests`: support cases a partner opens for a customer it administers (product.md
//! §5, DAP row). Notes are kept as a JSON array in the `notes` column, oldest first.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::db::AnyConnection;
use crate::domain::{Id, ServiceRequestStatus, Severity};
use crate::schema::service_requests as sr;

/// A service request.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sr)]
#[diesel(treat_none_as_default_value = false)]
pub struct ServiceRequestRow {
    pub id: Id,
    pub customer_id: Id,
    pub partner_id: Id,
    pub title: String,
    pub description: String,
    /// An unknown stored severity fails the read.
    pub severity: Severity,
    pub status: ServiceRequestStatus,
    /// JSON array of `{ "text", "author", "createdAt" }`.
    pub notes: String,
    pub created_by: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// One note as stored in the `notes` JSON array.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredNote {
    /// The note.
    pub text: String,
    /// The author's display name.
    pub author: String,
    /// When it was added (UTC).
    pub created_at: NaiveDateTime,
}

/// Changes to a service request (`None` leaves a column as it is).
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = sr)]
pub struct ServiceRequestChanges {
    pub title: Option<String>,
    pub severity: Option<Severity>,
    pub status: Option<ServiceRequestStatus>,
    pub notes: Option<String>,
}

impl ServiceRequestRow {
    /// The notes, oldest first (an unreadable column reads as no notes).
    pub fn notes(&self) -> Vec<StoredNote> {
        serde_json::from_str(&self.notes).unwrap_or_default()
    }

    /// The service request `id` of `customer_id` opened by `partner_id`, if any.
    pub fn find(
        conn: &mut AnyConnection,
        customer_id: Uuid,
        partner_id: Uuid,
        id: Uuid,
    ) -> QueryResult<Option<ServiceRequestRow>> {
        sr::table
            .filter(sr::id.eq(Id::from(id)))
            .filter(sr::customer_id.eq(Id::from(customer_id)))
            .filter(sr::partner_id.eq(Id::from(partner_id)))
            .select(ServiceRequestRow::as_select())
            .first(conn)
            .optional()
    }

    /// One keyset page (by id, oldest first) of the requests `partner_id` opened for
    /// `customer_id`, optionally only those in `status`.
    pub fn page(
        conn: &mut AnyConnection,
        customer_id: Uuid,
        partner_id: Uuid,
        status: Option<ServiceRequestStatus>,
        after: Option<&str>,
        limit: i64,
    ) -> QueryResult<Vec<ServiceRequestRow>> {
        let mut q = sr::table
            .filter(sr::customer_id.eq(Id::from(customer_id)))
            .filter(sr::partner_id.eq(Id::from(partner_id)))
            .select(ServiceRequestRow::as_select())
            .into_boxed();
        if let Some(status) = status {
            q = q.filter(sr::status.eq(status));
        }
        if let Some(after) = after {
            q = q.filter(sr::id.gt(after.to_owned()));
        }
        q.order(sr::id.asc()).limit(limit).load(conn)
    }

    /// Inserts a service request.
    pub fn insert(conn: &mut AnyConnection, row: &ServiceRequestRow) -> QueryResult<()> {
        diesel::insert_into(sr::table)
            .values(row)
            .execute(conn)
            .map(drop)
    }

    /// Applies `changes` when the version still matches; returns whether a row changed.
    pub fn update(
        conn: &mut AnyConnection,
        id: &Id,
        expected_version: i64,
        changes: &ServiceRequestChanges,
    ) -> QueryResult<bool> {
        let n = diesel::update(
            sr::table
                .filter(sr::id.eq(id))
                .filter(sr::version.eq(expected_version)),
        )
        .set((
            changes,
            sr::version.eq(expected_version + 1),
            sr::updated_at.eq(super::now()),
        ))
        .execute(conn)?;
        Ok(n == 1)
    }
}
