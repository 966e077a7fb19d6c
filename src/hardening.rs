//! Response hardening on every route (OWASP API8): `X-Content-Type-Options: nosniff`
//! on every response; `Cache-Control: no-store` on every response to a request that carries
//! credentials (`Authorization`), unless the handler chose its own; heads larger than
//! [`MAX_HEADER_BYTES`] refused with 431; and any error answer that is not already JSON (actix's
//! own 413 `payload reached size limit`, 408, 431, …) turned into problem+json, keeping its
//! status and headers (`Retry-After`, `Allow`, `WWW-Authenticate`).
//!
//! Heads beyond actix-http's own parser limit and requests whose head never arrives (408) are
//! answered by the HTTP/1 dispatcher before any middleware runs, with an empty body.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError};

use crate::error::{ApiError, ProblemCode};

/// The largest request head (header names and values together) the API reads, in bytes.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// Middleware: see the module documentation.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let head_bytes: usize = req
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    if head_bytes > MAX_HEADER_BYTES {
        let err = ApiError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ProblemCode::RequestHeaderFieldsTooLarge,
            format!(
                "The request's headers take {head_bytes} bytes; at most {MAX_HEADER_BYTES} are read."
            ),
        );
        let res = req.into_response(err.error_response());
        return Ok(harden(res, false));
    }
    let credentialed = req.headers().contains_key(header::AUTHORIZATION);
    let res = next.call(req).await?.map_into_boxed_body();
    let res = if needs_problem(&res) {
        as_problem(res)
    } else {
        res
    };
    Ok(harden(res, credentialed))
}

fn harden(mut res: ServiceResponse<BoxBody>, credentialed: bool) -> ServiceResponse<BoxBody> {
    let headers = res.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if credentialed && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// An error answer whose body is not JSON (problem+json, or the OAuth error form).
fn needs_problem(res: &ServiceResponse<BoxBody>) -> bool {
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return false;
    }
    let json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.starts_with("application/problem+json") || ct.starts_with("application/json")
        });
    !json
}

fn as_problem(res: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    let status = res.status();
    let (code, detail) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => (
            ProblemCode::PayloadTooLarge,
            format!(
                "The body is larger than {} bytes.",
                crate::extract::JSON_LIMIT
            ),
        ),
        StatusCode::REQUEST_TIMEOUT => (
            ProblemCode::RequestTimeout,
            "The request was not received in time.".to_owned(),
        ),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => (
            ProblemCode::RequestHeaderFieldsTooLarge,
            format!("The request's headers are larger than {MAX_HEADER_BYTES} bytes."),
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            ProblemCode::UnsupportedMediaType,
            "Send the body as JSON with `Content-Type: application/json`.".to_owned(),
        ),
        other if other.is_server_error() => (
            ProblemCode::InternalError,
            "An unexpected error occurred; quote the request id when reporting it.".to_owned(),
        ),
        _ => (
            ProblemCode::BadRequest,
            "The request could not be read.".to_owned(),
        ),
    };
    let mut err = ApiError::new(status, code, detail);
    for name in [
        header::RETRY_AFTER,
        header::ALLOW,
        header::WWW_AUTHENTICATE,
        header::CACHE_CONTROL,
    ] {
        if let Some(value) = res.headers().get(&name).and_then(|v| v.to_str().ok()) {
            err = err.with_header(name, value);
        }
    }
    let (req, _) = res.into_parts();
    ServiceResponse::new(req, err.error_response())
}
