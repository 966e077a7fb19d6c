//! Subscriptions (docs/concepts.md#commerce): list a customer's subscriptions with filters, read one,
//! and change it with `PATCH` (licenses, suspend/reactivate, auto-renew, friendly name,
//! reseller of record) under `If-Match`. An indirect reseller reaches only the subscriptions it
//! is reseller of record or support contact for (`auth::visibility`). Upgrades are in
//! `handlers::upgrades`.

use actix_web::{get, patch, web};
use serde::{Deserialize, Deserializer};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::api::subscriptions::Subscription;
use crate::auth::{Authorized, ops};
use crate::domain::SubscriptionStatus;
use crate::domain::term::NextTerm;
use crate::error::{ApiError, Problem};
use crate::etag::Precondition;
use crate::extract::ValidJson;
use crate::models::subscription::Named;
use crate::models::subscription::SubscriptionFilter;
use crate::paging::{Page, PageParams, Paged};
use crate::respond::{Json, Tagged};
use crate::services::subscriptions::{self as service, Patch};
use crate::state::AppState;
use crate::validate;

/// A subscription with its ETag (the row version).
fn respond(n: Named) -> Result<Tagged<Subscription>, ApiError> {
    Ok(Tagged::new(n.row.version, Subscription::try_from(n)?))
}

/// Subscription list filters.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SubscriptionQuery {
    /// Only this status.
    pub status: Option<SubscriptionStatus>,
    /// Only subscriptions to this offer.
    #[validate(custom(function = "validate::offer_id"))]
    #[param(max_length = 64, format = Uuid)]
    pub offer_id: Option<String>,
    /// Only those with this indirect reseller of record.
    pub partner_id_on_record: Option<Uuid>,
}

/// List a customer's subscriptions, oldest first. An indirect reseller sees only those it is
/// reseller of record or support contact for.
#[utoipa::path(
    tag = "subscriptions",
    params(("customerId" = Uuid, Path, description = "Customer id"), PageParams, SubscriptionQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of subscriptions.", body = Page<Subscription>),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer within reach.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad `limit`, `cursor` or filter, or `customerId` is not a UUID.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/customers/{customerId}/subscriptions")]
pub async fn list_subscriptions(
    caller: Authorized<ops::ReadSubscriptions>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    query: Paged<SubscriptionQuery>,
) -> Result<Json<Page<Subscription>>, ApiError> {
    let customer_id = path.into_inner();
    let q = &query.filters;
    let filter = SubscriptionFilter {
        status: q.status,
        offer_id: q
            .offer_id
            .as_deref()
            .map(|id| crate::models::offer::parse_id(id, "offerId"))
            .transpose()?,
        partner_id_on_record: q.partner_id_on_record,
    };
    let page = query.page.clone();
    let rows = caller
        .run(&state.pool, move |conn, caller| {
            service::list(conn, caller, customer_id, &filter, &page)
        })
        .await?;
    Ok(Json::new(query.try_answer(
        rows,
        |n| n.row.id.as_str(),
        Subscription::try_from,
    )?))
}

