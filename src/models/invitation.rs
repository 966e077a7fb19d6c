//! `partnership_invitations`: an indirect provider's invitation to a reseller (docs/concepts.md#relationships). The
//! link's token is stored only as its SHA-256 hash; an invitation is `pending` until accepted or
//! revoked, and is usable only before `expires_at`. Accepting and revoking are compare-and-swaps
//! on `status = 'pending'`, so two concurrent acceptances of one link cannot both succeed.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::AnyConnection;
use crate::domain::{Id, LinkStatus};
use crate::schema::partnership_invitations as inv;

/// A partnership invitation.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = inv)]
#[diesel(treat_none_as_default_value = false)]
pub struct InvitationRow {
    pub id: Id,
    pub provider_id: Id,
    pub email: String,
    pub message: Option<String>,
    pub token_hash: String,
    pub status: LinkStatus,
    pub expires_at: NaiveDateTime,
    pub accepted_by_partner_id: Option<Id>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The sign-in name (e-mail) of the reseller user who accepted or enrolled through the link.
    pub accepted_by_email: Option<String>,
}

impl InvitationRow {
    /// A new pending invitation from `provider_id` to `email`, whose link token hashes to
    /// `token_hash` and which expires at `expires_at`.
    pub fn new(
        provider_id: Uuid,
        email: &str,
        message: Option<String>,
        token_hash: String,
        expires_at: NaiveDateTime,
    ) -> InvitationRow {
        let now = super::now();
        InvitationRow {
            id: super::ids::new(),
            provider_id: Id::from(provider_id),
            email: email.to_lowercase(),
            message,
            token_hash,
            status: LinkStatus::Pending,
            expires_at,
            accepted_by_partner_id: None,
            created_at: now,
            updated_at: now,
            accepted_by_email: None,
        }
    }

    /// Inserts an invitation.
    pub fn insert(conn: &mut AnyConnection, row: &InvitationRow) -> QueryResult<()> {
        diesel::insert_into(inv::table)
            .values(row)
            .execute(conn)
            .map(drop)
    }

    /// The invitation whose token hashes to `token_hash`, if any.
    pub fn find_by_token_hash(
        conn: &mut AnyConnection,
        token_hash: &str,
    ) -> QueryResult<Option<InvitationRow>> {
        inv::table
            .filter(inv::token_hash.eq(token_hash))
            .select(InvitationRow::as_select())
            .first(conn)
            .optional()
    }

    /// A provider's invitation with `id`, if any (other providers' invitations are invisible).
    pub fn find_for_provider(
        conn: &mut AnyConnection,
        provider_id: Uuid,
        id: Uuid,
    ) -> QueryResult<Option<InvitationRow>> {
        inv::table
            .filter(inv::id.eq(Id::from(id)))
            .filter(inv::provider_id.eq(Id::from(provider_id)))
            .select(InvitationRow::as_select())
            .first(conn)
            .optional()
    }

    /// One keyset page (by id, oldest first) of a provider's invitations.
    pub fn page_for_provider(
        conn: &mut AnyConnection,
        provider_id: Uuid,
        after: Option<&str>,
        limit: i64,
    ) -> QueryResult<Vec<InvitationRow>> {
        let mut q = inv::table
            .filter(inv::provider_id.eq(Id::from(provider_id)))
            .select(InvitationRow::as_select())
            .into_boxed();
        if let Some(after) = after {
            q = q.filter(inv::id.gt(after.to_owned()));
        }
        q.order(inv::id.asc()).limit(limit).load(conn)
    }

    /// Marks a pending invitation accepted by `reseller_id`, through its user `email` (recorded
    /// for the provider to see: invitations are bearer links); false when it was no
    /// longer pending (someone else accepted or revoked it first).
    pub fn accept(
        conn: &mut AnyConnection,
        id: &Id,
        reseller_id: Uuid,
        email: Option<&str>,
    ) -> QueryResult<bool> {
        if !Self::leave_pending(conn, id, LinkStatus::Accepted, Some(Id::from(reseller_id)))? {
            return Ok(false);
        }
        diesel::update(inv::table.find(id))
            .set(inv::accepted_by_email.eq(email.map(str::to_lowercase)))
            .execute(conn)?;
        Ok(true)
    }

    /// Marks a pending invitation revoked; false when it was no longer pending.
    pub fn revoke(conn: &mut AnyConnection, id: &Id) -> QueryResult<bool> {
        Self::leave_pending(conn, id, LinkStatus::Revoked, None)
    }

    fn leave_pending(
        conn: &mut AnyConnection,
        id: &Id,
        status: LinkStatus,
        accepted_by: Option<Id>,
    ) -> QueryResult<bool> {
        let n = diesel::update(
            inv::table
                .filter(inv::id.eq(id))
                .filter(inv::status.eq(LinkStatus::Pending)),
        )
        .set((
            inv::status.eq(status),
            inv::accepted_by_partner_id.eq(accepted_by),
            inv::updated_at.eq(super::now()),
        ))
        .execute(conn)?;
        Ok(n == 1)
    }
}
