//! `customers`: customer organisations with their unique default domain and billing profile.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::AnyConnection;
use crate::domain::Id;
use crate::schema::{customer_relationships, customers};

/// A customer organisation.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = customers)]
#[diesel(treat_none_as_default_value = false)]
pub struct CustomerRow {
    pub id: Id,
    pub company_name: String,
    pub domain: String,
    pub billing_email: String,
    pub culture: String,
    pub address_line1: String,
    pub address_line2: Option<String>,
    pub city: String,
    pub state: Option<String>,
    pub postal_code: String,
    pub country: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The test clock the customer lives on (docs/concepts.md#subscription-terms-and-lifecycle), if any; set at creation only.
    pub test_clock_id: Option<Id>,
}

/// Changes to a customer (`None` leaves a column as it is).
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = customers)]
pub struct CustomerChanges {
    pub company_name: Option<String>,
    pub billing_email: Option<String>,
    pub culture: Option<String>,
    pub address_line1: Option<String>,
    pub address_line2: Option<Option<String>>,
    pub city: Option<String>,
    pub state: Option<Option<String>>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
}

/// Filters for listing the customers a partner has a relationship with.
#[derive(Debug, Default)]
pub struct CustomerFilter {
    /// Case-insensitive prefix of the company name or the domain.
    pub q: Option<String>,
    /// Only customers that this indirect reseller also has a relationship with.
    pub indirect_reseller_id: Option<Uuid>,
}

impl CustomerRow {
    /// The customer with `id`, if any.
    pub fn find(conn: &mut AnyConnection, id: Uuid) -> QueryResult<Option<CustomerRow>> {
        customers::table
            .find(Id::from(id))
            .select(CustomerRow::as_select())
            .first(conn)
            .optional()
    }

    /// The customer with this domain (case-insensitive), if any.
    pub fn find_by_domain(
        conn: &mut AnyConnection,
        domain: &str,
    ) -> QueryResult<Option<CustomerRow>> {
        customers::table
            .filter(customers::domain.eq(domain.to_lowercase()))
            .select(CustomerRow::as_select())
            .first(conn)
            .optional()
    }

    /// One keyset page (by id) of the customers `partner_id` has a relationship with.
    pub fn page_for_partner(
        conn: &mut AnyConnection,
        partner_id: Uuid,
        filter: &CustomerFilter,
        after: Option<&str>,
        limit: i64,
    ) -> QueryResult<Vec<CustomerRow>> {
        // Driven by the (partner_id, customer_id) index: each page is a range scan from the
        // cursor, so its cost does not grow with the partner's number of customers. The cursor
        // bounds both sides of the join, so PostgreSQL's merge join starts both index scans
        // at the cursor instead of at the first customer.
        let mut q = customer_relationships::table
            .inner_join(customers::table)
            .filter(customer_relationships::partner_id.eq(Id::from(partner_id)))
            .select(CustomerRow::as_select())
            .into_boxed();
        if let Some(reseller) = filter.indirect_reseller_id {
            let rel = diesel::alias!(customer_relationships as reseller_relationships);
            let theirs = rel
                .filter(
                    rel.field(customer_relationships::partner_id)
                        .eq(Id::from(reseller)),
                )
                .select(rel.field(customer_relationships::customer_id));
            q = q.filter(customers::id.eq_any(theirs));
        }
        if let Some(prefix) = filter.q.as_deref().filter(|s| !s.is_empty()) {
            let pattern = super::like_prefix(prefix);
            q = q.filter(
                super::lower(customers::company_name)
                    .like(pattern.clone())
                    .escape('\\')
                    .or(customers::domain.like(pattern).escape('\\')),
            );
        }
        if let Some(after) = after {
            q = q
                .filter(customer_relationships::customer_id.gt(after.to_owned()))
                .filter(customers::id.gt(after.to_owned()));
        }
        q.order(customer_relationships::customer_id.asc())
            .limit(limit)
            .load(conn)
    }

    /// Locks the customer's row until the transaction ends (PostgreSQL `FOR NO KEY UPDATE`, as
    /// `RelationshipRow::find_reaching` does: writers queue, foreign-key checks pass; SQLite
    /// transactions already hold the database write lock, see `db::transaction`).
    pub fn lock(conn: &mut AnyConnection, id: Uuid) -> QueryResult<()> {
        if let AnyConnection::Postgresql(pg) = conn {
            customers::table
                .find(Id::from(id))
                .select(customers::id)
                .for_no_key_update()
                .load::<String>(pg)?;
        }
        Ok(())
    }

    /// Inserts a customer.
    pub fn insert(conn: &mut AnyConnection, row: &CustomerRow) -> QueryResult<()> {
        diesel::insert_into(customers::table)
            .values(row)
            .execute(conn)
            .map(drop)
    }

    /// Applies `changes` when the version still matches; returns whether a row changed.
    pub fn update(
        conn: &mut AnyConnection,
        id: &Id,
        expected_version: i64,
        changes: &CustomerChanges,
    ) -> QueryResult<bool> {
        let n = diesel::update(
            customers::table
                .filter(customers::id.eq(id))
                .filter(customers::version.eq(expected_version)),
        )
        .set((
            changes,
            customers::version.eq(expected_version + 1),
            customers::updated_at.eq(super::now()),
        ))
        .execute(conn)?;
        Ok(n == 1)
    }
}
