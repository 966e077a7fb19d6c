//! [`AppState`]: what every handler and extractor borrows (pool, token keys, limiters, the
//! hashing pool, configuration). It imports no handler, so nothing but `main` and the tests
//! needs `app.rs`.

use std::sync::Arc;

use actix_web::web;

use crate::auth::jwt::JwtKeys;
use crate::auth::password::Hasher;
use crate::config::Config;
use crate::db::Pool;
use crate::otel::Tracing;
use crate::rate_limit::RequestLimiter;

/// Shared state of every request.
pub struct AppState {
    /// Database pool.
    pub pool: Pool,
    /// Token keys.
    pub jwt: JwtKeys,
    /// Per-caller request budget (`None`: disabled).
    pub request_limiter: Option<RequestLimiter>,
    /// Password hashing threads, apart from the database pool.
    pub hasher: Hasher,
    /// Configuration.
    pub config: Arc<Config>,
    /// Request traces (`None`: off).
    pub tracing: Option<Tracing>,
}

impl AppState {
    /// State for a pool and configuration.
    pub fn new(pool: Pool, config: Config) -> web::Data<AppState> {
        Self::with_tracing(pool, config, None)
    }

    /// State for a pool and configuration, tracing requests with `tracing`.
    pub fn with_tracing(
        pool: Pool,
        config: Config,
        tracing: Option<Tracing>,
    ) -> web::Data<AppState> {
        web::Data::new(AppState {
            pool,
            jwt: JwtKeys::configured(
                &config.jwt_secret,
                &config.public_base_url,
                config.token_ttl_seconds,
                config.jwt_signing_key.as_ref(),
                &config.jwt_previous_keys,
            ),
            request_limiter: RequestLimiter::new(config.request_rate_limit_per_minute),
            hasher: Hasher::new(config.hashing_threads, config.hashing_queue),
            config: Arc::new(config),
            tracing,
        })
    }
}
