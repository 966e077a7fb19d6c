//! Entity tags for single resources: `"v{version}"`, from the row's version column (a price
//! list's adds its versions in effect, `services::price_lists::ListNow`). PATCH/PUT
//! honour `If-Match` (docs/api-guide.md): a stale tag answers 412; the update itself is a
//! compare-and-swap on the version, so two writers with the same tag never both win.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest};

use crate::error::{ApiError, FieldError};

/// The ETag of a resource at `version`.
pub fn etag(version: i64) -> String {
    format!("\"v{version}\"")
}

/// What `If-Match` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precondition {
    /// No `If-Match` (or `*`): apply to whatever version is current.
    Any,
    /// Apply only if the current version is this one.
    Version(i64),
}

/// Parses `If-Match`: `*`, or an ETag of this API (`"v3"`, optionally weak); anything else is
/// 422 naming the header (a stale but well-formed tag is 412 later, against the resource).
pub fn if_match(req: &HttpRequest) -> Result<Precondition, ApiError> {
    let Some(value) = req.headers().get(header::IF_MATCH) else {
        return Ok(Precondition::Any);
    };
    let malformed = || {
        ApiError::validation(vec![FieldError::new(
            "If-Match",
            "invalid",
            "must be an ETag from this API, e.g. \"v3\", or *",
        )])
    };
    let s = value.to_str().map_err(|_| malformed())?.trim();
    if s == "*" {
        return Ok(Precondition::Any);
    }
    s.trim_start_matches("W/")
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .and_then(|t| t.strip_prefix('v'))
        .filter(|v| !v.is_empty() && v.len() <= 18 && v.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|v| v.parse().ok())
        .map(Precondition::Version)
        .ok_or_else(malformed)
}

impl Precondition {
    /// The version to compare-and-swap against, given the current one; 412 when stale.
    pub fn expect(self, current: i64) -> Result<i64, ApiError> {
        match self {
            Precondition::Any => Ok(current),
            Precondition::Version(v) if v == current => Ok(v),
            Precondition::Version(_) => Err(ApiError::precondition_failed()),
        }
    }
}

/// `If-Match` as an extractor (place it after the authorization extractor): 422 naming the
/// header when malformed.
impl FromRequest for Precondition {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Precondition, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(if_match(req))
    }
}
