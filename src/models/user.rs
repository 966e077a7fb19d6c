//! `users`: partner users (agents) and customer users, signed in with a password.

use chrono::NaiveDateTime;
use diesel::dsl;
use diesel::prelude::*;
use diesel::sql_types::Text;
use uuid::Uuid;

use crate::db::AnyConnection;
use crate::domain::{Id, Role, Roles};
use crate::schema::users;

/// A user of a partner (`partner_id`) or of a customer (`customer_id`); exactly one is set.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: Id,
    pub partner_id: Option<Id>,
    pub customer_id: Option<Id>,
    pub user_name: String,
    pub display_name: String,
    pub password_hash: String,
    /// An unknown stored role fails the read.
    pub roles: Roles,
    pub must_change_password: bool,
    pub disabled: bool,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Advanced by every change that must revoke the user's tokens (see
    /// [`UserChanges::revokes_tokens`]); tokens carry the version they were issued under.
    pub credentials_version: i64,
}

/// Insert form for a user.
#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
#[diesel(treat_none_as_default_value = false)]
pub struct NewUser {
    pub id: Id,
    pub partner_id: Option<Id>,
    pub customer_id: Option<Id>,
    pub user_name: String,
    pub display_name: String,
    pub password_hash: String,
    pub roles: Roles,
    pub must_change_password: bool,
    pub disabled: bool,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl NewUser {
    /// A new enabled user; `partner_id` xor `customer_id`.
    pub fn new(
        partner_id: Option<Uuid>,
        customer_id: Option<Uuid>,
        user_name: &str,
        display_name: &str,
        password_hash: String,
        roles: Roles,
        must_change_password: bool,
    ) -> NewUser {
        let now = super::now();
        NewUser {
            id: super::ids::new(),
            partner_id: partner_id.map(Id::from),
            customer_id: customer_id.map(Id::from),
            user_name: user_name.to_lowercase(),
            display_name: display_name.to_owned(),
            password_hash,
            roles,
            must_change_password,
            disabled: false,
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }
}

/// Changes to a user (`None` leaves a column as it is).
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = users)]
pub struct UserChanges {
    pub display_name: Option<String>,
    pub roles: Option<Roles>,
    pub disabled: Option<bool>,
    pub password_hash: Option<String>,
    pub must_change_password: Option<bool>,
}

impl UserChanges {
    /// Whether applying these changes revokes the user's existing access tokens: a new password
    /// (changed by the user or reset by an admin), a disable or enable, or a role change
    /// (revocation). A display-name change does not.
    pub fn revokes_tokens(&self) -> bool {
        self.password_hash.is_some() || self.disabled.is_some() || self.roles.is_some()
    }
}

diesel::define_sql_function! {
    /// SQL `replace(text, from, to)`: every occurrence of `from` replaced, case-sensitively, the
    /// same on SQLite and PostgreSQL.
    fn replace(x: Text, from: Text, to: Text) -> Text;
}

/// SQL: the user's stored roles hold `role` — exactly that name, as a whole comma-separated
/// token (`,roles,` contains `,role,`), so `global_admin_x` or `GLOBAL_ADMIN` never match
/// `global_admin`. Written with `replace` rather than `LIKE`, whose `_` matches any character and
/// which ignores case on SQLite.
pub fn holds_role(
    role: Role,
) -> dsl::Ne<replace<WrappedRoles, String, &'static str>, WrappedRoles> {
    let wrapped = || ",".into_sql::<Text>().concat(users::roles).concat(",");
    replace(wrapped(), Roles::token(role), "").ne(wrapped())
}

/// SQL `',' || roles || ','`.
type WrappedRoles =
    dsl::Concat<dsl::Concat<dsl::AsExprOf<&'static str, Text>, users::roles>, &'static str>;

impl UserRow {
    /// How many users the partner `partner_id` has (its quota's count).
    pub fn count_for_partner(conn: &mut AnyConnection, partner_id: Uuid) -> QueryResult<i64> {
        users::table
            .filter(users::partner_id.eq(Id::from(partner_id)))
            .count()
            .get_result(conn)
    }
    /// The user with `id`, if any.
    pub fn find(conn: &mut AnyConnection, id: Uuid) -> QueryResult<Option<UserRow>> {
        users::table
            .find(Id::from(id))
            .select(UserRow::as_select())
            .first(conn)
            .optional()
    }

