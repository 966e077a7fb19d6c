//! `partners`: indirect providers and indirect resellers with their public support profile.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::AnyConnection;
use crate::domain::{Id, PartnershipStatus, TenantKind};
use crate::schema::partners;

/// A partner organisation.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = partners)]
pub struct PartnerRow {
    pub id: Id,
    /// `indirect_provider` or `indirect_reseller` (an unknown stored kind fails the read).
    pub kind: TenantKind,
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
#[diesel(treat_none_as_default_value = false)]
pub struct NewPartner {
    pub id: Id,
    pub kind: TenantKind,
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
            .find(Id::from(id))
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
                .filter(partners::id.eq(Id::from(id)))
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
        diesel::update(partners::table.find(Id::from(id)))
            .set(partners::version.eq(partners::version))
            .execute(conn)
            .map(drop)
    }

    /// The partner's tenant kind.
    pub fn tenant_kind(&self) -> TenantKind {
        self.kind
    }
}

/// The facts that decide whether a partner may be the support contact of a customer's
/// subscriptions billed by one provider (the decision itself is
/// `services::support_contacts::Ineligible::of`).
#[derive(Debug, Clone)]
pub struct SupportContactStanding {
    /// The partner.
    pub partner: PartnerRow,
    /// The status of its partnership with the provider (`active`, `ended`), if it has one.
    pub partnership_status: Option<PartnershipStatus>,
    /// Whether its relationship with the customer includes DAP; `None` without a relationship.
    pub delegated_admin: Option<bool>,
    /// Whether it holds an active GDAP relationship with the customer (docs/concepts.md#granular-delegated-admin-gdap).
    pub granular_admin: bool,
}

impl PartnerRow {
    /// The [`SupportContactStanding`] towards `provider_id` and `customer_id` of the partner
    /// `only`, or (`None`) of every partner that ever had a partnership with `provider_id`
    /// (the candidates are among them), oldest first. Two queries: the standings, then which of
    /// them hold an active GDAP relationship with the customer.
    pub fn support_contact_standings(
        conn: &mut AnyConnection,
        provider_id: Uuid,
        customer_id: Uuid,
        only: Option<Uuid>,
    ) -> QueryResult<Vec<SupportContactStanding>> {
        use crate::schema::{customer_relationships as rel, partnerships as ps};
        let mut q = partners::table
            .left_join(
                ps::table.on(ps::reseller_id
                    .eq(partners::id)
                    .and(ps::provider_id.eq(Id::from(provider_id)))),
            )
            .left_join(
                rel::table.on(rel::partner_id
                    .eq(partners::id)
                    .and(rel::customer_id.eq(Id::from(customer_id)))),
            )
            .select((
                PartnerRow::as_select(),
                ps::status.nullable(),
                rel::delegated_admin.nullable(),
            ))
            .into_boxed();
        q = match only {
            Some(id) => q.filter(partners::id.eq(Id::from(id))),
            None => q.filter(ps::id.is_not_null()),
        };
        let rows: Vec<(PartnerRow, Option<PartnershipStatus>, Option<bool>)> =
            q.order(partners::id.asc()).load(conn)?;
        let ids: Vec<Id> = rows.iter().map(|(p, _, _)| p.id).collect();
        let granular = super::gdap::GdapRelationshipRow::active_partners(conn, customer_id, &ids)?;
        Ok(rows
            .into_iter()
            .map(
                |(partner, partnership_status, delegated_admin)| SupportContactStanding {
                    granular_admin: granular.contains(&partner.id),
                    partner,
                    partnership_status,
                    delegated_admin,
                },
            )
            .collect())
    }
}
