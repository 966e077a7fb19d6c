//! Creating a customer (product.md §2 (a), seed "Partner with indirect resellers" → "Add new
//! customers and associate them with indirect resellers"): the customer, its first
//! `customer_admin` user, the provider's relationship with DAP and — when an indirect reseller is
//! named — the reseller's relationship with DAP, with audit records, all in one transaction.

use actix_web::http::StatusCode;
use uuid::Uuid;

use crate::db::{self, AnyConnection};
use crate::domain::{Role, TenantKind};
use crate::error::ApiError;
use crate::models::audit::{Actor, Audit};
use crate::models::customer::CustomerRow;
use crate::models::partner::PartnerRow;
use crate::models::partnership::PartnershipRow;
use crate::models::relationship::RelationshipRow;
use crate::models::user::{NewUser, UserRow};

/// A customer's first admin account: its sign-in name and the temporary password (shown once).
#[derive(Debug, Clone)]
pub struct AdminAccount {
    /// `admin@{domain}`.
    pub user_name: String,
    /// The temporary password; must be changed at first sign-in.
    pub temporary_password: String,
    /// Its argon2id hash (computed before the transaction).
    pub password_hash: String,
}

impl AdminAccount {
    /// A new admin account for `domain` (hashes the password: call off the actix workers).
    pub fn generate(domain: &str) -> Result<AdminAccount, ApiError> {
        let temporary_password = crate::auth::password::temporary();
        Ok(AdminAccount {
            user_name: format!("admin@{}", domain.to_lowercase()),
            password_hash: crate::auth::password::hash(&temporary_password)?,
            temporary_password,
        })
    }
}

/// Creates `customer` for the provider `provider_id`, optionally for `indirect_reseller_id`.
///
/// Errors: 403 `indirect_provider_required` (the caller's partner is a reseller), 409
/// `duplicate_domain` on `domain`, 422 `partnership_required` on `indirectResellerId` (no active
/// partnership between the provider and that reseller).
pub fn create(
    conn: &mut AnyConnection,
    actor: &Actor,
    provider_id: Uuid,
    customer: CustomerRow,
    indirect_reseller_id: Option<Uuid>,
    admin: &mut AdminAccount,
) -> Result<CustomerRow, ApiError> {
    db::transaction(conn, |conn| {
        let provider = PartnerRow::find(conn, provider_id)?
            .ok_or_else(|| ApiError::not_found("The partner"))?;
        if provider.tenant_kind() != TenantKind::IndirectProvider {
            return Err(ApiError::forbidden(
                "indirect_provider_required",
                "Customers are created by an indirect provider; an indirect reseller connects with an existing customer through a relationship request.",
            ));
        }
        if CustomerRow::find_by_domain(conn, &customer.domain)?.is_some() {
            return Err(duplicate_domain(&customer.domain));
        }
        if let Some(reseller) = indirect_reseller_id
            && !PartnershipRow::is_active(conn, provider_id, reseller)?
        {
            return Err(ApiError::field(
                StatusCode::UNPROCESSABLE_ENTITY,
                "partnership_required",
                "indirectResellerId",
                "This indirect reseller has no active partnership with you; invite it first (POST /v1/indirect-resellers/invitations).",
            ));
        }
        CustomerRow::insert(conn, &customer).map_err(|e| match e {
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            ) => duplicate_domain(&customer.domain),
            other => other.into(),
        })?;
        let customer_id: Uuid = crate::models::ids::parse(&customer.id);
        admin.user_name = free_admin_name(conn, &admin.user_name, &customer.domain)?;
        let user = NewUser::new(
            None,
            Some(customer_id),
            &admin.user_name,
            &format!("{} admin", customer.company_name),
            admin.password_hash.clone(),
            Role::join(&[Role::CustomerAdmin]),
            true,
        );
        UserRow::insert(conn, &user)?;
        RelationshipRow::insert(conn, &RelationshipRow::new(provider_id, customer_id, true))?;
        // Every relationship before the audit record: its customer-created event goes to each
        // partner that has one (product.md §11).
        let reseller_rel = indirect_reseller_id.map(|r| RelationshipRow::new(r, customer_id, true));
        if let Some(rel) = &reseller_rel {
            RelationshipRow::insert(conn, rel)?;
        }
        let snapshot = serde_json::json!({
            "companyName": customer.company_name,
            "domain": customer.domain,
            "indirectResellerId": indirect_reseller_id,
        });
        Audit::new("create_customer", "customer", &customer.id)
            .partner(provider_id)
            .customer(customer_id)
            .new_value(&snapshot)
            .write(conn, actor)?;
        if let (Some(reseller), Some(rel)) = (indirect_reseller_id, reseller_rel) {
            for partner in [provider_id, reseller] {
                Audit::new(
                    "create_customer_relationship",
                    "customer_relationship",
                    &rel.id,
                )
                .partner(partner)
                .customer(customer_id)
                .new_value(serde_json::json!({ "partnerId": reseller, "delegatedAdmin": true }))
                .write(conn, actor)?;
            }
        }
        Ok(customer)
    })
}

/// `preferred` (`admin@{domain}`) if no one signs in with it yet, else `admin-{4 hex}@{domain}`:
/// sign-in names are unique across all organisations, and a name someone else took must not
/// block creating the customer.
fn free_admin_name(
    conn: &mut AnyConnection,
    preferred: &str,
    domain: &str,
) -> Result<String, ApiError> {
    if UserRow::find_by_user_name(conn, preferred)?.is_none() {
        return Ok(preferred.to_owned());
    }
    for _ in 0..8 {
        let candidate = format!("admin-{:04x}@{domain}", rand::random::<u16>());
        if UserRow::find_by_user_name(conn, &candidate)?.is_none() {
            return Ok(candidate);
        }
    }
    Err(ApiError::conflict(
        "duplicate_user_name",
        "No free sign-in name for the customer's admin could be found; retry.",
    ))
}

fn duplicate_domain(domain: &str) -> ApiError {
    ApiError::field(
        StatusCode::CONFLICT,
        "duplicate_domain",
        "domain",
        format!("A customer with the domain `{domain}` already exists."),
    )
}
