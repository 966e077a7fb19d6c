//! `X-Request-Id` (alias `MS-CorrelationId`): echoed when the client sends a sane one, generated
//! otherwise, returned on every response, stored in request extensions for handlers and audit
//! records, and kept in a task-local so problem documents and log lines carry it. Partner
//! Center's own `MS-CorrelationId` and `MS-RequestId` are echoed under their own names when sent.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};

use crate::error::ApiError;

tokio::task_local! {
    static CURRENT: String;
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

/// The current request's id, when called while serving a request.
pub fn current() -> Option<String> {
    CURRENT.try_with(|id| id.clone()).ok()
}

fn sane(value: &HeaderValue) -> Option<String> {
    let s = value.to_str().ok()?.trim();
    let ok = !s.is_empty() && s.len() <= 128 && s.bytes().all(|b| b.is_ascii_graphic());
    ok.then(|| s.to_owned())
}

/// Middleware: assigns the id, runs the rest of the request inside its task-local scope and
/// sets the response header.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
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
    req.extensions_mut().insert(RequestId(id.clone()));
    let mut res = CURRENT.scope(id.clone(), next.call(req)).await?;
    log_cause(&id, &res);
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(HEADER, v);
    }
    for (name, value) in echoed {
        res.headers_mut().insert(name, value);
    }
    Ok(res)
}

/// Logs the cause a 5xx [`ApiError`] carries, once, with the request id (bodies stay generic).
fn log_cause<B>(id: &str, res: &ServiceResponse<B>) {
    let cause = res
        .response()
        .error()
        .and_then(|e| e.as_error::<ApiError>())
        .and_then(|e| e.cause.as_deref());
    if let Some(cause) = cause {
        log::error!(
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
