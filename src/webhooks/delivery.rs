//! The delivery worker (product.md §11): a task inside `serve` that claims due deliveries
//! (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so replicas share the work without sending twice;
//! SQLite has one writer), signs them per Standard Webhooks with the `standardwebhooks` crate,
//! POSTs them with a 10 s timeout, and records every attempt. A 2xx is delivered; anything else
//! is retried on `WEBHOOK_RETRY_SCHEDULE` (with jitter) and then marked failed; an endpoint
//! failing for 5 days straight is disabled. The target is re-checked against the SSRF guard at
//! every attempt. Blocking database work goes through [`db::run`], like requests.

use std::time::{Duration, Instant};

use awc::http::header::CONTENT_TYPE;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};
use futures_util::StreamExt;

use crate::config::Config;
use crate::db::{self, AnyConnection, Pool};
use crate::error::ApiError;
use crate::models::webhook::{AttemptRow, DeliveryRow, EventRow, WebhookRow};
use crate::models::{ids, now};
use crate::schema::{webhook_deliveries, webhook_events, webhooks};

/// The request timeout of one attempt.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// How long a claimed delivery is leased to the claiming replica (longer than [`TIMEOUT`]).
const LEASE_SECONDS: i64 = 60;
/// Deliveries claimed per round.
const BATCH: i64 = 32;
/// Receivers' answers are stored truncated to this many bytes.
pub const KEEP_BYTES: usize = 1024;
/// An endpoint failing for this long without a success is disabled.
pub const DISABLE_AFTER_DAYS: i64 = 5;

#[derive(QueryableByName)]
struct Claimed {
    #[diesel(sql_type = Text)]
    id: String,
}

/// Claims up to [`BATCH`] due deliveries of enabled endpoints (those of a disabled one wait
/// until it is enabled again): they stay pending but are not due again for the lease, so no
/// other worker takes them while this one sends.
fn claim(conn: &mut AnyConnection) -> Result<Vec<(DeliveryRow, EventRow, WebhookRow)>, ApiError> {
    let t = now();
    let lease = t + chrono::Duration::seconds(LEASE_SECONDS);
    let ids: Vec<String> = db::transaction(conn, |conn| {
        let claimed: Vec<Claimed> = match conn {
            AnyConnection::Postgresql(c) => diesel::sql_query(
                "UPDATE webhook_deliveries SET next_attempt_at = $1 WHERE id IN (\
                 SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= $2 \
                 AND webhook_id IN (SELECT id FROM webhooks WHERE enabled) \
                 ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED) RETURNING id",
            )
            .bind::<Timestamp, _>(lease)
            .bind::<Timestamp, _>(t)
            .bind::<BigInt, _>(BATCH)
            .load(c)?,
            AnyConnection::Sqlite(c) => diesel::sql_query(
                "UPDATE webhook_deliveries SET next_attempt_at = ? WHERE id IN (\
                 SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ? \
                 AND webhook_id IN (SELECT id FROM webhooks WHERE enabled) \
                 ORDER BY next_attempt_at LIMIT ?) RETURNING id",
            )
            .bind::<Timestamp, _>(lease)
            .bind::<Timestamp, _>(t)
            .bind::<BigInt, _>(BATCH)
            .load(c)?,
        };
        Ok(claimed.into_iter().map(|c| c.id).collect())
    })?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(DeliveryRow, EventRow, WebhookRow)> = webhook_deliveries::table
        .inner_join(webhook_events::table)
        .inner_join(webhooks::table.on(webhooks::id.eq(webhook_deliveries::webhook_id)))
        .filter(webhook_deliveries::id.eq_any(&ids))
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
        let secret = crate::idempotency::open(jwt_secret, sealed)
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
    let headers: serde_json::Map<String, serde_json::Value> = res
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                serde_json::Value::from(v.to_str().unwrap_or_default()),
            )
        })
        .collect();
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
        headers: Some(truncate(serde_json::Value::Object(headers).to_string())),
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

