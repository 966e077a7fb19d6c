//! The one error type, [`ApiError`], and its RFC 9457 `application/problem+json` rendering.
//! Every handler, extractor and middleware answers errors through it; 5xx bodies never carry
//! internal text (that goes to the log with the request id).

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

pub use crate::problem_code::ProblemCode;

/// One field at fault in a request.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FieldError {
    /// The field's JSON path in camelCase, e.g. `billingProfile.email`, or a query/path parameter.
    pub field: String,
    /// Stable snake_case reason, e.g. `length`, `email`, `required`, `range`, `duplicate`.
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
}

impl FieldError {
    /// A field error with a code and a message.
    pub fn new(
        field: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        FieldError {
            field: field.into(),
            code: code.into(),
            message: message.into(),
        }
    }
}

/// The RFC 9457 problem document every error response carries (`application/problem+json`).
/// Some problems add extension members next to these, e.g. `requiredRoles` (403
/// `insufficient_role`), `activeSubscriptionIds` (409 `active_subscriptions`) or `reason` (422
/// `support_contact_not_eligible`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// The problem type's URI, `{PUBLIC_BASE_URL}/problems/{code}`: `GET` it for a description.
    #[serde(rename = "type")]
    pub type_: String,
    /// Short summary of the problem type (the HTTP reason phrase).
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong in this occurrence, and what to do about it.
    pub detail: String,
    /// Stable snake_case code to branch on, one of `ProblemCode` (each listed with its usual
    /// status; `GET /problems/{code}` describes it), e.g. `validation_failed`, `not_found`,
    /// `insufficient_role`, `delegated_admin_required`, `support_contact_not_eligible`.
    pub code: ProblemCode,
    /// Fields at fault (validation problems).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// The request id (`X-Request-Id`) to quote when reporting the problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Extra machine-readable context, e.g. `requiredRoles` or `activeSubscriptionIds`.
    /// (Documented in the schema description: extension members sit at the top level.)
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    #[schema(ignore)]
    pub extensions: Option<serde_json::Map<String, serde_json::Value>>,
}

/// `PUBLIC_BASE_URL`, the base of problem `type` URIs (set once, when the app is built).
static PROBLEM_BASE: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Sets the base of problem `type` URIs; the first call wins (one process serves one base).
pub fn set_problem_base(public_base_url: &str) {
    let _ = PROBLEM_BASE.set(public_base_url.trim_end_matches('/').to_owned());
}

/// An error answered to the client as problem+json (boxed, so `Result<_, ApiError>` stays small).
#[derive(Debug)]
pub struct ApiError(Box<ErrorData>);

/// What an [`ApiError`] carries.
#[derive(Debug)]
pub struct ErrorData {
    /// HTTP status.
    pub status: StatusCode,
    /// The problem's `code` (and its `type` suffix).
    pub code: ProblemCode,
    /// Client-facing explanation.
    pub detail: String,
    /// Fields at fault.
    pub errors: Vec<FieldError>,
    /// Extra members of the problem document.
    pub extensions: serde_json::Map<String, serde_json::Value>,
    /// Extra response headers (`WWW-Authenticate`, `Retry-After`).
    pub headers: Vec<(HeaderName, String)>,
    /// For 5xx: what actually went wrong, for the log only. The request-id middleware logs it
    /// once with the request id ([`crate::request_id::middleware`]); background tasks log it
    /// through `Display`.
    pub cause: Option<String>,
}

impl ApiError {
    /// A problem with a status, code and detail (the status is usually [`ProblemCode::status`];
    /// see [`ApiError::of`]).
    pub fn new(status: StatusCode, code: ProblemCode, detail: impl Into<String>) -> Self {
        ApiError(Box::new(ErrorData {
            status,
            code,
            detail: detail.into(),
            errors: Vec::new(),
            extensions: serde_json::Map::new(),
            headers: Vec::new(),
            cause: None,
        }))
    }

    /// A problem answered with its code's usual status ([`ProblemCode::status`]).
    pub fn of(code: ProblemCode, detail: impl Into<String>) -> Self {
        Self::new(code.status(), code, detail)
    }

