//! Retention: what the tables that only grow keep. Webhook events, with their deliveries and
//! attempts, are kept `WEBHOOK_EVENT_RETENTION_DAYS` (a replay reaches that far back, see
//! `services::webhooks::replay`) and purged a little after ([`MARGIN`]) once nothing is still
//! being delivered for them; audit records are kept `AUDIT_RETENTION_DAYS` (forever when
//! unset); a sign-in throttle row goes once its window has passed. Everything is deleted in
//! bounded batches of [`BATCH`] rows — for webhooks, [`BATCH`] events with their deliveries and
//! attempts in one short transaction — so a purge never holds locks or a connection for long;
//! replicas purging at once skip each other's rows.
//! The worker in `workers::retention` runs [`purge_batch`] inside `serve`; `now` is explicit,
//! so tests purge "a month later" without waiting.

use chrono::{Duration, NaiveDateTime};

use crate::db::AnyConnection;
use crate::error::ApiError;
use crate::models::audit::AuditRow;
use crate::models::sign_in_throttle;
use crate::models::webhook::EventRow;

/// Rows per statement at most.
pub const BATCH: i64 = 1_000;

/// How long after the retention an event may still be purged: the replay window ends exactly
/// at the retention, so a replay at its edge never meets a purge of the same event.
pub const MARGIN: Duration = Duration::hours(1);

/// How long things are kept.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Days webhook events are kept (`WEBHOOK_EVENT_RETENTION_DAYS`).
    pub webhook_event_days: i64,
    /// Days audit records are kept (`AUDIT_RETENTION_DAYS`); `None`: forever.
    pub audit_days: Option<i64>,
}

/// How many rows a purge removed, per table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    /// `webhook_events`.
    pub webhook_events: usize,
    /// `webhook_deliveries`.
    pub webhook_deliveries: usize,
    /// `webhook_attempts`.
    pub webhook_attempts: usize,
    /// `audit_records`.
    pub audit_records: usize,
    /// `sign_in_throttle`.
    pub sign_in_throttle: usize,
}

impl Purged {
    /// Each table with its count.
    pub fn tables(&self) -> [(&'static str, usize); 5] {
        [
            ("webhook_events", self.webhook_events),
            ("webhook_deliveries", self.webhook_deliveries),
            ("webhook_attempts", self.webhook_attempts),
            ("audit_records", self.audit_records),
            ("sign_in_throttle", self.sign_in_throttle),
        ]
    }

    /// Rows removed in all.
    pub fn total(&self) -> usize {
        self.tables().iter().map(|(_, n)| n).sum()
    }

    /// Whether a batch of `limit` came back full (there may be more): `limit` events, audit
    /// records or throttle rows.
    pub fn full(&self, limit: i64) -> bool {
        [
            self.webhook_events,
            self.audit_records,
            self.sign_in_throttle,
        ]
        .iter()
        .any(|n| *n as i64 >= limit)
    }

    /// Adds `other`'s counts.
    pub fn add(&mut self, other: Purged) {
        self.webhook_events += other.webhook_events;
        self.webhook_deliveries += other.webhook_deliveries;
        self.webhook_attempts += other.webhook_attempts;
        self.audit_records += other.audit_records;
        self.sign_in_throttle += other.sign_in_throttle;
    }
}

/// The oldest time a webhook event is kept at `now`: a replay reaches back to here.
pub fn webhook_events_kept_from(now: NaiveDateTime, policy: &Policy) -> NaiveDateTime {
    now - Duration::days(policy.webhook_event_days)
}

/// One batch of each kind as of `now`: at most `limit` rows per statement. Returns what it
/// removed; call again while [`Purged::full`].
pub fn purge_batch(
    conn: &mut AnyConnection,
    now: NaiveDateTime,
    policy: &Policy,
    limit: i64,
) -> Result<Purged, ApiError> {
    let cutoff = webhook_events_kept_from(now, policy) - MARGIN;
    let events = crate::db::transaction(conn, |conn| {
        let ids = EventRow::purgeable(conn, cutoff, limit)?;
        Ok(EventRow::delete_with_deliveries(conn, &ids)?)
    })?;
    let audit_records = match policy.audit_days {
        Some(days) => AuditRow::purge_before(conn, now - Duration::days(days), limit)?,
        None => 0,
    };
    let sign_in_throttle =
        sign_in_throttle::purge_expired(conn, now.and_utc().timestamp_millis(), limit)?;
    Ok(Purged {
        webhook_events: events.events,
        webhook_deliveries: events.deliveries,
        webhook_attempts: events.attempts,
        audit_records,
        sign_in_throttle,
    })
}

/// Batches of [`purge_batch`] until nothing more is due as of `now`; returns the sum.
pub fn purge(
    conn: &mut AnyConnection,
    now: NaiveDateTime,
    policy: &Policy,
    limit: i64,
) -> Result<Purged, ApiError> {
    let mut total = Purged::default();
    loop {
        let batch = purge_batch(conn, now, policy, limit)?;
        total.add(batch);
        if !batch.full(limit) {
            return Ok(total);
        }
    }
}
