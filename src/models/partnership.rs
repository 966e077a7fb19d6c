//! `partnerships`: an indirect provider ↔ indirect reseller partnership (product.md §2). A pair
//! has at most one row; ending it sets `status = 'ended'`, and a new accepted invitation
//! reactivates the same row.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::AnyConnection;
use crate::schema::partnerships as p;

/// A provider ↔ reseller partnership.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = p)]
pub struct PartnershipRow {
    pub id: String,
    pub provider_id: String,
    pub reseller_id: String,
    pub status: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl PartnershipRow {
    /// The partnership between the pair, active or ended, if any.
    pub fn find(
        conn: &mut AnyConnection,
        provider_id: Uuid,
        reseller_id: Uuid,
    ) -> QueryResult<Option<PartnershipRow>> {
        p::table
            .filter(p::provider_id.eq(provider_id.to_string()))
            .filter(p::reseller_id.eq(reseller_id.to_string()))
            .select(PartnershipRow::as_select())
            .first(conn)
            .optional()
    }

    /// Whether the pair has an active partnership.
    pub fn is_active(
        conn: &mut AnyConnection,
        provider_id: Uuid,
        reseller_id: Uuid,
    ) -> QueryResult<bool> {
        Ok(Self::find(conn, provider_id, reseller_id)?.is_some_and(|row| row.status == "active"))
    }
}

impl PartnershipRow {
    /// Creates the pair's partnership, or reactivates an ended one; returns the row as it now
    /// is and whether it was already active.
    pub fn activate(
        conn: &mut AnyConnection,
        provider_id: Uuid,
        reseller_id: Uuid,
    ) -> QueryResult<(PartnershipRow, bool)> {
        let now = super::now();
        match Self::find(conn, provider_id, reseller_id)? {
            Some(row) if row.status == "active" => Ok((row, true)),
            Some(row) => {
                diesel::update(p::table.find(&row.id))
                    .set((p::status.eq("active"), p::updated_at.eq(now)))
                    .execute(conn)?;
                Ok((
                    PartnershipRow {
                        status: "active".to_owned(),
                        updated_at: now,
                        ..row
                    },
                    false,
                ))
            }
            None => {
                let row = PartnershipRow {
                    id: super::ids::new(),
                    provider_id: provider_id.to_string(),
                    reseller_id: reseller_id.to_string(),
                    status: "active".to_owned(),
                    created_at: now,
                    updated_at: now,
                };
                diesel::insert_into(p::table).values(&row).execute(conn)?;
                Ok((row, false))
            }
        }
    }
}
