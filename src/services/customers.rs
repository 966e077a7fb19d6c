//! Customers (docs/concepts.md#relationships; seed "Partner with indirect resellers" → "Add new customers
//! and associate them with indirect resellers"): creating one (the customer, its first
//! `customer_admin` user, the provider's relationship with DAP and — when an indirect reseller is
//! named — the reseller's relationship with DAP, with audit records, all in one transaction);
//! listing and reading those within the caller's reach; updating the billing profile as a
//! compare-and-swap on the row version.

use actix_web::http::StatusCode;
use uuid::Uuid;

use crate::api::customers::Customer;
use crate::auth::permissions::Operation;
use crate::auth::visibility;
use crate::auth::{PartnerCaller, Principal};
use crate::change::Change;
use crate::db::AnyConnection;
use crate::domain::Role;
use crate::domain::{AuditOperation, Id};
use crate::error::{ApiError, ProblemCode};
use crate::etag::Precondition;
use crate::models::audit::Audit;
use crate::models::customer::{CustomerChanges, CustomerFilter, CustomerRow};
use crate::models::partnership::PartnershipRow;
use crate::models::relationship::RelationshipRow;
use crate::models::test_clock::TestClockRow;
use crate::models::user::{NewUser, UserRow};
use crate::models::{ids, now};
use crate::paging::PageRequest;

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
    /// A new admin account for `domain` (hashes the password: call off the actix workers and
    /// before the change's transaction opens).
    pub fn generate(domain: &str) -> Result<AdminAccount, ApiError> {
        let temporary_password = crate::auth::password::temporary();
        Ok(AdminAccount {
            user_name: format!("admin@{}", domain.to_lowercase()),
            password_hash: crate::auth::password::hash(&temporary_password)?,
            temporary_password,
        })
    }
}

/// A customer to create, as the caller sent it.
#[derive(Debug)]
pub struct NewCustomer {
    /// Company name (trimmed here).
    pub company_name: String,
    /// Default domain (lower-cased here).
    pub domain: String,
    /// Billing email.
    pub billing_email: String,
    /// Culture (language tag).
    pub culture: String,
    /// Address line 1.
    pub address_line1: String,
    /// Address line 2.
    pub address_line2: Option<String>,
    /// City.
    pub city: String,
    /// State or region.
    pub state: Option<String>,
    /// Postal code.
    pub postal_code: String,
    /// ISO 3166-1 alpha-2 country.
    pub country: String,
    /// The caller's test clock the customer lives on, if any.
    pub test_clock_id: Option<Uuid>,
}

/// Creates a customer for the caller (an indirect provider: the permission-table row `CreateCustomer` admits
/// only providers), optionally for `indirect_reseller_id`; returns it with its admin account.
///
/// With `default_gdap` (`enableGDAPByDefault`: the roles), the provider and the reseller each
/// get an active GDAP relationship with those roles too (`services::gdap::create_default`).
///
/// The customer owns its domain (`services::tenant_domains`): its users are named under it.
///
/// Errors: 409 `duplicate_domain` on `domain` (a customer has it, or another organisation owns
/// it), 422 `partnership_required` on
/// `indirectResellerId` (no active partnership between the provider and that reseller), 422
/// `unknown_test_clock` on `testClockId` (not one of the caller's clocks, or test clocks are
/// not enabled: `clocks_enabled` false).
pub fn create(
    change: &mut Change<'_>,
    caller: &PartnerCaller,
    new: NewCustomer,
    indirect_reseller_id: Option<Uuid>,
    mut admin: AdminAccount,
    clocks_enabled: bool,
    default_gdap: Option<Vec<String>>,
) -> Result<(CustomerRow, AdminAccount), ApiError> {
    let provider_id = caller.partner_id();
    if let Some(clock) = new.test_clock_id
        && (!clocks_enabled || TestClockRow::find(change.conn(), provider_id, clock)?.is_none())
    {
        return Err(ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            ProblemCode::UnknownTestClock,
            "testClockId",
            "No such test clock of yours (POST /v1/test-clocks; test clocks must be enabled).",
        ));
    }
    let t = now();
    let customer = CustomerRow {
        id: ids::new(),
        company_name: new.company_name.trim().to_owned(),
        domain: new.domain.to_lowercase(),
        billing_email: new.billing_email,
        culture: new.culture,
        address_line1: new.address_line1,
        address_line2: new.address_line2,
        city: new.city,
        state: new.state,
        postal_code: new.postal_code,
        country: new.country,
        version: 1,
        created_at: t,
        updated_at: t,
        test_clock_id: new.test_clock_id.map(Id::from),
    };
    let created = insert(
        change,
        provider_id,
        customer,
        indirect_reseller_id,
        &mut admin,
    )?;
    if let Some(roles) = default_gdap {
        let partners: Vec<Uuid> = std::iter::once(provider_id)
            .chain(indirect_reseller_id)
            .collect();
        super::gdap::create_default(change, &partners, &created, &roles)?;
    }
    Ok((created, admin))
}

