//! `relationship_requests`: a partner's request for a reseller relationship with a customer,
//! optionally with delegated admin privileges and naming the reseller's indirect provider
//! (docs/concepts.md#relationships, seed "Connect with customers"). The link's token is stored only as its
//! SHA-256 hash; a request is `pending` until a customer admin accepts it (`customer_id` records
//! who), and usable only before `expires_at`. Accepting is a compare-and-swap on
//! `status = 'pending'`.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::AnyConnection;
use crate::domain::{Id, LinkStatus};
use crate::schema::relationship_requests as req;

/// A relationship request.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = req)]
#[diesel(treat_none_as_default_value = false)]
pub struct RelationshipRequestRow {
    pub id: Id,
    pub partner_id: Id,
    pub indirect_provider_id: Option<Id>,
    pub include_delegated_admin: bool,
    pub token_hash: String,
    pub status: LinkStatus,
    pub expires_at: NaiveDateTime,
    pub customer_id: Option<Id>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The customer admin's e-mail the request was addressed to, if named: only a customer with
    /// a user of that sign-in name may accept (bound links).
    pub customer_email: Option<String>,
    /// The customer the request was created for, if named: only that customer may accept.
    pub intended_customer_id: Option<Id>,
}

/// Who a relationship request is meant for; both `None` leaves the link a bearer link.
#[derive(Debug, Clone, Default)]
pub struct Recipient {
    /// The customer admin's e-mail (lower-cased when stored).
    pub customer_email: Option<String>,
    /// The customer's id.
    pub customer_id: Option<Uuid>,
}

impl RelationshipRequestRow {
    /// A new pending request from `partner_id`.
    pub fn new(
        partner_id: Uuid,
        indirect_provider_id: Option<Uuid>,
        include_delegated_admin: bool,
        token_hash: String,
        expires_at: NaiveDateTime,
        recipient: &Recipient,
    ) -> RelationshipRequestRow {
        let now = super::now();
        RelationshipRequestRow {
            id: super::ids::new(),
            partner_id: Id::from(partner_id),
            indirect_provider_id: indirect_provider_id.map(Id::from),
            include_delegated_admin,
            token_hash,
            status: LinkStatus::Pending,
            expires_at,
            customer_id: None,
            created_at: now,
            updated_at: now,
            customer_email: recipient.customer_email.as_deref().map(str::to_lowercase),
            intended_customer_id: recipient.customer_id.map(Id::from),
        }
    }

    /// Whether the admin of `customer_id` may accept this request: it names no recipient, or
    /// names this customer, and any e-mail it names is the sign-in name of one of this
    /// customer's users. Anything else is refused as an unusable link, so nothing leaks.
    pub fn is_meant_for(&self, conn: &mut AnyConnection, customer_id: Uuid) -> QueryResult<bool> {
        use crate::schema::users;
        if self.intended_customer_id.is_some_and(|c| c != customer_id) {
            return Ok(false);
        }
        match &self.customer_email {
            None => Ok(true),
            Some(email) => diesel::select(diesel::dsl::exists(
                users::table
                    .filter(users::customer_id.eq(Id::from(customer_id)))
                    .filter(users::user_name.eq(email)),
            ))
            .get_result(conn),
        }
    }

    /// Inserts a request.
    pub fn insert(conn: &mut AnyConnection, row: &RelationshipRequestRow) -> QueryResult<()> {
        diesel::insert_into(req::table)
            .values(row)
            .execute(conn)
            .map(drop)
    }

    /// The request whose token hashes to `token_hash`, if any.
    pub fn find_by_token_hash(
        conn: &mut AnyConnection,
        token_hash: &str,
    ) -> QueryResult<Option<RelationshipRequestRow>> {
        req::table
            .filter(req::token_hash.eq(token_hash))
            .select(RelationshipRequestRow::as_select())
            .first(conn)
            .optional()
    }

    /// One keyset page (by id, oldest first) of a partner's requests.
    pub fn page_for_partner(
        conn: &mut AnyConnection,
        partner_id: Uuid,
        after: Option<&str>,
        limit: i64,
    ) -> QueryResult<Vec<RelationshipRequestRow>> {
        let mut q = req::table
            .filter(req::partner_id.eq(Id::from(partner_id)))
            .select(RelationshipRequestRow::as_select())
            .into_boxed();
        if let Some(after) = after {
            q = q.filter(req::id.gt(after.to_owned()));
        }
        q.order(req::id.asc()).limit(limit).load(conn)
    }

    /// Marks a pending request accepted by `customer_id`; false when it was no longer pending
    /// (a concurrent acceptance won).
    pub fn accept(conn: &mut AnyConnection, id: &Id, customer_id: Uuid) -> QueryResult<bool> {
        let n = diesel::update(
            req::table
                .filter(req::id.eq(id))
                .filter(req::status.eq(LinkStatus::Pending)),
        )
        .set((
            req::status.eq(LinkStatus::Accepted),
            req::customer_id.eq(Some(Id::from(customer_id))),
            req::updated_at.eq(super::now()),
        ))
        .execute(conn)?;
        Ok(n == 1)
    }
}
