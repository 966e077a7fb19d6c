//! The delivery worker (docs/api-guide.md#webhooks): a task inside `serve` that claims due deliveries under
//! a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so replicas share the work; SQLite has one
//! writer), signs them per Standard Webhooks with the `standardwebhooks` crate, POSTs each as its
//! own task (at most [`MAX_IN_FLIGHT`] at once, so one slow endpoint delays no other) with a
//! 10 s timeout, and records every attempt; only the claim that still holds the lease records
//! the outcome. Claims are fair across partners (each endpoint's oldest due deliveries, partners
//! in turns, at most [`PER_PARTNER_IN_FLIGHT`] sends of one partner at once), so one partner's
//! backlog or slow endpoint does not delay another partner's events. Delivery is
//! at-least-once: a send whose lease expired may be repeated, always with the same
//! `webhook-id`. A 2xx is delivered; anything else is retried on
//! `WEBHOOK_RETRY_SCHEDULE` (with jitter) and then marked failed; an endpoint failing for 5 days
//! straight (no success, no quiet gap longer than the retry schedule's largest interval) is
//! disabled. The target is re-checked against the SSRF guard at every attempt. Blocking
//! database work goes through [`db::run`], like requests.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::{Duration, Instant};

use awc::http::header::CONTENT_TYPE;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use futures_util::StreamExt;

use crate::config::Config;
use crate::db::{self, AnyConnection, Pool};
use crate::domain::{DeliveryStatus, Id};
use crate::error::ApiError;
use crate::models::raw::{self, Arg, IdText};
use crate::models::webhook::{AttemptRow, DeliveryRow, EventRow, WebhookRow};
use crate::models::{ids, now};
use crate::schema::{webhook_deliveries, webhook_events, webhooks};

/// The request timeout of one attempt.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// How long a claimed delivery is leased to the claiming worker: well beyond one attempt (DNS
/// [`super::DNS_TIMEOUT`], connect and response [`TIMEOUT`], body [`TIMEOUT`], bookkeeping).
pub const LEASE_SECONDS: i64 = 120;
/// Deliveries claimed per round at most.
const BATCH: i64 = 32;
/// Deliveries of one partner (and of one endpoint) claimed per round at most.
pub const PER_PARTNER_CLAIM: i64 = 4;
/// Sends of one partner in flight at once per worker: a partner's slow or failing endpoints
/// hold at most this many of the worker's [`MAX_IN_FLIGHT`] slots.
pub const PER_PARTNER_IN_FLIGHT: usize = 16;
/// Sends in flight at once per worker.
pub const MAX_IN_FLIGHT: usize = 64;
/// Receivers' answers are stored truncated to this many bytes.
pub const KEEP_BYTES: usize = 1024;
/// An endpoint failing for this long without a success is disabled.
pub const DISABLE_AFTER_DAYS: i64 = 5;

/// The fair claim's candidates: each enabled endpoint's [`PER_PARTNER_CLAIM`] oldest due
/// deliveries (`d`, chosen by `webhook_deliveries_pending_idx`), numbered within the endpoint
/// (`n`) and then within the partner, the endpoints of a partner taking turns (`turn`). The
/// claim takes turns 1 of every partner first, then turns 2, and so on, oldest first within a
/// turn: a partner's backlog, however old, gets [`PER_PARTNER_CLAIM`] per round like anyone
/// else. Partners whose ids are in the comma-separated `?` (those with
/// [`PER_PARTNER_IN_FLIGHT`] sends running here) are left out. PostgreSQL locks the candidates
/// `FOR UPDATE SKIP LOCKED` (replicas claim apart); SQLite has one writer.
fn candidates(postgres: bool) -> String {
    let due = "x.webhook_id = w.id AND x.status = 'pending' AND x.next_attempt_at <= ? \
               ORDER BY x.next_attempt_at LIMIT ?";
    let per_endpoint = if postgres {
        format!(
            "FROM webhooks w CROSS JOIN LATERAL (SELECT x.id, x.next_attempt_at \
             FROM webhook_deliveries x WHERE {due} FOR UPDATE SKIP LOCKED) d"
        )
    } else {
        format!(
            "FROM webhooks w JOIN webhook_deliveries d ON d.id IN \
             (SELECT x.id FROM webhook_deliveries x WHERE {due})"
        )
    };
    format!(
        "WITH c AS (SELECT w.partner_id, d.id, d.next_attempt_at, row_number() OVER \
         (PARTITION BY w.id ORDER BY d.next_attempt_at) AS n {per_endpoint} \
         WHERE w.enabled AND NOT ((',' || ? || ',') LIKE ('%,' || w.partner_id || ',%'))), \
         t AS (SELECT id, next_attempt_at, row_number() OVER \
         (PARTITION BY partner_id ORDER BY n, next_attempt_at) AS turn FROM c) \
         SELECT id FROM t WHERE turn <= ? ORDER BY turn, next_attempt_at LIMIT ?"
    )
}