    /// 404 `not_found`: the resource does not exist or is outside the caller's reach (the two
    /// are never told apart, docs/concepts.md#roles-and-permissions).
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            ProblemCode::NotFound,
            format!("{what} was not found."),
        )
    }

    /// 401 `unauthorized` with `WWW-Authenticate: Bearer`.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        let mut e = Self::new(StatusCode::UNAUTHORIZED, ProblemCode::Unauthorized, detail);
        e.headers.push((
            header::WWW_AUTHENTICATE,
            "Bearer realm=\"partner-center\", error=\"invalid_token\"".to_owned(),
        ));
        e
    }

    /// 401 `token_revoked`: the token was valid, but the account behind it changed since it was
    /// issued (password changed or reset, disabled or re-enabled, roles changed, application
    /// deleted) or no longer exists. Sign in again.
    pub fn token_revoked() -> Self {
        let mut e = Self::new(
            StatusCode::UNAUTHORIZED,
            ProblemCode::TokenRevoked,
            "This access token was revoked: the account's credentials, status or roles changed after it was issued. Sign in again.",
        );
        e.headers.push((
            header::WWW_AUTHENTICATE,
            "Bearer realm=\"partner-center\", error=\"invalid_token\", error_description=\"token revoked\"".to_owned(),
        ));
        e
    }

    /// 403 with a specific code, e.g. `delegated_admin_required`.
    pub fn forbidden(code: ProblemCode, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, detail)
    }

    /// 422 `validation_failed` listing each field at fault.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => format!("The field `{}` is invalid: {}", one.field, one.message),
            _ => format!("{} fields are invalid; see `errors`.", errors.len()),
        };
        let mut e = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ProblemCode::ValidationFailed,
            detail,
        );
        e.errors = errors;
        e
    }

    /// One field at fault with its own status and code, e.g. 409 `duplicate_domain` on `domain`
    /// (the field error's reason is the problem's code).
    pub fn field(
        status: StatusCode,
        code: ProblemCode,
        field: &str,
        message: impl Into<String>,
    ) -> Self {
        let message = message.into();
        let mut e = Self::new(status, code, message.clone());
        e.errors
            .push(FieldError::new(field, code.as_str(), message));
        e
    }

    /// 409 with a specific code.
    pub fn conflict(code: ProblemCode, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, detail)
    }

    /// 422 with a specific domain-rule code.
    pub fn unprocessable(code: ProblemCode, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, detail)
    }

    /// 412 `precondition_failed`: the `If-Match` ETag is stale.
    pub fn precondition_failed() -> Self {
        Self::new(
            StatusCode::PRECONDITION_FAILED,
            ProblemCode::PreconditionFailed,
            "The resource changed since you read it (If-Match does not match the current ETag); read it again and retry.",
        )
    }

    /// 500 `internal_error`; `log` goes to the log only, never to the client.
    pub fn internal(log: impl fmt::Display) -> Self {
        let mut e = Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ProblemCode::InternalError,
            "An unexpected error occurred; quote the request id when reporting it.",
        );
        e.0.cause = Some(format!("internal error: {log}"));
        e
    }

    /// 503 `database_unavailable`; `log` goes to the log only.
    pub fn unavailable(log: impl fmt::Display) -> Self {
        let mut e = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ProblemCode::DatabaseUnavailable,
            "The database is unavailable; retry shortly.",
        );
        e.0.cause = Some(format!("database unavailable: {log}"));
        e.headers.push((header::RETRY_AFTER, "2".to_owned()));
        e
    }

    /// 503 `sign_in_busy`: every password-hashing thread is busy and the queue is full.
    pub fn sign_in_busy() -> Self {
        let mut e = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ProblemCode::SignInBusy,
            "Too many sign-ins are being checked right now; retry in a second.",
        );
        e.headers.push((header::RETRY_AFTER, "1".to_owned()));
        e
    }

    /// 409 `quota_exceeded`: creating one more would pass the limit named `limit` (its value
    /// `max`); both are members of the problem document.
    pub fn quota_exceeded(limit: &str, max: i64, what: &str) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            ProblemCode::QuotaExceeded,
            format!("{what} reached the limit `{limit}` of {max}; remove some first."),
        )
        .with("limit", limit)
        .with("max", max)
    }

    /// The response headers this error carries.
    pub fn headers(&self) -> &[(HeaderName, String)] {
        &self.headers
    }

    /// Adds a member to the problem document.
    pub fn with(mut self, key: &str, value: impl Serialize) -> Self {
        let value = serde_json::to_value(value).unwrap_or(serde_json::Value::Null);
        self.extensions.insert(key.to_owned(), value);
        self
    }

    /// Adds a response header.
    pub fn with_header(mut self, name: HeaderName, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// The problem document for this error.
    pub fn problem(&self) -> Problem {
        Problem {
            type_: format!(
                "{}/problems/{}",
                PROBLEM_BASE.get().map(String::as_str).unwrap_or_default(),
                self.code.as_str().replace('_', "-")
            ),
            title: self.status.canonical_reason().unwrap_or("Error").to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            code: self.code,
            errors: self.errors.clone(),
            request_id: None,
            extensions: (!self.extensions.is_empty()).then(|| self.extensions.clone()),
        }
    }
}

impl std::ops::Deref for ApiError {
    type Target = ErrorData;
    fn deref(&self) -> &ErrorData {
        &self.0
    }
}

