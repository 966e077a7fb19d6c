//! The vocabulary of the domain, imported by every layer and importing none: roles, tenant and
//! actor kinds ([`roles`]) and the status of each stateful row ([`status`]). Enums, parsing and
//! their storage mapping only; no I/O.

pub mod roles;
pub mod status;

pub use roles::{ActorKind, Role, TenantKind};
pub use status::{
    CartStatus, DeliveryStatus, IdempotencyStatus, LinkStatus, OrderStatus, PartnershipStatus,
    ServiceRequestStatus, SubscriptionStatus,
};
