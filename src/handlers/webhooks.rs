//! Webhooks (product.md §11, §5 row "Webhooks"): a partner's global admins and admin agents
//! register endpoints for event types and get a signing secret once (stored sealed), rotate it
//! (the old one keeps signing for 24 h), send a test event, read the delivery log, redeliver one
//! delivery or replay a time window. `GET /v1/webhook-events` lists the event types.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::{Validate, ValidationError};

use crate::auth::Principal;
use crate::auth::permissions::{self, Operation};
use crate::db::{self, AnyConnection};
use crate::error::{ApiError, Problem};
use crate::extract::{ValidJson, ValidQuery};
use crate::models::audit::{Actor, Audit};
use crate::models::webhook::{AttemptRow, DeliveryFilter, DeliveryRow, EventRow, WebhookRow};
use crate::models::{ids, now, utc};
use crate::paging::{Page, PageParams};
use crate::state::AppState;
use crate::webhooks::EventName;
use crate::{etag, idempotency, validate, webhooks};

/// How long the previous secret keeps signing after a rotation.
pub const PREVIOUS_SECRET_HOURS: i64 = 24;
/// The most events one replay re-queues.
pub const REPLAY_MAX: i64 = 10_000;

/// A registered endpoint as the API shows it (never its secret).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    /// Webhook id.
    pub id: Uuid,
    /// Where events are POSTed.
    #[schema(example = "https://hooks.example.com/partner-center")]
    pub url: String,
    /// The event types it receives.
    #[schema(example = json!(["subscription-updated", "customer-created"]))]
    pub events: Vec<String>,
    /// Free text.
    pub description: String,
    /// Whether events are delivered to it.
    pub enabled: bool,
    /// Why the server disabled it: `failing_for_5_days` (re-enable with PATCH `enabled: true`).
    pub disabled_reason: Option<String>,
    /// Start of the current run of failed deliveries, if failing.
    pub failing_since: Option<DateTime<Utc>>,
    /// Until when the previous secret also signs (after a rotation).
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<WebhookRow> for Webhook {
    fn from(r: WebhookRow) -> Webhook {
        Webhook {
            id: ids::parse(&r.id),
            events: r.events(),
            url: r.url,
            description: r.description,
            enabled: r.enabled,
            disabled_reason: r.disabled_reason,
            failing_since: r.failing_since.map(utc),
            previous_secret_expires_at: r.previous_secret_expires_at.map(utc),
            created_at: utc(r.created_at),
            updated_at: utc(r.updated_at),
        }
    }
}

fn event_types(events: &[String]) -> Result<(), ValidationError> {
    if events.iter().all(|e| webhooks::is_event_type(e)) {
        return Ok(());
    }
    let mut e = ValidationError::new("event_type");
    e.message = Some("must be event types listed by GET /v1/webhook-events".into());
    Err(e)
}

/// Request to register an endpoint.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateWebhook {
    /// An `https://` URL on a public address.
    #[validate(length(min = 1, max = 2000), custom(function = "validate::http_url"))]
    #[schema(
        example = "https://hooks.example.com/partner-center",
        max_length = 2000,
        pattern = "^[Hh][Tt][Tt][Pp][Ss]?://"
    )]
    pub url: String,
    /// Event types to receive (at least one).
    #[validate(length(min = 1, max = 20), custom(function = "event_types"))]
    #[schema(inline, value_type = Vec<EventName>, min_items = 1, max_items = 20, example = json!(["subscription-updated"]))]
    pub events: Vec<String>,
    /// Free text.
    #[validate(length(max = 500))]
    #[schema(max_length = 500, example = "Provisioning sync")]
    #[serde(default)]
    pub description: String,
}

/// A registered endpoint with its signing secret.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedWebhook {
    /// The endpoint.
    pub webhook: Webhook,
    /// The signing secret (`whsec_` + base64), shown only in this response.
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    pub secret: String,
}

/// Changes to an endpoint (absent fields stay as they are).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateWebhook {
    /// New URL (checked like at registration).
    #[validate(length(min = 1, max = 2000), custom(function = "validate::http_url"))]
    #[schema(max_length = 2000, pattern = "^[Hh][Tt][Tt][Pp][Ss]?://")]
    pub url: Option<String>,
    /// New event types.
    #[validate(length(min = 1, max = 20), custom(function = "event_types"))]
    #[schema(inline, value_type = Option<Vec<EventName>>, min_items = 1, max_items = 20)]
    pub events: Option<Vec<String>>,
    /// New description.
    #[validate(length(max = 500))]
    #[schema(max_length = 500)]
    pub description: Option<String>,
    /// Enable or disable delivery (enabling clears `disabledReason`).
    pub enabled: Option<bool>,
}

