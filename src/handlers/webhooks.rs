//! Webhooks (docs/api-guide.md#webhooks, permission-table row "Webhooks"): a partner's global admins and admin agents
//! register endpoints for event types and get a signing secret once (stored sealed), rotate it
//! (the old one keeps signing for 24 h), send a test event, read the delivery log, redeliver one
//! delivery or replay a time window. `GET /v1/webhook-events` lists the event types. The wire
//! types are in `crate::api::webhooks`; every workflow is in `services::webhooks`. A new URL's target check
//! (async DNS) runs in the handler, after authorization and before the service call.

use actix_web::{delete, get, patch, post, web};
use uuid::Uuid;

use crate::auth::{Authorized, ops};
use crate::error::{ApiError, Problem};
use crate::etag::Precondition;
use crate::extract::ValidJson;
use crate::models::utc;
use crate::models::webhook::DeliveryFilter;
use crate::paging::{Page, PageParams, Paged};
use crate::respond::{Accepted, Created, Json, NoContent, Tagged};
use crate::services::webhooks::{self as service, NewWebhook, WebhookChanges};
use crate::state::AppState;

pub use crate::api::webhooks::*;

/// Register an endpoint for event types; its signing secret appears only in this response.
#[utoipa::path(
    tag = "webhooks",
    request_body = CreateWebhook,
    params(("Idempotency-Key" = Option<String>, Header)),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Registered.", body = CreatedWebhook, headers(("Location" = String, description = "The webhook's URL"))),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`quota_exceeded` (`limit`: `webhooksPerPartner`, default 25), or the Idempotency-Key is in use.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or `webhook_target_refused` (not https, or not a public address).", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/webhooks")]
pub async fn create_webhook(
    caller: Authorized<ops::ManageWebhooks>,
    state: web::Data<AppState>,
    body: ValidJson<CreateWebhook>,
) -> Result<Created<CreatedWebhook>, ApiError> {
    let req = body.0;
    service::check_target(&req.url, state.config.webhook_allow_private_targets).await?;
    let (secret, sealed) = service::new_secret(&state.config.jwt_secret)?;
    let new = NewWebhook {
        url: req.url,
        events: req.events,
        description: req.description,
    };
    let quotas = state.config.quotas;
    let row = caller
        .change(&state.pool, move |change, caller| {
            service::create(change, caller, new, sealed, &quotas)
        })
        .await?;
    let version = row.version;
    Ok(Created::new(
        format!("/v1/webhooks/{}", row.id),
        CreatedWebhook {
            webhook: row.into(),
            secret,
        },
    )
    .tagged(version))
}

/// List your organisation's webhooks, oldest first (secrets are never shown).
#[utoipa::path(
    tag = "webhooks",
    params(PageParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of webhooks.", body = Page<Webhook>),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad `limit` or `cursor`.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/webhooks")]
pub async fn list_webhooks(
    caller: Authorized<ops::ManageWebhooks>,
    state: web::Data<AppState>,
    query: Paged,
) -> Result<Json<Page<Webhook>>, ApiError> {
    let page = query.page.clone();
    let rows = caller
        .run(&state.pool, move |conn, caller| {
            service::list(conn, caller, &page)
        })
        .await?;
    Ok(Json::new(query.answer(
        rows,
        |r| r.id.as_str(),
        Webhook::from,
    )))
}

/// Read one webhook (says whether it was disabled for failing, and since when it fails).
#[utoipa::path(
    tag = "webhooks",
    params(("webhookId" = Uuid, Path, description = "Webhook id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The webhook.", body = Webhook, headers(("ETag" = String, description = "For If-Match"))),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such webhook in your organisation.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`webhookId` is not a UUID.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/webhooks/{webhookId}")]
pub async fn get_webhook(
    caller: Authorized<ops::ManageWebhooks>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<Tagged<Webhook>, ApiError> {
    let id = path.into_inner();
    let row = caller
        .run(&state.pool, move |conn, caller| {
            service::get(conn, caller, id)
        })
        .await?;
    Ok(Tagged::new(row.version, Webhook::from(row)))
}

/// Change a webhook's URL, event types, description, or enable/disable it.
#[utoipa::path(
    tag = "webhooks",
    request_body = UpdateWebhook,
    params(
        ("webhookId" = Uuid, Path, description = "Webhook id"),
        ("If-Match" = Option<String>, Header, description = "The ETag last read; 412 when stale.")
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Changed.", body = Webhook, headers(("ETag" = String, description = "For If-Match"))),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such webhook in your organisation.", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The ETag is stale.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or `webhook_target_refused`.", body = Problem, content_type = "application/problem+json")
    )
)]
#[patch("/webhooks/{webhookId}")]
pub async fn update_webhook(
    caller: Authorized<ops::ManageWebhooks>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    precondition: Precondition,
    body: ValidJson<UpdateWebhook>,
) -> Result<Tagged<Webhook>, ApiError> {
    let id = path.into_inner();
    let patch = body.0;
    if let Some(url) = &patch.url {
        service::check_target(url, state.config.webhook_allow_private_targets).await?;
    }
    let changes = WebhookChanges {
        url: patch.url,
        events: patch.events,
        description: patch.description,
        enabled: patch.enabled,
    };
    let row = caller
        .change(&state.pool, move |change, caller| {
            service::update(change, caller, id, precondition, changes)
        })
        .await?;
    Ok(Tagged::new(row.version, Webhook::from(row)))
}

