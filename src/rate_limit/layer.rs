//! The request-budget middleware: counts each request against its caller's budget
//! ([`super::RequestLimiter`]) and answers 429 `rate_limited` once it is spent.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::HeaderValue;
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError, web};

use crate::auth::principal;
use crate::client_address;
use crate::error::{ApiError, ProblemCode};
use crate::state::AppState;

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
                crate::metrics::count_rate_limited("request");
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