/// A rotated secret.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RotatedSecret {
    /// The new signing secret, shown only in this response.
    pub secret: String,
    /// Until when the previous secret also signs each delivery.
    pub previous_secret_expires_at: DateTime<Utc>,
}

/// One attempt of a delivery.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    /// When it was made.
    pub attempted_at: DateTime<Utc>,
    /// The receiver's HTTP status, if it answered.
    pub status_code: Option<i32>,
    /// What went wrong, if anything.
    pub error: Option<String>,
    /// The receiver's response headers (JSON object, truncated to 1 KiB).
    pub response_headers: Option<String>,
    /// The receiver's response body (truncated to 1 KiB).
    pub response_body: Option<String>,
    /// How long it took, in milliseconds.
    pub duration_ms: i64,
}

/// A delivery of one event to one endpoint, with its attempts.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    /// Delivery id.
    pub id: Uuid,
    /// The event id, sent as `webhook-id` (the same on every retry, redelivery and replay).
    #[schema(example = "msg_019a8f3c20007000800000000000abcd")]
    pub event_id: String,
    /// The event type.
    pub event_type: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    /// Attempts made.
    pub attempts: i32,
    /// The last attempt's HTTP status.
    pub last_status_code: Option<i32>,
    /// The last attempt's error.
    pub last_error: Option<String>,
    /// When the next attempt is due (pending only).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Every attempt, oldest first.
    pub attempt_log: Vec<Attempt>,
}

impl Delivery {
    fn new(r: DeliveryRow, attempts: &[AttemptRow]) -> Delivery {
        Delivery {
            id: ids::parse(&r.id),
            attempt_log: attempts
                .iter()
                .filter(|a| a.delivery_id == r.id)
                .map(|a| Attempt {
                    attempted_at: utc(a.attempted_at),
                    status_code: a.status_code,
                    error: a.error.clone(),
                    response_headers: a.response_headers.clone(),
                    response_body: a.response_body.clone(),
                    duration_ms: a.duration_ms,
                })
                .collect(),
            event_id: r.event_id,
            event_type: r.event_type,
            next_attempt_at: (r.status == "pending")
                .then_some(r.next_attempt_at)
                .flatten()
                .map(utc),
            status: r.status,
            attempts: r.attempts,
            last_status_code: r.last_status_code,
            last_error: r.last_error,
            created_at: utc(r.created_at),
        }
    }
}

/// The body of every event (Standard Webhooks), as POSTed to endpoints.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookEventPayload {
    /// The event type.
    #[schema(example = "subscription-updated")]
    pub r#type: String,
    /// When the event was written (the change's commit).
    pub timestamp: DateTime<Utc>,
    /// What changed.
    pub data: WebhookEventData,
}

/// The `data` of an event: the full snapshot of the resource, so a receiver needs no second call.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookEventData {
    /// Where to GET the resource.
    pub resource_uri: String,
    /// The resource type (`customer`, `subscription`, `order`, `service_request`,
    /// `customer_relationship`, `partnership`, `webhook`).
    pub resource_name: String,
    /// The audit records of the change.
    pub audit_uri: String,
    /// When the change committed.
    pub changed_at: DateTime<Utc>,
    /// The partner receiving the event.
    pub partner_id: Uuid,
    /// The customer concerned, if any.
    pub customer_id: Option<Uuid>,
    /// The resource as a GET of `resourceUri` returns it; for a partner that can no longer see
    /// it after the change (e.g. no longer its support contact), only `id` and the changed field
    /// (`supportContactPartnerId` or `partnerIdOnRecord`).
    pub resource: EventResource,
}

