//! A per-caller request budget (product.md §7: rate limits answer 429 with `Retry-After`): each
//! caller — the subject of a valid bearer token, else the client address
//! ([`crate::client_address`]) — may make
//! `REQUEST_RATE_LIMIT_PER_MINUTE` requests per minute (GCRA via the `governor` crate, bursts up
//! to the same number). The budget lives in each replica's memory; the limit that must be shared
//! across replicas, sign-in attempts, lives in the database (`models::rate_limit`). Health probes,
//! the OpenAPI document and Swagger UI are not counted. Every counted response carries the IETF
//! rate-limit headers (draft-ietf-httpapi-ratelimit-headers): `RateLimit-Policy: "default";q=600;w=60`
//! (the quota `q` per window of `w` seconds) and `RateLimit: "default";r=42;t=7` (`r` requests
//! left, `t` seconds until the budget is whole again).

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError, web};
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::{DefaultKeyedRateLimiter, Quota};

use crate::auth::principal;
use crate::client_address;
use crate::error::{ApiError, ProblemCode};
use crate::state::AppState;

/// The per-caller limiter.
pub struct RequestLimiter {
    limiter: DefaultKeyedRateLimiter<String, StateInformationMiddleware>,
    per_minute: u32,
    seen: AtomicU64,
}

/// What one check of a caller's budget found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Requests allowed per minute.
    pub limit: u32,
    /// Requests left now.
    pub remaining: u32,
    /// Whole seconds until the budget is full again (or, when spent, until the next request).
    pub reset: u64,
}

/// `RateLimit-Policy`.
pub const POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
/// `RateLimit`.
pub const RATE_LIMIT: HeaderName = HeaderName::from_static("ratelimit");

impl Budget {
    /// The `RateLimit-Policy` and `RateLimit` header values.
    pub fn headers(&self) -> [(HeaderName, String); 2] {
        [
            (POLICY, format!("\"default\";q={};w=60", self.limit)),
            (
                RATE_LIMIT,
                format!("\"default\";r={};t={}", self.remaining, self.reset),
            ),
        ]
    }
}

fn ceil_secs(d: std::time::Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

impl RequestLimiter {
    /// A limiter allowing `per_minute` requests per caller per minute (`None` when 0: disabled).
    pub fn new(per_minute: u32) -> Option<RequestLimiter> {
        let per_minute = NonZeroU32::new(per_minute)?;
        Some(RequestLimiter {
            limiter: DefaultKeyedRateLimiter::keyed(Quota::per_minute(per_minute))
                .with_middleware::<StateInformationMiddleware>(),
            per_minute: per_minute.get(),
            seen: AtomicU64::new(0),
        })
    }

    /// Counts one request for `key`: the budget left, `Err` (with the seconds to wait as
    /// `reset`) when it is spent.
    pub fn check(&self, key: &str) -> Result<Budget, Budget> {
        if self.seen.fetch_add(1, Ordering::Relaxed) % 10_000 == 9_999 {
            self.limiter.retain_recent();
        }
        match self.limiter.check_key(&key.to_owned()) {
            Ok(state) => {
                let remaining = state.remaining_burst_capacity();
                let used = self.per_minute.saturating_sub(remaining);
                let refill = state.quota().replenish_interval() * used;
                Ok(Budget {
                    limit: self.per_minute,
                    remaining,
                    reset: ceil_secs(refill),
                })
            }
            Err(not_until) => Err(Budget {
                limit: self.per_minute,
                remaining: 0,
                reset: ceil_secs(not_until.wait_time_from(DefaultClock::default().now())).max(1),
            }),
        }
    }
}

fn counted(path: &str) -> bool {
    !(path.starts_with("/health/")
        || path.starts_with("/swagger-ui")
        || path.starts_with("/api-docs/")
        || path == "/metrics")
}

/// Middleware: 429 `rate_limited` with `Retry-After` once the caller's budget is spent; the
/// rate-limit headers on every counted response.
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
        let budget = match limiter.check(&key) {
            Ok(budget) => budget,
            Err(spent) => {
                let wait = spent.reset;
                let mut err = ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    ProblemCode::RateLimited,
                    format!("Too many requests; retry in {wait} seconds."),
                )
                .with_header(header::RETRY_AFTER, wait.to_string());
                for (name, value) in spent.headers() {
                    err = err.with_header(name, value);
                }
                return Ok(req.into_response(err.error_response()));
            }
        };
        let mut res = next.call(req).await?;
        for (name, value) in budget.headers() {
            if let Ok(v) = HeaderValue::from_str(&value) {
                res.headers_mut().insert(name, v);
            }
        }
        return Ok(res.map_into_boxed_body());
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_boxed_body)
}
