//! `GET /problems/{code}`: what a problem `type` URI names. Every problem document's `type` is
//! `{PUBLIC_BASE_URL}/problems/{code}` (with `-` for `_`), so the URI resolves to a short
//! description of that kind of problem and what to do about it.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::{ApiError, FieldError, Problem};

/// A problem type.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProblemType {
    /// The problem's `code`.
    #[schema(example = "validation_failed")]
    pub code: String,
    /// What it means and what to do about it.
    pub description: String,
}

/// The problems every operation may answer, described once; operation-specific codes are
/// described with the operation's responses in the OpenAPI document.
const KNOWN: [(&str, &str); 16] = [
    (
        "validation_failed",
        "Some fields of the request are invalid; `errors` names each field with a reason. Fix them and send again.",
    ),
    (
        "not_found",
        "The resource does not exist or is outside your reach (the two are never told apart).",
    ),
    (
        "route_not_found",
        "No operation answers this method and path; see /api-docs/openapi.json.",
    ),
    (
        "method_not_allowed",
        "The path exists but does not answer this method; `Allow` lists those it answers.",
    ),
    (
        "unauthorized",
        "No valid bearer token: sign in with POST /v1/auth/token and send `Authorization: Bearer <token>`.",
    ),
    (
        "insufficient_role",
        "Your roles do not allow this operation; `requiredRoles` lists the roles that do.",
    ),
    (
        "delegated_admin_required",
        "The operation needs delegated admin privileges (DAP) on the customer; ask the customer to accept a relationship request that includes DAP.",
    ),
    (
        "rate_limited",
        "Too many requests; wait `Retry-After` seconds (see `RateLimit`) before retrying.",
    ),
    (
        "precondition_failed",
        "The resource changed since you read it (`If-Match` is stale): read it again and retry with the new ETag.",
    ),
    (
        "payload_too_large",
        "The body is larger than the server accepts (64 KiB).",
    ),
    (
        "unsupported_media_type",
        "The body is not in a media type this operation accepts (JSON unless stated otherwise).",
    ),
    (
        "idempotency_key_reused",
        "This `Idempotency-Key` was used with another request; use a new key for a new request.",
    ),
    (
        "already_exists",
        "A resource with the same unique value already exists.",
    ),
    (
        "concurrent_update",
        "Another request changed the same data at the same time; retry.",
    ),
    (
        "internal_error",
        "An unexpected error; quote the request id (`requestId`, `X-Request-Id`) when reporting it.",
    ),
    (
        "database_unavailable",
        "The database is unavailable; retry after `Retry-After` seconds.",
    ),
];

/// Describe a problem type: what a problem's `type` URI names.
///
/// Codes answered by one operation only (e.g. `support_contact_not_eligible`) get a pointer to
/// that operation's documented responses.
#[utoipa::path(
    tag = "operations",
    params(("code" = String, Path, description = "The problem's `code`, with `-` or `_` between words", pattern = "^[a-z][a-z0-9_-]{0,63}$", example = "validation-failed")),
    responses(
        (status = 200, description = "The problem type.", body = ProblemType),
        (status = 422, description = "Not a problem code.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/problems/{code}")]
pub async fn get_problem(code: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let code = code.into_inner().replace('-', "_");
    let valid = (1..=64).contains(&code.len())
        && code.starts_with(|c: char| c.is_ascii_lowercase())
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !valid {
        return Err(ApiError::validation(vec![FieldError::new(
            "code",
            "invalid",
            "must be a problem code such as validation-failed",
        )]));
    }
    let description = KNOWN
        .iter()
        .find(|(known, _)| *known == code)
        .map(|(_, d)| (*d).to_owned())
        .unwrap_or_else(|| {
            format!(
                "A rule of the operation that answered it refused the request; its `detail` says \
                 what to do, and the operation's responses in /api-docs/openapi.json list when \
                 `{code}` is answered."
            )
        });
    Ok(HttpResponse::Ok().json(ProblemType { code, description }))
}

/// Registers the route.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_problem);
}