/// `data.resource` by event type: a customer (`customer-*`), a subscription (`subscription-*`,
/// `support-contact-updated`), an order (`order-created`), a service request
/// (`service-request-updated`), or for relationship and partnership events an object with
/// `partnerId`/`providerId`/`resellerId`, `delegatedAdmin` or `status`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum EventResource {
    /// `customer-created`, `customer-updated`.
    Customer(super::customers::Customer),
    /// `subscription-created`, `subscription-updated`, `subscription-upgraded`,
    /// `support-contact-updated`.
    Subscription(super::subscriptions::Subscription),
    /// `order-created`.
    Order(super::orders::Order),
    /// `service-request-updated`.
    ServiceRequest(super::service_requests::ServiceRequest),
    /// Relationship, partnership and test events, and the minimal resource sent to a partner
    /// that can no longer see it.
    Other(serde_json::Map<String, Value>),
}

/// An event type.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookEventType {
    /// The name to subscribe to.
    #[schema(example = "subscription-updated")]
    pub name: String,
    /// What happened.
    pub description: String,
    /// The type of `data.resource`.
    pub resource_name: String,
    /// An example body.
    #[schema(value_type = WebhookEventPayload)]
    pub example_payload: Value,
}

/// The list of event types.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookEventTypes {
    /// Every event type.
    pub items: Vec<WebhookEventType>,
}

/// A re-queued delivery.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Queued {
    /// How many deliveries were queued.
    pub queued: i64,
    /// The event ids (the `webhook-id` of each).
    pub event_ids: Vec<String>,
    /// Replay only: the window held more than 10 000 events of the webhook's types and only the
    /// oldest 10 000 were queued (replay again from the last one's time).
    pub truncated: bool,
}

/// A time window to replay.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Replay {
    /// Inclusive start (RFC 3339).
    #[schema(example = "2026-01-01T00:00:00Z")]
    pub from: DateTime<Utc>,
    /// Exclusive end (RFC 3339), after `from`.
    #[schema(example = "2100-01-01T00:00:00Z")]
    pub to: DateTime<Utc>,
}

/// `events` without repeats, in their first order.
fn unique(events: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(events.len());
    for e in events {
        if !out.contains(&e) {
            out.push(e);
        }
    }
    out
}

async fn check_target(state: &AppState, url: &str) -> Result<(), ApiError> {
    match webhooks::refused_target(url, state.config.webhook_allow_private_targets).await {
        None => Ok(()),
        Some(why) => Err(ApiError::field(
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            "webhook_target_refused",
            "url",
            format!("The URL is refused: it {why}."),
        )),
    }
}

fn find(
    conn: &mut AnyConnection,
    partner_id: Uuid,
    webhook_id: Uuid,
) -> Result<WebhookRow, ApiError> {
    WebhookRow::find_for_partner(conn, partner_id, webhook_id)?
        .ok_or_else(|| ApiError::not_found("The webhook"))
}

fn sealed_secret(state: &AppState) -> Result<(String, String), ApiError> {
    let secret = webhooks::new_secret();
    let sealed = idempotency::seal(&state.config.jwt_secret, secret.as_bytes())?;
    Ok((secret, sealed))
}

/// Register an endpoint for event types; its signing secret appears only in this response.
#[utoipa::path(
    tag = "webhooks",
    request_body = CreateWebhook,
    params(("Idempotency-Key" = Option<String>, Header)),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 201, description = "Registered.", body = CreatedWebhook, headers(("Location" = String, description = "The webhook's URL"))),
        (status = 400, description = "Malformed JSON.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The Idempotency-Key is in use.", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or `webhook_target_refused` (not https, or not a public address).", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/webhooks")]
pub async fn create_webhook(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidJson<CreateWebhook>,
) -> Result<HttpResponse, ApiError> {
    permissions::require(&principal, Operation::ManageWebhooks)?;
    let partner_id = principal.partner_id()?;
    let req = body.0;
    check_target(&state, &req.url).await?;
    let (secret, sealed) = sealed_secret(&state)?;
    let t = now();
    let events = unique(req.events);
    let row = WebhookRow {
        id: ids::new(),
        partner_id: partner_id.to_string(),
        url: req.url,
        description: req.description.trim().to_owned(),
        event_types: events.join(","),
        enabled: true,
        disabled_reason: None,
        secret: sealed,
        previous_secret: None,
        previous_secret_expires_at: None,
        failing_since: None,
        last_failed_at: None,
        version: 1,
        created_at: t,
        updated_at: t,
    };
    let saved = row.clone();
    db::run(&state.pool, move |conn| {
        db::transaction(conn, |conn| {
            WebhookRow::insert(conn, &saved)?;
            Audit::new("create_webhook", "webhook", &saved.id)
                .partner(partner_id)
                .new_value(Webhook::from(saved.clone()))
                .write(conn, &Actor::from(&principal))
        })
    })
    .await?;
    let res = HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v1/webhooks/{}", row.id)))
        .insert_header((header::ETAG, etag::etag(row.version)))
        .json(CreatedWebhook {
            webhook: row.into(),
            secret,
        });
    Ok(idempotency::shown_once(res))
}