fn finish(
    conn: &mut AnyConnection,
    config: &Config,
    delivery: &DeliveryRow,
    outcome: &Outcome,
) -> Result<(), ApiError> {
    let t = now();
    db::transaction(conn, |conn| {
        AttemptRow::insert(
            conn,
            &AttemptRow {
                id: ids::new(),
                delivery_id: delivery.id.clone(),
                attempted_at: t,
                status_code: outcome.status_code,
                error: outcome.error.clone(),
                response_headers: outcome.headers.clone(),
                response_body: outcome.body.clone(),
                duration_ms: outcome.duration_ms,
            },
        )?;
        let attempts = delivery.attempts + 1;
        let (status, next) = if outcome.delivered() {
            ("delivered", None)
        } else {
            match retry_delay(&config.webhook_retry_schedule, attempts as usize) {
                Some(d) => ("pending", Some(t + d)),
                None => ("failed", None),
            }
        };
        DeliveryRow::record(
            conn,
            &DeliveryRow {
                status: status.to_owned(),
                attempts,
                next_attempt_at: next,
                last_status_code: outcome.status_code,
                last_error: outcome.error.clone(),
                updated_at: t,
                ..delivery.clone()
            },
        )?;
        if let Some(mut w) = WebhookRow::find(conn, &delivery.webhook_id)? {
            let before = (w.failing_since, w.enabled);
            if outcome.delivered() {
                w.failing_since = None;
            } else {
                let since = *w.failing_since.get_or_insert(t);
                if w.enabled && t - since >= chrono::Duration::days(DISABLE_AFTER_DAYS) {
                    w.enabled = false;
                    w.disabled_reason = Some("failing_for_5_days".to_owned());
                    w.version += 1;
                    w.updated_at = t;
                }
            }
            if before != (w.failing_since, w.enabled) {
                WebhookRow::save(conn, &w)?;
            }
        }
        Ok(())
    })
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
                tokio::net::lookup_host((host, port)).await?.collect();
            if !self.allow_private
                && let Some(a) = addrs.iter().find(|a| !super::is_public(&a.ip()))
            {
                return Err(format!("{host} resolves to the non-public address {}", a.ip()).into());
            }
            Ok(addrs)
        })
    }
}

/// The HTTP client of one delivery round: 10 s timeout, no redirects, the [`PublicOnly`]
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

/// Claims the due deliveries, sends them concurrently, records the outcomes; returns how many
/// were attempted. The worker calls it in a loop; tests call it to deliver without waiting.
/// Must run on an actix (single-threaded tokio) runtime: the HTTP client is thread-local.
pub async fn deliver_due(pool: &Pool, config: &Config) -> Result<usize, ApiError> {
    let claimed = db::run(pool, claim).await?;
    if claimed.is_empty() {
        return Ok(0);
    }
    let client = client(config);
    let n = claimed.len();
    let sends = claimed.into_iter().map(|(delivery, event, webhook)| {
        let client = &client;
        async move {
            let outcome = attempt(client, config, &event, &webhook).await;
            let config = config.clone();
            db::run(pool, move |conn| finish(conn, &config, &delivery, &outcome)).await
        }
    });
    for result in futures_util::future::join_all(sends).await {
        if let Err(e) = result {
            log::error!("webhook delivery bookkeeping failed: {e}");
        }
    }
    Ok(n)
}

/// Starts the worker on the current actix runtime: delivers whatever is due, then waits
/// `WEBHOOK_POLL_INTERVAL_MS` when nothing was.
pub fn spawn(pool: Pool, config: std::sync::Arc<Config>) {
    actix_web::rt::spawn(async move {
        let idle = Duration::from_millis(config.webhook_poll_interval_ms);
        loop {
            match deliver_due(&pool, &config).await {
                Ok(0) => actix_web::rt::time::sleep(idle).await,
                Ok(_) => {}
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
        assert!(err.to_string().contains("non-public"), "{err}");
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
