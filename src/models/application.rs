//! `applications`: app-only credentials of a partner (client id + hashed secret + roles), with
//! the row version its ETag is made of.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::AnyConnection;
use crate::domain::{Id, Roles};
use crate::schema::applications;

/// An application of a partner.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = applications)]
#[diesel(treat_none_as_default_value = false)]
pub struct ApplicationRow {
    pub id: Id,
    pub partner_id: Id,
    pub display_name: String,
    pub client_id: Id,
    pub secret_hash: String,
    /// An unknown stored role fails the read.
    pub roles: Roles,
    pub created_at: NaiveDateTime,
    /// The row version (1 at creation; an application is never changed, only deleted).
    pub version: i64,
}

impl ApplicationRow {
    /// How many applications the partner `partner_id` has (its quota's count).
    pub fn count_for_partner(conn: &mut AnyConnection, partner_id: Uuid) -> QueryResult<i64> {
        applications::table
            .filter(applications::partner_id.eq(Id::from(partner_id)))
            .count()
            .get_result(conn)
    }
    /// The application with `id`, if any.
    pub fn find(conn: &mut AnyConnection, id: Uuid) -> QueryResult<Option<ApplicationRow>> {
        applications::table
            .find(Id::from(id))
            .select(ApplicationRow::as_select())
            .first(conn)
            .optional()
    }

    /// The application with this client id, if any.
    pub fn find_by_client_id(
        conn: &mut AnyConnection,
        client_id: &str,
    ) -> QueryResult<Option<ApplicationRow>> {
        applications::table
            .filter(applications::client_id.eq(client_id))
            .select(ApplicationRow::as_select())
            .first(conn)
            .optional()
    }

    /// A partner's application with `id`, if any.
    pub fn find_for_partner(
        conn: &mut AnyConnection,
        partner_id: Uuid,
        id: Uuid,
    ) -> QueryResult<Option<ApplicationRow>> {
        applications::table
            .filter(applications::id.eq(Id::from(id)))
            .filter(applications::partner_id.eq(Id::from(partner_id)))
            .select(ApplicationRow::as_select())
            .first(conn)
            .optional()
    }

    /// One keyset page of a partner's applications, by id.
    pub fn page(
        conn: &mut AnyConnection,
        partner_id: Uuid,
        after: Option<&str>,
        limit: i64,
    ) -> QueryResult<Vec<ApplicationRow>> {
        let mut q = applications::table
            .filter(applications::partner_id.eq(Id::from(partner_id)))
            .select(ApplicationRow::as_select())
            .into_boxed();
        if let Some(after) = after {
            q = q.filter(applications::id.gt(after.to_owned()));
        }
        q.order(applications::id.asc()).limit(limit).load(conn)
    }

    /// Inserts an application.
    pub fn insert(conn: &mut AnyConnection, row: &ApplicationRow) -> QueryResult<()> {
        diesel::insert_into(applications::table)
            .values(row)
            .execute(conn)
            .map(drop)
    }

    /// Deletes an application.
    pub fn delete(conn: &mut AnyConnection, id: &Id) -> QueryResult<bool> {
        diesel::delete(applications::table.find(id))
            .execute(conn)
            .map(|n| n == 1)
    }
}