/// List your organisation's webhooks, oldest first (secrets are never shown).
#[utoipa::path(
    tag = "webhooks",
    params(PageParams),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "One page of webhooks.", body = Page<Webhook>),
        (status = 401, description = "Not signed in.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad `limit` or `cursor`.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/webhooks")]
pub async fn list_webhooks(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    query: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    permissions::require(&principal, Operation::ManageWebhooks)?;
    let partner_id = principal.partner_id()?;
    let page = query.validate()?;
    let p = page.clone();
    let rows = db::run(&state.pool, move |conn| {
        Ok(WebhookRow::page(
            conn,
            partner_id,
            p.after.as_deref(),
            p.limit + 1,
        )?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(rows, &page, &req, |r| &r.id, Webhook::from)))
}

/// Read one webhook (says whether it was disabled for failing, and since when it fails).
#[utoipa::path(
    tag = "webhooks",
    params(("webhookId" = Uuid, Path, description = "Webhook id")),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "The webhook.", body = Webhook, headers(("ETag" = String, description = "For If-Match"))),
        (status = 401, description = "Not signed in.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such webhook in your organisation.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`webhookId` is not a UUID.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/webhooks/{webhookId}")]
pub async fn get_webhook(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    permissions::require(&principal, Operation::ManageWebhooks)?;
    let partner_id = principal.partner_id()?;
    let id = path.into_inner();
    let row = db::run(&state.pool, move |conn| find(conn, partner_id, id)).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag::etag(row.version)))
        .json(Webhook::from(row)))
}

/// Change a webhook's URL, event types, description, or enable/disable it.
#[utoipa::path(
    tag = "webhooks",
    request_body = UpdateWebhook,
    params(
        ("webhookId" = Uuid, Path, description = "Webhook id"),
        ("If-Match" = Option<String>, Header, description = "The ETag last read; 412 when stale.")
    ),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "Changed.", body = Webhook, headers(("ETag" = String, description = "For If-Match"))),
        (status = 400, description = "Malformed JSON.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such webhook in your organisation.", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The ETag is stale.", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or `webhook_target_refused`.", body = Problem, content_type = "application/problem+json")
    )
)]
#[patch("/webhooks/{webhookId}")]
pub async fn update_webhook(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    path: web::Path<Uuid>,
    body: ValidJson<UpdateWebhook>,
) -> Result<HttpResponse, ApiError> {
    permissions::require(&principal, Operation::ManageWebhooks)?;
    let partner_id = principal.partner_id()?;
    let id = path.into_inner();
    let precondition = etag::if_match(&req)?;
    let patch = body.0;
    if let Some(url) = &patch.url {
        check_target(&state, url).await?;
    }
    let row = db::run(&state.pool, move |conn| {
        db::transaction(conn, |conn| {
            let before = find(conn, partner_id, id)?;
            precondition.expect(before.version)?;
            let mut after = before.clone();
            if let Some(url) = patch.url {
                after.url = url;
            }
            if let Some(events) = patch.events {
                after.event_types = unique(events).join(",");
            }
            if let Some(d) = patch.description {
                after.description = d.trim().to_owned();
            }
            if let Some(enabled) = patch.enabled {
                after.enabled = enabled;
                if enabled {
                    after.disabled_reason = None;
                    after.failing_since = None;
                }
            }
            after.version += 1;
            after.updated_at = now();
            WebhookRow::save(conn, &after)?;
            Audit::new("update_webhook", "webhook", &after.id)
                .partner(partner_id)
                .old_value(Webhook::from(before))
                .new_value(Webhook::from(after.clone()))
                .write(conn, &Actor::from(&principal))?;
            Ok(after)
        })
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag::etag(row.version)))
        .json(Webhook::from(row)))
}

