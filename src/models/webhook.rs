//! `webhooks`, `webhook_events`, `webhook_deliveries` and `webhook_attempts` (docs/api-guide.md#webhooks):
//! a partner's registered endpoints (secrets stored sealed), the event outbox written with the
//! audit record of each change, one delivery per (event, endpoint), and every attempt.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use uuid::Uuid;

use super::raw::{self, Arg, Count, IdText};
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
    /// How many webhook endpoints the partner `partner_id` has (its quota's count).
    pub fn count_for_partner(conn: &mut AnyConnection, partner_id: Uuid) -> QueryResult<i64> {
        webhooks::table
            .filter(webhooks::partner_id.eq(Id::from(partner_id)))
            .count()
            .get_result(conn)
    }
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
    /// A new event for `partner` with a fresh id (`msg_` + a time-ordered UUID), made now;
    /// `payload` is the body's JSON text (`crate::outbox::Payload::json`).
    pub fn new(partner: &Id, event_type: &str, change_key: String, payload: String) -> EventRow {
        EventRow {
            id: format!("msg_{}", Uuid::now_v7().simple()),
            partner_id: *partner,
            event_type: event_type.to_owned(),
            change_key,
            payload,
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

    /// The ids of the events in `window`, oldest first (at most `limit`; no payloads).
    pub fn window_ids(
        conn: &mut AnyConnection,
        window: &ReplayWindow<'_>,
        limit: i64,
    ) -> QueryResult<Vec<String>> {
        let rows: Vec<IdText> = raw::load(conn, WINDOW, window.args(limit))?;
        Ok(rows.into_iter().map(|r| r.id).collect())
    }
}

/// Events the retention may purge (alias `e`): created before `?`, and none of their deliveries
/// is still pending to an enabled endpoint (its retries end within the retry schedule, and an
/// endpoint that is disabled has given up waiting for it).
const PURGEABLE: &str = "e.created_at < ? AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p \
     JOIN webhooks pw ON pw.id = p.webhook_id \
     WHERE p.event_id = e.id AND p.status = 'pending' AND pw.enabled)";

/// What one [`EventRow::delete_with_deliveries`] removed.
#[derive(Debug, Clone, Copy, Default)]
pub struct PurgedEvents {
    /// Attempts of the purged deliveries.
    pub attempts: usize,
    /// Deliveries of the purged events.
    pub deliveries: usize,
    /// Events.
    pub events: usize,
}

impl EventRow {
    /// The ids of at most `limit` events, oldest first, that the retention may purge as of
    /// `cutoff` ([`PURGEABLE`]); PostgreSQL locks them (skipping those another replica's purge
    /// holds) until the transaction ends.
    pub fn purgeable(
        conn: &mut AnyConnection,
        cutoff: NaiveDateTime,
        limit: i64,
    ) -> QueryResult<Vec<String>> {
        let lock = if matches!(conn, AnyConnection::Postgresql(_)) {
            " FOR UPDATE SKIP LOCKED"
        } else {
            ""
        };
        let rows: Vec<IdText> = raw::load(
            conn,
            &format!(
                "SELECT e.id FROM webhook_events e WHERE {PURGEABLE} \
                 ORDER BY e.created_at LIMIT ?{lock}"
            ),
            vec![Arg::Time(cutoff), Arg::Int(limit)],
        )?;
        Ok(rows.into_iter().map(|r| r.id).collect())
    }

    /// Deletes the events `ids` with their deliveries and those deliveries' attempts, children
    /// first (three statements).
    pub fn delete_with_deliveries(
        conn: &mut AnyConnection,
        ids: &[String],
    ) -> QueryResult<PurgedEvents> {
        if ids.is_empty() {
            return Ok(PurgedEvents::default());
        }
        let list = vec!["?"; ids.len()].join(", ");
        let args = || {
            ids.iter()
                .map(|id| Arg::Text(id.clone()))
                .collect::<Vec<_>>()
        };
        let attempts = raw::execute(
            conn,
            &format!(
                "DELETE FROM webhook_attempts WHERE delivery_id IN \
                 (SELECT id FROM webhook_deliveries WHERE event_id IN ({list}))"
            ),
            args(),
        )?;
        let deliveries = raw::execute(
            conn,
            &format!("DELETE FROM webhook_deliveries WHERE event_id IN ({list})"),
            args(),
        )?;
        let events = raw::execute(
            conn,
            &format!("DELETE FROM webhook_events WHERE id IN ({list})"),
            args(),
        )?;
        Ok(PurgedEvents {
            attempts,
            deliveries,
            events,
        })
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
    /// Queued (or re-armed) by a replay: until its first attempt is recorded, the replay is
    /// open and its endpoint takes no other.
    pub replayed: bool,
}

/// A replay's window: a partner's events of some types created in `[from, to)`, oldest first.
#[derive(Debug, Clone)]
pub struct ReplayWindow<'a> {
    /// Whose events.
    pub partner_id: &'a Id,
    /// The types replayed, comma-separated (an endpoint's `event_types`).
    pub event_types: &'a str,
    /// Inclusive start.
    pub from: NaiveDateTime,
    /// Exclusive end.
    pub to: NaiveDateTime,
}

impl ReplayWindow<'_> {
    /// The values of [`WINDOW`]'s placeholders.
    fn args(&self, limit: i64) -> Vec<Arg> {
        vec![
            Arg::Text(self.partner_id.to_string()),
            Arg::Time(self.from),
            Arg::Time(self.to),
            Arg::Text(self.event_types.to_owned()),
            Arg::Int(limit),
        ]
    }
}

