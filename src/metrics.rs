//! Operational metrics in the Prometheus text format (`metrics` facade, rendered by
//! `metrics-exporter-prometheus`): the recorder, the request middleware and the functions the
//! rest of the code counts with. It imports nothing of this crate, so any layer may count;
//! `handlers::metrics` serves `GET /metrics` (and reads the database gauges). Every
//! family has its HELP text ([`FAMILIES`], described when the recorder is installed), so
//! `promtool check metrics` passes on a scrape. The families:
//!
//! - HTTP: `http_requests_total{method,route,status}`, `http_request_duration_seconds{method,route}`
//!   (route = the matched pattern, e.g. `/v1/customers/{customerId}`, or `unmatched`);
//!   `rate_limited_total{limiter}` (429s: `request`, or the sign-in policy `sign-in-name`,
//!   `sign-in-failures`, `sign-in-all`); `idempotency_replays_total`.
//! - Sign-in: `token_requests_total{grant,outcome}` (`outcome`: `issued`, `refused`, `throttled`,
//!   `busy`, `error`); `sign_in_hashing_queue` (sign-ins waiting for a hashing thread).
//! - Database: `db_pool_connections`, `db_pool_idle_connections`, `db_pool_max_connections`;
//!   `db_pool_wait_seconds` (time to get a connection) and `db_pool_timeouts_total`;
//!   `db_schema_info{version}` (the newest migration applied).
//! - Webhooks: `webhook_deliveries_total{outcome}` (`delivered`, `retry`, `failed`),
//!   `webhook_delivery_duration_seconds`; `webhook_queue_depth` (pending deliveries),
//!   `webhook_queue_oldest_due_seconds` (how late the most overdue one is), and
//!   `webhook_endpoints_disabled` — read from the database at each scrape.
//! - Retention: `retention_purged_rows_total{table}` (rows the retention worker deleted).
//! - Process: `build_info{version}`, and the `process_*` families of `metrics-process`
//!   (CPU seconds, resident and virtual memory, open and maximum file descriptors, threads,
//!   start time).

use std::sync::OnceLock;
use std::time::Instant;

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Latency buckets in seconds, 1 ms to 10 s.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// The process-wide recorder (installed on first use) and its renderer.
fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), &BUCKETS)
            .expect("non-empty buckets")
            .build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            log::warn!("another metrics recorder is installed; /metrics shows only its own");
        }
        describe();
        drain_histograms(handle.clone());
        handle
    })
}

/// How often [`drain_histograms`] folds the histograms' pending samples into their buckets.
const UPKEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Folds the histograms' samples into their buckets every [`UPKEEP_EVERY`], on a thread of its
/// own. The recorder keeps every observation of a histogram (two per request) until a scrape or
/// an upkeep drains them, and `build_recorder` starts no upkeep: without a scraper the server's
/// memory grew by about 33 bytes per request (6 MiB per 190,000 signed-in reads, for ever).
fn drain_histograms(handle: PrometheusHandle) {
    let spawned = std::thread::Builder::new()
        .name("metrics-upkeep".to_owned())
        .spawn(move || {
            loop {
                std::thread::sleep(UPKEEP_EVERY);
                handle.run_upkeep();
            }
        });
    if let Err(e) = spawned {
        log::warn!(
            "cannot start the metrics upkeep thread ({e}): histograms drain only when /metrics is scraped"
        );
    }
}

/// Installs the recorder; called when the app is built so the first requests are counted.
pub fn install() {
    handle();
}

/// How a family is exposed.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// Only goes up.
    Counter,
    /// Goes up and down.
    Gauge,
    /// A distribution in buckets.
    Histogram,
}

