//! The vocabulary of the domain, imported by every layer and importing none: roles, tenant and
//! actor kinds ([`roles`]), the [`Id`] newtype ([`id`]), the status of each stateful row
//! ([`status`]) and the audit operation types ([`audit_op`]). Enums and parsing only; no I/O.

pub mod roles;

pub use roles::{ActorKind, Role, TenantKind};
