//! Who a caller is in the channel: its [`Role`]s (docs/concepts.md#organisations-and-who-signs-in, #roles-and-permissions) and their stored set
//! ([`Roles`]), the [`TenantKind`] of its organisation and its [`ActorKind`] (a person or an
//! application). Plain enums with their snake_case wire and storage names; no I/O. A stored role
//! set or tenant kind outside the vocabulary is a deserialization error, never a default.

use std::fmt;
use std::ops::Deref;
use std::str::FromStr;

use diesel::sql_types::Text;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A role held by a partner user, an application or a customer user (docs/concepts.md has
/// what each may do).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Global admin (GA): everything in the partner organisation.
    GlobalAdmin,
    /// User management admin (UMA): partner users, except global admins.
    UserManagementAdmin,
    /// Admin agent (AA): customers, subscriptions, service requests.
    AdminAgent,
    /// Sales agent (SA): customers, orders, subscriptions.
    SalesAgent,
    /// Helpdesk agent (HA): customer support work.
    HelpdeskAgent,
    /// The admin of a customer organisation (customer self-service).
    CustomerAdmin,
}

impl Role {
    /// Every partner-user role, in docs/concepts.md#roles-and-permissions column order.
    pub const PARTNER_ROLES: [Role; 5] = [
        Role::GlobalAdmin,
        Role::UserManagementAdmin,
        Role::AdminAgent,
        Role::SalesAgent,
        Role::HelpdeskAgent,
    ];
    /// Roles an application (app-only credentials) may hold.
    pub const APPLICATION_ROLES: [Role; 3] =
        [Role::AdminAgent, Role::SalesAgent, Role::HelpdeskAgent];

    /// The snake_case wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::GlobalAdmin => "global_admin",
            Role::UserManagementAdmin => "user_management_admin",
            Role::AdminAgent => "admin_agent",
            Role::SalesAgent => "sales_agent",
            Role::HelpdeskAgent => "helpdesk_agent",
            Role::CustomerAdmin => "customer_admin",
        }
    }

    /// The set of `roles` as stored ([`Roles`]): sorted in declaration order, deduplicated,
    /// written `global_admin,sales_agent`.
    pub fn join(roles: &[Role]) -> Roles {
        let mut sorted = roles.to_vec();
        sorted.sort();
        sorted.dedup();
        let stored = sorted
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(",");
        Roles {
            roles: sorted,
            stored,
        }
    }
}

/// The roles of a user or an application as stored in its `roles` column: the role names in
/// [`Role`] declaration order, deduplicated, comma-joined (`global_admin,sales_agent`; empty for
/// none). Made by [`Role::join`]; reading a stored value that names an unknown role (or has an
/// empty name) is a deserialization error — a 500 whose cause is logged — never a shorter set.
/// Dereferences to the roles.
#[derive(Debug, Clone, PartialEq, Eq, diesel::AsExpression, diesel::FromSqlRow)]
#[diesel(sql_type = Text)]
pub struct Roles {
    roles: Vec<Role>,
    stored: String,
}

impl Roles {
    /// The stored form, `global_admin,sales_agent`.
    pub fn as_str(&self) -> &str {
        &self.stored
    }

    /// The `,name,` token a stored set contains, wrapped in commas itself, exactly when it holds
    /// `role` (for exact matching in SQL; see `models::user`).
    pub fn token(role: Role) -> String {
        format!(",{role},")
    }
}

impl Deref for Roles {
    type Target = [Role];
    fn deref(&self) -> &[Role] {
        &self.roles
    }
}

impl FromStr for Roles {
    type Err = String;
    /// Parses a stored set (in any order); an unknown or empty role name is an error.
    fn from_str(stored: &str) -> Result<Roles, String> {
        if stored.is_empty() {
            return Ok(Role::join(&[]));
        }
        let roles = stored
            .split(',')
            .map(|name| {
                name.parse::<Role>()
                    .map_err(|()| format!("unknown role {name:?} in stored roles {stored:?}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Role::join(&roles))
    }
}

text_column!(Roles);

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        [
            Role::GlobalAdmin,
            Role::UserManagementAdmin,
            Role::AdminAgent,
            Role::SalesAgent,
            Role::HelpdeskAgent,
            Role::CustomerAdmin,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
        .ok_or(())
    }
}

/// The kind of organisation a principal belongs to.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    ToSchema,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = Text)]
#[serde(rename_all = "snake_case")]
pub enum TenantKind {
    /// A distributor: buys from the vendor, sells through indirect resellers.
    IndirectProvider,
    /// A reseller partnered with one or more indirect providers.
    IndirectReseller,
    /// A customer organisation (customer self-service).
    Customer,
}

impl TenantKind {
    /// The snake_case wire and storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            TenantKind::IndirectProvider => "indirect_provider",
            TenantKind::IndirectReseller => "indirect_reseller",
            TenantKind::Customer => "customer",
        }
    }
}

impl FromStr for TenantKind {
    type Err = String;
    /// Parses the stored form; an unknown name is an error.
    fn from_str(s: &str) -> Result<TenantKind, String> {
        match s {
            "indirect_provider" => Ok(TenantKind::IndirectProvider),
            "indirect_reseller" => Ok(TenantKind::IndirectReseller),
            "customer" => Ok(TenantKind::Customer),
            other => Err(format!("unknown tenant kind {other:?}")),
        }
    }
}

text_column!(TenantKind);

/// Whether a principal is a person or an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    /// A partner user or customer user signed in with a password.
    User,
    /// An application signed in with client credentials.
    Application,
}

impl ActorKind {
    /// The snake_case wire and storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::User => "user",
            ActorKind::Application => "application",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_stored_sorted_and_deduplicated_and_read_back() {
        let roles = Role::join(&[Role::SalesAgent, Role::GlobalAdmin, Role::SalesAgent]);
        assert_eq!(roles.as_str(), "global_admin,sales_agent");
        assert_eq!(&*roles, &[Role::GlobalAdmin, Role::SalesAgent]);
        assert_eq!("sales_agent,global_admin".parse::<Roles>(), Ok(roles));
        assert_eq!("".parse::<Roles>(), Ok(Role::join(&[])));
    }

    #[test]
    fn an_unknown_stored_role_is_an_error_not_a_shorter_set() {
        for stored in [
            "global_admin,global_admin_x",
            "GLOBAL_ADMIN",
            "global_admin,",
            "sales_agent,,helpdesk_agent",
        ] {
            assert!(stored.parse::<Roles>().is_err(), "{stored:?}");
        }
    }

    #[test]
    fn an_unknown_stored_tenant_kind_is_an_error_not_a_default() {
        assert_eq!(
            "indirect_provider".parse::<TenantKind>(),
            Ok(TenantKind::IndirectProvider)
        );
        assert!("distributor".parse::<TenantKind>().is_err());
    }
}
