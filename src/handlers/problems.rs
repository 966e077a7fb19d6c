//! `GET /problems/{code}`: what a problem `type` URI names. Every problem document's `type` is
//! `{PUBLIC_BASE_URL}/problems/{code}` (with `-` for `_`), so the URI resolves to a short
//! description of that kind of problem and what to do about it. The pages are generated from
//! [`ProblemCode`]: every code the server answers has one, and any other code is 404.

use actix_web::{get, web};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::{ApiError, FieldError, Problem, ProblemCode};
use crate::respond::Json;

/// A problem type.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProblemType {
    /// The problem's `code`.
    pub code: ProblemCode,
    /// The HTTP status the code is usually answered with.
    #[schema(example = 422)]
    pub status: u16,
    /// A short title.
    #[schema(example = "Validation failed")]
    pub title: String,
    /// What it means and what to do about it.
    pub description: String,
}

impl From<ProblemCode> for ProblemType {
    fn from(code: ProblemCode) -> Self {
        ProblemType {
            code,
            status: code.status().as_u16(),
            title: code.title().to_owned(),
            description: code.description().to_owned(),
        }
    }
}

/// Describe a problem type: what a problem's `type` URI names.
///
/// Every code the server answers has a page (the `ProblemCode` schema lists them); any other
/// code is 404 `not_found`.
#[utoipa::path(
    tag = "operations",
    params(("code" = String, Path, description = "The problem's `code`, with `-` or `_` between words", pattern = "^[a-z][a-z0-9_-]{0,63}$", example = "validation-failed")),
    responses(
        (status = 200, description = "The problem type.", body = ProblemType),
        (status = 404, description = "No problem has this code (`not_found`).", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a problem code (`validation_failed`).", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/problems/{code}")]
pub async fn get_problem(code: web::Path<String>) -> Result<Json<ProblemType>, ApiError> {
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
    let known = ProblemCode::parse(&code)
        .ok_or_else(|| ApiError::not_found(&format!("The problem type `{code}`")))?;
    Ok(Json::new(ProblemType::from(known)))
}

/// Registers the route.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_problem);
}

crate::bodies!(ProblemType);