impl std::ops::DerefMut for ApiError {
    fn deref_mut(&mut self) -> &mut ErrorData {
        &mut self.0
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.detail)?;
        match &self.cause {
            Some(cause) => write!(f, " ({cause})"),
            None => Ok(()),
        }
    }
}

impl std::error::Error for ApiError {}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        let mut res = HttpResponse::build(self.status);
        res.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        for (name, value) in &self.headers {
            if let Ok(v) = HeaderValue::from_str(value) {
                res.insert_header((name.clone(), v));
            }
        }
        res.body(body)
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind as K, Error as E};
        match e {
            E::NotFound => ApiError::not_found("The resource"),
            E::DatabaseError(K::UniqueViolation, info) => {
                log::info!("unique violation: {}", info.message());
                ApiError::conflict(
                    ProblemCode::AlreadyExists,
                    "A resource with the same unique value already exists.",
                )
            }
            // SQLite's trigger refusing a billing line for a closed period (PostgreSQL's raises
            // a serialization failure): the change raced with the period's close; retry.
            E::DatabaseError(_, info) if info.message() == "billing period closed" => {
                ApiError::conflict(
                    ProblemCode::ConcurrentUpdate,
                    "Another request changed the same data at the same time; retry.",
                )
            }
            E::DatabaseError(K::SerializationFailure, _) => ApiError::conflict(
                ProblemCode::ConcurrentUpdate,
                "Another request changed the same data at the same time; retry.",
            ),
            E::DatabaseError(K::ForeignKeyViolation, info) => {
                log::info!("foreign key violation: {}", info.message());
                ApiError::unprocessable(
                    ProblemCode::UnknownReference,
                    "The request refers to a resource that does not exist.",
                )
            }
            E::DatabaseError(K::ClosedConnection, info) => ApiError::unavailable(info.message()),
            // PostgreSQL refuses NUL in text; the extractors refuse it first, this is the net.
            E::DatabaseError(_, info) if info.message().contains("invalid byte sequence") => {
                ApiError::unprocessable(
                    ProblemCode::InvalidText,
                    "A text value contains a character that cannot be stored (NUL).",
                )
            }
            other => ApiError::internal(format!("database: {other}")),
        }
    }
}

impl From<diesel::r2d2::PoolError> for ApiError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        ApiError::unavailable(e)
    }
}

impl From<validator::ValidationErrors> for ApiError {
    fn from(e: validator::ValidationErrors) -> Self {
        let mut out = Vec::new();
        flatten_validation("", &e, &mut out);
        out.sort_by(|a, b| a.field.cmp(&b.field));
        ApiError::validation(out)
    }
}

fn flatten_validation(
    prefix: &str,
    errors: &validator::ValidationErrors,
    out: &mut Vec<FieldError>,
) {
    use validator::ValidationErrorsKind as Kind;
    for (field, kind) in errors.errors() {
        let name = if prefix.is_empty() {
            camel_case(field)
        } else {
            format!("{prefix}.{}", camel_case(field))
        };
        match kind {
            Kind::Field(list) => {
                for err in list {
                    let message = err
                        .message
                        .as_ref()
                        .map(|m| m.to_string())
                        .unwrap_or_else(|| describe(err));
                    out.push(FieldError::new(name.clone(), err.code.to_string(), message));
                }
            }
            Kind::Struct(inner) => flatten_validation(&name, inner, out),
            Kind::List(items) => {
                for (index, inner) in items {
                    flatten_validation(&format!("{name}[{index}]"), inner, out);
                }
            }
        }
    }
}

fn describe(err: &validator::ValidationError) -> String {
    let param = |k: &str| err.params.get(k).map(|v| v.to_string());
    match err.code.as_ref() {
        "length" if matches!(err.params.get("value"), Some(serde_json::Value::Array(_))) => {
            match (param("min"), param("max")) {
                (Some(min), Some(max)) => format!("must have {min} to {max} items"),
                (None, Some(max)) => format!("must have at most {max} items"),
                (Some(min), None) => format!("must have at least {min} items"),
                _ => "has an invalid number of items".to_owned(),
            }
        }
        "length" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("must be {min} to {max} characters long"),
            (None, Some(max)) => format!("must be at most {max} characters long"),
            (Some(min), None) => format!("must be at least {min} characters long"),
            _ => "has an invalid length".to_owned(),
        },
        "range" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("must be between {min} and {max}"),
            _ => "is out of range".to_owned(),
        },
        "email" => "must be an email address".to_owned(),
        "url" => "must be an absolute URL".to_owned(),
        other => format!("is invalid ({other})"),
    }
}

/// `billing_profile` → `billingProfile`.
pub fn camel_case(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Shorthand for handler results.
pub type ApiResult<T> = Result<T, ApiError>;
