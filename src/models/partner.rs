//! `partners`: indirect providers and indirect resellers with their public support profile.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::AnyConnection;
use crate::domain::TenantKind;
use crate::schema::partners;

/// A partner organisation.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = partners)]
pub struct PartnerRow {
    pub id: String,
    pub kind: String,
    pub name: String,
    pub support_email: Option<String>,
    pub support_phone: Option<String>,
    pub website: Option<String>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Insert form for a partner.
#[derive(Debug, Insertable)]
#[diesel(table_name = partners)]
pub struct NewPartner {
    pub id: String,
    pub kind: String,
    pub name: String,
    pub support_email: Option<String>,
    pub support_phone: Option<String>,
    pub website: Option<String>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Changes to a partner's profile (`None` leaves a column as it is).
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = partners)]
pub struct PartnerChanges {
    pub name: Option<String>,
    pub support_email: Option<Option<String>>,
    pub support_phone: Option<Option<String>>,
    pub website: Option<Option<String>>,
}

impl PartnerRow {
    /// The partner with `id`, if any.
    pub fn find(conn: &mut AnyConnection, id: Uuid) -> QueryResult<Option<PartnerRow>> {
        partners::table
            .find(id.to_string())
            .select(PartnerRow::as_select())
            .first(conn)
            .optional()
    }

    /// Inserts a partner.
    pub fn insert(conn: &mut AnyConnection, new: &NewPartner) -> QueryResult<()> {
        diesel::insert_into(partners::table)
            .values(new)
            .execute(conn)
            .map(drop)
    }

    /// Applies `changes` when the version still matches; returns whether a row changed.
    pub fn update(
        conn: &mut AnyConnection,
        id: Uuid,
        expected_version: i64,
        changes: &PartnerChanges,
    ) -> QueryResult<bool> {
        let n = diesel::update(
            partners::table
                .filter(partners::id.eq(id.to_string()))
                .filter(partners::version.eq(expected_version)),
        )
        .set((
            changes,
            partners::version.eq(expected_version + 1),
            partners::updated_at.eq(super::now()),
        ))
        .execute(conn)?;
        Ok(n == 1)
    }

    /// Takes the partner's row lock for the rest of the transaction (a no-op update), so that
    /// concurrent changes to the partner's users are applied one after the other — e.g. two
    /// global admins disabling each other cannot both pass the "last global admin" check on
    /// PostgreSQL. (SQLite's `db::transaction` already holds the database write lock.)
    pub fn lock(conn: &mut AnyConnection, id: Uuid) -> QueryResult<()> {
        diesel::update(partners::table.find(id.to_string()))
            .set(partners::version.eq(partners::version))
            .execute(conn)
            .map(drop)
    }

    /// The partner's tenant kind.
    pub fn tenant_kind(&self) -> TenantKind {
        TenantKind::parse(&self.kind).unwrap_or(TenantKind::IndirectReseller)
    }
}

impl PartnerRow {
    /// The indirect resellers that may be a support contact for `customer_id`'s subscriptions
    /// billed by `provider_id`: an active partnership with that provider and a relationship with
    /// the customer that includes DAP (product.md §4). Oldest first.
    pub fn support_contact_resellers(
        conn: &mut AnyConnection,
        provider_id: Uuid,
        customer_id: Uuid,
    ) -> QueryResult<Vec<PartnerRow>> {
        use crate::schema::{customer_relationships as rel, partnerships as ps};
        let partnered = ps::table
            .filter(ps::provider_id.eq(provider_id.to_string()))
            .filter(ps::status.eq("active"))
            .select(ps::reseller_id);
        let with_dap = rel::table
            .filter(rel::customer_id.eq(customer_id.to_string()))
            .filter(rel::delegated_admin.eq(true))
            .select(rel::partner_id);
        partners::table
            .filter(partners::kind.eq(TenantKind::IndirectReseller.as_str()))
            .filter(partners::id.eq_any(partnered))
            .filter(partners::id.eq_any(with_dap))
            .order(partners::id.asc())
            .select(PartnerRow::as_select())
            .load(conn)
    }
}
