//! `webhooks`, `webhook_events`, `webhook_deliveries` and `webhook_attempts` (docs/api-guide.md#webhooks):
//! a partner's registered endpoints (secrets stored sealed), the event outbox written with the
//! audit record of each change, one delivery per (event, endpoint), and every attempt.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::AnyConnection;
use crate::domain::{DeliveryStatus, Id};
use crate::schema::{webhook_attempts, webhook_deliveries, webhook_events, webhooks};

/// A registered endpoint. `secret` and `previous_secret` are sealed (see
/// `crate::sealing::seal`), never in clear.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhooks)]
#[diesel(treat_none_as_default_value = false)]
pub struct WebhookRow {
    pub id: Id,
    pub partner_id: Id,
    pub url: String,
    pub description: String,
    /// Comma-separated event types.
    pub event_types: String,
    pub enabled: bool,
    /// Why the server disabled it (e.g. failing for 5 days); `None` when enabled or disabled by
    /// a user.
    pub disabled_reason: Option<String>,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_expires_at: Option<NaiveDateTime>,
    /// Start of the current run of failed deliveries (`None` after a success).
    pub failing_since: Option<NaiveDateTime>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// When its last delivery attempt failed (a failure after a long quiet gap restarts
    /// `failing_since`).
    pub last_failed_at: Option<NaiveDateTime>,
}

impl WebhookRow {
    /// The event types it subscribes to.
    pub fn events(&self) -> Vec<String> {
        self.event_types
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// Inserts a registration.
    pub fn insert(conn: &mut AnyConnection, row: &WebhookRow) -> QueryResult<()> {
        diesel::insert_into(webhooks::table)
            .values(row)
            .execute(conn)
            .map(|_| ())
    }

    /// One of a partner's registrations.
    pub fn find_for_partner(
        conn: &mut AnyConnection,
        partner_id: Uuid,
        id: Uuid,
    ) -> QueryResult<Option<WebhookRow>> {
        webhooks::table
            .filter(webhooks::id.eq(Id::from(id)))
            .filter(webhooks::partner_id.eq(Id::from(partner_id)))
            .select(WebhookRow::as_select())
            .first(conn)
            .optional()
    }

    /// A registration by id.
    pub fn find(conn: &mut AnyConnection, id: &Id) -> QueryResult<Option<WebhookRow>> {
        webhooks::table
            .find(id)
            .select(WebhookRow::as_select())
            .first(conn)
            .optional()
    }

    /// One keyset page (by id) of a partner's registrations.
    pub fn page(
        conn: &mut AnyConnection,
        partner_id: Uuid,
        after: Option<&str>,
        limit: i64,
    ) -> QueryResult<Vec<WebhookRow>> {
        let mut q = webhooks::table
            .filter(webhooks::partner_id.eq(Id::from(partner_id)))
            .select(WebhookRow::as_select())
            .into_boxed();
        if let Some(after) = after {
            q = q.filter(webhooks::id.gt(after.to_owned()));
        }
        q.order(webhooks::id.asc()).limit(limit).load(conn)
    }

    /// Writes every column of `row` back (the caller read it in the same transaction).
    pub fn save(conn: &mut AnyConnection, row: &WebhookRow) -> QueryResult<()> {
        diesel::update(webhooks::table.find(&row.id))
            .set((
                webhooks::url.eq(&row.url),
                webhooks::description.eq(&row.description),
                webhooks::event_types.eq(&row.event_types),
                webhooks::enabled.eq(row.enabled),
                webhooks::disabled_reason.eq(&row.disabled_reason),
                webhooks::secret.eq(&row.secret),
                webhooks::previous_secret.eq(&row.previous_secret),
                webhooks::previous_secret_expires_at.eq(row.previous_secret_expires_at),
                webhooks::failing_since.eq(row.failing_since),
                webhooks::last_failed_at.eq(row.last_failed_at),
                webhooks::version.eq(row.version),
                webhooks::updated_at.eq(row.updated_at),
            ))
            .execute(conn)
            .map(|_| ())
    }

    /// Deletes a registration with its deliveries and their attempts.
    pub fn delete(conn: &mut AnyConnection, id: &Id) -> QueryResult<()> {
        let deliveries = webhook_deliveries::table
            .filter(webhook_deliveries::webhook_id.eq(id))
            .select(webhook_deliveries::id);
        diesel::delete(
            webhook_attempts::table.filter(webhook_attempts::delivery_id.eq_any(deliveries)),
        )
        .execute(conn)?;
        diesel::delete(webhook_deliveries::table.filter(webhook_deliveries::webhook_id.eq(id)))
            .execute(conn)?;
        diesel::delete(webhooks::table.find(id)).execute(conn)?;
        Ok(())
    }
}

/// An event of the outbox: the exact body sent to every endpoint (`payload`), for one partner.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_events)]
#[diesel(treat_none_as_default_value = false)]
pub struct EventRow {
    /// Also the `webhook-id` header: stable across retries, redeliveries and replays.
    pub id: String,
    pub partner_id: Id,
    pub event_type: String,
    /// `change id/operation/resource id` (the change id is server-generated per transaction,
    /// see `crate::change::Change`): one event per partner and change, however many
    /// audit records the change writes.
    pub change_key: String,
    pub payload: String,
    pub created_at: NaiveDateTime,
}

impl EventRow {
    /// A new event for `partner` with a fresh id (`msg_` + a time-ordered UUID), made now.
    pub fn new(
        partner: &Id,
        event_type: &str,
        change_key: String,
        payload: serde_json::Value,
    ) -> EventRow {
        EventRow {
            id: format!("msg_{}", Uuid::now_v7().simple()),
            partner_id: *partner,
            event_type: event_type.to_owned(),
            change_key,
            payload: payload.to_string(),
            created_at: super::now(),
        }
    }

