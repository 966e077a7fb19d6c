//! A subscription's designated support contact (docs/concepts.md#designated-support-contact; seeds "Assign support
//! contacts" and "Assign a reseller as a technical support contact for customers"): read it,
//! list the eligible candidates, and set it (to an eligible reseller, or back to the provider).
//! All five partner roles may; the caller needs a relationship with the customer, and a reseller
//! reaches only the subscriptions it is reseller of record or support contact for.

use actix_web::{get, put, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::auth::{Authorized, ops};
use crate::domain::{Id, TenantKind};
use crate::error::{ApiError, Problem};
use crate::etag::Precondition;
use crate::extract::ValidJson;
use crate::models::partner::PartnerRow;
use crate::paging::Page;
use crate::respond::{Json, Tagged};
use crate::services::support_contacts::{self as service, Designated};
use crate::state::AppState;

/// The kind of partner a support contact is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SupportContactKind {
    /// The indirect provider that bills the subscription (the default contact).
    IndirectProvider,
    /// An indirect reseller the provider designated.
    IndirectReseller,
}

/// A designated support contact: the partner the customer turns to for technical support,
/// with its public support profile (shown on the customer's product support page).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SupportContact {
    /// The partner's id.
    pub partner_id: Uuid,
    /// `indirect_provider` or `indirect_reseller`.
    pub kind: SupportContactKind,
    /// The partner's name.
    #[schema(example = "Northwind IT")]
    pub name: String,
    /// Support email address.
    #[schema(example = "support@northwind-it.example")]
    pub email: Option<String>,
    /// Support phone number.
    #[schema(example = "+1 425 555 0100")]
    pub phone: Option<String>,
    /// Support website.
    #[schema(example = "https://northwind-it.example")]
    pub website: Option<String>,
    /// Whether this is the default contact: the indirect provider that bills the subscription.
    pub is_default: bool,
}

impl SupportContact {
    /// The wire form of `partner` as a contact of a subscription billed by `billing_partner_id`.
    pub fn new(partner: PartnerRow, billing_partner_id: &Id) -> SupportContact {
        SupportContact {
            partner_id: partner.id.uuid(),
            kind: match partner.tenant_kind() {
                TenantKind::IndirectProvider => SupportContactKind::IndirectProvider,
                _ => SupportContactKind::IndirectReseller,
            },
            is_default: partner.id == *billing_partner_id,
            name: partner.name,
            email: partner.support_email,
            phone: partner.support_phone,
            website: partner.website,
        }
    }
}

impl From<Designated> for SupportContact {
    fn from(d: Designated) -> SupportContact {
        SupportContact::new(d.contact, &d.subscription.billing_partner_id)
    }
}

/// Request to set a subscription's support contact.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SetSupportContact {
    /// An eligible indirect reseller (see the candidates), or the subscription's indirect
    /// provider to set it back.
    pub partner_id: Uuid,
}

/// The contact with its subscription's ETag.
fn respond(d: Designated) -> Tagged<SupportContact> {
    Tagged::new(d.subscription.version, SupportContact::from(d))
}

/// Read a subscription's designated support contact (the indirect provider unless set to an
/// indirect reseller). The ETag is the subscription's: send it as `If-Match` when setting.
#[utoipa::path(
    tag = "support contact",
    params(
        ("customerId" = Uuid, Path, description = "Customer id"),
        ("subscriptionId" = Uuid, Path, description = "Subscription id")
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The support contact.", body = SupportContact, headers(("ETag" = String, description = "The subscription's ETag"))),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer or subscription within reach.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A path id is not a UUID.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/customers/{customerId}/subscriptions/{subscriptionId}/support-contact")]
pub async fn get_support_contact(
    caller: Authorized<ops::ReadSupportContact>,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<Tagged<SupportContact>, ApiError> {
    let (customer_id, subscription_id) = path.into_inner();
    let designated = caller
        .run(&state.pool, move |conn, caller| {
            service::current(conn, caller, customer_id, subscription_id)
        })
        .await?;
    Ok(respond(designated))
}

/// List who may be the subscription's support contact: exactly its indirect provider plus every
/// indirect reseller with an active partnership with that provider and a relationship with the
/// customer that includes DAP. A reseller that is missing needs a relationship request with
/// DAP, accepted by the customer.
#[utoipa::path(
    tag = "support contact",
    params(
        ("customerId" = Uuid, Path, description = "Customer id"),
        ("subscriptionId" = Uuid, Path, description = "Subscription id")
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The eligible contacts, provider first.", body = Page<SupportContact>),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer or subscription within reach.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A path id is not a UUID.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/customers/{customerId}/subscriptions/{subscriptionId}/support-contact/candidates")]
pub async fn list_support_contact_candidates(
    caller: Authorized<ops::ReadSupportContact>,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<Json<Page<SupportContact>>, ApiError> {
    let (customer_id, subscription_id) = path.into_inner();
    let (sub, partners) = caller
        .run(&state.pool, move |conn, caller| {
            service::candidates(conn, caller, customer_id, subscription_id)
        })
        .await?;
    let items = partners
        .into_iter()
        .map(|p| SupportContact::new(p, &sub.billing_partner_id))
        .collect();
    Ok(Json::new(Page::whole(items)))
}

/// Set a subscription's designated support contact to an eligible indirect reseller, or back to
/// its indirect provider (always allowed). Anyone else is refused with 422
/// `support_contact_not_eligible`, a `reason` (`not_an_indirect_reseller`,
/// `no_active_partnership`, `no_customer_relationship`, `no_delegated_admin`) and what to do.
/// Send `If-Match` with the subscription's ETag (412 when stale). Audited as
/// `update_support_contact` for the provider and each reseller involved.
#[utoipa::path(
    tag = "support contact",
    params(
        ("customerId" = Uuid, Path, description = "Customer id"),
        ("subscriptionId" = Uuid, Path, description = "Subscription id"),
        ("If-Match" = Option<String>, Header, description = "The subscription's ETag from your last read")
    ),
    request_body = SetSupportContact,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The new support contact.", body = SupportContact, headers(("ETag" = String, description = "The subscription's new ETag"))),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer or subscription within reach.", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The ETag is stale.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or `support_contact_not_eligible` on `partnerId` with a `reason`.", body = Problem, content_type = "application/problem+json")
    )
)]
#[put("/customers/{customerId}/subscriptions/{subscriptionId}/support-contact")]
pub async fn update_support_contact(
    caller: Authorized<ops::SetSupportContact>,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
    precondition: Precondition,
    body: ValidJson<SetSupportContact>,
) -> Result<Tagged<SupportContact>, ApiError> {
    let (customer_id, subscription_id) = path.into_inner();
    let partner_id = body.0.partner_id;
    let designated = caller
        .change(&state.pool, move |change, caller| {
            service::set(
                change,
                caller,
                customer_id,
                subscription_id,
                partner_id,
                precondition,
            )
        })
        .await?;
    Ok(respond(designated))
}

/// Registers the support contact operations.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(get_support_contact)
        .service(list_support_contact_candidates)
        .service(update_support_contact);
}

crate::bodies!(SupportContact);
