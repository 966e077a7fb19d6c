//! Webhook registrations (docs/api-guide.md#webhooks, permission-table row "Webhooks"): registering an endpoint, changing
//! it (compare-and-swap on its row version), deleting it, rotating its signing secret (the old
//! one keeps signing for [`PREVIOUS_SECRET_HOURS`]), sending a test event, reading the delivery
//! log, redelivering one delivery and replaying a time window. Each state change is one function
//! here, in one transaction, scoped to the caller's partner (another partner's webhook is 404),
//! with its audit record where the change is to the registration itself. The target check
//! ([`check_target`], async DNS) runs before the transaction, after authorization.

use actix_web::http::StatusCode;
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::api::webhooks::{Webhook, WebhookEventType};
use crate::auth::PartnerCaller;
use crate::change::Change;
use crate::db::AnyConnection;
use crate::domain::events;
use crate::domain::{AuditOperation, Id};
use crate::domain::{Quota, Quotas};
use crate::error::{ApiError, ProblemCode};
use crate::etag::Precondition;
use crate::models::audit::Audit;
use crate::models::webhook::{
    AttemptRow, DeliveryFilter, DeliveryRow, EventRow, ReplayWindow, WebhookRow,
};
use crate::models::{ids, now, utc};
use crate::outbox;
use crate::paging::PageRequest;
use crate::webhooks;

/// How long the previous secret keeps signing after a rotation.
pub const PREVIOUS_SECRET_HOURS: i64 = 24;
/// The most events one replay re-queues.
pub const REPLAY_MAX: i64 = 10_000;

/// 422 `webhook_target_refused` on `url` unless `url` is a target events may be sent to (https,
/// a public address once resolved; private addresses only when `allow_private`). Async: it
/// resolves the host (bounded by `webhooks::DNS_TIMEOUT`). Call it after authorization.
pub async fn check_target(url: &str, allow_private: bool) -> Result<(), ApiError> {
    match webhooks::refused_target(url, allow_private).await {
        None => Ok(()),
        Some(why) => Err(ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            ProblemCode::WebhookTargetRefused,
            "url",
            format!("The URL is refused: it {why}."),
        )),
    }
}

/// A new signing secret: the secret itself (shown once) and its sealed form under `seal_key`
/// (the only form stored).
pub fn new_secret(seal_key: &str) -> Result<(String, String), ApiError> {
    let secret = webhooks::new_secret();
    let sealed = crate::sealing::seal(seal_key, secret.as_bytes())?;
    Ok((secret, sealed))
}

/// An endpoint to register.
#[derive(Debug)]
pub struct NewWebhook {
    /// Where events are POSTed (already checked with [`check_target`]).
    pub url: String,
    /// Event types (repeats are dropped here).
    pub events: Vec<String>,
    /// Free text (trimmed here).
    pub description: String,
}

/// Changes to an endpoint; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct WebhookChanges {
    /// New URL (already checked with [`check_target`]).
    pub url: Option<String>,
    /// New event types (repeats are dropped here).
    pub events: Option<Vec<String>>,
    /// New description (trimmed here).
    pub description: Option<String>,
    /// Enable (clearing `disabled_reason` and the failing clock) or disable delivery.
    pub enabled: Option<bool>,
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

/// One of the caller's partner's webhooks; 404 `not_found` otherwise.
fn find(
    conn: &mut AnyConnection,
    caller: &PartnerCaller,
    webhook_id: Uuid,
) -> Result<WebhookRow, ApiError> {
    WebhookRow::find_for_partner(conn, caller.partner_id(), webhook_id)?
        .ok_or_else(|| ApiError::not_found("The webhook"))
}

/// Registers an endpoint for the caller's partner with the secret sealed as `sealed_secret`,
/// audited as `create_webhook`. Returns the new row (version 1).
pub fn create(
    change: &mut Change<'_>,
    caller: &PartnerCaller,
    new: NewWebhook,
    sealed_secret: String,
    quotas: &Quotas,
) -> Result<WebhookRow, ApiError> {
    let partner_id = caller.partner_id();
    super::quotas::check(change, quotas, Quota::WebhooksPerPartner, partner_id)?;
    let t = now();
    let row = WebhookRow {
        id: ids::new(),
        partner_id: Id::from(partner_id),
        url: new.url,
        description: new.description.trim().to_owned(),
        event_types: unique(new.events).join(","),
        enabled: true,
        disabled_reason: None,
        secret: sealed_secret,
        previous_secret: None,
        previous_secret_expires_at: None,
        failing_since: None,
        last_failed_at: None,
        version: 1,
        created_at: t,
        updated_at: t,
    };
    WebhookRow::insert(change.conn(), &row)?;
    change.audit(
        Audit::new(AuditOperation::CreateWebhook, row.id)
            .partner(partner_id)
            .new_value(Webhook::from(row.clone())),
    );
    Ok(row)
}