/// Delete a webhook with its delivery log; nothing more is sent to it.
#[utoipa::path(
    tag = "webhooks",
    params(("webhookId" = Uuid, Path, description = "Webhook id")),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 204, description = "Deleted."),
        (status = 401, description = "Not signed in.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such webhook in your organisation.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`webhookId` is not a UUID.", body = Problem, content_type = "application/problem+json")
    )
)]
#[delete("/webhooks/{webhookId}")]
pub async fn delete_webhook(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    permissions::require(&principal, Operation::ManageWebhooks)?;
    let partner_id = principal.partner_id()?;
    let id = path.into_inner();
    db::run(&state.pool, move |conn| {
        db::transaction(conn, |conn| {
            let row = find(conn, partner_id, id)?;
            WebhookRow::delete(conn, &row.id)?;
            Audit::new("delete_webhook", "webhook", &row.id)
                .partner(partner_id)
                .old_value(Webhook::from(row))
                .write(conn, &Actor::from(&principal))
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Rotate the signing secret: the new one appears only in this response; the old one keeps
/// signing (a second `v1,` signature) for 24 hours so receivers can switch without loss.
#[utoipa::path(
    tag = "webhooks",
    params(("webhookId" = Uuid, Path, description = "Webhook id"), ("Idempotency-Key" = Option<String>, Header)),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "Rotated.", body = RotatedSecret),
        (status = 401, description = "Not signed in.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such webhook in your organisation.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The Idempotency-Key is in use.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`webhookId` is not a UUID.", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/webhooks/{webhookId}/secret")]
pub async fn rotate_webhook_secret(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    permissions::require(&principal, Operation::ManageWebhooks)?;
    let partner_id = principal.partner_id()?;
    let id = path.into_inner();
    let (secret, sealed) = sealed_secret(&state)?;
    let until = db::run(&state.pool, move |conn| {
        db::transaction(conn, |conn| {
            let mut row = find(conn, partner_id, id)?;
            let t = now();
            let until = t + chrono::Duration::hours(PREVIOUS_SECRET_HOURS);
            row.previous_secret = Some(std::mem::replace(&mut row.secret, sealed));
            row.previous_secret_expires_at = Some(until);
            row.version += 1;
            row.updated_at = t;
            WebhookRow::save(conn, &row)?;
            Audit::new("rotate_webhook_secret", "webhook", &row.id)
                .partner(partner_id)
                .new_value(json!({ "previousSecretExpiresAt": utc(until) }))
                .write(conn, &Actor::from(&principal))?;
            Ok(until)
        })
    })
    .await?;
    Ok(idempotency::shown_once(HttpResponse::Ok().json(
        RotatedSecret {
            secret,
            previous_secret_expires_at: utc(until),
        },
    )))
}

/// Send a `test-created` event to this webhook now (it appears in the delivery log).
#[utoipa::path(
    tag = "webhooks",
    params(("webhookId" = Uuid, Path, description = "Webhook id"), ("Idempotency-Key" = Option<String>, Header)),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 202, description = "Queued for immediate delivery.", body = Queued),
        (status = 401, description = "Not signed in.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such webhook in your organisation.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`webhook_disabled`: the webhook is disabled (enable it first), or the Idempotency-Key is in use.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`webhookId` is not a UUID.", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/webhooks/{webhookId}/test")]
pub async fn test_webhook(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    permissions::require(&principal, Operation::ManageWebhooks)?;
    let partner_id = principal.partner_id()?;
    let id = path.into_inner();
    let event = db::run(&state.pool, move |conn| {
        db::transaction(conn, |conn| {
            let row = find(conn, partner_id, id)?;
            if !row.enabled {
                return Err(ApiError::conflict(
                    "webhook_disabled",
                    "The webhook is disabled; enable it (PATCH `enabled: true`) to send a test event.",
                ));
            }
            let partner = partner_id.to_string();
            let payload = webhooks::Payload {
                event_type: webhooks::TEST_EVENT,
                resource_uri: format!("/v1/webhooks/{}", row.id),
                resource_name: "webhook",
                audit_uri: "/v1/audit-records?resourceType=webhook".to_owned(),
                changed_at: now(),
                partner_id: &partner,
                customer_id: None,
            }
            .json(json!(Webhook::from(row.clone())));
            let key = format!("test/{}", Uuid::now_v7());
            webhooks::enqueue(
                conn,
                &partner,
                webhooks::TEST_EVENT,
                &key,
                payload,
                Some(&row),
            )
        })
    })
    .await?;
    Ok(HttpResponse::Accepted().json(Queued {
        queued: 1,
        event_ids: vec![event.id],
        truncated: false,
    }))
}

/// Filters of the delivery log.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    /// Only deliveries in this status: `pending`, `delivered` or `failed`.
    #[validate(custom(function = "delivery_status"))]
    #[param(pattern = "^(pending|delivered|failed)$")]
    pub status: Option<String>,
    /// Only this event type.
    pub event_type: Option<String>,
    /// Items per page, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `nextCursor` of the previous page.
    pub cursor: Option<String>,
}

fn delivery_status(s: &str) -> Result<(), ValidationError> {
    if matches!(s, "pending" | "delivered" | "failed") {
        return Ok(());
    }
    let mut e = ValidationError::new("status");
    e.message = Some("must be pending, delivered or failed".into());
    Err(e)
}

/// The delivery log of a webhook, oldest first: each delivery with its attempts, last status
/// code and error, and next attempt time.
#[utoipa::path(
    tag = "webhooks",
    params(("webhookId" = Uuid, Path, description = "Webhook id"), DeliveryQuery),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "One page of deliveries.", body = Page<Delivery>),
        (status = 401, description = "Not signed in.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such webhook in your organisation.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad filter, `limit` or `cursor`.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/webhooks/{webhookId}/deliveries")]
pub async fn list_webhook_deliveries(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    path: web::Path<Uuid>,
    query: ValidQuery<DeliveryQuery>,
) -> Result<HttpResponse, ApiError> {
    permissions::require(&principal, Operation::ManageWebhooks)?;
    let partner_id = principal.partner_id()?;
    let id = path.into_inner();
    let q = query.0;
    let page = PageParams {
        limit: q.limit,
        cursor: q.cursor,
    }
    .validate()?;
    let filter = DeliveryFilter {
        status: q.status,
        event_type: q.event_type,
    };
    let p = page.clone();
    let (rows, attempts) = db::run(&state.pool, move |conn| {
        let hook = find(conn, partner_id, id)?;
        let rows = DeliveryRow::page(conn, &hook.id, &filter, p.after.as_deref(), p.limit + 1)?;
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let attempts = AttemptRow::for_deliveries(conn, &ids)?;
        Ok((rows, attempts))
    })
    .await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(
        rows,
        &page,
        &req,
        |r| &r.id,
        |r| Delivery::new(r, &attempts),
    )))
}

