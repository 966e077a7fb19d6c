//! Health probes: `/health/live` (the process answers) and `/health/ready` (the database answers).

use actix_web::{get, web};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::db;
use crate::error::{ApiError, Problem};
use crate::respond::Json;
use crate::state::AppState;

/// A probe's answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`.
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// Liveness: the process is up.
#[utoipa::path(tag = "operations", responses((status = 200, description = "The process is up.", body = Health)))]
#[get("/health/live")]
pub async fn get_live() -> Json<Health> {
    Json::new(Health { status: "ok" })
}

/// Readiness: the database answers a query.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "Ready to serve.", body = Health),
        (status = 503, description = "The database is unreachable.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/health/ready")]
pub async fn get_ready(state: web::Data<AppState>) -> Result<Json<Health>, ApiError> {
    db::run(&state.pool, |conn| {
        db::ping(conn).map_err(ApiError::unavailable)
    })
    .await?;
    Ok(Json::new(Health { status: "ok" }))
}

/// Registers the probes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_live).service(get_ready);
}

crate::bodies!(Health);
