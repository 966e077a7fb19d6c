//! Operational metrics in the Prometheus text format (`metrics` facade, rendered by
//! `metrics-exporter-prometheus`), served at `GET /metrics` to callers that present
//! `Authorization: Bearer $METRICS_TOKEN`; without `METRICS_TOKEN` the route answers 404.
//!
//! Series: `http_requests_total{method,route,status}` and the histogram
//! `http_request_duration_seconds{method,route}` (route = the matched pattern, e.g.
//! `/v1/customers/{customer_id}`, or `unmatched`); `db_pool_connections`,
//! `db_pool_idle_connections` and `db_pool_max_connections` (read at each scrape);
//! `idempotency_replays_total`; `sign_in_hashing_queue` (set through [`set_sign_in_queue`]).

use std::sync::OnceLock;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{Error, HttpRequest, HttpResponse, web};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::error::{ApiError, ProblemCode};
use crate::state::AppState;

/// Latency buckets in seconds, 1 ms to 10 s.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// The process-wide recorder (installed on first use) and its renderer.
fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full("http_request_duration_seconds".to_owned()),
                &BUCKETS,
            )
            .expect("non-empty buckets")
            .build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            log::warn!("another metrics recorder is installed; /metrics shows only its own");
        }
        handle
    })
}

/// Installs the recorder; called when the app is built so the first requests are counted.
pub fn install() {
    handle();
}

/// Hook for the sign-in hashing pool: the number of sign-ins waiting for a hashing slot.
pub fn set_sign_in_queue(waiting: usize) {
    metrics::gauge!("sign_in_hashing_queue").set(waiting as f64);
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

/// `GET /metrics`: the Prometheus text exposition, for `Authorization: Bearer $METRICS_TOKEN`.
pub async fn get_metrics(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let Some(expected) = state.config.metrics_token.as_deref() else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            ProblemCode::RouteNotFound,
            "Metrics are off; set METRICS_TOKEN to serve them.",
        ));
    };
    let presented = crate::auth::principal::bearer(&req).unwrap_or_default();
    if !constant_time_eq(presented.as_bytes(), expected.as_bytes()) {
        return Err(ApiError::unauthorized(
            "Send `Authorization: Bearer` with the METRICS_TOKEN.",
        ));
    }
    let pool = state.pool.state();
    metrics::gauge!("db_pool_connections").set(f64::from(pool.connections));
    metrics::gauge!("db_pool_idle_connections").set(f64::from(pool.idle_connections));
    metrics::gauge!("db_pool_max_connections").set(f64::from(state.pool.max_size()));
    Ok(HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        ))
        .body(handle().render()))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
