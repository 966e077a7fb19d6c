//! The customer's own subscriptions (product.md §1, §4, §9 "customer self-service"): the
//! "product support page" of seed "Assign support contacts" — each subscription with the name,
//! email, phone and website of its designated support contact. For the customer's admin only.

use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::permissions::Operation;
use crate::auth::{Principal, visibility};
use crate::db;
use crate::error::{ApiError, Problem};
use crate::extract::ValidQuery;
use crate::handlers::support_contacts::SupportContact;
use crate::models::ids;
use crate::models::partner::PartnerRow;
use crate::models::subscription::SubscriptionRow;
use crate::paging::{Page, PageParams};
use crate::services::support_contacts as service;
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
    #[schema(example = "active")]
    pub status: String,
    /// Who to contact for technical support.
    pub support_contact: SupportContact,
}

impl MySubscription {
    /// The wire form of a subscription with its offer's name and support contact.
    fn new(s: SubscriptionRow, offer_name: String, contact: PartnerRow) -> MySubscription {
        MySubscription {
            id: ids::parse(&s.id),
            support_contact: SupportContact::new(contact, &s.billing_partner_id),
            offer_id: s.offer_id,
            offer_name,
            friendly_name: s.friendly_name,
            quantity: s.quantity,
            status: s.status,
        }
    }
}

/// Paging of the customer's subscriptions.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MySubscriptionQuery {
    /// Items per page, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `nextCursor` of the previous page.
    pub cursor: Option<String>,
}

/// List the signed-in customer admin's subscriptions, oldest first, each with its designated
/// support contact (name, email, phone, website).
#[utoipa::path(
    tag = "customer self-service",
    params(MySubscriptionQuery),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "One page of the customer's subscriptions.", body = Page<MySubscription>),
        (status = 401, description = "Not signed in.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a customer admin (`insufficient_role`).", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad `limit` or `cursor`.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/my/subscriptions")]
pub async fn list_my_subscriptions(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    query: ValidQuery<MySubscriptionQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let page = PageParams {
        limit: q.limit,
        cursor: q.cursor,
    }
    .validate()?;
    let p = page.clone();
    let items = db::run(&state.pool, move |conn| {
        let customer = principal.tenant_id;
        visibility::customer(conn, &principal, customer, Operation::CustomerSelfService)?;
        let rows =
            SubscriptionRow::page_with_offer_name(conn, customer, p.after.as_deref(), p.limit + 1)?;
        let subs: Vec<SubscriptionRow> = rows.iter().map(|(s, _)| s.clone()).collect();
        let contacts = service::contacts_of(conn, &subs)?;
        rows.into_iter()
            .map(|(s, offer_name)| {
                let contact = contacts
                    .get(&s.support_contact_partner_id)
                    .cloned()
                    .ok_or_else(|| ApiError::internal("support contact not loaded"))?;
                Ok((s.id.clone(), MySubscription::new(s, offer_name, contact)))
            })
            .collect::<Result<Vec<_>, ApiError>>()
    })
    .await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(
        items,
        &page,
        &req,
        |(id, _)| id,
        |(_, item)| item,
    )))
}

/// Registers the customer self-service subscription operations.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_my_subscriptions);
}