/// One page of the caller's partner's webhooks (up to `page.limit + 1` rows in id order).
pub fn list(
    conn: &mut AnyConnection,
    caller: &PartnerCaller,
    page: &PageRequest,
) -> Result<Vec<WebhookRow>, ApiError> {
    Ok(WebhookRow::page(
        conn,
        caller.partner_id(),
        page.after.as_deref(),
        page.rows_to_fetch(),
    )?)
}

/// One of the caller's partner's webhooks; 404 `not_found` otherwise.
pub fn get(
    conn: &mut AnyConnection,
    caller: &PartnerCaller,
    webhook_id: Uuid,
) -> Result<WebhookRow, ApiError> {
    find(conn, caller, webhook_id)
}

/// Applies `changes` to a webhook if its version is still the one `precondition` names (412
/// `precondition_failed` otherwise), bumping the version, audited as `update_webhook` with
/// before and after. Enabling clears `disabled_reason` and the failing clock.
pub fn update(
    change: &mut Change<'_>,
    caller: &PartnerCaller,
    webhook_id: Uuid,
    precondition: Precondition,
    changes: WebhookChanges,
) -> Result<WebhookRow, ApiError> {
    let before = find(change.conn(), caller, webhook_id)?;
    precondition.expect(before.version)?;
    let mut after = before.clone();
    if let Some(url) = changes.url {
        after.url = url;
    }
    if let Some(events) = changes.events {
        after.event_types = unique(events).join(",");
    }
    if let Some(d) = changes.description {
        after.description = d.trim().to_owned();
    }
    if let Some(enabled) = changes.enabled {
        after.enabled = enabled;
        if enabled {
            after.disabled_reason = None;
            after.failing_since = None;
        }
    }
    after.version += 1;
    after.updated_at = now();
    WebhookRow::save(change.conn(), &after)?;
    change.audit(
        Audit::new(AuditOperation::UpdateWebhook, after.id)
            .partner(caller.partner_id())
            .old_value(Webhook::from(before))
            .new_value(Webhook::from(after.clone())),
    );
    Ok(after)
}

/// Deletes a webhook with its delivery log, audited as `delete_webhook`.
pub fn delete(
    change: &mut Change<'_>,
    caller: &PartnerCaller,
    webhook_id: Uuid,
) -> Result<(), ApiError> {
    let row = find(change.conn(), caller, webhook_id)?;
    WebhookRow::delete(change.conn(), &row.id)?;
    change.audit(
        Audit::new(AuditOperation::DeleteWebhook, row.id)
            .partner(caller.partner_id())
            .old_value(Webhook::from(row)),
    );
    Ok(())
}

/// Replaces a webhook's secret with `sealed_secret`; the previous one keeps signing for
/// [`PREVIOUS_SECRET_HOURS`]. Audited as `rotate_webhook_secret`. Returns until when the
/// previous secret signs.
pub fn rotate_secret(
    change: &mut Change<'_>,
    caller: &PartnerCaller,
    webhook_id: Uuid,
    sealed_secret: String,
) -> Result<NaiveDateTime, ApiError> {
    let mut row = find(change.conn(), caller, webhook_id)?;
    let t = now();
    let until = t + Duration::hours(PREVIOUS_SECRET_HOURS);
    row.previous_secret = Some(std::mem::replace(&mut row.secret, sealed_secret));
    row.previous_secret_expires_at = Some(until);
    row.version += 1;
    row.updated_at = t;
    WebhookRow::save(change.conn(), &row)?;
    change.audit(
        Audit::new(AuditOperation::RotateWebhookSecret, row.id)
            .partner(caller.partner_id())
            .new_value(json!({ "previousSecretExpiresAt": utc(until) })),
    );
    Ok(until)
}

