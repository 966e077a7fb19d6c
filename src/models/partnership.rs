//! `partnerships`: an indirect provider ↔ indirect reseller partnership (docs/concepts.md#relationships). A pair
//! has at most one row; ending it sets `status = 'ended'`, and a new accepted invitation
//! reactivates the same row. `version` starts at 1 and is bumped on every change (the ETag).

use actix_web::http::StatusCode;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use uuid::Uuid;

use super::partner::PartnerRow;
use crate::db::AnyConnection;
use crate::domain::{Id, PartnershipStatus};
use crate::error::{ApiError, ProblemCode};
use crate::schema::{partners, partnerships as p};

/// A provider ↔ reseller partnership.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = p)]
#[diesel(treat_none_as_default_value = false)]
pub struct PartnershipRow {
    pub id: Id,
    pub provider_id: Id,
    pub reseller_id: Id,
    pub status: PartnershipStatus,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Row version: 1 when created, bumped on every change.
    pub version: i64,
}

impl PartnershipRow {
    /// The partnership between the pair, active or ended, if any.
    pub fn find(
        conn: &mut AnyConnection,
        provider_id: Uuid,
        reseller_id: Uuid,
    ) -> QueryResult<Option<PartnershipRow>> {
        p::table
            .filter(p::provider_id.eq(Id::from(provider_id)))
            .filter(p::reseller_id.eq(Id::from(reseller_id)))
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
        Ok(Self::find(conn, provider_id, reseller_id)?
            .is_some_and(|row| row.status == PartnershipStatus::Active))
    }

    /// The rule "an indirect reseller named here must have an active partnership with the
    /// provider" (docs/concepts.md#relationships, #designated-support-contact; customers, relationship requests, orders, reseller of
    /// record): Ok when the pair has one, else 422 `partnership_required` naming `field`, with
    /// `detail` saying what the caller should do.
    pub fn require_active(
        conn: &mut AnyConnection,
        provider_id: Uuid,
        reseller_id: Uuid,
        field: &str,
        detail: &str,
    ) -> Result<(), ApiError> {
        if Self::is_active(conn, provider_id, reseller_id)? {
            return Ok(());
        }
        Err(partnership_required(field, detail))
    }
}

/// 422 `partnership_required` naming `field` (see [`PartnershipRow::require_active`]).
pub fn partnership_required(field: &str, detail: &str) -> ApiError {
    ApiError::field(
        StatusCode::UNPROCESSABLE_ENTITY,
        ProblemCode::PartnershipRequired,
        field,
        detail,
    )
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
            Some(row) if row.status == PartnershipStatus::Active => Ok((row, true)),
            Some(row) => {
                diesel::update(p::table.find(&row.id))
                    .set((
                        p::status.eq(PartnershipStatus::Active),
                        p::updated_at.eq(now),
                        p::version.eq(p::version + 1),
                    ))
                    .execute(conn)?;
                Ok((
                    PartnershipRow {
                        status: PartnershipStatus::Active,
                        updated_at: now,
                        version: row.version + 1,
                        ..row
                    },
                    false,
                ))
            }
            None => {
                let row = PartnershipRow {
                    id: super::ids::new(),
                    provider_id: Id::from(provider_id),
                    reseller_id: Id::from(reseller_id),
                    status: PartnershipStatus::Active,
                    created_at: now,
                    updated_at: now,
                    version: 1,
                };
                diesel::insert_into(p::table).values(&row).execute(conn)?;
                Ok((row, false))
            }
        }
    }
}

/// Which side of a partnership a listing is for: the provider lists its resellers, the reseller
/// its providers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Rows where the partner is the indirect provider; the other party is the reseller.
    Provider,
    /// Rows where the partner is the indirect reseller; the other party is the provider.
    Reseller,
}

impl PartnershipRow {
    /// One keyset page (by partnership id, oldest first) of `partner_id`'s partnerships with
    /// `status`, each with the other party.
    pub fn page(
        conn: &mut AnyConnection,
        side: Side,
        partner_id: Uuid,
        status: PartnershipStatus,
        after: Option<&str>,
        limit: i64,
    ) -> QueryResult<Vec<(PartnershipRow, PartnerRow)>> {
        let me = Id::from(partner_id);
        let mut q = p::table
            .filter(p::status.eq(status))
            .select(PartnershipRow::as_select())
            .into_boxed();
        q = match side {
            Side::Provider => q.filter(p::provider_id.eq(me)),
            Side::Reseller => q.filter(p::reseller_id.eq(me)),
        };
        if let Some(after) = after {
            q = q.filter(p::id.gt(after.to_owned()));
        }
        let rows: Vec<PartnershipRow> = q.order(p::id.asc()).limit(limit).load(conn)?;
        let other = |r: &PartnershipRow| match side {
            Side::Provider => r.reseller_id,
            Side::Reseller => r.provider_id,
        };
        let mut parties: std::collections::HashMap<Id, PartnerRow> = partners::table
            .filter(partners::id.eq_any(rows.iter().map(other).collect::<Vec<_>>()))
            .select(PartnerRow::as_select())
            .load(conn)?
            .into_iter()
            .map(|partner| (partner.id, partner))
            .collect();
        Ok(rows
            .into_iter()
            .filter_map(|r| parties.remove(&other(&r)).map(|partner| (r, partner)))
            .collect())
    }

    /// Ends an active partnership; false when it was not active (already ended concurrently).
    pub fn end(conn: &mut AnyConnection, id: &Id) -> QueryResult<bool> {
        let n = diesel::update(
            p::table
                .filter(p::id.eq(id))
                .filter(p::status.eq(PartnershipStatus::Active)),
        )
        .set((
            p::status.eq(PartnershipStatus::Ended),
            p::updated_at.eq(super::now()),
            p::version.eq(p::version + 1),
        ))
        .execute(conn)?;
        Ok(n == 1)
    }
}

/// The provider whose reseller price a reseller's own price lists build on: its active
/// partnership's provider (the oldest one when it has several).
pub fn first_provider_of(conn: &mut AnyConnection, reseller_id: &Id) -> QueryResult<Option<Id>> {
    p::table
        .filter(p::reseller_id.eq(reseller_id))
        .filter(p::status.eq(PartnershipStatus::Active))
        .order((p::created_at.asc(), p::id.asc()))
        .select(p::provider_id)
        .first(conn)
        .optional()
}