/// Delete a webhook with its delivery log; nothing more is sent to it.
#[utoipa::path(
    tag = "webhooks",
    params(("webhookId" = Uuid, Path, description = "Webhook id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted."),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such webhook in your organisation.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`webhookId` is not a UUID.", body = Problem, content_type = "application/problem+json")
    )
)]
#[delete("/webhooks/{webhookId}")]
pub async fn delete_webhook(
    caller: Authorized<ops::ManageWebhooks>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<NoContent, ApiError> {
    let id = path.into_inner();
    caller
        .change(&state.pool, move |change, caller| {
            service::delete(change, caller, id)
        })
        .await?;
    Ok(NoContent)
}

/// Rotate the signing secret: the new one appears only in this response; the old one keeps
/// signing (a second `v1,` signature) for 24 hours so receivers can switch without loss.
#[utoipa::path(
    tag = "webhooks",
    params(("webhookId" = Uuid, Path, description = "Webhook id"), ("Idempotency-Key" = Option<String>, Header)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Rotated.", body = RotatedSecret),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such webhook in your organisation.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The Idempotency-Key is in use.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`webhookId` is not a UUID.", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/webhooks/{webhookId}/secret")]
pub async fn rotate_webhook_secret(
    caller: Authorized<ops::ManageWebhooks>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<Json<RotatedSecret>, ApiError> {
    let id = path.into_inner();
    let (secret, sealed) = service::new_secret(&state.config.jwt_secret)?;
    let until = caller
        .change(&state.pool, move |change, caller| {
            service::rotate_secret(change, caller, id, sealed)
        })
        .await?;
    Ok(Json::new(RotatedSecret {
        secret,
        previous_secret_expires_at: utc(until),
    }))
}

/// Send a `test-created` event to this webhook now (it appears in the delivery log).
#[utoipa::path(
    tag = "webhooks",
    params(("webhookId" = Uuid, Path, description = "Webhook id"), ("Idempotency-Key" = Option<String>, Header)),
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Queued for immediate delivery.", body = Queued),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such webhook in your organisation.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`webhook_disabled`: the webhook is disabled (enable it first), or the Idempotency-Key is in use.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`webhookId` is not a UUID.", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/webhooks/{webhookId}/test")]
pub async fn test_webhook(
    caller: Authorized<ops::ManageWebhooks>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<Accepted<Queued>, ApiError> {
    let id = path.into_inner();
    let event = caller
        .change(&state.pool, move |change, caller| {
            service::send_test(change, caller, id)
        })
        .await?;
    Ok(Accepted::new(Queued {
        queued: 1,
        event_ids: vec![event.id],
        truncated: false,
    }))
}

/// The delivery log of a webhook, oldest first: each delivery with its attempts, last status
/// code and error, and next attempt time.
#[utoipa::path(
    tag = "webhooks",
    params(("webhookId" = Uuid, Path, description = "Webhook id"), PageParams, DeliveryQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of deliveries.", body = Page<Delivery>),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such webhook in your organisation.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad filter, `limit` or `cursor`.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/webhooks/{webhookId}/deliveries")]
pub async fn list_webhook_deliveries(
    caller: Authorized<ops::ManageWebhooks>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    query: Paged<DeliveryQuery>,
) -> Result<Json<Page<Delivery>>, ApiError> {
    let id = path.into_inner();
    let filter = DeliveryFilter {
        status: (query.filters.status.as_deref())
            .map(str::parse)
            .transpose()
            .map_err(ApiError::internal)?,
        event_type: query.filters.event_type.clone(),
    };
    let page = query.page.clone();
    let (rows, attempts) = caller
        .run(&state.pool, move |conn, caller| {
            service::deliveries(conn, caller, id, &filter, &page)
        })
        .await?;
    Ok(Json::new(query.answer(
        rows,
        |r| r.id.as_str(),
        |r| Delivery::new(r, &attempts),
    )))
}

/// Resend one delivery now, with the same `webhook-id` (also after it failed), with a fresh
/// retry schedule (`attempts` starts again from 0; the attempt log keeps every attempt). It is
/// the same delivery, re-armed: an event has one delivery per webhook.
#[utoipa::path(
    tag = "webhooks",
    params(
        ("webhookId" = Uuid, Path, description = "Webhook id"),
        ("deliveryId" = Uuid, Path, description = "Delivery id"),
        ("Idempotency-Key" = Option<String>, Header)
    ),
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Queued for immediate delivery.", body = Queued),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such webhook or delivery.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`delivery_in_progress`: a worker is sending it now (retry after its lease, at most 2 minutes), or the Idempotency-Key is in use.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An id is not a UUID.", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`delivery_queue_full`: your organisation has as many deliveries queued as it may (`max`, `queued`, `adding`); or too many requests from this caller (`rate_limited`). Retry after `Retry-After` seconds.", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/webhooks/{webhookId}/deliveries/{deliveryId}/redeliver")]
pub async fn redeliver_webhook_delivery(
    caller: Authorized<ops::ManageWebhooks>,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<Accepted<Queued>, ApiError> {
    let (id, delivery_id) = path.into_inner();
    let limits = queue_limits(&state);
    let event_id = caller
        .change(&state.pool, move |change, caller| {
            service::redeliver(change, caller, id, delivery_id, limits)
        })
        .await?;
    Ok(Accepted::new(Queued {
        queued: 1,
        event_ids: vec![event_id],
        truncated: false,
    }))
}

/// Re-queue every event of a time window for this webhook (those of its event types, oldest
/// first, at most 10 000: `truncated` says when there were more), each with its original
/// `webhook-id`. Events are kept `WEBHOOK_EVENT_RETENTION_DAYS` (30 by default): a window
/// starting earlier is served from there. Each event's one delivery to this webhook is
/// re-armed (or created): replaying twice never sends an event twice per replay. One replay
/// per webhook at a time: until each of its deliveries has had its first attempt, another is
/// refused (409 `replay_in_progress`); what it adds to your organisation's queue must stay
/// within the queue limit (429 `delivery_queue_full`).
#[utoipa::path(
    tag = "webhooks",
    request_body = Replay,
    params(("webhookId" = Uuid, Path, description = "Webhook id"), ("Idempotency-Key" = Option<String>, Header)),
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Queued.", body = Queued),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such webhook in your organisation.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`replay_in_progress`: this webhook's previous replay still has deliveries not yet attempted; or the Idempotency-Key is in use.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid window (`to` must be after `from`).", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`delivery_queue_full`: the deliveries this replay would add pass your organisation's queue limit (`max`, `queued`, `adding`; replay a shorter window); or too many requests from this caller (`rate_limited`). Retry after `Retry-After` seconds.", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/webhooks/{webhookId}/replay")]
pub async fn replay_webhook_events(
    caller: Authorized<ops::ManageWebhooks>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: ValidJson<Replay>,
) -> Result<Accepted<Queued>, ApiError> {
    let id = path.into_inner();
    let Replay { from, to } = body.0;
    let limits = queue_limits(&state);
    let (event_ids, truncated) = caller
        .change(&state.pool, move |change, caller| {
            service::replay(change, caller, id, from, to, limits)
        })
        .await?;
    Ok(Accepted::new(Queued {
        queued: event_ids.len() as i64,
        event_ids,
        truncated,
    }))
}

/// The event types a webhook can subscribe to, each with a description and an example payload.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every event type.", body = WebhookEventTypes),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/webhook-events")]
pub async fn list_webhook_events(
    caller: Authorized<ops::ManageWebhooks>,
    state: web::Data<AppState>,
) -> Result<Json<WebhookEventTypes>, ApiError> {
    let items = caller
        .run(&state.pool, |_, caller| service::event_types(caller))
        .await?;
    Ok(Json::new(WebhookEventTypes { items }))
}

/// The queue limits and the replay reach the configuration sets.
fn queue_limits(state: &AppState) -> service::QueueLimits {
    service::QueueLimits {
        max_queued_per_partner: state.config.webhook_max_queued_per_partner,
        retention_days: state.config.webhook_event_retention_days,
    }
}

/// Registers the webhook operations.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_webhooks)
        .service(create_webhook)
        .service(get_webhook)
        .service(update_webhook)
        .service(delete_webhook)
        .service(rotate_webhook_secret)
        .service(test_webhook)
        .service(list_webhook_deliveries)
        .service(redeliver_webhook_delivery)
        .service(replay_webhook_events)
        .service(list_webhook_events);
}