/// Claims up to `limit` due deliveries of enabled endpoints (those of a disabled one wait
/// until it is enabled again), fairly across partners ([`candidates`]), leaving out the
/// partners in `busy`: they stay pending but are not due again for the lease, so no other
/// worker takes them while this one sends.
/// Each claim has its own token; only it may record the outcome ([`DeliveryRow::record`]).
fn claim(
    conn: &mut AnyConnection,
    limit: i64,
    busy: &[Id],
) -> Result<Vec<(DeliveryRow, EventRow, WebhookRow)>, ApiError> {
    let t = now();
    let lease = t + chrono::Duration::seconds(LEASE_SECONDS);
    let token = uuid::Uuid::now_v7().to_string();
    let busy = busy.iter().map(Id::as_str).collect::<Vec<_>>().join(",");
    let postgres = matches!(conn, AnyConnection::Postgresql(_));
    let ids: Vec<String> = db::transaction(conn, |conn| {
        let claimed: Vec<IdText> = raw::load(
            conn,
            &format!(
                "UPDATE webhook_deliveries SET next_attempt_at = ?, claim_token = ? \
                 WHERE id IN ({}) RETURNING id",
                candidates(postgres)
            ),
            vec![
                Arg::Time(lease),
                Arg::Text(token.clone()),
                Arg::Time(t),
                Arg::Int(PER_PARTNER_CLAIM),
                Arg::Text(busy),
                Arg::Int(PER_PARTNER_CLAIM),
                Arg::Int(limit),
            ],
        )?;
        Ok(claimed.into_iter().map(|c| c.id).collect())
    })?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(DeliveryRow, EventRow, WebhookRow)> = webhook_deliveries::table
        .inner_join(webhook_events::table)
        .inner_join(webhooks::table.on(webhooks::id.eq(webhook_deliveries::webhook_id)))
        .filter(webhook_deliveries::id.eq_any(&ids))
        .filter(webhook_deliveries::claim_token.eq(&token))
        .select((
            DeliveryRow::as_select(),
            EventRow::as_select(),
            WebhookRow::as_select(),
        ))
        .load(conn)?;
    Ok(rows)
}

/// What one attempt gave.
struct Outcome {
    status_code: Option<i32>,
    error: Option<String>,
    headers: Option<String>,
    body: Option<String>,
    duration_ms: i64,
}

impl Outcome {
    fn error(message: String, started: Instant) -> Outcome {
        Outcome {
            status_code: None,
            error: Some(message),
            headers: None,
            body: None,
            duration_ms: started.elapsed().as_millis() as i64,
        }
    }

    fn delivered(&self) -> bool {
        matches!(self.status_code, Some(200..=299))
    }
}

