//! The GDAP tables (docs/concepts.md#granular-delegated-admin-gdap): `gdap_relationships` (a partner's time-bound delegated admin
//! relationship with a customer and its directory roles), `gdap_approval_requests` (the approval
//! link: only the token's hash is stored), `gdap_access_assignments` (a security group given
//! some of a relationship's roles) and `gdap_grants`, what authorization reads: one row per role
//! of an active assignment of an active relationship, written and removed by the transitions
//! that start and end them, so one indexed lookup ([`grants_any`]) answers "does this caller
//! hold one of these roles on this customer".

use chrono::NaiveDateTime;
use diesel::dsl::exists;
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::AnyConnection;
use crate::domain::gdap::{AssignmentStatus, GdapStatus};
use crate::domain::{Id, LinkStatus};
use crate::schema::{
    gdap_access_assignments as asg, gdap_approval_requests as req, gdap_grants as grants,
    gdap_relationships as rel, security_group_members as members,
};

/// A delegated admin relationship.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = rel)]
#[diesel(treat_none_as_default_value = false, treat_none_as_null = true)]
pub struct GdapRelationshipRow {
    pub id: Id,
    pub partner_id: Id,
    pub customer_id: Id,
    pub display_name: String,
    /// ISO 8601, as sent (`P30D`).
    pub duration: String,
    pub duration_days: i32,
    /// `PT0S` or `P180D`.
    pub auto_extend_duration: String,
    /// Role template ids, `,id1,id2,` (`domain::gdap::join_roles`).
    pub roles: String,
    pub status: GdapStatus,
    pub activated_at: Option<NaiveDateTime>,
    /// The end of an active relationship, or the expiry of a pending approval link.
    pub end_at: Option<NaiveDateTime>,
    pub notified_days: Option<i32>,
    pub next_transition_at: Option<NaiveDateTime>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// An approval link of a relationship.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = req)]
#[diesel(treat_none_as_default_value = false)]
pub struct ApprovalRequestRow {
    pub id: Id,
    pub relationship_id: Id,
    pub customer_id: Id,
    pub token_hash: String,
    pub status: LinkStatus,
    pub expires_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// An access assignment.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = asg)]
#[diesel(treat_none_as_default_value = false)]
pub struct AssignmentRow {
    pub id: Id,
    pub relationship_id: Id,
    pub partner_id: Id,
    pub customer_id: Id,
    pub group_id: Id,
    /// Role template ids, `,id1,id2,`.
    pub roles: String,
    pub status: AssignmentStatus,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Whether `member` (a user's or application's id) belongs to a group holding, through an active
/// assignment of an active relationship, one of `roles` (`,id1,id2,`) on `customer`: an
/// `EXISTS` expression to select with other columns, so that the caller's reload or the
/// relationship lookup of a customer-scoped operation answers it in the same statement. One bind
/// per argument whatever the number of roles, so the statement is prepared once.
/// The bound text `'%,' || role_id || ',%'` of a grant.
type RolePattern = diesel::dsl::Concat<diesel::dsl::Concat<TextBind, grants::role_id>, TextBind>;
type TextBind = diesel::dsl::AsExprOf<&'static str, diesel::sql_types::Text>;
type RolesBind = diesel::dsl::AsExprOf<String, diesel::sql_types::Text>;

#[diesel::dsl::auto_type]
pub fn grants_any(customer: Id, member: Id, roles: String) -> _ {
    let pattern: RolePattern = "%,"
        .into_sql::<diesel::sql_types::Text>()
        .concat(grants::role_id)
        .concat(",%".into_sql::<diesel::sql_types::Text>());
    let roles: RolesBind = roles.into_sql::<diesel::sql_types::Text>();
    exists(
        grants::table
            .inner_join(members::table.on(members::group_id.eq(grants::group_id)))
            .filter(grants::customer_id.eq(customer))
            .filter(members::member_id.eq(member))
            .filter(roles.like(pattern))
            .select(grants::role_id),
    )
}

impl GdapRelationshipRow {
    /// Inserts a relationship.
    pub fn insert(conn: &mut AnyConnection, row: &GdapRelationshipRow) -> QueryResult<()> {
        diesel::insert_into(rel::table)
            .values(row)
            .execute(conn)
            .map(drop)
    }

    /// Whether another relationship (not `except`) of the partner has this display name.
    pub fn name_taken(
        conn: &mut AnyConnection,
        partner_id: Id,
        name: &str,
        except: Option<Id>,
    ) -> QueryResult<bool> {
        let mut q = rel::table
            .filter(rel::partner_id.eq(partner_id))
            .filter(rel::display_name.eq(name))
            .select(rel::id)
            .into_boxed();
        if let Some(id) = except {
            q = q.filter(rel::id.ne(id));
        }
        Ok(q.first::<Id>(conn).optional()?.is_some())
    }

