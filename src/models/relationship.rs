//! `customer_relationships`: a partner's reseller relationship with a customer, with or without
//! delegated admin privileges (DAP) (docs/concepts.md#relationships).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use uuid::Uuid;

use super::customer::CustomerRow;
use super::partner::PartnerRow;
use crate::db::AnyConnection;
use crate::domain::Id;
use crate::schema::{customer_relationships as rel, customers, partners};

/// A partner ↔ customer relationship.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = rel)]
#[diesel(treat_none_as_default_value = false)]
pub struct RelationshipRow {
    pub id: Id,
    pub partner_id: Id,
    pub customer_id: Id,
    pub delegated_admin: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl RelationshipRow {
    /// A new relationship row.
    pub fn new(partner_id: Uuid, customer_id: Uuid, delegated_admin: bool) -> RelationshipRow {
        let now = super::now();
        RelationshipRow {
            id: super::ids::new(),
            partner_id: Id::from(partner_id),
            customer_id: Id::from(customer_id),
            delegated_admin,
            created_at: now,
            updated_at: now,
        }
    }

    /// The relationship between `partner_id` and `customer_id`, if any.
    pub fn find(
        conn: &mut AnyConnection,
        partner_id: Uuid,
        customer_id: Uuid,
    ) -> QueryResult<Option<RelationshipRow>> {
        rel::table
            .filter(rel::partner_id.eq(Id::from(partner_id)))
            .filter(rel::customer_id.eq(Id::from(customer_id)))
            .select(RelationshipRow::as_select())
            .first(conn)
            .optional()
    }

    /// The relationship between `partner_id` and `customer_id` with the customer's row, and whether `member` (a user or application
    /// of the partner) holds a GDAP grant of one of `delegated_roles` (`,id1,id2,`) on the
    /// customer — the DAP-or-GDAP decision of a customer-scoped change in the same statement.
    ///
    /// With `lock` (a change of the customer's data), on PostgreSQL the customer's row and then
    /// the relationship's are locked until the transaction ends, in the same statement: writers
    /// to one customer queue on its row, and a relationship removed or changed while this
    /// statement waited is seen as it was committed (a removed one is not found; a changed
    /// one's columns are re-checked). The GDAP grant and a relationship created during the wait
    /// are read as of the statement's start. The locks are `FOR NO KEY UPDATE`: they do not block
    /// the foreign-key checks of other changes (`FOR KEY SHARE`), so a customer admin removing
    /// the partner's DAP (relationship row first, then an audit record naming the customer)
    /// and the lifecycle runner (subscription first, then a billing line naming the customer)
    /// cannot deadlock with a writer holding the customer. SQLite transactions already hold the
    /// database write lock (`db::transaction`).
    pub fn find_reaching(
        conn: &mut AnyConnection,
        partner_id: Uuid,
        member: Uuid,
        customer_id: Uuid,
        delegated_roles: &str,
        lock: bool,
    ) -> QueryResult<Option<(RelationshipRow, CustomerRow, bool)>> {
        // Customers first: the locks are taken in the order of the FROM list. (A macro: the
        // selection's backend differs between the two uses.)
        macro_rules! query {
            () => {
                customers::table
                    .inner_join(rel::table)
                    .filter(rel::partner_id.eq(Id::from(partner_id)))
                    .filter(rel::customer_id.eq(Id::from(customer_id)))
                    .select((
                        RelationshipRow::as_select(),
                        CustomerRow::as_select(),
                        super::gdap::grants_any(
                            Id::from(customer_id),
                            Id::from(member),
                            delegated_roles.to_owned(),
                        ),
                    ))
            };
        }
        match conn {
            AnyConnection::Postgresql(pg) if lock => {
                query!().for_no_key_update().first(pg).optional()
            }
            _ => query!().first(conn).optional(),
        }
    }

    /// The `FOR NO KEY UPDATE` lock of [`RelationshipRow::find_reaching`] taken by a statement
    /// that also reads other rows: `query` (whose `FROM` names `customers` first, then
    /// `customer_relationships`, both inner-joined) locks only those two tables' rows, not the
    /// rows joined to them (diesel's `LockingDsl` has no `OF`). PostgreSQL only.
    pub fn locking_reach<Q>(query: Q) -> LockingReach<Q> {
        LockingReach(query)
    }

    /// Every relationship of a customer, oldest first.
    pub fn for_customer(
        conn: &mut AnyConnection,
        customer_id: Uuid,
    ) -> QueryResult<Vec<RelationshipRow>> {
        rel::table
            .filter(rel::customer_id.eq(Id::from(customer_id)))
            .order(rel::id.asc())
            .select(RelationshipRow::as_select())
            .load(conn)
    }

    /// Which of `partners` have a relationship with `customer_id` (one indexed lookup).
    pub fn related_among(
        conn: &mut AnyConnection,
        customer_id: Uuid,
        partners: &[Id],
    ) -> QueryResult<Vec<Id>> {
        rel::table
            .filter(rel::customer_id.eq(Id::from(customer_id)))
            .filter(rel::partner_id.eq_any(partners))
            .select(rel::partner_id)
            .load(conn)
    }

    /// Inserts a relationship.
    pub fn insert(conn: &mut AnyConnection, row: &RelationshipRow) -> QueryResult<()> {
        diesel::insert_into(rel::table)
            .values(row)
            .execute(conn)
            .map(drop)
    }

    /// Creates the relationship, or sets DAP on the existing one when `delegated_admin` is true
    /// (accepting again never removes DAP). Returns the row as it now is and its previous DAP
    /// flag (`None` when it was created).
    pub fn upsert(
        conn: &mut AnyConnection,
        partner_id: Uuid,
        customer_id: Uuid,
        delegated_admin: bool,
    ) -> QueryResult<(RelationshipRow, Option<bool>)> {
        match Self::find(conn, partner_id, customer_id)? {
            Some(existing) => {
                let before = existing.delegated_admin;
                if delegated_admin && !before {
                    Self::set_delegated_admin(conn, &existing.id, true)?;
                }
                let row = RelationshipRow {
                    delegated_admin: before || delegated_admin,
                    ..existing
                };
                Ok((row, Some(before)))
            }
            None => {
                let row = RelationshipRow::new(partner_id, customer_id, delegated_admin);
                Self::insert(conn, &row)?;
                Ok((row, None))
            }
        }
    }

    /// Sets or clears DAP.
    pub fn set_delegated_admin(conn: &mut AnyConnection, id: &Id, value: bool) -> QueryResult<()> {
        diesel::update(rel::table.find(id))
            .set((
                rel::delegated_admin.eq(value),
                rel::updated_at.eq(super::now()),
            ))
            .execute(conn)
            .map(drop)
    }

    /// Deletes a relationship.
    pub fn delete(conn: &mut AnyConnection, id: &Id) -> QueryResult<bool> {
        diesel::delete(rel::table.find(id))
            .execute(conn)
            .map(|n| n == 1)
    }
}

impl RelationshipRow {
    /// One keyset page (by relationship id, oldest first) of a customer's relationships, each
    /// with its partner.
    pub fn page_for_customer(
        conn: &mut AnyConnection,
        customer_id: Uuid,
        after: Option<&str>,
        limit: i64,
    ) -> QueryResult<Vec<(RelationshipRow, PartnerRow)>> {
        let mut q = rel::table
            .inner_join(partners::table.on(partners::id.eq(rel::partner_id)))
            .filter(rel::customer_id.eq(Id::from(customer_id)))
            .into_boxed();
        if let Some(after) = after {
            q = q.filter(rel::id.gt(after.to_owned()));
        }
        q.order(rel::id.asc())
            .limit(limit)
            .select((RelationshipRow::as_select(), PartnerRow::as_select()))
            .load(conn)
    }
}

/// A `SELECT` locking the customer's and the relationship's rows it reads, and no others (see
/// [`RelationshipRow::locking_reach`]). Its SQL is the query's with a constant suffix, so its
/// type identifies its prepared statement in diesel's cache.
#[derive(Debug, Clone, Copy, diesel::query_builder::QueryId)]
pub struct LockingReach<Q>(Q);

impl<Q: diesel::query_builder::Query> diesel::query_builder::Query for LockingReach<Q> {
    type SqlType = Q::SqlType;
}

impl<Q> RunQueryDsl<diesel::PgConnection> for LockingReach<Q> {}

impl<Q> diesel::query_builder::QueryFragment<diesel::pg::Pg> for LockingReach<Q>
where
    Q: diesel::query_builder::QueryFragment<diesel::pg::Pg>,
{
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
    ) -> QueryResult<()> {
        self.0.walk_ast(out.reborrow())?;
        out.push_sql(" FOR NO KEY UPDATE OF customers, customer_relationships");
        Ok(())
    }
}
