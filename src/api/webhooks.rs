//! The wire types of the webhook operations (docs/api-guide.md#webhooks): the endpoint as shown, the
//! requests to register, change and replay, the rotated secret, the delivery log, the event body
//! and the event-type catalogue.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::{Validate, ValidationError};

use crate::domain::DeliveryStatus;
use crate::domain::events::{self, EventName};
use crate::models::utc;
use crate::models::webhook::{AttemptRow, DeliveryRow, WebhookRow};
use crate::validate;

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
            id: r.id.uuid(),
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
    if events.iter().all(|e| events::is_event_type(e)) {
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
    #[schema(value_type = String)]
    pub status: DeliveryStatus,
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
    /// A delivery as shown, with its attempts picked out of `attempts`.
    pub fn new(r: DeliveryRow, attempts: &[AttemptRow]) -> Delivery {
        Delivery {
            id: r.id.uuid(),
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
            next_attempt_at: (r.status == DeliveryStatus::Pending)
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
    Customer(crate::api::customers::Customer),
    /// `subscription-created`, `subscription-updated`, `subscription-upgraded`,
    /// `support-contact-updated`.
    Subscription(crate::api::subscriptions::Subscription),
    /// `order-created`.
    Order(crate::api::orders::Order),
    /// `service-request-updated`.
    ServiceRequest(crate::api::service_requests::ServiceRequest),
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
}

fn delivery_status(s: &str) -> Result<(), ValidationError> {
    if s.parse::<DeliveryStatus>().is_ok() {
        return Ok(());
    }
    let mut e = ValidationError::new("status");
    e.message = Some("must be pending, delivered or failed".into());
    Err(e)
}
