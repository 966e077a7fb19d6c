//! The vocabulary of the domain, imported by every layer and importing none: roles, tenant and
//! actor kinds ([`roles`]), row ids ([`id`]), the status of each stateful row ([`status`]) and the audited
//! operations ([`audit`]) with the webhook events they produce ([`events`]). Enums, parsing and their storage mapping only; no I/O.
//!
//! Every vocabulary stored as text is closed: reading a value outside it is a diesel
//! deserialization error — a 500 `internal_error` whose cause is logged — never a default.

/// The diesel `Text` mapping of a type with `as_str(&self) -> &str` and a `FromStr` whose error
/// displays: written as its name, read back through `FromStr`, so an unknown stored value is a
/// deserialization error. The type derives `diesel::AsExpression` and `diesel::FromSqlRow` with
/// `#[diesel(sql_type = Text)]`.
macro_rules! text_column {
    ($name:ty) => {
        impl<DB: diesel::backend::Backend> diesel::serialize::ToSql<diesel::sql_types::Text, DB>
            for $name
        where
            str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
        {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, DB>,
            ) -> diesel::serialize::Result {
                self.as_str().to_sql(out)
            }
        }

        impl<DB: diesel::backend::Backend> diesel::deserialize::FromSql<diesel::sql_types::Text, DB>
            for $name
        where
            String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                Ok(String::from_sql(bytes)?.parse::<$name>()?)
            }
        }
    };
}
pub(crate) use text_column;

pub mod audit;
pub mod billing;
pub mod events;
pub mod gdap;
pub mod id;
pub mod quotas;
pub mod roles;
pub mod statement;
pub mod status;
pub mod term;

pub use audit::AuditOperation;
pub use id::Id;
pub use quotas::{Quota, Quotas};
pub use roles::{ActorKind, Role, Roles, TenantKind};
pub use status::{
    BillingCycle, CartStatus, DeliveryStatus, IdempotencyStatus, LinkStatus, OrderStatus,
    PartnershipStatus, ServiceRequestStatus, Severity, SubscriptionStatus, TermDuration,
    TestClockStatus, Transition,
};