/// Queues a `test-created` event for this webhook only (its resource is the webhook as GET
/// shows it). Errors: 409 `webhook_disabled`.
pub fn send_test(
    change: &mut Change<'_>,
    caller: &PartnerCaller,
    webhook_id: Uuid,
) -> Result<EventRow, ApiError> {
    let row = find(change.conn(), caller, webhook_id)?;
    if !row.enabled {
        return Err(ApiError::conflict(
            ProblemCode::WebhookDisabled,
            "The webhook is disabled; enable it (PATCH `enabled: true`) to send a test event.",
        ));
    }
    let partner = Id::from(caller.partner_id());
    let payload = outbox::Payload {
        event_type: events::TEST_EVENT,
        resource_uri: format!("/v1/webhooks/{}", row.id),
        resource_name: "webhook",
        audit_uri: "/v1/audit-records?resourceType=webhook".to_owned(),
        changed_at: now(),
        partner_id: partner.as_str(),
        customer_id: None,
    }
    .json(&outbox::raw(&Webhook::from(row.clone()))?)?;
    let key = format!("test/{}", change.id());
    outbox::write_one(
        change.conn(),
        &partner,
        events::TEST_EVENT,
        key,
        payload,
        &row,
    )
}

/// One page of a webhook's deliveries matching `filter` (up to `page.limit + 1` rows in id
/// order) with the attempts of those deliveries.
pub fn deliveries(
    conn: &mut AnyConnection,
    caller: &PartnerCaller,
    webhook_id: Uuid,
    filter: &DeliveryFilter,
    page: &PageRequest,
) -> Result<(Vec<DeliveryRow>, Vec<AttemptRow>), ApiError> {
    let hook = find(conn, caller, webhook_id)?;
    let rows = DeliveryRow::page(
        conn,
        &hook.id,
        filter,
        page.after.as_deref(),
        page.rows_to_fetch(),
    )?;
    let ids: Vec<Id> = rows.iter().map(|r| r.id).collect();
    let attempts = AttemptRow::for_deliveries(conn, &ids)?;
    Ok((rows, attempts))
}

/// How far the delivery queue of one partner may grow by replays and redeliveries, and how far
/// back a replay reaches.
#[derive(Debug, Clone, Copy)]
pub struct QueueLimits {
    /// Pending deliveries a partner may have (`WEBHOOK_MAX_QUEUED_PER_PARTNER`).
    pub max_queued_per_partner: i64,
    /// Days events are kept (`WEBHOOK_EVENT_RETENTION_DAYS`): a replay reaches this far back.
    pub retention_days: i64,
}

/// Seconds a client is told to wait when the queue is full (the worker sends dozens a second
/// per partner, so a minute frees room for a sizeable replay).
pub const QUEUE_FULL_RETRY_AFTER: u64 = 60;

/// 429 `delivery_queue_full` unless `partner` may have `adding` more deliveries queued.
fn check_room(
    conn: &mut AnyConnection,
    partner: &Id,
    adding: i64,
    limits: QueueLimits,
) -> Result<(), ApiError> {
    if adding <= 0 {
        return Ok(());
    }
    let max = limits.max_queued_per_partner;
    let queued = DeliveryRow::queued_for_partner(conn, partner, max + 1)?;
    if queued + adding <= max {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        ProblemCode::DeliveryQueueFull,
        format!(
            "Your organisation has {queued} webhook deliveries queued and this request would add \
             {adding}: past the limit of {max} queued deliveries per organisation. Retry in \
             {QUEUE_FULL_RETRY_AFTER} seconds, once the worker has sent some, or replay a \
             shorter window."
        ),
    )
    .with("max", max)
    .with("queued", queued)
    .with("adding", adding)
    .with_header(
        actix_web::http::header::RETRY_AFTER,
        QUEUE_FULL_RETRY_AFTER.to_string(),
    ))
}