/// Resend one delivery now, with the same `webhook-id` (also after it failed), with a fresh
/// retry schedule (`attempts` starts again from 0; the attempt log keeps every attempt).
#[utoipa::path(
    tag = "webhooks",
    params(
        ("webhookId" = Uuid, Path, description = "Webhook id"),
        ("deliveryId" = Uuid, Path, description = "Delivery id"),
        ("Idempotency-Key" = Option<String>, Header)
    ),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 202, description = "Queued for immediate delivery.", body = Queued),
        (status = 401, description = "Not signed in.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such webhook or delivery.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`delivery_in_progress`: a worker is sending it now (retry after its lease, at most 2 minutes), or the Idempotency-Key is in use.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An id is not a UUID.", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/webhooks/{webhookId}/deliveries/{deliveryId}/redeliver")]
pub async fn redeliver_webhook_delivery(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    permissions::require(&principal, Operation::ManageWebhooks)?;
    let partner_id = principal.partner_id()?;
    let (id, delivery_id) = path.into_inner();
    let event_id = db::run(&state.pool, move |conn| {
        db::transaction(conn, |conn| {
            let hook = find(conn, partner_id, id)?;
            let d = DeliveryRow::find_for_webhook(conn, &hook.id, delivery_id)?
                .ok_or_else(|| ApiError::not_found("The delivery"))?;
            let t = now();
            if d.leased(t) {
                return Err(ApiError::conflict(
                    "delivery_in_progress",
                    "A worker is sending this delivery now; retry once its attempt is recorded.",
                ));
            }
            DeliveryRow::requeue(conn, &d.id, t)?;
            Ok(d.event_id)
        })
    })
    .await?;
    Ok(HttpResponse::Accepted().json(Queued {
        queued: 1,
        event_ids: vec![event_id],
        truncated: false,
    }))
}

/// Re-queue every event of a time window for this webhook (those of its event types, oldest
/// first, at most 10 000: `truncated` says when there were more), each with its original
/// `webhook-id`.
#[utoipa::path(
    tag = "webhooks",
    request_body = Replay,
    params(("webhookId" = Uuid, Path, description = "Webhook id"), ("Idempotency-Key" = Option<String>, Header)),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 202, description = "Queued.", body = Queued),
        (status = 400, description = "Malformed JSON.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such webhook in your organisation.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The Idempotency-Key is in use.", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid window (`to` must be after `from`).", body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/webhooks/{webhookId}/replay")]
