//! `X-Request-Id` (alias `MS-CorrelationId`): echoed when the client sends a sane one, generated
//! otherwise, returned on every response, stored in request extensions for handlers, audit
//! records and the access log, and stamped into every problem document (`requestId`) by
//! [`middleware`] — errors are made deep in services that know nothing of the request, so the
//! stamp happens on the way out, and no thread- or task-local carries the id. Partner Center's
//! own `MS-CorrelationId` and `MS-RequestId` are echoed under their own names when sent. The
//! same middleware reads and returns the W3C `traceparent` ([`crate::trace_context`]) and, when
//! tracing is on, starts and ends the request's span ([`crate::otel`]).

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};

use crate::error::ApiError;
use crate::state::AppState;
use crate::trace_context::{TRACEPARENT, TraceContext};

/// Who called, for the access log and the request's span: set in request extensions when a bearer token is verified.
#[derive(Debug, Clone)]
pub struct LoggedCaller {
    /// `user:<id>` or `application:<id>`.
    pub caller: String,
    /// The caller's tenant (partner or customer) id.
    pub tenant: String,
}

/// The request id of the current request, in request extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The response header carrying the request id.
pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");
/// Partner Center's name for the same id, accepted on requests.
pub const ALIAS: HeaderName = HeaderName::from_static("ms-correlationid");
/// Partner Center's per-request id (also accepted as an idempotency key), echoed when sent.
pub const MS_REQUEST_ID: HeaderName = HeaderName::from_static("ms-requestid");

fn sane(value: &HeaderValue) -> Option<String> {
    let s = value.to_str().ok()?.trim();
    let ok = !s.is_empty() && s.len() <= 128 && s.bytes().all(|b| b.is_ascii_graphic());
    ok.then(|| s.to_owned())
}

/// Middleware: assigns the id, puts it in the request's extensions, stamps it into the problem
/// document of an error response and sets the response header.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let id = req
        .headers()
        .get(&HEADER)
        .or_else(|| req.headers().get(&ALIAS))
        .and_then(sane)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    let echoed: Vec<(HeaderName, HeaderValue)> = [ALIAS, MS_REQUEST_ID]
        .into_iter()
        .filter_map(|name| {
            let value = req.headers().get(&name).filter(|v| sane(v).is_some())?;
            Some((name, value.clone()))
        })
        .collect();
    let mut trace = TraceContext::from_header(req.headers().get(&TRACEPARENT));
    // With tracing on, the request's span is exported and `trace` names it.
    let span = req
        .app_data::<web::Data<AppState>>()
        .and_then(|s| s.tracing.as_ref())
        .map(|t| t.start(&mut trace, req.method().as_str()));
    let traceparent = trace.traceparent();
    req.extensions_mut().insert(RequestId(id.clone()));
    req.extensions_mut().insert(trace.clone());
    let res = next.call(req).await?;
    if let Some(span) = span {
        end_span(span, &id, &res);
    }
    log_cause(&id, &trace, &res);
    let mut res = stamp_problem(res, &id).await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(HEADER, v);
    }
    if let Ok(v) = HeaderValue::from_str(&traceparent) {
        res.headers_mut().insert(TRACEPARENT, v);
    }
    for (name, value) in echoed {
        res.headers_mut().insert(name, value);
    }
    Ok(res)
}

/// Ends the request's span with what the answer and the access log know.
fn end_span<B>(span: crate::otel::RequestSpan, id: &str, res: &ServiceResponse<B>) {
    let req = res.request();
    let route = req
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let ext = req.extensions();
    let caller = ext
        .get::<LoggedCaller>()
        .map(|c| (c.caller.as_str(), c.tenant.as_str()));
    crate::otel::finish(
        span,
        req.method().as_str(),
        &route,
        res.status().as_u16(),
        id,
        caller,
    );
}

/// Adds `requestId` to a problem+json body (bodies of other types pass through untouched).
async fn stamp_problem(
    res: ServiceResponse<impl MessageBody + 'static>,
    id: &str,
) -> ServiceResponse<BoxBody> {
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if !is_problem {
        return res.map_into_boxed_body();
    }
    let (http_req, http_res) = res.into_parts();
    let (http_res, body) = http_res.into_parts();
    let bytes = body::to_bytes(body).await.unwrap_or_default();
    let stamped = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(serde_json::Value::Object(mut problem)) => {
            problem.insert("requestId".to_owned(), id.into());
            serde_json::to_vec(&problem)
                .map(web::Bytes::from)
                .unwrap_or(bytes)
        }
        _ => bytes,
    };
    ServiceResponse::new(http_req, http_res.set_body(BoxBody::new(stamped)))
}

/// Logs the cause a 5xx [`ApiError`] carries, once, with the request and trace ids (bodies stay
/// generic).
fn log_cause<B>(id: &str, trace: &TraceContext, res: &ServiceResponse<B>) {
    let cause = res
        .response()
        .error()
        .and_then(|e| e.as_error::<ApiError>())
        .and_then(|e| e.cause.as_deref());
    if let Some(cause) = cause {
        let route = res.request().match_pattern().unwrap_or_default();
        log::error!(
            request_id = id, trace_id = trace.trace_id.as_str(), route = route.as_str(),
            status = res.status().as_u16();
            "request {id}: {} {} {}: {cause}",
            res.request().method(),
            res.request().path(),
            res.status().as_u16()
        );
    }
}

impl actix_web::FromRequest for RequestId {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<RequestId, actix_web::Error>>;

    fn from_request(req: &actix_web::HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let id = req
            .extensions()
            .get::<RequestId>()
            .cloned()
            .unwrap_or_else(|| RequestId(uuid::Uuid::now_v7().to_string()));
        std::future::ready(Ok(id))
    }
}
