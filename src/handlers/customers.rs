//! Customers (docs/concepts.md#relationships): create (provider side, optionally for an indirect reseller),
//! list and search the customers the caller has a relationship with, read, and update the
//! billing profile with `If-Match`.

use actix_web::{get, patch, post, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::api::customers::{BillingProfile, Customer};
use crate::auth::{Authorized, ops};
use crate::error::{ApiError, Problem};
use crate::etag::Precondition;
use crate::extract::ValidJson;
use crate::models::customer::{CustomerChanges, CustomerFilter};
use crate::paging::{Page, PageParams, Paged};
use crate::respond::{Created, Json, Tagged};
use crate::services::customers::{self as service, AdminAccount, NewCustomer};
use crate::state::AppState;
use crate::validate;

/// Request to create a customer.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateCustomer {
    /// Company name.
    #[validate(length(min = 1, max = 200), custom(function = "validate::name"))]
    #[schema(
        pattern = r"^[^\u200E\u200F\u202A-\u202E\u2066-\u2069]*[^\s\u0085\u200E\u200F\u202A-\u202E\u2066-\u2069][^\u200E\u200F\u202A-\u202E\u2066-\u2069]*$",
        example = "Contoso Ltd",
        min_length = 1,
        max_length = 200
    )]
    pub company_name: String,
    /// Unique default domain, lower case.
    #[validate(custom(function = "validate::domain"))]
    #[schema(
        example = "contoso.example",
        max_length = 253,
        pattern = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$"
    )]
    pub domain: String,
    /// An indirect reseller with an active partnership with the caller: it gets a relationship
    /// with DAP and administers the customer.
    pub indirect_reseller_id: Option<Uuid>,
    /// Billing profile.
    #[validate(nested)]
    pub billing_profile: BillingProfile,
    /// A test clock of yours (`POST /v1/test-clocks`; only where test clocks are enabled): the
    /// customer then lives on the clock's time, for trying subscription terms out.
    #[serde(default)]
    pub test_clock_id: Option<Uuid>,
    /// Also give the caller (and the named indirect reseller) an active granular delegated admin
    /// (GDAP) relationship with the customer: the configured default roles
    /// (`GDAP_DEFAULT_ROLES`), for two years (Partner Center's name).
    #[serde(rename = "enableGDAPByDefault")]
    #[schema(example = false)]
    pub enable_gdap_by_default: Option<bool>,
}

/// The new customer's first admin account.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminUserCredentials {
    /// Sign-in name.
    pub user_name: String,
    /// Temporary password, shown only in this response; must be changed at first sign-in.
    pub temporary_password: String,
}

/// A created customer with its admin account.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedCustomer {
    /// The customer.
    pub customer: Customer,
    /// Its admin account (the password is shown once).
    pub admin_user: AdminUserCredentials,
}

/// Create a customer, with its admin user and the caller's relationship (with DAP).
///
/// Only an indirect provider creates customers. Naming `indirectResellerId` (a reseller with an
/// active partnership) gives that reseller a relationship with DAP too. With
/// `enableGDAPByDefault`, each of them also gets an active GDAP relationship with the configured
/// default roles. The admin user's temporary password appears only in this response.
#[utoipa::path(
    tag = "customers",
    request_body = CreateCustomer,
    params(("Idempotency-Key" = Option<String>, Header)),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created.", body = CreatedCustomer, headers(("Location" = String, description = "The customer's URL"), ("ETag" = String))),
        (status = 403, description = "Role not enough, or the caller is not an indirect provider (`indirect_provider_required`).", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`duplicate_domain` (a customer has the domain, or another organisation owns it), or the Idempotency-Key is in use.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, `partnership_required` on `indirectResellerId`, or `unknown_test_clock` on `testClockId`.", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/customers")]
pub async fn create_customer(
    caller: Authorized<ops::CreateCustomer>,
    state: web::Data<AppState>,
    body: ValidJson<CreateCustomer>,
) -> Result<Created<CreatedCustomer>, ApiError> {
    let req = body.0;
    let domain = req.domain.clone();
    let clocks = state.config.test_clocks_enabled;
    let gdap_roles = req
        .enable_gdap_by_default
        .unwrap_or(false)
        .then(|| state.config.gdap_default_roles.clone());
    let (created, admin) = caller
        .change_with(
            &state.pool,
            move || AdminAccount::generate(&domain),
            move |change, caller, admin| {
                let b = req.billing_profile;
                let new = NewCustomer {
                    company_name: req.company_name,
                    domain: req.domain,
                    billing_email: b.email,
                    culture: b.culture,
                    address_line1: b.address.address_line1,
                    address_line2: b.address.address_line2,
                    city: b.address.city,
                    state: b.address.state,
                    postal_code: b.address.postal_code,
                    country: b.address.country,
                    test_clock_id: req.test_clock_id,
                };
                let reseller = req.indirect_reseller_id;
                service::create(change, caller, new, reseller, admin, clocks, gdap_roles)
            },
        )
        .await?;
    let version = created.version;
    Ok(Created::new(
        format!("/v1/customers/{}", created.id),
        CreatedCustomer {
            customer: created.into(),
            admin_user: AdminUserCredentials {
                user_name: admin.user_name,
                temporary_password: admin.temporary_password,
            },
        },
    )
    .tagged(version))
}

/// Customer list filters.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CustomerQuery {
    /// Case-insensitive prefix of the company name or the domain.
    #[validate(length(max = 200))]
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// Only customers this indirect reseller also has a relationship with.
    pub indirect_reseller_id: Option<Uuid>,
}

/// List and search the customers the caller has a relationship with, oldest first.
#[utoipa::path(
    tag = "customers",
    params(PageParams, CustomerQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of customers.", body = Page<Customer>),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad `limit`, `cursor` or filter.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/customers")]
