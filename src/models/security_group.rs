//! `security_groups` and `security_group_members`: a partner's groups of its own users and
//! applications (docs/concepts.md#granular-delegated-admin-gdap), to which GDAP access assignments give customer-side roles.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::AnyConnection;
use crate::domain::Id;
use crate::schema::{security_group_members as members, security_groups as groups};

/// A security group.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = groups)]
#[diesel(treat_none_as_default_value = false, treat_none_as_null = true)]
pub struct SecurityGroupRow {
    pub id: Id,
    pub partner_id: Id,
    pub display_name: String,
    pub description: Option<String>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A membership: a user or an application (exactly one of `user_id`, `application_id`, equal to
/// `member_id`).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = members)]
#[diesel(treat_none_as_default_value = false)]
pub struct MemberRow {
    pub group_id: Id,
    pub member_id: Id,
    pub user_id: Option<Id>,
    pub application_id: Option<Id>,
    pub created_at: NaiveDateTime,
}

impl SecurityGroupRow {
    /// How many security groups the partner `partner_id` has (its quota's count).
    pub fn count_for_partner(conn: &mut AnyConnection, partner_id: Uuid) -> QueryResult<i64> {
        groups::table
            .filter(groups::partner_id.eq(Id::from(partner_id)))
            .count()
            .get_result(conn)
    }
    /// Inserts a group; false when the partner already has a group of that name.
    pub fn insert(conn: &mut AnyConnection, row: &SecurityGroupRow) -> QueryResult<bool> {
        if Self::name_taken(conn, row.partner_id, &row.display_name, None)? {
            return Ok(false);
        }
        diesel::insert_into(groups::table)
            .values(row)
            .execute(conn)
            .map(|n| n == 1)
    }

    /// Whether another group (not `except`) of the partner has this name.
    pub fn name_taken(
        conn: &mut AnyConnection,
        partner_id: Id,
        name: &str,
        except: Option<Id>,
    ) -> QueryResult<bool> {
        let mut q = groups::table
            .filter(groups::partner_id.eq(partner_id))
            .filter(groups::display_name.eq(name))
            .select(groups::id)
            .into_boxed();
        if let Some(id) = except {
            q = q.filter(groups::id.ne(id));
        }
        Ok(q.first::<Id>(conn).optional()?.is_some())
    }

    /// The partner's group `id`, if any.
    pub fn find_for_partner(
        conn: &mut AnyConnection,
        partner_id: Uuid,
        id: Uuid,
    ) -> QueryResult<Option<SecurityGroupRow>> {
        groups::table
            .filter(groups::id.eq(Id::from(id)))
            .filter(groups::partner_id.eq(Id::from(partner_id)))
            .select(SecurityGroupRow::as_select())
            .first(conn)
            .optional()
    }

    /// One keyset page (by id, oldest first) of the partner's groups.
    pub fn page(
        conn: &mut AnyConnection,
        partner_id: Uuid,
        after: Option<&str>,
        limit: i64,
    ) -> QueryResult<Vec<SecurityGroupRow>> {
        let mut q = groups::table
            .filter(groups::partner_id.eq(Id::from(partner_id)))
            .select(SecurityGroupRow::as_select())
            .into_boxed();
        if let Some(after) = after {
            q = q.filter(groups::id.gt(after.to_owned()));
        }
        q.order(groups::id.asc()).limit(limit).load(conn)
    }

    /// Writes `row` when its stored version is still `expected`; false otherwise.
    pub fn save(
        conn: &mut AnyConnection,
        row: &SecurityGroupRow,
        expected: i64,
    ) -> QueryResult<bool> {
        diesel::update(
            groups::table
                .filter(groups::id.eq(row.id))
                .filter(groups::version.eq(expected)),
        )
        .set(row)
        .execute(conn)
        .map(|n| n == 1)
    }

    /// Deletes a group (its memberships go with it).
    pub fn delete(conn: &mut AnyConnection, id: Id) -> QueryResult<()> {
        diesel::delete(members::table.filter(members::group_id.eq(id))).execute(conn)?;
        diesel::delete(groups::table.find(id))
            .execute(conn)
            .map(drop)
    }
}

impl MemberRow {
    /// The members of a group, oldest first.
    pub fn of_group(conn: &mut AnyConnection, group_id: Id) -> QueryResult<Vec<MemberRow>> {
        members::table
            .filter(members::group_id.eq(group_id))
            .order((members::created_at.asc(), members::member_id.asc()))
            .select(MemberRow::as_select())
            .load(conn)
    }

    /// Adds a member; false when it already was one.
    pub fn add(conn: &mut AnyConnection, row: &MemberRow) -> QueryResult<bool> {
        let exists = members::table
            .filter(members::group_id.eq(row.group_id))
            .filter(members::member_id.eq(row.member_id))
            .select(members::member_id)
            .first::<Id>(conn)
            .optional()?
            .is_some();
        if exists {
            return Ok(false);
        }
        diesel::insert_into(members::table)
            .values(row)
            .execute(conn)
            .map(|n| n == 1)
    }

    /// Removes a member; false when it was not one.
    pub fn remove(conn: &mut AnyConnection, group_id: Id, member_id: Id) -> QueryResult<bool> {
        diesel::delete(
            members::table
                .filter(members::group_id.eq(group_id))
                .filter(members::member_id.eq(member_id)),
        )
        .execute(conn)
        .map(|n| n == 1)
    }
}
