//! A per-caller request budget (docs/api-guide.md: rate limits answer 429 with `Retry-After`): each
//! caller — the subject of a valid bearer token, else the client address
//! ([`crate::client_address`]) — may make
//! `REQUEST_RATE_LIMIT_PER_MINUTE` requests per minute (GCRA via the `governor` crate, bursts up
//! to the same number). The budget lives in each replica's memory; the limit that must be shared
//! across replicas, sign-in attempts, lives in the database (`models::rate_limit`). Health probes,
//! the OpenAPI document and Swagger UI are not counted. Every counted response carries the IETF
//! rate-limit headers (draft-ietf-httpapi-ratelimit-headers): `RateLimit-Policy: "default";q=600;w=60`
//! (the quota `q` per window of `w` seconds) and `RateLimit: "default";r=42;t=7` (`r` requests
//! left, `t` seconds until the budget is whole again). The middleware that applies it is
//! [`layer`].

pub mod layer;

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

use actix_web::http::header::HeaderName;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::{DefaultKeyedRateLimiter, Quota};

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