    /// The relationship `id`, if any.
    pub fn find(conn: &mut AnyConnection, id: Uuid) -> QueryResult<Option<GdapRelationshipRow>> {
        rel::table
            .find(Id::from(id))
            .select(GdapRelationshipRow::as_select())
            .first(conn)
            .optional()
    }

    /// The relationship `id`, locked until the transaction ends (PostgreSQL `FOR UPDATE`; a
    /// SQLite write transaction holds the database already), if any.
    pub fn lock(conn: &mut AnyConnection, id: Uuid) -> QueryResult<Option<GdapRelationshipRow>> {
        if let AnyConnection::Postgresql(pg) = conn {
            rel::table
                .find(Id::from(id))
                .select(rel::id)
                .for_update()
                .load::<Id>(pg)?;
        }
        Self::find(conn, id)
    }

    /// One keyset page (by id, oldest first) of a partner's relationships, or (with `customer`)
    /// of a customer's relationships except drafts, optionally only with one customer/partner.
    pub fn page(
        conn: &mut AnyConnection,
        partner: Option<Uuid>,
        customer: Option<Uuid>,
        after: Option<&str>,
        limit: i64,
    ) -> QueryResult<Vec<GdapRelationshipRow>> {
        let mut q = rel::table
            .select(GdapRelationshipRow::as_select())
            .into_boxed();
        if let Some(p) = partner {
            q = q.filter(rel::partner_id.eq(Id::from(p)));
        }
        if let Some(c) = customer {
            q = q.filter(rel::customer_id.eq(Id::from(c)));
            if partner.is_none() {
                q = q.filter(rel::status.ne(GdapStatus::Created));
            }
        }
        if let Some(after) = after {
            q = q.filter(rel::id.gt(after.to_owned()));
        }
        q.order(rel::id.asc()).limit(limit).load(conn)
    }

    /// Writes `row` when its stored version is still `expected`; false otherwise.
    pub fn save(
        conn: &mut AnyConnection,
        row: &GdapRelationshipRow,
        expected: i64,
    ) -> QueryResult<bool> {
        diesel::update(
            rel::table
                .filter(rel::id.eq(row.id))
                .filter(rel::version.eq(expected)),
        )
        .set(row)
        .execute(conn)
        .map(|n| n == 1)
    }

    /// The partners (among `partners`) with an active relationship with `customer_id`.
    pub fn active_partners(
        conn: &mut AnyConnection,
        customer_id: Uuid,
        partners: &[Id],
    ) -> QueryResult<Vec<Id>> {
        rel::table
            .filter(rel::customer_id.eq(Id::from(customer_id)))
            .filter(rel::partner_id.eq_any(partners))
            .filter(rel::status.eq(GdapStatus::Active))
            .select(rel::partner_id)
            .distinct()
            .load(conn)
    }

    /// Ids of relationships with a transition due at `now`, soonest first (what the lifecycle
    /// runner applies), of customers on real time (`clock` `None`) or on test clock `clock`.
    pub fn due(
        conn: &mut AnyConnection,
        clock: Option<&Id>,
        now: NaiveDateTime,
        limit: i64,
    ) -> QueryResult<Vec<Id>> {
        use crate::schema::customers as c;
        let q = rel::table
            .inner_join(c::table.on(c::id.eq(rel::customer_id)))
            .filter(rel::next_transition_at.le(now))
            .order(rel::next_transition_at.asc())
            .limit(limit)
            .select(rel::id);
        match clock {
            None => q.filter(c::test_clock_id.is_null()).load(conn),
            Some(id) => q.filter(c::test_clock_id.eq(*id)).load(conn),
        }
    }
}

impl ApprovalRequestRow {
    /// Inserts an approval request.
    pub fn insert(conn: &mut AnyConnection, row: &ApprovalRequestRow) -> QueryResult<()> {
        diesel::insert_into(req::table)
            .values(row)
            .execute(conn)
            .map(drop)
    }

    /// The request whose token hashes to `token_hash`, if any.
    pub fn find_by_token_hash(
        conn: &mut AnyConnection,
        token_hash: &str,
    ) -> QueryResult<Option<ApprovalRequestRow>> {
        req::table
            .filter(req::token_hash.eq(token_hash))
            .select(ApprovalRequestRow::as_select())
            .first(conn)
            .optional()
    }

    /// Moves a pending request to `to`; false when it was no longer pending (a concurrent use
    /// won).
    pub fn finish(conn: &mut AnyConnection, id: Id, to: LinkStatus) -> QueryResult<bool> {
        diesel::update(
            req::table
                .filter(req::id.eq(id))
                .filter(req::status.eq(LinkStatus::Pending)),
        )
        .set((req::status.eq(to), req::updated_at.eq(super::now())))
        .execute(conn)
        .map(|n| n == 1)
    }

