//! Who is calling: bearer tokens ([`jwt`]), password and secret hashing
//! ([`password`]), the [`principal::Principal`] extractor and the product.md §5 permission table
//! ([`permissions`]).

pub mod authorized;
pub mod jwt;
pub mod password;
pub mod permissions;
pub mod principal;
pub mod visibility;

pub use authorized::{Authorized, ops};
pub use principal::Principal;