pub async fn list_customers(
    caller: Authorized<ops::ReadCustomers>,
    state: web::Data<AppState>,
    query: Paged<CustomerQuery>,
) -> Result<Json<Page<Customer>>, ApiError> {
    let filter = CustomerFilter {
        q: query.filters.q.clone(),
        indirect_reseller_id: query.filters.indirect_reseller_id,
    };
    let page = query.page.clone();
    let rows = caller
        .run(&state.pool, move |conn, caller| {
            service::list(conn, caller, &filter, &page)
        })
        .await?;
    Ok(Json::new(query.answer(
        rows,
        |r| r.id.as_str(),
        Customer::from,
    )))
}

/// Read a customer the caller has a relationship with (others answer 404).
#[utoipa::path(
    tag = "customers",
    params(("customerId" = Uuid, Path, description = "Customer id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The customer.", body = Customer, headers(("ETag" = String))),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer within reach.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`customerId` is not a UUID.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/customers/{customerId}")]
pub async fn get_customer(
    caller: Authorized<ops::ReadCustomers>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<Tagged<Customer>, ApiError> {
    let customer_id = path.into_inner();
    let customer = caller
        .run(&state.pool, move |conn, caller| {
            service::get(conn, caller, customer_id)
        })
        .await?;
    Ok(Tagged::new(customer.version, Customer::from(customer)))
}

/// Changes to an address; absent fields stay as they are.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AddressPatch {
    /// First line.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub address_line1: Option<String>,
    /// Second line (`null` clears it).
    #[serde(default, deserialize_with = "crate::extract::double_option")]
    #[validate(length(max = 200))]
    #[schema(value_type = Option<String>, max_length = 200)]
    pub address_line2: Option<Option<String>>,
    /// City.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub city: Option<String>,
    /// State or region.
    #[validate(length(max = 100))]
    #[schema(max_length = 100)]
    pub state: Option<String>,
    /// Postal code.
    #[validate(length(min = 1, max = 20))]
    #[schema(min_length = 1, max_length = 20)]
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2 country code.
    #[validate(custom(function = "validate::country"))]
    #[schema(example = "US", min_length = 2, max_length = 2, pattern = "^[A-Z]{2}$")]
    pub country: Option<String>,
}

/// Changes to a billing profile; absent fields stay as they are.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BillingProfilePatch {
    /// Billing email address.
    #[validate(email, length(max = 254))]
    #[schema(format = "email", max_length = 254)]
    pub email: Option<String>,
    /// Culture.
    #[validate(custom(function = "validate::culture"))]
    #[schema(
        min_length = 2,
        max_length = 16,
        pattern = "^[A-Za-z0-9]{1,8}(-[A-Za-z0-9]{1,8})*$"
    )]
    pub culture: Option<String>,
    /// Address changes.
    #[validate(nested)]
    pub address: Option<AddressPatch>,
}

/// Changes to a customer; absent fields stay as they are.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateCustomer {
    /// Company name.
    #[validate(length(min = 1, max = 200), custom(function = "validate::name"))]
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u200E\u200F\u202A-\u202E\u2066-\u2069]*[^\s\u0085\u200E\u200F\u202A-\u202E\u2066-\u2069][^\u200E\u200F\u202A-\u202E\u2066-\u2069]*$"
    )]
    pub company_name: Option<String>,
    /// Billing profile changes.
    #[validate(nested)]
    pub billing_profile: Option<BillingProfilePatch>,
}

/// Update a customer's company name or billing profile. Send `If-Match` with the ETag you read
/// to avoid overwriting someone else's change (412 when stale).
#[utoipa::path(
    tag = "customers",
    params(
        ("customerId" = Uuid, Path, description = "Customer id"),
        ("If-Match" = Option<String>, Header, description = "The ETag from your last read")
    ),
    request_body = UpdateCustomer,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Updated.", body = Customer, headers(("ETag" = String))),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer within reach.", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The ETag is stale.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields.", body = Problem, content_type = "application/problem+json")
    )
)]
#[patch("/customers/{customerId}")]
pub async fn update_customer(
    caller: Authorized<ops::UpdateCustomer>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    precondition: Precondition,
    body: ValidJson<UpdateCustomer>,
) -> Result<Tagged<Customer>, ApiError> {
    let customer_id = path.into_inner();
    let changes = body.0.into_changes();
    let updated = caller
        .change(&state.pool, move |change, caller| {
            service::update(change, caller, customer_id, precondition, changes)
        })
        .await?;
    Ok(Tagged::new(updated.version, Customer::from(updated)))
}

impl UpdateCustomer {
    /// The column changes this patch asks for (absent fields stay as they are).
    fn into_changes(self) -> CustomerChanges {
        let bp = self.billing_profile;
        let addr = bp.as_ref().and_then(|b| b.address.as_ref());
        CustomerChanges {
            company_name: self.company_name.map(|n| n.trim().to_owned()),
            billing_email: bp.as_ref().and_then(|b| b.email.clone()),
            culture: bp.as_ref().and_then(|b| b.culture.clone()),
            address_line1: addr.and_then(|a| a.address_line1.clone()),
            address_line2: addr.and_then(|a| a.address_line2.clone()),
            city: addr.and_then(|a| a.city.clone()),
            state: addr.and_then(|a| a.state.clone()).map(Some),
            postal_code: addr.and_then(|a| a.postal_code.clone()),
            country: addr.and_then(|a| a.country.clone()),
        }
    }
}

/// Registers the customer operations.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_customer)
        .service(list_customers)
        .service(get_customer)
        .service(update_customer);
}

// Show a secret once: sealed by the idempotency store, `Cache-Control: no-store`.
crate::secret_bodies!(CreatedCustomer);
