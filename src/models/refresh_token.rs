//! `refresh_tokens`: one row per refresh token issued, holding the SHA-256 of the token (never
//! the token), its family (the tokens of one sign-in, each rotated into the next), the user and
//! the user's credentials version at issue, its expiry, and when it was used (rotated) or revoked.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::domain::Id;
use crate::schema::refresh_tokens;

/// A stored refresh token.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = refresh_tokens)]
#[diesel(treat_none_as_default_value = false)]
pub struct RefreshTokenRow {
    /// Token id.
    pub id: Id,
    /// The id of the first token of its sign-in.
    pub family_id: Id,
    /// Lowercase hex SHA-256 of the token.
    pub token_hash: String,
    /// The user it signs in.
    pub user_id: Id,
    /// The user's credentials version when it was issued.
    pub credentials_version: i64,
    /// Issue time.
    pub created_at: NaiveDateTime,
    /// Expiry.
    pub expires_at: NaiveDateTime,
    /// When it was exchanged for a new pair (a second use is a reuse).
    pub used_at: Option<NaiveDateTime>,
    /// When it (its family) was revoked.
    pub revoked_at: Option<NaiveDateTime>,
}

impl RefreshTokenRow {
    /// Stores a new token.
    pub fn insert(conn: &mut AnyConnection, row: &RefreshTokenRow) -> QueryResult<()> {
        diesel::insert_into(refresh_tokens::table)
            .values(row)
            .execute(conn)
            .map(|_| ())
    }

    /// The token whose hash is `hash`, if any.
    pub fn find_by_hash(conn: &mut AnyConnection, hash: &str) -> QueryResult<Option<Self>> {
        refresh_tokens::table
            .filter(refresh_tokens::token_hash.eq(hash))
            .select(RefreshTokenRow::as_select())
            .first(conn)
            .optional()
    }

    /// Marks the token used at `at`, unless it already was: whether this call marked it (so of
    /// two concurrent uses exactly one wins).
    pub fn mark_used(conn: &mut AnyConnection, id: &Id, at: NaiveDateTime) -> QueryResult<bool> {
        diesel::update(
            refresh_tokens::table
                .filter(refresh_tokens::id.eq(id))
                .filter(refresh_tokens::used_at.is_null()),
        )
        .set(refresh_tokens::used_at.eq(Some(at)))
        .execute(conn)
        .map(|n| n == 1)
    }

    /// Revokes every token of `family` not yet revoked.
    pub fn revoke_family(
        conn: &mut AnyConnection,
        family: &Id,
        at: NaiveDateTime,
    ) -> QueryResult<usize> {
        diesel::update(
            refresh_tokens::table
                .filter(refresh_tokens::family_id.eq(family))
                .filter(refresh_tokens::revoked_at.is_null()),
        )
        .set(refresh_tokens::revoked_at.eq(Some(at)))
        .execute(conn)
    }
}