    /// An event by id.
    pub fn find(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<EventRow>> {
        webhook_events::table
            .find(id)
            .select(EventRow::as_select())
            .first(conn)
            .optional()
    }

    /// A partner's events of `event_types` in `[from, to)`, oldest first (at most `limit`).
    pub fn in_window(
        conn: &mut AnyConnection,
        partner_id: &Id,
        event_types: &[String],
        from: NaiveDateTime,
        to: NaiveDateTime,
        limit: i64,
    ) -> QueryResult<Vec<EventRow>> {
        webhook_events::table
            .filter(webhook_events::partner_id.eq(partner_id))
            .filter(webhook_events::event_type.eq_any(event_types))
            .filter(webhook_events::created_at.ge(from))
            .filter(webhook_events::created_at.lt(to))
            .order(webhook_events::created_at.asc())
            .limit(limit)
            .select(EventRow::as_select())
            .load(conn)
    }
}

/// One event to one endpoint: pending until a 2xx (delivered) or the retry schedule runs out
/// (failed).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_deliveries)]
#[diesel(treat_none_as_default_value = false)]
pub struct DeliveryRow {
    pub id: Id,
    pub webhook_id: Id,
    pub event_id: String,
    pub event_type: String,
    /// `pending`, `delivered` or `failed`.
    pub status: DeliveryStatus,
    pub attempts: i32,
    /// When a pending delivery is due (also the lease of a claimed one).
    pub next_attempt_at: Option<NaiveDateTime>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The token of the claim leasing it to a worker until `next_attempt_at` (`None` when not
    /// claimed); only that claim may record the attempt's outcome.
    pub claim_token: Option<String>,
}

/// Filters of the delivery log.
#[derive(Debug, Default)]
pub struct DeliveryFilter {
    /// Only this status.
    pub status: Option<DeliveryStatus>,
    /// Only this event type.
    pub event_type: Option<String>,
}

impl DeliveryRow {
    /// A new pending delivery of `event` to `webhook_id`, due at once.
    pub fn new(webhook_id: &Id, event: &EventRow, now: NaiveDateTime) -> DeliveryRow {
        DeliveryRow {
            id: super::ids::new(),
            webhook_id: webhook_id.to_owned(),
            event_id: event.id.clone(),
            event_type: event.event_type.clone(),
            status: DeliveryStatus::Pending,
            attempts: 0,
            next_attempt_at: Some(now),
            last_status_code: None,
            last_error: None,
            created_at: now,
            updated_at: now,
            claim_token: None,
        }
    }

    /// Whether a worker holds a live lease on it (is sending it now).
    pub fn leased(&self, at: NaiveDateTime) -> bool {
        self.status == DeliveryStatus::Pending
            && self.claim_token.is_some()
            && self.next_attempt_at.is_some_and(|n| n > at)
    }

    /// Inserts a delivery.
    pub fn insert(conn: &mut AnyConnection, row: &DeliveryRow) -> QueryResult<()> {
        diesel::insert_into(webhook_deliveries::table)
            .values(row)
            .execute(conn)
            .map(|_| ())
    }

    /// A delivery by id.
    pub fn find(conn: &mut AnyConnection, id: &Id) -> QueryResult<Option<DeliveryRow>> {
        webhook_deliveries::table
            .find(id)
            .select(DeliveryRow::as_select())
            .first(conn)
            .optional()
    }

    /// One delivery of a registration.
    pub fn find_for_webhook(
        conn: &mut AnyConnection,
        webhook_id: &Id,
        id: Uuid,
    ) -> QueryResult<Option<DeliveryRow>> {
        webhook_deliveries::table
            .filter(webhook_deliveries::id.eq(Id::from(id)))
            .filter(webhook_deliveries::webhook_id.eq(webhook_id))
            .select(DeliveryRow::as_select())
            .first(conn)
            .optional()
    }

    /// One keyset page (by id, oldest first) of a registration's deliveries.
    pub fn page(
        conn: &mut AnyConnection,
        webhook_id: &Id,
        filter: &DeliveryFilter,
        after: Option<&str>,
        limit: i64,
    ) -> QueryResult<Vec<DeliveryRow>> {
        let mut q = webhook_deliveries::table
            .filter(webhook_deliveries::webhook_id.eq(webhook_id))
            .select(DeliveryRow::as_select())
            .into_boxed();
        if let Some(s) = &filter.status {
            q = q.filter(webhook_deliveries::status.eq(*s));
        }
        if let Some(e) = &filter.event_type {
            q = q.filter(webhook_deliveries::event_type.eq(e.clone()));
        }
        if let Some(after) = after {
            q = q.filter(webhook_deliveries::id.gt(after.to_owned()));
        }
        q.order(webhook_deliveries::id.asc())
            .limit(limit)
            .load(conn)
    }

