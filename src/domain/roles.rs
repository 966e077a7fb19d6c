//! Who a caller is in the channel: its [`Role`]s (product.md §1, §5), the [`TenantKind`] of its
//! organisation and its [`ActorKind`] (a person or an application). Plain enums with their
//! snake_case wire and storage names; no I/O.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A role held by a partner user, an application or a customer user (product.md §1, §5).
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
    /// Every partner-user role, in product.md §5 column order.
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

    /// Joins roles for storage: `global_admin,sales_agent`.
    pub fn join(roles: &[Role]) -> String {
        let mut sorted = roles.to_vec();
        sorted.sort();
        sorted.dedup();
        sorted
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Parses the stored form; unknown names are skipped.
    pub fn split(stored: &str) -> Vec<Role> {
        stored.split(',').filter_map(|s| s.parse().ok()).collect()
    }
}

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
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

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<TenantKind> {
        match s {
            "indirect_provider" => Some(TenantKind::IndirectProvider),
            "indirect_reseller" => Some(TenantKind::IndirectReseller),
            "customer" => Some(TenantKind::Customer),
            _ => None,
        }
    }
}

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