/// Every family this module writes, with its HELP text (the `process_*` families describe
/// themselves).
pub const FAMILIES: [(&str, Kind, &str); 19] = [
    (
        "http_requests_total",
        Kind::Counter,
        "HTTP requests answered, by method, route pattern and status.",
    ),
    (
        "http_request_duration_seconds",
        Kind::Histogram,
        "Time to answer an HTTP request, by method and route pattern.",
    ),
    (
        "rate_limited_total",
        Kind::Counter,
        "Requests answered 429, by limiter (request budget or sign-in policy).",
    ),
    (
        "idempotency_replays_total",
        Kind::Counter,
        "Requests answered from the stored first answer of their Idempotency-Key.",
    ),
    (
        "token_requests_total",
        Kind::Counter,
        "Token endpoint requests, by grant type and outcome.",
    ),
    (
        "sign_in_hashing_queue",
        Kind::Gauge,
        "Sign-ins waiting for a password-hashing thread.",
    ),
    (
        "db_pool_connections",
        Kind::Gauge,
        "Database connections open in the pool.",
    ),
    (
        "db_pool_idle_connections",
        Kind::Gauge,
        "Database connections idle in the pool.",
    ),
    (
        "db_pool_max_connections",
        Kind::Gauge,
        "Largest number of database connections the pool opens.",
    ),
    (
        "db_pool_wait_seconds",
        Kind::Histogram,
        "Time a request waited for a database connection.",
    ),
    (
        "db_pool_timeouts_total",
        Kind::Counter,
        "Requests that got no database connection in time (answered 503).",
    ),
    (
        "db_schema_info",
        Kind::Gauge,
        "The newest database migration applied (label version); always 1.",
    ),
    (
        "webhook_deliveries_total",
        Kind::Counter,
        "Webhook delivery attempts, by outcome: delivered, retry (failed, will retry) or failed (given up).",
    ),
    (
        "webhook_delivery_duration_seconds",
        Kind::Histogram,
        "Time a webhook delivery attempt took, answer included.",
    ),
    (
        "webhook_queue_depth",
        Kind::Gauge,
        "Webhook deliveries pending (due now or later).",
    ),
    (
        "webhook_queue_oldest_due_seconds",
        Kind::Gauge,
        "How many seconds the most overdue pending webhook delivery is late (0 when none is due).",
    ),
    (
        "webhook_endpoints_disabled",
        Kind::Gauge,
        "Registered webhook endpoints that are disabled (by their owner or after failing for 5 days).",
    ),
    (
        "retention_purged_rows_total",
        Kind::Counter,
        "Rows deleted because their retention passed, by table.",
    ),
    (
        "build_info",
        Kind::Gauge,
        "The running build (label version); always 1.",
    ),
];

fn describe() {
    for (name, kind, help) in FAMILIES {
        match kind {
            Kind::Counter => metrics::describe_counter!(name, help),
            Kind::Gauge => metrics::describe_gauge!(name, help),
            Kind::Histogram => metrics::describe_histogram!(name, help),
        }
    }
    metrics::gauge!("build_info", "version" => env!("CARGO_PKG_VERSION")).set(1.0);
    process_collector().describe();
}

fn process_collector() -> &'static metrics_process::Collector {
    static COLLECTOR: OnceLock<metrics_process::Collector> = OnceLock::new();
    COLLECTOR.get_or_init(metrics_process::Collector::default)
}

/// Counts a 429 answered by `limiter` (`request`, or a sign-in policy's name).
pub fn count_rate_limited(limiter: &'static str) {
    metrics::counter!("rate_limited_total", "limiter" => limiter).increment(1);
}

/// Counts a token request by grant type and outcome.
pub fn count_token_request(grant: &'static str, outcome: &'static str) {
    metrics::counter!("token_requests_total", "grant" => grant, "outcome" => outcome).increment(1);
}

/// Records the wait for a pooled database connection, and whether it timed out.
pub fn record_pool_wait(waited: std::time::Duration, timed_out: bool) {
    metrics::histogram!("db_pool_wait_seconds").record(waited.as_secs_f64());
    if timed_out {
        metrics::counter!("db_pool_timeouts_total").increment(1);
    }
}

/// Records one webhook delivery attempt: its outcome and how long it took.
pub fn record_delivery(outcome: &'static str, took: std::time::Duration) {
    metrics::counter!("webhook_deliveries_total", "outcome" => outcome).increment(1);
    metrics::histogram!("webhook_delivery_duration_seconds").record(took.as_secs_f64());
}

/// Counts `n` rows of `table` purged by the retention worker.
pub fn count_purged(table: &'static str, n: usize) {
    if n > 0 {
        metrics::counter!("retention_purged_rows_total", "table" => table).increment(n as u64);
    }
}

/// Counts an idempotent request answered from its stored first answer.
pub fn count_idempotency_replay() {
    metrics::counter!("idempotency_replays_total").increment(1);
}

/// Middleware: counts every request and records its latency by route pattern.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let method = req.method().to_string();
    let res = next.call(req).await;
    let (route, status) = match &res {
        Ok(r) => (
            r.request()
                .match_pattern()
                .unwrap_or_else(|| "unmatched".to_owned()),
            r.status(),
        ),
        Err(e) => ("unmatched".to_owned(), e.as_response_error().status_code()),
    };
    let elapsed = started.elapsed().as_secs_f64();
    metrics::counter!(
        "http_requests_total",
        "method" => method.clone(),
        "route" => route.clone(),
        "status" => status.as_u16().to_string()
    )
    .increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route)
        .record(elapsed);
    res
}

/// The text exposition of every family, after refreshing the process families.
pub fn render() -> String {
    process_collector().collect();
    handle().render()
}
