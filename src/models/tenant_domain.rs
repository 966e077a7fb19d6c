//! `tenant_domains`: the domains an organisation (a partner or a customer) owns, one row per
//! domain, each owned by one organisation. The rules (who may claim what, whose users may be
//! named under which domain) are `services::tenant_domains`.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::AnyConnection;
use crate::domain::Id;
use crate::schema::tenant_domains as td;

/// A domain and the organisation that owns it.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = td)]
#[diesel(treat_none_as_default_value = false)]
pub struct TenantDomainRow {
    /// Lower case, without a trailing dot.
    pub domain: String,
    /// The partner's or customer's id.
    pub tenant_id: Id,
    pub created_at: NaiveDateTime,
}

impl TenantDomainRow {
    /// The organisation that owns `domain` (lower case), if any.
    pub fn owner(conn: &mut AnyConnection, domain: &str) -> QueryResult<Option<Id>> {
        td::table
            .find(domain)
            .select(td::tenant_id)
            .first(conn)
            .optional()
    }

    /// The domains `tenant_id` owns, in name order.
    pub fn of_tenant(conn: &mut AnyConnection, tenant_id: Uuid) -> QueryResult<Vec<String>> {
        td::table
            .filter(td::tenant_id.eq(Id::from(tenant_id)))
            .select(td::domain)
            .order(td::domain.asc())
            .load(conn)
    }

    /// Records that `tenant_id` owns `domain` (lower case); a domain someone already owns is a
    /// unique violation.
    pub fn insert(conn: &mut AnyConnection, tenant_id: Uuid, domain: &str) -> QueryResult<()> {
        diesel::insert_into(td::table)
            .values(&TenantDomainRow {
                domain: domain.to_owned(),
                tenant_id: Id::from(tenant_id),
                created_at: super::now(),
            })
            .execute(conn)
            .map(drop)
    }
}
