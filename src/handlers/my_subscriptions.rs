//! The customer's own subscriptions (docs/concepts.md#organisations-and-who-signs-in, #designated-support-contact "customer self-service"): the
//! "product support page" of seed "Assign support contacts" — each subscription with the name,
//! email, phone and website of its designated support contact. For the customer's admin only.

use actix_web::{get, web};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::{Authorized, ops};
use crate::domain::SubscriptionStatus;
use crate::error::{ApiError, Problem};
use crate::handlers::support_contacts::SupportContact;
use crate::paging::{Page, PageParams, Paged};
use crate::respond::Json;
use crate::services::support_contacts::{self as service, Supported};
use crate::state::AppState;

/// One of the customer's subscriptions, as its admin sees it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MySubscription {
    /// Subscription id.
    pub id: Uuid,
    /// The offer subscribed to.
    pub offer_id: String,
    /// The offer's name.
    #[schema(example = "Microsoft 365 Business Premium")]
    pub offer_name: String,
    /// The name the partner gave the subscription.
    pub friendly_name: String,
    /// Number of licenses.
    pub quantity: i32,
    /// `active` or `suspended`.
    #[schema(value_type = String, example = "active")]
    pub status: SubscriptionStatus,
    /// Who to contact for technical support.
    pub support_contact: SupportContact,
}

impl From<Supported> for MySubscription {
    fn from(s: Supported) -> MySubscription {
        let sub = s.subscription;
        MySubscription {
            id: sub.id.uuid(),
            support_contact: SupportContact::new(s.contact, &sub.billing_partner_id),
            offer_id: sub.offer_id.to_string(),
            offer_name: s.offer_name,
            friendly_name: sub.friendly_name,
            quantity: sub.quantity,
            status: sub.status,
        }
    }
}

/// List the signed-in customer admin's subscriptions, oldest first, each with its designated
/// support contact (name, email, phone, website).
#[utoipa::path(
    tag = "customer self-service",
    params(PageParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of the customer's subscriptions.", body = Page<MySubscription>),
        (status = 403, description = "Not a customer admin (`insufficient_role`).", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad `limit` or `cursor`.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/my/subscriptions")]
pub async fn list_my_subscriptions(
    caller: Authorized<ops::CustomerSelfService>,
    state: web::Data<AppState>,
    query: Paged,
) -> Result<Json<Page<MySubscription>>, ApiError> {
    let page = query.page.clone();
    let rows = caller
        .run(&state.pool, move |conn, caller| {
            service::product_support_page(conn, caller, &page)
        })
        .await?;
    Ok(Json::new(query.answer(
        rows,
        |s| s.subscription.id.as_str(),
        MySubscription::from,
    )))
}

/// Registers the customer self-service subscription operations.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_my_subscriptions);
}

crate::bodies!(MySubscription);
