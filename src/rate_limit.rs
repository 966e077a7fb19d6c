//! A per-caller request budget (product.md §7: rate limits answer 429 with `Retry-After`): each
//! caller — the subject of a valid bearer token, else the client address
//! ([`crate::client_address`]) — may make
//! `REQUEST_RATE_LIMIT_PER_MINUTE` requests per minute (GCRA via the `governor` crate, bursts up
//! to the same number). The budget lives in each replica's memory; the limit that must be shared
//! across replicas, sign-in attempts, lives in the database (`models::rate_limit`). Health probes,
//! the OpenAPI document and Swagger UI are not counted.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError, web};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use crate::app::AppState;
use crate::auth::principal;
use crate::client_address;
use crate::error::ApiError;

/// The per-caller limiter.
pub struct RequestLimiter {
    limiter: DefaultKeyedRateLimiter<String>,
    seen: AtomicU64,
}

impl RequestLimiter {
    /// A limiter allowing `per_minute` requests per caller per minute (`None` when 0: disabled).
    pub fn new(per_minute: u32) -> Option<RequestLimiter> {
        let per_minute = NonZeroU32::new(per_minute)?;
        Some(RequestLimiter {
            limiter: DefaultKeyedRateLimiter::keyed(Quota::per_minute(per_minute)),
            seen: AtomicU64::new(0),
        })
    }

    /// Counts one request for `key`; the whole seconds to wait when over budget.
    pub fn check(&self, key: &str) -> Result<(), u64> {
        if self.seen.fetch_add(1, Ordering::Relaxed) % 10_000 == 9_999 {
            self.limiter.retain_recent();
        }
        self.limiter
            .check_key(&key.to_owned())
            .map_err(|not_until| {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
            })
    }
}

fn counted(path: &str) -> bool {
    !(path.starts_with("/health/")
        || path.starts_with("/swagger-ui")
        || path.starts_with("/api-docs/"))
}

/// Middleware: 429 `rate_limited` with `Retry-After` once the caller's budget is spent.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    if let Some(limiter) = state.as_ref().and_then(|s| s.request_limiter.as_ref())
        && counted(req.path())
    {
        let key = principal::bearer(req.request())
            .and_then(|token| state.as_ref().and_then(|s| s.jwt.verify(token).ok()))
            .map(|claims| format!("{}:{}", claims.act.as_str(), claims.sub))
            .or_else(|| {
                let trusted = state
                    .as_ref()
                    .map_or(&[][..], |s| &s.config.trusted_proxies[..]);
                Some(format!(
                    "ip:{}",
                    client_address::key(req.request(), trusted)
                ))
            })
            .unwrap_or_else(|| "anonymous".to_owned());
        if let Err(wait) = limiter.check(&key) {
            let wait = wait.max(1);
            let err = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!("Too many requests; retry in {wait} seconds."),
            )
            .with_header(header::RETRY_AFTER, wait.to_string());
            return Ok(req.into_response(err.error_response()));
        }
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_boxed_body)
}