pub async fn replay_webhook_events(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<Uuid>,
    body: ValidJson<Replay>,
) -> Result<HttpResponse, ApiError> {
    permissions::require(&principal, Operation::ManageWebhooks)?;
    let partner_id = principal.partner_id()?;
    let id = path.into_inner();
    let window = body.0;
    if window.to <= window.from {
        return Err(ApiError::field(
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "to",
            "must be after `from`",
        ));
    }
    let event_ids = db::run(&state.pool, move |conn| {
        db::transaction(conn, |conn| {
            let hook = find(conn, partner_id, id)?;
            let t = now();
            let mut events: Vec<EventRow> = EventRow::in_window(
                conn,
                &hook.partner_id,
                &hook.events(),
                window.from.naive_utc(),
                window.to.naive_utc(),
                REPLAY_MAX + 1,
            )?;
            let truncated = events.len() as i64 > REPLAY_MAX;
            events.truncate(REPLAY_MAX as usize);
            for e in &events {
                DeliveryRow::insert(conn, &DeliveryRow::new(&hook.id, e, t))?;
            }
            let ids = events.into_iter().map(|e| e.id).collect::<Vec<_>>();
            Ok((ids, truncated))
        })
    })
    .await?;
    let (event_ids, truncated) = event_ids;
    Ok(HttpResponse::Accepted().json(Queued {
        queued: event_ids.len() as i64,
        event_ids,
        truncated,
    }))
}

/// The event types a webhook can subscribe to, each with a description and an example payload.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "Every event type.", body = WebhookEventTypes),
        (status = 401, description = "Not signed in.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role not enough.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/webhook-events")]
pub async fn list_webhook_events(principal: Principal) -> Result<HttpResponse, ApiError> {
    permissions::require(&principal, Operation::ManageWebhooks)?;
    let partner = principal.tenant_id;
    let items = webhooks::EVENT_TYPES
        .iter()
        .map(|e| WebhookEventType {
            name: e.name.to_owned(),
            description: e.description.to_owned(),
            resource_name: e.resource_type.to_owned(),
            example_payload: json!({
                "type": e.name,
                "timestamp": "2026-11-30T12:00:00.123456Z",
                "data": {
                    "resourceUri": example_uri(e.resource_type),
                    "resourceName": e.resource_type,
                    "auditUri": format!("/v1/audit-records?resourceType={}", e.resource_type),
                    "changedAt": "2026-11-30T12:00:00.123456Z",
                    "partnerId": partner,
                    "customerId": "019a8f3c-1000-7000-8000-000000000001",
                    "resource": { "id": "019a8f3c-1000-7000-8000-000000000002", "…": "the resource as GET returns it" },
                }
            }),
        })
        .collect();
    Ok(HttpResponse::Ok().json(WebhookEventTypes { items }))
}

fn example_uri(resource_type: &str) -> &'static str {
    match resource_type {
        "customer" => "/v1/customers/019a8f3c-1000-7000-8000-000000000001",
        "subscription" => {
            "/v1/customers/019a8f3c-1000-7000-8000-000000000001/subscriptions/019a8f3c-1000-7000-8000-000000000002"
        }
        "order" => {
            "/v1/customers/019a8f3c-1000-7000-8000-000000000001/orders/019a8f3c-1000-7000-8000-000000000002"
        }
        "service_request" => {
            "/v1/customers/019a8f3c-1000-7000-8000-000000000001/service-requests/019a8f3c-1000-7000-8000-000000000002"
        }
        "customer_relationship" => {
            "/v1/customers/019a8f3c-1000-7000-8000-000000000001/relationships"
        }
        "partnership" => "/v1/indirect-resellers",
        _ => "/v1/webhooks/019a8f3c-1000-7000-8000-000000000002",
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
