//! The token and revocation endpoints' error language: RFC 6749 §5.2 bodies (`{"error", "error_description"}`)
//! instead of problem+json. [`error_response`] writes one; [`middleware`] rewrites any
//! problem+json answer on the token endpoint — the request budget's 429, the framework's 413, a
//! 500 or the database's 503 — into the same shape (same status and headers), so the endpoint
//! answers exactly the one error shape its document declares.

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

/// The token endpoint's path.
pub const TOKEN_PATH: &str = "/v1/auth/token";
/// The revocation endpoint's path (RFC 7009), which answers errors the same way.
pub const REVOCATION_PATH: &str = "/v1/auth/revoke";

/// An OAuth error response (RFC 6749 §5.2).
#[derive(Debug, Serialize, ToSchema)]
pub struct OAuthError {
    /// `invalid_request` (also a 413 body or a 429 past a limit), `invalid_client`,
    /// `invalid_grant`, `unsupported_grant_type`, `unsupported_token_type` (revocation),
    /// `password_change_required` (a temporary
    /// password must be changed with POST /v1/auth/password), `temporarily_unavailable` (503) or
    /// `server_error` (500). More codes may be added; treat an unknown one like `invalid_request`.
    #[schema(example = "invalid_grant")]
    pub error: String,
    /// Human-readable explanation.
    #[schema(example = "The user name or password is incorrect.")]
    pub error_description: String,
}

/// An OAuth error answer: `status` with the RFC 6749 body, `Cache-Control: no-store`, and on 401
/// `WWW-Authenticate: Basic`.
pub fn error_response(
    status: StatusCode,
    error: &str,
    description: impl Into<String>,
) -> HttpResponse {
    let mut res = HttpResponse::build(status);
    res.insert_header((header::CACHE_CONTROL, "no-store"));
    if status == StatusCode::UNAUTHORIZED {
        res.insert_header((header::WWW_AUTHENTICATE, "Basic realm=\"partner-center\""));
    }
    res.json(OAuthError {
        error: error.to_owned(),
        error_description: description.into(),
    })
}

/// The RFC 6749 code for an error status the endpoint answers in problem+json elsewhere.
fn code_for(status: StatusCode) -> &'static str {
    match status {
        StatusCode::SERVICE_UNAVAILABLE => "temporarily_unavailable",
        s if s.is_server_error() => "server_error",
        _ => "invalid_request",
    }
}

/// Middleware: on `POST /v1/auth/token` and `POST /v1/auth/revoke`, a problem+json answer becomes the OAuth error of the
/// same status, keeping its headers (`Retry-After`, `RateLimit`, …) and the error it carries
/// (so its cause is still logged with the request id).
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let token_endpoint =
        matches!(req.path(), TOKEN_PATH | REVOCATION_PATH) && req.method() == Method::POST;
    let res = next.call(req).await?;
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if !token_endpoint || !is_problem {
        return Ok(res.map_into_boxed_body());
    }
    let status = res.status();
    let (http_req, http_res) = res.into_parts();
    let (mut http_res, body) = http_res.into_parts();
    let bytes = body::to_bytes(body).await.unwrap_or_default();
    let detail = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|p| p["detail"].as_str().map(str::to_owned))
        .unwrap_or_default();
    let rewritten = serde_json::to_vec(&OAuthError {
        error: code_for(status).to_owned(),
        error_description: detail,
    })
    .unwrap_or_default();
    let headers = http_res.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(ServiceResponse::new(
        http_req,
        http_res.set_body(BoxBody::new(rewritten)),
    ))
}