/// Read a subscription, with its ETag.
#[utoipa::path(
    tag = "subscriptions",
    params(
        ("customerId" = Uuid, Path, description = "Customer id"),
        ("subscriptionId" = Uuid, Path, description = "Subscription id")
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The subscription.", body = Subscription, headers(("ETag" = String))),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer or subscription within reach.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An id is not a UUID.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/customers/{customerId}/subscriptions/{subscriptionId}")]
pub async fn get_subscription(
    caller: Authorized<ops::ReadSubscriptions>,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<Tagged<Subscription>, ApiError> {
    let (customer_id, subscription_id) = path.into_inner();
    let named = caller
        .run(&state.pool, move |conn, caller| {
            service::get(conn, caller, customer_id, subscription_id)
        })
        .await?;
    respond(named)
}

/// Distinguishes an absent field (`None`) from an explicit `null` (`Some(None)`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// Changes to a subscription; absent fields stay as they are.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateSubscription {
    /// New license count ("add licenses"), within the offer's min/max; not while suspended.
    #[validate(range(min = 1, max = 1_000_000))]
    #[schema(example = 15, minimum = 1, maximum = 1_000_000)]
    #[serde(default, deserialize_with = "crate::extract::whole_number_opt")]
    pub quantity: Option<i32>,
    /// `suspended` to suspend, `active` to reactivate, `deleted` to cancel (only until
    /// `cancellationAllowedUntil`; the other fields are then ignored).
    pub status: Option<SubscriptionStatus>,
    /// Whether it renews automatically.
    pub auto_renew: Option<bool>,
    /// Friendly name.
    #[validate(length(min = 1, max = 200), custom(function = "validate::name"))]
    #[schema(
        pattern = r"^[^\u200E\u200F\u202A-\u202E\u2066-\u2069]*[^\s\u0085\u200E\u200F\u202A-\u202E\u2066-\u2069][^\u200E\u200F\u202A-\u202E\u2066-\u2069]*$",
        example = "HQ seats",
        min_length = 1,
        max_length = 200
    )]
    pub friendly_name: Option<String>,
    /// The indirect reseller of record (an active partner of the billing provider); `null`
    /// clears it. Only the billing provider may change it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>)]
    pub partner_id_on_record: Option<Option<Uuid>>,
    /// What the next term changes (offer of the same family or an upgrade target, term,
    /// billing cycle, seats), applied at renewal; `null` clears it. Left out, it stays as it is.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<NextTerm>)]
    pub scheduled_next_term_instructions: Option<Option<NextTerm>>,
}

/// Change a subscription: add or remove licenses, suspend, reactivate, cancel, auto-renew,
/// friendly name, reseller of record, instructions for the next term. Seats can be removed only
/// while they are returnable (`refundableQuantity`), and the subscription cancelled only until
/// `cancellationAllowedUntil`; otherwise schedule the change for the next term. Send `If-Match`
/// with the ETag you read: when another change came first the answer is 412 and nothing changes.
#[utoipa::path(
    tag = "subscriptions",
    params(
        ("customerId" = Uuid, Path, description = "Customer id"),
        ("subscriptionId" = Uuid, Path, description = "Subscription id"),
        ("If-Match" = Option<String>, Header, description = "The ETag from your last read")
    ),
    request_body = UpdateSubscription,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Updated.", body = Subscription, headers(("ETag" = String))),
        (status = 403, description = "Role not enough, or `indirect_provider_required` (only the billing provider changes `partnerIdOnRecord`).", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer or subscription within reach.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`subscription_suspended` (the quantity of a suspended subscription cannot change), `subscription_ended` (expired, disabled or deleted), `seat_reduction_window_passed` or `cancellation_window_passed` (with `possibleFrom`: when the change can apply).", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The ETag is stale.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, `quantity_out_of_range` on `quantity`, `partnership_required` on `partnerIdOnRecord`, or `next_term_not_available` on `scheduledNextTermInstructions.*`.", body = Problem, content_type = "application/problem+json")
    )
)]
#[patch("/customers/{customerId}/subscriptions/{subscriptionId}")]
pub async fn update_subscription(
    caller: Authorized<ops::ManageSubscriptions>,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
    precondition: Precondition,
    body: ValidJson<UpdateSubscription>,
) -> Result<Tagged<Subscription>, ApiError> {
    let (customer_id, subscription_id) = path.into_inner();
    let b = body.0;
    let patch = Patch {
        quantity: b.quantity,
        status: b.status,
        auto_renew: b.auto_renew,
        friendly_name: b.friendly_name,
        partner_id_on_record: b.partner_id_on_record,
        scheduled_next_term: b.scheduled_next_term_instructions,
    };
    let window = state.config.cancellation_window_hours;
    let updated = caller
        .change(&state.pool, move |change, caller| {
            service::update(
                change,
                caller,
                customer_id,
                subscription_id,
                precondition,
                patch,
                window,
            )
        })
        .await?;
    respond(updated)
}

/// Registers the subscription operations.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_subscriptions)
        .service(get_subscription)
        .service(update_subscription);
}
