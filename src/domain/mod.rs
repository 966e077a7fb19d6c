//! The vocabulary of the domain, imported by every layer and importing none: roles, tenant and
//! actor kinds ([`roles`]), row ids ([`id`]), the status of each stateful row ([`status`]) and the audited
//! operations ([`audit`]) with the webhook events they produce ([`events`]). Enums, parsing and their storage mapping only; no I/O.

pub mod audit;
pub mod events;
pub mod id;
pub mod roles;
pub mod status;

pub use audit::AuditOperation;
pub use id::Id;
pub use roles::{ActorKind, Role, TenantKind};
pub use status::{
    CartStatus, DeliveryStatus, IdempotencyStatus, LinkStatus, OrderStatus, PartnershipStatus,
    ServiceRequestStatus, SubscriptionStatus,
};