    /// Revokes every pending request of a relationship (it was terminated or expired).
    pub fn revoke_for(conn: &mut AnyConnection, relationship_id: Id) -> QueryResult<()> {
        diesel::update(
            req::table
                .filter(req::relationship_id.eq(relationship_id))
                .filter(req::status.eq(LinkStatus::Pending)),
        )
        .set((
            req::status.eq(LinkStatus::Revoked),
            req::updated_at.eq(super::now()),
        ))
        .execute(conn)
        .map(drop)
    }
}

impl AssignmentRow {
    /// Inserts an active assignment with its grants.
    pub fn insert_active(conn: &mut AnyConnection, row: &AssignmentRow) -> QueryResult<()> {
        diesel::insert_into(asg::table).values(row).execute(conn)?;
        Self::grant(conn, row)
    }

    /// Writes the grants of an assignment (one row per role).
    fn grant(conn: &mut AnyConnection, row: &AssignmentRow) -> QueryResult<()> {
        for role in crate::domain::gdap::split_roles(&row.roles) {
            diesel::insert_into(grants::table)
                .values((
                    grants::assignment_id.eq(row.id),
                    grants::role_id.eq(role),
                    grants::customer_id.eq(row.customer_id),
                    grants::group_id.eq(row.group_id),
                ))
                .execute(conn)?;
        }
        Ok(())
    }

    /// The relationship's assignment `id`, if any.
    pub fn find(
        conn: &mut AnyConnection,
        relationship_id: Id,
        id: Uuid,
    ) -> QueryResult<Option<AssignmentRow>> {
        asg::table
            .filter(asg::id.eq(Id::from(id)))
            .filter(asg::relationship_id.eq(relationship_id))
            .select(AssignmentRow::as_select())
            .first(conn)
            .optional()
    }

    /// Whether the relationship has an active assignment for `group_id`.
    pub fn active_for_group(
        conn: &mut AnyConnection,
        relationship_id: Id,
        group_id: Id,
    ) -> QueryResult<bool> {
        Ok(asg::table
            .filter(asg::relationship_id.eq(relationship_id))
            .filter(asg::group_id.eq(group_id))
            .filter(asg::status.eq(AssignmentStatus::Active))
            .select(asg::id)
            .first::<Id>(conn)
            .optional()?
            .is_some())
    }

    /// The active assignments of a group (across the partner's relationships).
    pub fn active_of_group(
        conn: &mut AnyConnection,
        group_id: Id,
    ) -> QueryResult<Vec<AssignmentRow>> {
        asg::table
            .filter(asg::group_id.eq(group_id))
            .filter(asg::status.eq(AssignmentStatus::Active))
            .select(AssignmentRow::as_select())
            .load(conn)
    }

    /// One keyset page (by id, oldest first) of a relationship's assignments.
    pub fn page(
        conn: &mut AnyConnection,
        relationship_id: Id,
        after: Option<&str>,
        limit: i64,
    ) -> QueryResult<Vec<AssignmentRow>> {
        let mut q = asg::table
            .filter(asg::relationship_id.eq(relationship_id))
            .select(AssignmentRow::as_select())
            .into_boxed();
        if let Some(after) = after {
            q = q.filter(asg::id.gt(after.to_owned()));
        }
        q.order(asg::id.asc()).limit(limit).load(conn)
    }

    /// Marks an active assignment deleted and removes its grants; false when it was not active.
    pub fn delete(conn: &mut AnyConnection, id: Id) -> QueryResult<bool> {
        let n = diesel::update(
            asg::table
                .filter(asg::id.eq(id))
                .filter(asg::status.eq(AssignmentStatus::Active)),
        )
        .set((
            asg::status.eq(AssignmentStatus::Deleted),
            asg::version.eq(asg::version + 1),
            asg::updated_at.eq(super::now()),
        ))
        .execute(conn)?;
        diesel::delete(grants::table.filter(grants::assignment_id.eq(id))).execute(conn)?;
        Ok(n == 1)
    }

    /// Removes every grant of a relationship's assignments (it stopped being active): access
    /// ends with the transaction. The assignments keep their status.
    pub fn revoke_grants(conn: &mut AnyConnection, relationship_id: Id) -> QueryResult<()> {
        let ids = asg::table
            .filter(asg::relationship_id.eq(relationship_id))
            .select(asg::id);
        diesel::delete(grants::table.filter(grants::assignment_id.eq_any(ids)))
            .execute(conn)
            .map(drop)
    }
}
