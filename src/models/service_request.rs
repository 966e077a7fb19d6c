//! `service_requests`: support cases a partner opens for a customer it administers (a row
//! marked DAP in the permission table, docs/concepts.md#roles-and-permissions), and `service_request_notes`: their notes, one row each (a request keeps their
//! count, so adding a note writes one row whatever came before).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::AnyConnection;
use crate::domain::{Id, ServiceRequestStatus, Severity};
use crate::schema::service_request_notes as notes;
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
    pub created_by: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// How many notes it has.
    pub note_count: i64,
}

/// One note of a service request.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = notes)]
pub struct NoteRow {
    pub id: Id,
    pub service_request_id: Id,
    /// The note.
    pub text: String,
    /// The author's display name.
    pub author: String,
    /// When it was added (UTC).
    pub created_at: NaiveDateTime,
}

impl NoteRow {
    /// Adds `note` to its request when the request holds fewer than `max` notes, counting it in
    /// the same statement (so concurrent notes never pass the limit); the request's version is
    /// the caller's to advance. Returns whether it was added.
    pub fn add(conn: &mut AnyConnection, note: &NoteRow, max: i64) -> QueryResult<bool> {
        let counted = diesel::update(
            sr::table
                .filter(sr::id.eq(&note.service_request_id))
                .filter(sr::note_count.lt(max)),
        )
        .set((
            sr::note_count.eq(sr::note_count + 1),
            sr::updated_at.eq(note.created_at),
        ))
        .execute(conn)?;
        if counted == 0 {
            return Ok(false);
        }
        diesel::insert_into(notes::table)
            .values(note)
            .execute(conn)?;
        Ok(true)
    }

    /// One keyset page (by id, oldest first) of the notes of `request`.
    pub fn page(
        conn: &mut AnyConnection,
        request: &Id,
        after: Option<&str>,
        limit: i64,
    ) -> QueryResult<Vec<NoteRow>> {
        let mut q = notes::table
            .filter(notes::service_request_id.eq(request))
            .select(NoteRow::as_select())
            .into_boxed();
        if let Some(after) = after {
            q = q.filter(notes::id.gt(after.to_owned()));
        }
        q.order(notes::id.asc()).limit(limit).load(conn)
    }
}

/// Changes to a service request (`None` leaves a column as it is).
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = sr)]
pub struct ServiceRequestChanges {
    pub title: Option<String>,
    pub severity: Option<Severity>,
    pub status: Option<ServiceRequestStatus>,
}

impl ServiceRequestRow {
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

    /// Advances the version of request `id` (a note was added without a precondition).
    pub fn bump_version(conn: &mut AnyConnection, id: &Id) -> QueryResult<()> {
        diesel::update(sr::table.find(id))
            .set(sr::version.eq(sr::version + 1))
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