    /// Makes a delivery pending and due at `at` with a fresh retry schedule (redeliver): its
    /// attempts start again from 0 (the attempt log keeps the history) and any expired claim is
    /// dropped, so a late worker cannot overwrite it.
    pub fn requeue(conn: &mut AnyConnection, id: &Id, at: NaiveDateTime) -> QueryResult<()> {
        diesel::update(webhook_deliveries::table.find(id))
            .set((
                webhook_deliveries::status.eq(DeliveryStatus::Pending),
                webhook_deliveries::attempts.eq(0),
                webhook_deliveries::next_attempt_at.eq(Some(at)),
                webhook_deliveries::claim_token.eq(None::<String>),
                webhook_deliveries::updated_at.eq(at),
            ))
            .execute(conn)
            .map(|_| ())
    }

    /// Whether the delivery `id` still exists (its webhook's deletion removes it).
    pub fn exists(conn: &mut AnyConnection, id: &Id) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(webhook_deliveries::table.find(id))).get_result(conn)
    }

    /// Records the outcome of an attempt made under the claim `row.claim_token`: status,
    /// attempts, next attempt, last status and error as in `row`, and releases the claim.
    /// Returns `false` (and changes nothing) when the claim no longer holds (its lease expired
    /// and another worker claimed it, or it was redelivered).
    pub fn record(conn: &mut AnyConnection, row: &DeliveryRow) -> QueryResult<bool> {
        let Some(token) = &row.claim_token else {
            return Ok(false);
        };
        diesel::update(
            webhook_deliveries::table
                .find(&row.id)
                .filter(webhook_deliveries::claim_token.eq(token)),
        )
        .set((
            webhook_deliveries::status.eq(row.status),
            webhook_deliveries::attempts.eq(row.attempts),
            webhook_deliveries::next_attempt_at.eq(row.next_attempt_at),
            webhook_deliveries::last_status_code.eq(row.last_status_code),
            webhook_deliveries::last_error.eq(&row.last_error),
            webhook_deliveries::claim_token.eq(None::<String>),
            webhook_deliveries::updated_at.eq(row.updated_at),
        ))
        .execute(conn)
        .map(|n| n == 1)
    }
}

/// One attempt of a delivery, with the receiver's answer truncated to 1 KiB.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_attempts)]
#[diesel(treat_none_as_default_value = false)]
pub struct AttemptRow {
    pub id: Id,
    pub delivery_id: Id,
    pub attempted_at: NaiveDateTime,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub response_headers: Option<String>,
    pub response_body: Option<String>,
    pub duration_ms: i64,
}

impl AttemptRow {
    /// Inserts an attempt.
    pub fn insert(conn: &mut AnyConnection, row: &AttemptRow) -> QueryResult<()> {
        diesel::insert_into(webhook_attempts::table)
            .values(row)
            .execute(conn)
            .map(|_| ())
    }

    /// The attempts of the given deliveries, oldest first.
    pub fn for_deliveries(
        conn: &mut AnyConnection,
        delivery_ids: &[Id],
    ) -> QueryResult<Vec<AttemptRow>> {
        webhook_attempts::table
            .filter(webhook_attempts::delivery_id.eq_any(delivery_ids))
            .order(webhook_attempts::id.asc())
            .select(AttemptRow::as_select())
            .load(conn)
    }
}

/// The delivery queue as the metrics see it (read at each scrape).
#[derive(Debug, Clone, Copy)]
pub struct QueueGauges {
    /// Pending deliveries, due or not.
    pub pending: i64,
    /// Seconds the most overdue pending delivery is late (0 when none is due).
    pub oldest_due_seconds: i64,
    /// Disabled endpoints.
    pub disabled: i64,
}

impl QueueGauges {
    /// Reads the gauges in three small queries (the pending and disabled counts use the
    /// status/due and enabled columns).
    pub fn read(conn: &mut AnyConnection) -> QueryResult<QueueGauges> {
        use diesel::dsl::min;
        let t = super::now();
        let pending = webhook_deliveries::table
            .filter(webhook_deliveries::status.eq(DeliveryStatus::Pending))
            .count()
            .get_result(conn)?;
        let oldest: Option<NaiveDateTime> = webhook_deliveries::table
            .filter(webhook_deliveries::status.eq(DeliveryStatus::Pending))
            .filter(webhook_deliveries::next_attempt_at.le(t))
            .select(min(webhook_deliveries::next_attempt_at))
            .first(conn)?;
        let disabled = webhooks::table
            .filter(webhooks::enabled.eq(false))
            .count()
            .get_result(conn)?;
        Ok(QueueGauges {
            pending,
            oldest_due_seconds: oldest.map_or(0, |o| (t - o).num_seconds().max(0)),
            disabled,
        })
    }
}
