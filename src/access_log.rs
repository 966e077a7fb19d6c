//! The access log: one line per request (target `access`) once its answer is known, with the
//! fields an operator searches by — `request_id`, `trace_id`, `method`, `route` (the matched
//! pattern, e.g. `/v1/customers/{customerId}`), `status`, `duration_ms`, `caller`
//! (`user:<id>` or `application:<id>`, when a valid bearer token was presented), `tenant`, `client`
//! (the client address) and `user_agent`. The message is `METHOD PATH STATUS DURATIONms` with the
//! path only: query strings may carry link tokens, which must not be logged.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};

use crate::request_id::{LoggedCaller, RequestId};
use crate::state::AppState;
use crate::trace_context::TraceContext;

/// Middleware: logs the access line of each request (see the module documentation).
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let method = req.method().to_string();
    let path = req.path().to_owned();
    let user_agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .chars()
        .take(200)
        .collect::<String>();
    let client = {
        let trusted = req
            .app_data::<web::Data<AppState>>()
            .map_or(&[][..], |s| &s.config.trusted_proxies[..]);
        crate::client_address::key(req.request(), trusted)
    };
    let res = next.call(req).await;
    let duration_ms = started.elapsed().as_millis() as u64;
    let (status, http_req) = match &res {
        Ok(r) => (r.status(), r.request().clone()),
        Err(e) => {
            log::warn!(target: "access", "{method} {path}: {e}");
            return res;
        }
    };
    let ext = http_req.extensions();
    let request_id = ext.get::<RequestId>().map_or("-", |r| r.0.as_str());
    let trace_id = ext
        .get::<TraceContext>()
        .map_or("-", |t| t.trace_id.as_str());
    let (caller, tenant) = ext
        .get::<LoggedCaller>()
        .map_or(("-", "-"), |c| (c.caller.as_str(), c.tenant.as_str()));
    let route = http_req
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let status = status.as_u16();
    log::info!(
        target: "access",
        request_id, trace_id, method = method.as_str(), route = route.as_str(), status,
        duration_ms, caller, tenant, client = client.as_str(), user_agent = user_agent.as_str();
        "{method} {path} {status} {duration_ms}ms"
    );
    drop(ext);
    res
}
