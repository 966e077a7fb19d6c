//! Who is calling: bearer tokens ([`jwt`]), password and secret hashing
//! ([`password`]), the caller ([`principal::Principal`], reloaded by the [`Authorized`] and
//! [`Authenticated`] extractors inside the handler's hop) and the permission table
//! ([`permissions`]).

pub mod authorized;
pub mod jwt;
pub mod password;
pub mod permissions;
pub mod principal;
pub mod visibility;

pub use authorized::{Authenticated, Authorized, Caller, ops};
pub use principal::{PartnerCaller, Principal, Reaching};
