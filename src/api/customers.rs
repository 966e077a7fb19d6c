//! Customers on the wire (docs/concepts.md#relationships): the customer with its billing profile and address, as
//! GET answers it and as its events carry it. The address and billing profile are also request
//! bodies (create, and the whole profile on update).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::models::customer::CustomerRow;
use crate::models::utc;
use crate::validate;

/// A postal address.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Address {
    /// First line.
    #[validate(length(min = 1, max = 200), custom(function = "validate::not_blank"))]
    #[schema(
        pattern = r"[^\s\u0085]",
        example = "1 Main St",
        min_length = 1,
        max_length = 200
    )]
    pub address_line1: String,
    /// Second line.
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    pub address_line2: Option<String>,
    /// City.
    #[validate(length(min = 1, max = 100))]
    #[schema(example = "Redmond", min_length = 1, max_length = 100)]
    pub city: String,
    /// State or region.
    #[validate(length(max = 100))]
    #[schema(example = "WA", max_length = 100)]
    pub state: Option<String>,
    /// Postal code.
    #[validate(length(min = 1, max = 20))]
    #[schema(example = "98052", min_length = 1, max_length = 20)]
    pub postal_code: String,
    /// ISO 3166-1 alpha-2 country code.
    #[validate(custom(function = "validate::country"))]
    #[schema(example = "US", min_length = 2, max_length = 2, pattern = "^[A-Z]{2}$")]
    pub country: String,
}

/// A customer's billing profile.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BillingProfile {
    /// Billing email address.
    #[validate(email, length(max = 254))]
    #[schema(
        example = "billing@contoso.example",
        format = "email",
        max_length = 254
    )]
    pub email: String,
    /// Culture (language tag).
    #[validate(custom(function = "validate::culture"))]
    #[schema(
        example = "en-US",
        min_length = 2,
        max_length = 16,
        pattern = "^[A-Za-z0-9]{1,8}(-[A-Za-z0-9]{1,8})*$"
    )]
    pub culture: String,
    /// Billing address.
    #[validate(nested)]
    pub address: Address,
}

/// A customer as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Customer {
    /// Customer id.
    pub id: Uuid,
    /// Company name.
    pub company_name: String,
    /// Unique default domain.
    pub domain: String,
    /// Billing profile.
    pub billing_profile: BillingProfile,
    /// Creation time.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Last change.
    pub updated_at: chrono::DateTime<chrono::Utc>,
    /// The test clock it lives on, if any (its subscriptions' times come from the clock).
    pub test_clock_id: Option<Uuid>,
}

impl From<CustomerRow> for Customer {
    fn from(r: CustomerRow) -> Customer {
        Customer {
            id: r.id.uuid(),
            company_name: r.company_name,
            domain: r.domain,
            billing_profile: BillingProfile {
                email: r.billing_email,
                culture: r.culture,
                address: Address {
                    address_line1: r.address_line1,
                    address_line2: r.address_line2,
                    city: r.city,
                    state: r.state,
                    postal_code: r.postal_code,
                    country: r.country,
                },
            },
            created_at: utc(r.created_at),
            updated_at: utc(r.updated_at),
            test_clock_id: r.test_clock_id.map(crate::domain::Id::uuid),
        }
    }
}