/// The transaction of [`create`], for a row and admin account made by the caller (the demo seed
/// uses fixed ids): the customer, its admin user, the relationships with DAP and the audit
/// records. Errors as [`create`].
pub fn insert(
    change: &mut Change<'_>,
    provider_id: Uuid,
    customer: CustomerRow,
    indirect_reseller_id: Option<Uuid>,
    admin_account: &mut AdminAccount,
) -> Result<CustomerRow, ApiError> {
    if CustomerRow::find_by_domain(change.conn(), &customer.domain)?.is_some()
        || super::tenant_domains::is_owned(change.conn(), &customer.domain)?
    {
        return Err(duplicate_domain(&customer.domain));
    }
    if let Some(reseller) = indirect_reseller_id {
        PartnershipRow::require_active(
            change.conn(),
            provider_id,
            reseller,
            "indirectResellerId",
            "This indirect reseller has no active partnership with you; invite it first (POST /v1/indirect-resellers/invitations).",
        )?;
    }
    CustomerRow::insert(change.conn(), &customer).map_err(|e| match e {
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        ) => duplicate_domain(&customer.domain),
        other => other.into(),
    })?;
    let customer_id: Uuid = customer.id.uuid();
    super::tenant_domains::claim(change.conn(), customer_id, &customer.domain, || {
        duplicate_domain(&customer.domain)
    })?;
    admin_account.user_name =
        free_admin_name(change.conn(), &admin_account.user_name, &customer.domain)?;
    let user = NewUser::new(
        None,
        Some(customer_id),
        &admin_account.user_name,
        &format!("{} admin", customer.company_name),
        admin_account.password_hash.clone(),
        Role::join(&[Role::CustomerAdmin]),
        true,
    );
    UserRow::insert(change.conn(), &user)?;
    RelationshipRow::insert(
        change.conn(),
        &RelationshipRow::new(provider_id, customer_id, true),
    )?;
    // Every relationship before the audit record: its customer-created event goes to each
    // partner that has one (docs/api-guide.md#webhooks).
    let reseller_rel = indirect_reseller_id.map(|r| RelationshipRow::new(r, customer_id, true));
    if let Some(rel) = &reseller_rel {
        RelationshipRow::insert(change.conn(), rel)?;
    }
    let snapshot = serde_json::json!({
        "companyName": customer.company_name,
        "domain": customer.domain,
        "indirectResellerId": indirect_reseller_id,
    });
    change.audit(
        Audit::new(AuditOperation::CreateCustomer, customer.id)
            .partner(provider_id)
            .customer(customer_id)
            .new_value(&snapshot),
    );
    if let (Some(reseller), Some(rel)) = (indirect_reseller_id, reseller_rel) {
        for partner in [provider_id, reseller] {
            change.audit(
                Audit::new(AuditOperation::CreateCustomerRelationship, rel.id)
                    .partner(partner)
                    .customer(customer_id)
                    .new_value(
                        serde_json::json!({ "partnerId": reseller, "delegatedAdmin": true }),
                    ),
            );
        }
    }
    Ok(customer)
}

/// The customers within the caller's reach matching `filter`, one page (up to `page.limit + 1`
/// rows in id order; see `paging`).
pub fn list(
    conn: &mut AnyConnection,
    caller: &PartnerCaller,
    filter: &CustomerFilter,
    page: &PageRequest,
) -> Result<Vec<CustomerRow>, ApiError> {
    let partner_id = caller.partner_id();
    Ok(CustomerRow::page_for_partner(
        conn,
        partner_id,
        filter,
        page.after.as_deref(),
        page.rows_to_fetch(),
    )?)
}

/// One customer within the caller's reach; 404 otherwise.
pub fn get(
    conn: &mut AnyConnection,
    caller: &Principal,
    customer_id: Uuid,
) -> Result<CustomerRow, ApiError> {
    Ok(visibility::customer(conn, caller, customer_id, Operation::ReadCustomers)?.customer)
}

/// Applies `changes` to a customer within reach if its version is still the one `precondition`
/// names (412 `precondition_failed` otherwise), with an audit record of before and after.
pub fn update(
    change: &mut Change<'_>,
    caller: &Principal,
    customer_id: Uuid,
    precondition: Precondition,
    changes: CustomerChanges,
) -> Result<CustomerRow, ApiError> {
    let reached = visibility::customer(
        change.conn(),
        caller,
        customer_id,
        Operation::UpdateCustomer,
    )?;
    let before = reached.customer;
    let expected = precondition.expect(before.version)?;
    if !CustomerRow::update(change.conn(), &before.id, expected, &changes)? {
        return Err(ApiError::precondition_failed());
    }
    let after = CustomerRow::find(change.conn(), customer_id)?
        .ok_or_else(|| ApiError::not_found("The customer"))?;
    change.audit(
        Audit::new(AuditOperation::UpdateCustomer, after.id)
            .customer(customer_id)
            .old_value(Customer::from(before))
            .new_value(Customer::from(after.clone())),
    );
    Ok(after)
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
        ProblemCode::DuplicateUserName,
        "No free sign-in name for the customer's admin could be found; retry.",
    ))
}

fn duplicate_domain(domain: &str) -> ApiError {
    ApiError::field(
        StatusCode::CONFLICT,
        ProblemCode::DuplicateDomain,
        "domain",
        format!("The domain `{domain}` already belongs to an organisation."),
    )
}
