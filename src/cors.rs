//! Cross-origin requests from browser apps (the `actix-cors` middleware), off unless
//! `CORS_ALLOWED_ORIGINS` names the origins allowed (`*` for any). Preflight `OPTIONS` requests are
//! answered for every operation; the headers a client needs (`ETag`, `Location`, `Retry-After`,
//! the request ids, the rate-limit headers) are exposed. Bearer tokens travel in `Authorization`,
//! so credentials (cookies) are never allowed.

use actix_cors::Cors;
use actix_web::http::{Method, header};
use actix_web::middleware::Condition;

/// Request headers a browser app may send.
const ALLOWED_HEADERS: [&str; 9] = [
    "authorization",
    "content-type",
    "if-match",
    "if-none-match",
    "idempotency-key",
    "x-request-id",
    "ms-correlationid",
    "ms-requestid",
    "accept",
];

/// Response headers a browser app may read.
const EXPOSED_HEADERS: [&str; 10] = [
    "etag",
    "location",
    "retry-after",
    "x-request-id",
    "ms-correlationid",
    "ms-requestid",
    "idempotent-replayed",
    "ratelimit",
    "ratelimit-policy",
    "allow",
];

/// The CORS middleware for `origins` (each `scheme://host[:port]`, or `*`); disabled when empty.
pub fn middleware(origins: &[String]) -> Condition<Cors> {
    let mut cors = Cors::default()
        .allowed_methods([
            Method::GET,
            Method::HEAD,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allowed_headers(ALLOWED_HEADERS.map(header::HeaderName::from_static))
        .expose_headers(EXPOSED_HEADERS.map(header::HeaderName::from_static))
        .max_age(3600);
    for origin in origins {
        cors = if origin == "*" {
            cors.allow_any_origin().send_wildcard()
        } else {
            cors.allowed_origin(origin)
        };
    }
    Condition::new(!origins.is_empty(), cors)
}

/// Checks one `CORS_ALLOWED_ORIGINS` entry: `*` or `http(s)://host[:port]` without a path.
pub fn valid_origin(origin: &str) -> bool {
    if origin == "*" {
        return true;
    }
    let Some(rest) = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
    else {
        return false;
    };
    !rest.is_empty()
        && rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
        && origin.parse::<actix_web::http::Uri>().is_ok()
}
