//! `GET /metrics`: the Prometheus text exposition (`crate::metrics`) for callers that present
//! `Authorization: Bearer $METRICS_TOKEN`; without `METRICS_TOKEN` the route answers 404. Each
//! scrape first sets the gauges read from the pool and the database (pool connections, the
//! sign-in hashing queue, the schema version, the webhook queue).

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};

use crate::error::{ApiError, ProblemCode};
use crate::state::AppState;

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
    ::metrics::gauge!("db_pool_connections").set(f64::from(pool.connections));
    ::metrics::gauge!("db_pool_idle_connections").set(f64::from(pool.idle_connections));
    ::metrics::gauge!("db_pool_max_connections").set(f64::from(state.pool.max_size()));
    ::metrics::gauge!("sign_in_hashing_queue").set(state.hasher.waiting() as f64);
    let gauges = crate::db::run(&state.pool, |conn| {
        let schema = crate::db::schema_version(conn)?;
        let queue = crate::models::webhook::QueueGauges::read(conn)?;
        Ok((schema, queue))
    })
    .await;
    match gauges {
        Ok((schema, queue)) => {
            if let Some(version) = schema {
                ::metrics::gauge!("db_schema_info", "version" => version).set(1.0);
            }
            ::metrics::gauge!("webhook_queue_depth").set(queue.pending as f64);
            ::metrics::gauge!("webhook_queue_oldest_due_seconds")
                .set(queue.oldest_due_seconds as f64);
            ::metrics::gauge!("webhook_endpoints_disabled").set(queue.disabled as f64);
        }
        Err(e) => log::warn!("metrics: the database gauges could not be read: {e}"),
    }
    Ok(HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        ))
        .body(crate::metrics::render()))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
