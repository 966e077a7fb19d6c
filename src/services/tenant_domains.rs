//! Names an organisation owns: every partner and customer owns the domains it was created with
//! (a provider the domain of the admin e-mail given to `bootstrap`, a reseller the domain of the
//! admin e-mail it enrolled with, a customer its `domain`), and names its users only under them.
//! So a sign-in name can be taken only inside the organisation that owns its domain: creating a
//! user under any other domain is 422 `domain_not_owned`, whether or not that name exists, and a
//! 409 `duplicate_user_name` only ever tells an organisation about its own users.
//!
//! A domain belongs to one organisation; claiming one another organisation owns is refused.

use actix_web::http::StatusCode;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use uuid::Uuid;

use crate::db::AnyConnection;
use crate::error::{ApiError, ProblemCode};
use crate::models::tenant_domain::TenantDomainRow;

/// The domain of an e-mail address (after its last `@`), lower case, without a trailing dot.
pub fn domain_of(email: &str) -> String {
    email
        .rsplit_once('@')
        .map_or("", |(_, d)| d)
        .trim()
        .trim_end_matches('.')
        .to_lowercase()
}

/// Ok when `user_name` is under one of `tenant_id`'s own domains. Errors: 422
/// `domain_not_owned` naming `field` (the same answer whether or not the name exists).
pub fn require_owned(
    conn: &mut AnyConnection,
    tenant_id: Uuid,
    user_name: &str,
    field: &str,
) -> Result<(), ApiError> {
    let domain = domain_of(user_name);
    if TenantDomainRow::owner(conn, &domain)?.is_some_and(|o| o.uuid() == tenant_id) {
        return Ok(());
    }
    let own = TenantDomainRow::of_tenant(conn, tenant_id)?;
    let listed = if own.is_empty() {
        "none yet".to_owned()
    } else {
        own.join(", ")
    };
    Err(ApiError::field(
        StatusCode::UNPROCESSABLE_ENTITY,
        ProblemCode::DomainNotOwned,
        field,
        format!("must be an address under one of your organisation's domains ({listed})"),
    ))
}

/// Records that `tenant_id` owns `domain` (lower case); nothing to do when it already does.
/// Errors: `taken()` when another organisation owns it.
pub fn claim(
    conn: &mut AnyConnection,
    tenant_id: Uuid,
    domain: &str,
    taken: impl Fn() -> ApiError,
) -> Result<(), ApiError> {
    match TenantDomainRow::owner(conn, domain)? {
        Some(owner) if owner.uuid() == tenant_id => return Ok(()),
        Some(_) => return Err(taken()),
        None => {}
    }
    TenantDomainRow::insert(conn, tenant_id, domain).map_err(|e| match e {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => taken(),
        other => other.into(),
    })
}

/// Whether someone owns `domain` (lower case).
pub fn is_owned(conn: &mut AnyConnection, domain: &str) -> Result<bool, ApiError> {
    Ok(TenantDomainRow::owner(conn, domain)?.is_some())
}

/// 422 `domain_not_owned` on `field`: an address under a domain another organisation owns, for
/// an organisation being created with it.
pub fn owned_elsewhere(field: &str) -> ApiError {
    ApiError::field(
        StatusCode::UNPROCESSABLE_ENTITY,
        ProblemCode::DomainNotOwned,
        field,
        "this address's domain belongs to another organisation; use an address under your organisation's own domain",
    )
}

#[cfg(test)]
mod tests {
    use super::domain_of;

    #[test]
    fn domain_of_takes_the_part_after_the_last_at_in_lower_case() {
        assert_eq!(domain_of("Pat@Contoso.Example"), "contoso.example");
        assert_eq!(domain_of("\"a@b\"@c.example."), "c.example");
        assert_eq!(domain_of("no-at"), "");
    }
}