    /// The user signing in as `user_name` (case-insensitive), if any.
    pub fn find_by_user_name(
        conn: &mut AnyConnection,
        user_name: &str,
    ) -> QueryResult<Option<UserRow>> {
        users::table
            .filter(users::user_name.eq(user_name.to_lowercase()))
            .select(UserRow::as_select())
            .first(conn)
            .optional()
    }

    /// A partner's user with `id`, if any (other partners' users are invisible).
    pub fn find_for_partner(
        conn: &mut AnyConnection,
        partner_id: Uuid,
        id: Uuid,
    ) -> QueryResult<Option<UserRow>> {
        users::table
            .filter(users::id.eq(Id::from(id)))
            .filter(users::partner_id.eq(Id::from(partner_id)))
            .select(UserRow::as_select())
            .first(conn)
            .optional()
    }

    /// A customer's user with `id`, if any.
    pub fn find_for_customer(
        conn: &mut AnyConnection,
        customer_id: Uuid,
        id: Uuid,
    ) -> QueryResult<Option<UserRow>> {
        users::table
            .filter(users::id.eq(Id::from(id)))
            .filter(users::customer_id.eq(Id::from(customer_id)))
            .select(UserRow::as_select())
            .first(conn)
            .optional()
    }

    /// One keyset page of a partner's users (or a customer's, with `of_customer`), by id.
    pub fn page(
        conn: &mut AnyConnection,
        tenant_id: Uuid,
        of_customer: bool,
        after: Option<&str>,
        limit: i64,
    ) -> QueryResult<Vec<UserRow>> {
        let mut q = users::table.select(UserRow::as_select()).into_boxed();
        q = if of_customer {
            q.filter(users::customer_id.eq(Id::from(tenant_id)))
        } else {
            q.filter(users::partner_id.eq(Id::from(tenant_id)))
        };
        if let Some(after) = after {
            q = q.filter(users::id.gt(after.to_owned()));
        }
        q.order(users::id.asc()).limit(limit).load(conn)
    }

    /// How many enabled global admins the partner has besides the user `except_id`.
    pub fn count_other_enabled_global_admins(
        conn: &mut AnyConnection,
        partner_id: Uuid,
        except_id: &Id,
    ) -> QueryResult<i64> {
        users::table
            .filter(users::partner_id.eq(Id::from(partner_id)))
            .filter(users::id.ne(except_id))
            .filter(users::disabled.eq(false))
            .filter(holds_role(Role::GlobalAdmin))
            .count()
            .get_result(conn)
    }

    /// Inserts a user.
    pub fn insert(conn: &mut AnyConnection, new: &NewUser) -> QueryResult<()> {
        diesel::insert_into(users::table)
            .values(new)
            .execute(conn)
            .map(drop)
    }

    /// Applies `changes` when the version still matches; returns whether a row changed. Changes
    /// that [revoke tokens](UserChanges::revokes_tokens) also advance `credentials_version`, so
    /// every token issued before answers 401 `token_revoked` from the next request on.
    pub fn update(
        conn: &mut AnyConnection,
        id: &Id,
        expected_version: i64,
        changes: &UserChanges,
    ) -> QueryResult<bool> {
        let target = users::table
            .filter(users::id.eq(id))
            .filter(users::version.eq(expected_version));
        let version = users::version.eq(expected_version + 1);
        let updated_at = users::updated_at.eq(super::now());
        let n = if changes.revokes_tokens() {
            diesel::update(target)
                .set((
                    changes,
                    version,
                    updated_at,
                    users::credentials_version.eq(users::credentials_version + 1),
                ))
                .execute(conn)?
        } else {
            diesel::update(target)
                .set((changes, version, updated_at))
                .execute(conn)?
        };
        Ok(n == 1)
    }

    /// Deletes a user.
    pub fn delete(conn: &mut AnyConnection, id: &Id) -> QueryResult<bool> {
        diesel::delete(users::table.find(id))
            .execute(conn)
            .map(|n| n == 1)
    }
}