fn truncate(mut s: String) -> String {
    if s.len() > KEEP_BYTES {
        let mut end = KEEP_BYTES;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

/// The receiver's response headers as a JSON object of at most about [`KEEP_BYTES`]: each value
/// truncated, and headers beyond the budget left out, so what is kept is always valid JSON.
fn kept_headers(headers: &awc::http::header::HeaderMap) -> String {
    const VALUE_BYTES: usize = 256;
    let mut out = serde_json::Map::new();
    let mut used = 2;
    for (k, v) in headers {
        let mut value = String::from_utf8_lossy(v.as_bytes()).into_owned();
        if value.len() > VALUE_BYTES {
            let mut end = VALUE_BYTES;
            while !value.is_char_boundary(end) {
                end -= 1;
            }
            value.truncate(end);
        }
        let entry = serde_json::Value::from(value);
        let size = k.as_str().len() + entry.to_string().len() + 4;
        if used + size > KEEP_BYTES {
            break;
        }
        used += size;
        out.insert(k.as_str().to_owned(), entry);
    }
    serde_json::Value::Object(out).to_string()
}

/// The `webhook-signature` value: one `v1,<base64>` per valid secret (the current one, and the
/// previous one for 24 h after a rotation), space-separated.
pub fn signature(
    webhook: &WebhookRow,
    jwt_secret: &str,
    msg_id: &str,
    timestamp: i64,
    body: &[u8],
    at: NaiveDateTime,
) -> Result<String, String> {
    let mut secrets = vec![webhook.secret.clone()];
    if let (Some(prev), Some(until)) =
        (&webhook.previous_secret, webhook.previous_secret_expires_at)
        && until > at
    {
        secrets.push(prev.clone());
    }
    let mut out = Vec::new();
    for sealed in secrets {
        let secret = crate::sealing::open(jwt_secret, sealed)
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or("the signing secret cannot be read (JWT_SECRET changed?)")?;
        let wh = standardwebhooks::Webhook::new(&secret).map_err(|e| e.to_string())?;
        out.push(
            wh.sign(msg_id, timestamp, body)
                .map_err(|e| e.to_string())?,
        );
    }
    Ok(out.join(" "))
}

async fn attempt(
    client: &awc::Client,
    config: &Config,
    event: &EventRow,
    webhook: &WebhookRow,
) -> Outcome {
    let started = Instant::now();
    if !webhook.enabled {
        return Outcome::error("the endpoint is disabled".to_owned(), started);
    }
    if let Some(why) =
        super::refused_target(&webhook.url, config.webhook_allow_private_targets).await
    {
        return Outcome::error(format!("target refused: {why}"), started);
    }
    let timestamp = chrono::Utc::now().timestamp();
    let signature = match signature(
        webhook,
        &config.jwt_secret,
        &event.id,
        timestamp,
        event.payload.as_bytes(),
        now(),
    ) {
        Ok(s) => s,
        Err(e) => return Outcome::error(e, started),
    };
    let sent = client
        .post(&webhook.url)
        .timeout(TIMEOUT)
        .insert_header((CONTENT_TYPE, "application/json"))
        .insert_header(("webhook-id", event.id.as_str()))
        .insert_header(("webhook-timestamp", timestamp.to_string()))
        .insert_header(("webhook-signature", signature))
        .send_body(event.payload.clone())
        .await;
    let mut res = match sent {
        Ok(r) => r,
        Err(e) => return Outcome::error(format!("request failed: {e}"), started),
    };
    let headers = kept_headers(res.headers());
    let mut body = Vec::new();
    let read = tokio::time::timeout(TIMEOUT, async {
        while let Some(chunk) = res.next().await {
            match chunk {
                Ok(bytes) => {
                    body.extend_from_slice(&bytes);
                    if body.len() >= KEEP_BYTES {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
    })
    .await;
    let _ = read;
    Outcome {
        status_code: Some(i32::from(res.status().as_u16())),
        error: (!res.status().is_success()).then(|| format!("receiver answered {}", res.status())),
        headers: Some(headers),
        body: Some(truncate(String::from_utf8_lossy(&body).into_owned())),
        duration_ms: started.elapsed().as_millis() as i64,
    }
}

/// The delay before retry number `n` (1-based) on `schedule`, with up to 10 % jitter; `None`
/// when the schedule is exhausted.
pub fn retry_delay(schedule: &[u64], n: usize) -> Option<chrono::Duration> {
    let base = *schedule.get(n.checked_sub(1)?)?;
    let base_ms = base.saturating_mul(1000) as i64;
    let jitter = if base_ms > 0 {
        rand::random_range(0..=base_ms / 10)
    } else {
        0
    };
    Some(chrono::Duration::milliseconds(base_ms + jitter))
}

/// Records an attempt made under `delivery`'s claim. The attempt always goes into the log; the
/// delivery's state and the endpoint's failing clock change only while the claim holds.
fn finish(
    conn: &mut AnyConnection,
    config: &Config,
    delivery: &DeliveryRow,
    outcome: &Outcome,
) -> Result<(), ApiError> {
    let t = now();
    db::transaction(conn, |conn| {
        let attempts = delivery.attempts + 1;
        let (status, next) = if outcome.delivered() {
            (DeliveryStatus::Delivered, None)
        } else {
            match retry_delay(&config.webhook_retry_schedule, attempts as usize) {
                Some(d) => (DeliveryStatus::Pending, Some(t + d)),
                None => (DeliveryStatus::Failed, None),
            }
        };
        let held = DeliveryRow::record(
            conn,
            &DeliveryRow {
                status,
                attempts,
                next_attempt_at: next,
                last_status_code: outcome.status_code,
                last_error: outcome.error.clone(),
                updated_at: t,
                ..delivery.clone()
            },
        )?;
        if !held && !DeliveryRow::exists(conn, &delivery.id)? {
            // Its webhook was deleted while the attempt ran: nothing is left to record.
            log::debug!(
                "webhook delivery {}: its webhook was deleted during the attempt",
                delivery.id
            );
            return Ok(());
        }
        AttemptRow::insert(
            conn,
            &AttemptRow {
                id: ids::new(),
                delivery_id: delivery.id,
                attempted_at: t,
                status_code: outcome.status_code,
                error: outcome.error.clone(),
                response_headers: outcome.headers.clone(),
                response_body: outcome.body.clone(),
                duration_ms: outcome.duration_ms,
            },
        )?;
        if !held {
            log::warn!(
                "webhook delivery {}: lease lost before the outcome was recorded",
                delivery.id
            );
            return Ok(());
        }
        let label = match status {
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Pending => "retry",
            DeliveryStatus::Failed => "failed",
        };
        crate::metrics::record_delivery(
            label,
            std::time::Duration::from_millis(outcome.duration_ms.max(0) as u64),
        );
        if !outcome.delivered() {
            let next = next.map_or_else(|| "none: failed".to_owned(), |n| n.and_utc().to_rfc3339());
            log::warn!(
                webhook_id = delivery.webhook_id.to_string().as_str(),
                delivery_id = delivery.id.to_string().as_str(),
                event_id = delivery.event_id.as_str(),
                event_type = delivery.event_type.as_str(),
                attempt = attempts,
                status_code = outcome.status_code.unwrap_or(0),
                next_attempt_at = next.as_str();
                "webhook delivery {} attempt {attempts} failed: {}",
                delivery.id,
                outcome.error.as_deref().unwrap_or("no answer")
            );
        }
        if let Some(mut w) = WebhookRow::find(conn, &delivery.webhook_id)? {
            let before = (w.failing_since, w.last_failed_at, w.enabled);
            if outcome.delivered() {
                w.failing_since = None;
            } else {
                let gap = quiet_gap(&config.webhook_retry_schedule);
                let recent = w.last_failed_at.is_some_and(|last| t - last <= gap);
                let since = match w.failing_since {
                    Some(since) if recent => since,
                    _ => t,
                };
                w.failing_since = Some(since);
                w.last_failed_at = Some(t);
                if w.enabled && t - since >= chrono::Duration::days(DISABLE_AFTER_DAYS) {
                    w.enabled = false;
                    w.disabled_reason = Some("failing_for_5_days".to_owned());
                    log::warn!(
                        webhook_id = w.id.to_string().as_str();
                        "webhook {} disabled: its deliveries have failed for {DISABLE_AFTER_DAYS} days",
                        w.id
                    );
                    w.version += 1;
                    w.updated_at = t;
                }
            }
            if before != (w.failing_since, w.last_failed_at, w.enabled) {
                WebhookRow::save(conn, &w)?;
            }
        }
        Ok(())
    })
}

/// The longest silence between two failures of a run: the retry schedule's largest interval
/// with its jitter, plus the lease. A failure after a longer gap starts a new run (the endpoint
/// got nothing to fail on meanwhile, which is not "failing for 5 days").
fn quiet_gap(schedule: &[u64]) -> chrono::Duration {
    let largest = schedule.iter().copied().max().unwrap_or(0) as i64;
    chrono::Duration::seconds(largest + largest / 10 + LEASE_SECONDS)
}

/// Resolves receivers' host names for the HTTP client, refusing any that resolves to a
/// non-public address unless `WEBHOOK_ALLOW_PRIVATE_TARGETS`: the addresses checked are the
/// addresses connected to, so a name cannot pass [`super::refused_target`] and then resolve
/// elsewhere (DNS rebinding). IP literals are never looked up; `refused_target` checks them.
struct PublicOnly {
    allow_private: bool,
}

impl actix_tls::connect::Resolve for PublicOnly {
    fn lookup<'a>(
        &'a self,
        host: &'a str,
        port: u16,
    ) -> futures_util::future::LocalBoxFuture<
        'a,
        Result<Vec<std::net::SocketAddr>, Box<dyn std::error::Error>>,
    > {
        Box::pin(async move {
            let addrs: Vec<std::net::SocketAddr> =
                tokio::time::timeout(super::DNS_TIMEOUT, tokio::net::lookup_host((host, port)))
                    .await
                    .map_err(|_| format!("resolving {host} timed out"))??
                    .collect();
            if !self.allow_private && addrs.iter().any(|a| !super::is_public(&a.ip())) {
                // The owner reads this in the delivery log: say why, not what the name resolves to.
                return Err(format!("{host} does not resolve to public addresses only").into());
            }
            Ok(addrs)
        })
    }
}

/// The worker's HTTP client: 10 s timeout, no redirects, the [`PublicOnly`]
/// resolver.
fn client(config: &Config) -> awc::Client {
    let tcp =
        actix_tls::connect::Connector::new(actix_tls::connect::Resolver::custom(PublicOnly {
            allow_private: config.webhook_allow_private_targets,
        }))
        .service();
    awc::Client::builder()
        .connector(awc::Connector::new().connector(tcp).timeout(TIMEOUT))
        .timeout(TIMEOUT)
        .disable_redirects()
        .finish()
}

/// Makes one attempt of a claimed delivery and records it.
async fn send(
    pool: &Pool,
    client: &awc::Client,
    config: &Config,
    (delivery, event, webhook): (DeliveryRow, EventRow, WebhookRow),
) {
    let outcome = attempt(client, config, &event, &webhook).await;
    let config = config.clone();
    if let Err(e) = db::run(pool, move |conn| finish(conn, &config, &delivery, &outcome)).await {
        log::error!("webhook delivery bookkeeping failed: {e}");
    }
}

/// Claims the due deliveries, sends them concurrently and waits for every one; returns how many
/// were attempted. Tests call it to deliver without waiting for the worker.
/// Must run on an actix (single-threaded tokio) runtime: the HTTP client is thread-local.
pub async fn deliver_due(pool: &Pool, config: &Config) -> Result<usize, ApiError> {
    let claimed = db::run(pool, |conn| claim(conn, BATCH, &[])).await?;
    if claimed.is_empty() {
        return Ok(0);
    }
    let client = client(config);
    let n = claimed.len();
    futures_util::future::join_all(
        claimed
            .into_iter()
            .map(|claimed| send(pool, &client, config, claimed)),
    )
    .await;
    Ok(n)
}

/// Starts the worker on the current actix runtime: claims what is due as long as fewer than
/// [`MAX_IN_FLIGHT`] sends are running, runs each send as its own task (so a slow endpoint
/// holds only its own slots), and waits `WEBHOOK_POLL_INTERVAL_MS` when nothing was due. A
/// partner with [`PER_PARTNER_IN_FLIGHT`] sends running gets no more until some finish, and
/// each round claims fairly across partners, so one partner's backlog or slow endpoint cannot
/// hold the slots everyone else needs. One HTTP client serves the worker's lifetime.
pub fn spawn(pool: Pool, config: std::sync::Arc<Config>) {
    actix_web::rt::spawn(async move {
        let idle = Duration::from_millis(config.webhook_poll_interval_ms);
        let client = Rc::new(client(&config));
        let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(MAX_IN_FLIGHT));
        // Sends running per partner (this task and its sends share one thread).
        let running: Rc<RefCell<HashMap<Id, usize>>> = Rc::default();
        loop {
            // Wait for at least one free slot, then claim as many as are free.
            match slots.acquire().await {
                Ok(permit) => drop(permit),
                Err(_) => return,
            }
            let free = slots.available_permits().min(BATCH as usize) as i64;
            let busy: Vec<Id> = running
                .borrow()
                .iter()
                .filter(|(_, n)| **n + PER_PARTNER_CLAIM as usize > PER_PARTNER_IN_FLIGHT)
                .map(|(p, _)| *p)
                .collect();
            match db::run(&pool, move |conn| claim(conn, free, &busy)).await {
                Ok(claimed) if claimed.is_empty() => actix_web::rt::time::sleep(idle).await,
                Ok(claimed) => {
                    for one in claimed {
                        let Ok(permit) = slots.clone().try_acquire_owned() else {
                            // Cannot happen (claimed at most the free slots); the lease
                            // expires and another round sends it.
                            break;
                        };
                        let partner = one.2.partner_id;
                        *running.borrow_mut().entry(partner).or_default() += 1;
                        let (pool, client, config) = (pool.clone(), client.clone(), config.clone());
                        let running = running.clone();
                        actix_web::rt::spawn(async move {
                            send(&pool, &client, &config, one).await;
                            let mut running = running.borrow_mut();
                            if let Some(n) = running.get_mut(&partner) {
                                *n -= 1;
                                if *n == 0 {
                                    running.remove(&partner);
                                }
                            }
                            drop(permit);
                        });
                    }
                }
                Err(e) => {
                    log::warn!("webhook worker: {e}");
                    actix_web::rt::time::sleep(idle).await;
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use actix_tls::connect::Resolve;

    use super::*;

    #[tokio::test]
    async fn resolver_refuses_names_of_loopback_addresses_unless_allowed() {
        let strict = PublicOnly {
            allow_private: false,
        };
        let err = strict.lookup("localhost", 443).await.unwrap_err();
        assert!(
            err.to_string().contains("public addresses only") && !err.to_string().contains("127."),
            "{err}"
        );
        let lenient = PublicOnly {
            allow_private: true,
        };
        assert!(!lenient.lookup("localhost", 443).await.unwrap().is_empty());
    }

    #[test]
    fn retry_delay_follows_the_schedule_with_at_most_10_percent_jitter() {
        let schedule = [5, 300];
        let first = retry_delay(&schedule, 1).unwrap().num_milliseconds();
        assert!((5_000..=5_500).contains(&first), "{first}");
        let second = retry_delay(&schedule, 2).unwrap().num_milliseconds();
        assert!((300_000..=330_000).contains(&second), "{second}");
        assert!(retry_delay(&schedule, 3).is_none());
    }
}