/// The id of a new delivery of event `e` to endpoint `w`, of the form the change's fan-out
/// gives (`models::change_rows`): the event's time-ordered id prefix, then on PostgreSQL a hash
/// of both ids, on SQLite random bits.
fn delivery_id_sql(postgres: bool) -> &'static str {
    if postgres {
        "(substr(e.id, 5, 16) || substr(md5(w.id || e.id), 1, 16))::uuid::text"
    } else {
        "lower(substr(e.id, 5, 8) || '-' || substr(e.id, 13, 4) || '-' || \
         substr(e.id, 17, 4) || '-' || hex(randomblob(2)) || '-' || hex(randomblob(6)))"
    }
}

/// The ids of a [`ReplayWindow`]'s events, oldest first, at most `?` of them (by the index on
/// `(partner_id, created_at)`; event type names never hold a `LIKE` wildcard).
const WINDOW: &str = "SELECT e.id FROM webhook_events e WHERE e.partner_id = ? \
     AND e.created_at >= ? AND e.created_at < ? \
     AND (',' || ? || ',') LIKE ('%,' || e.event_type || ',%') \
     ORDER BY e.created_at, e.id LIMIT ?";

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
            replayed: false,
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
                webhook_deliveries::replayed.eq(false),
            ))
            .execute(conn)
            .map(|_| ())
    }

    /// Holds `partner`'s delivery queue until the transaction ends, so two replays or
    /// redeliveries of one partner cannot both pass its checks (a PostgreSQL advisory lock;
    /// SQLite transactions already hold the database write lock, see `db::transaction`).
    pub fn lock_queue(conn: &mut AnyConnection, partner: &Id) -> QueryResult<()> {
        if let AnyConnection::Postgresql(_) = conn {
            raw::execute(
                conn,
                "SELECT pg_advisory_xact_lock(1195724883, hashtext(?))",
                vec![Arg::Text(partner.to_string())],
            )?;
        }
        Ok(())
    }

    /// Whether `webhook_id` has an open replay: a delivery a replay queued that has not had
    /// its first attempt yet.
    pub fn replay_open(conn: &mut AnyConnection, webhook_id: &Id) -> QueryResult<bool> {
        let rows: Vec<Count> = raw::load(
            conn,
            "SELECT count(*) AS n FROM (SELECT 1 AS one FROM webhook_deliveries \
             WHERE webhook_id = ? AND replayed AND status = 'pending' AND attempts = 0 \
             LIMIT 1) open",
            vec![Arg::Text(webhook_id.to_string())],
        )?;
        Ok(rows.first().is_some_and(|c| c.n > 0))
    }

    /// How many deliveries `partner`'s endpoints have pending (due now or later), counted up
    /// to `at_most`.
    pub fn queued_for_partner(
        conn: &mut AnyConnection,
        partner: &Id,
        at_most: i64,
    ) -> QueryResult<i64> {
        let rows: Vec<Count> = raw::load(
            conn,
            "SELECT count(*) AS n FROM (SELECT 1 AS one FROM webhook_deliveries d \
             WHERE d.status = 'pending' AND d.webhook_id IN \
             (SELECT w.id FROM webhooks w WHERE w.partner_id = ?) LIMIT ?) queued",
            vec![Arg::Text(partner.to_string()), Arg::Int(at_most)],
        )?;
        Ok(rows.first().map_or(0, |c| c.n))
    }

    /// How many of the first `limit` events of `window` are already pending to `webhook_id`.
    pub fn pending_in_window(
        conn: &mut AnyConnection,
        webhook_id: &Id,
        window: &ReplayWindow<'_>,
        limit: i64,
    ) -> QueryResult<i64> {
        let mut args = vec![Arg::Text(webhook_id.to_string())];
        args.extend(window.args(limit));
        let rows: Vec<Count> = raw::load(
            conn,
            &format!(
                "SELECT count(*) AS n FROM webhook_deliveries d WHERE d.webhook_id = ? \
                 AND d.status = 'pending' AND d.event_id IN ({WINDOW})"
            ),
            args,
        )?;
        Ok(rows.first().map_or(0, |c| c.n))
    }

    /// Queues the first `limit` events of `window` to `webhook_id`, due at `at` with a fresh
    /// retry schedule and marked `replayed`: one statement that inserts the deliveries that do
    /// not exist and re-arms those that do (their attempt log kept), except one a worker is
    /// sending right now. Returns how many rows it wrote.
    pub fn arm_window(
        conn: &mut AnyConnection,
        webhook_id: &Id,
        window: &ReplayWindow<'_>,
        limit: i64,
        at: NaiveDateTime,
    ) -> QueryResult<usize> {
        let id = delivery_id_sql(matches!(conn, AnyConnection::Postgresql(_)));
        let mut args = vec![
            Arg::Time(at),
            Arg::Time(at),
            Arg::Time(at),
            Arg::Text(webhook_id.to_string()),
        ];
        args.extend(window.args(limit));
        raw::execute(
            conn,
            &format!(
                "INSERT INTO webhook_deliveries (id, webhook_id, event_id, event_type, status, \
                 attempts, next_attempt_at, created_at, updated_at, replayed) \
                 SELECT {id}, w.id, e.id, e.event_type, 'pending', 0, ?, ?, ?, true \
                 FROM webhooks w, webhook_events e WHERE w.id = ? AND e.id IN ({WINDOW}) \
                 ON CONFLICT (event_id, webhook_id) DO UPDATE SET status = 'pending', \
                 attempts = 0, next_attempt_at = excluded.next_attempt_at, claim_token = NULL, \
                 updated_at = excluded.updated_at, replayed = true \
                 WHERE NOT (webhook_deliveries.status = 'pending' \
                 AND webhook_deliveries.claim_token IS NOT NULL \
                 AND webhook_deliveries.next_attempt_at > excluded.updated_at)"
            ),
            args,
        )
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
    /// Reads the gauges in three small queries: the pending count and each endpoint's most
    /// overdue delivery from `webhook_deliveries_pending_idx` (one probe per endpoint), the
    /// disabled count from the endpoints.
    pub fn read(conn: &mut AnyConnection) -> QueryResult<QueueGauges> {
        #[derive(QueryableByName)]
        struct Oldest {
            #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamp>)]
            oldest: Option<NaiveDateTime>,
        }
        let t = super::now();
        let pending = webhook_deliveries::table
            .filter(webhook_deliveries::status.eq(DeliveryStatus::Pending))
            .count()
            .get_result(conn)?;
        let oldest: Vec<Oldest> = raw::load(
            conn,
            "SELECT min((SELECT x.next_attempt_at FROM webhook_deliveries x \
             WHERE x.webhook_id = w.id AND x.status = 'pending' \
             ORDER BY x.next_attempt_at LIMIT 1)) AS oldest FROM webhooks w",
            Vec::new(),
        )?;
        let oldest = oldest.into_iter().next().and_then(|o| o.oldest);
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