/// Re-queues one delivery now with a fresh retry schedule (the same delivery: its attempt log
/// goes on); returns its event id. Errors: 404 `not_found` (no such delivery of this webhook),
/// 409 `delivery_in_progress` (a worker holds its lease), 429 `delivery_queue_full` (a
/// delivery not pending would pass the partner's queue limit).
pub fn redeliver(
    change: &mut Change<'_>,
    caller: &PartnerCaller,
    webhook_id: Uuid,
    delivery_id: Uuid,
    limits: QueueLimits,
) -> Result<String, ApiError> {
    let hook = find(change.conn(), caller, webhook_id)?;
    DeliveryRow::lock_queue(change.conn(), &hook.partner_id)?;
    let d = DeliveryRow::find_for_webhook(change.conn(), &hook.id, delivery_id)?
        .ok_or_else(|| ApiError::not_found("The delivery"))?;
    let t = now();
    if d.leased(t) {
        return Err(ApiError::conflict(
            ProblemCode::DeliveryInProgress,
            "A worker is sending this delivery now; retry once its attempt is recorded.",
        ));
    }
    let adding = i64::from(d.status != crate::domain::DeliveryStatus::Pending);
    check_room(change.conn(), &hook.partner_id, adding, limits)?;
    DeliveryRow::requeue(change.conn(), &d.id, t)?;
    Ok(d.event_id)
}

/// Queues to this webhook every event of its types in `[from, to)`, oldest first, at most
/// [`REPLAY_MAX`]; a window that starts before the retention (`limits.retention_days`) starts
/// at it, since older events are gone. Each event's one delivery to the webhook is re-armed
/// (due now, fresh retry schedule, attempt log kept) or, if it has none, created. Returns the
/// event ids and whether the window held more.
/// Errors: 422 `validation_failed` on `to` unless `to` is after `from`; 409
/// `replay_in_progress` while the webhook's previous replay has deliveries not yet attempted;
/// 429 `delivery_queue_full` when the deliveries it would add pass the partner's queue limit.
pub fn replay(
    change: &mut Change<'_>,
    caller: &PartnerCaller,
    webhook_id: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limits: QueueLimits,
) -> Result<(Vec<String>, bool), ApiError> {
    if to <= from {
        return Err(ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            ProblemCode::ValidationFailed,
            "to",
            "must be after `from`",
        ));
    }
    let hook = find(change.conn(), caller, webhook_id)?;
    DeliveryRow::lock_queue(change.conn(), &hook.partner_id)?;
    if DeliveryRow::replay_open(change.conn(), &hook.id)? {
        return Err(ApiError::conflict(
            ProblemCode::ReplayInProgress,
            "This webhook's previous replay is still queued: retry once each of its deliveries \
             has had its first attempt (the delivery log shows them).",
        ));
    }
    let t = now();
    let window = ReplayWindow {
        partner_id: &hook.partner_id,
        event_types: &hook.event_types,
        from: from
            .naive_utc()
            .max(t - Duration::days(limits.retention_days)),
        to: to.naive_utc(),
    };
    if window.to <= window.from {
        return Ok((Vec::new(), false));
    }
    let mut ids = EventRow::window_ids(change.conn(), &window, REPLAY_MAX + 1)?;
    let truncated = ids.len() as i64 > REPLAY_MAX;
    ids.truncate(REPLAY_MAX as usize);
    if ids.is_empty() {
        return Ok((ids, false));
    }
    let pending = DeliveryRow::pending_in_window(change.conn(), &hook.id, &window, REPLAY_MAX)?;
    check_room(
        change.conn(),
        &hook.partner_id,
        ids.len() as i64 - pending,
        limits,
    )?;
    DeliveryRow::arm_window(change.conn(), &hook.id, &window, REPLAY_MAX, t)?;
    Ok((ids, truncated))
}

/// The event types a webhook can subscribe to, each with an example body addressed to the
/// caller's partner (nothing is read but the caller).
pub fn event_types(caller: &PartnerCaller) -> Result<Vec<WebhookEventType>, ApiError> {
    let partner = caller.partner_id();
    Ok(events::EVENT_TYPES
        .iter()
        .map(|e| WebhookEventType {
            name: e.name.to_owned(),
            description: e.description.to_owned(),
            resource_name: e.resource_type.to_owned(),
            example_payload: example_payload(e, partner),
        })
        .collect())
}

fn example_payload(e: &events::EventType, partner: Uuid) -> Value {
    json!({
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
    })
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
        "delegated_admin_relationship" => {
            "/v1/delegated-admin-relationships/019a8f3c-1000-7000-8000-000000000002"
        }
        "delegated_admin_access_assignment" => {
            "/v1/delegated-admin-relationships/019a8f3c-1000-7000-8000-000000000002/accessAssignments"
        }
        _ => "/v1/webhooks/019a8f3c-1000-7000-8000-000000000002",
    }
}
