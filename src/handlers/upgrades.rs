//! Subscription upgrades (docs/concepts.md#commerce): list the upgrade targets of a subscription's offer with
//! whether each is possible now and why not, and upgrade — moving all or some licenses into a
//! new subscription to the target offer, atomically. Upgrading needs DAP.

use actix_web::{get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::api::subscriptions::Subscription;
use crate::auth::{Authorized, ops};
use crate::error::{ApiError, Problem};
use crate::etag::Precondition;
use crate::extract::ValidJson;
use crate::handlers::offers::Offer;
use crate::paging::Page;
use crate::respond::{Created, Json};
use crate::services::subscriptions::{self as service, Ineligibility};
use crate::state::AppState;
use crate::validate;

/// An upgrade target with its eligibility.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpgradeOption {
    /// The target offer.
    pub offer: Offer,
    /// Whether `POST …/upgrades` to it would be accepted now (given the caller has a role that
    /// may upgrade).
    pub eligible: bool,
    /// What stands in the way (empty when eligible).
    pub reasons: Vec<Ineligibility>,
}

/// Request to upgrade a subscription.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateUpgrade {
    /// One of the offer's upgrade targets (GET …/upgrades); the example upgrades Microsoft 365
    /// Business Standard (what the cart examples buy) to Business Premium.
    #[validate(custom(function = "validate::offer_id"))]
    #[schema(
        example = "019a8f3c-2002-7654-b8bb-cded8077eccc",
        format = Uuid
    )]
    pub target_offer_id: String,
    /// Licenses to move (default: all). Moving all suspends the source; moving some reduces it,
    /// and what stays must respect the source offer's minimum.
    #[validate(range(min = 1, max = 1_000_000))]
    #[schema(minimum = 1, maximum = 1_000_000)]
    #[serde(default, deserialize_with = "crate::extract::whole_number_opt")]
    pub quantity: Option<i32>,
}

/// A completed upgrade.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Upgrade {
    /// The source subscription after the upgrade: suspended, or with fewer licenses.
    pub source: Subscription,
    /// The new subscription to the target offer.
    pub target: Subscription,
}

/// List the upgrade targets of a subscription's offer, each with `eligible` and the `reasons`
/// it is not (`subscription_not_active`, `already_owned`, `delegated_admin_required`,
/// `billing_cycle_not_offered`).
#[utoipa::path(
    tag = "subscriptions",
    params(
        ("customerId" = Uuid, Path, description = "Customer id"),
        ("subscriptionId" = Uuid, Path, description = "Subscription id")
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every upgrade target (one page).", body = Page<UpgradeOption>),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer or subscription within reach.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An id is not a UUID.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/customers/{customerId}/subscriptions/{subscriptionId}/upgrades")]
pub async fn list_subscription_upgrades(
    caller: Authorized<ops::ReadSubscriptions>,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<Json<Page<UpgradeOption>>, ApiError> {
    let (customer_id, subscription_id) = path.into_inner();
    let options = caller
        .run(&state.pool, move |conn, caller| {
            service::upgrade_options(conn, caller, customer_id, subscription_id)
        })
        .await?;
    let options = options
        .into_iter()
        .map(|o| {
            Ok(UpgradeOption {
                eligible: o.reasons.is_empty(),
                reasons: o.reasons,
                offer: o.offer.try_into()?,
            })
        })
        .collect::<Result<_, ApiError>>()?;
    Ok(Json::new(Page::whole(options)))
}

/// Upgrade a subscription to one of its offer's upgrade targets (needs DAP): creates the target
/// subscription (same billing cycle, reseller of record and support contact) and suspends the
/// source (all licenses moved) or reduces it (some), in one transaction. `If-Match` takes the
/// source's ETag.
#[utoipa::path(
    tag = "subscriptions",
    params(
        ("customerId" = Uuid, Path, description = "Customer id"),
        ("subscriptionId" = Uuid, Path, description = "Subscription id (the source)"),
        ("If-Match" = Option<String>, Header, description = "The source's ETag from your last read"),
        ("Idempotency-Key" = Option<String>, Header)
    ),
    request_body = CreateUpgrade,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Upgraded.", body = Upgrade, headers(("Location" = String, description = "The new subscription's URL"))),
        (status = 403, description = "Role not enough, or `delegated_admin_required`.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer or subscription within reach.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`subscription_not_active`, `already_owned` (on `targetOfferId`), or the Idempotency-Key is in use.", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The source's ETag is stale.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, `upgrade_not_available` or `billing_cycle_not_offered` on `targetOfferId`, `quantity_out_of_range` on `quantity`.", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/customers/{customerId}/subscriptions/{subscriptionId}/upgrades")]
pub async fn create_subscription_upgrade(
    caller: Authorized<ops::UpgradeSubscription>,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
    precondition: Precondition,
    body: ValidJson<CreateUpgrade>,
) -> Result<Created<Upgrade>, ApiError> {
    let (customer_id, subscription_id) = path.into_inner();
    let b = body.0;
    let target_offer_id = crate::models::offer::parse_id(&b.target_offer_id, "targetOfferId")?;
    let done = caller
        .change(&state.pool, move |change, caller| {
            service::upgrade(
                change,
                caller,
                customer_id,
                subscription_id,
                &target_offer_id,
                b.quantity,
                precondition,
            )
        })
        .await?;
    let target = Subscription::try_from(done.target)?;
    Ok(Created::new(
        format!("/v1/customers/{customer_id}/subscriptions/{}", target.id),
        Upgrade {
            source: done.source.try_into()?,
            target,
        },
    ))
}

/// Registers the upgrade operations.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_subscription_upgrades)
        .service(create_subscription_upgrade);
}

crate::bodies!(Upgrade, UpgradeOption);
