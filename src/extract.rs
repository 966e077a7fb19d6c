//! Request extractors that answer in problem+json: [`ValidJson`] (and [`parse_query`], which the
//! list extractor `paging::Paged` uses) deserialize with the path of the field at fault (so a bad
//! UUID deep in a body names its field) and run
//! `validator` rules once, at the edge. Also the error handlers for actix's own extractors.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError, UrlencodedError};
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, web};
use serde::de::DeserializeOwned;
use validator::Validate;

use crate::error::{ApiError, FieldError, ProblemCode};

/// Largest JSON body accepted (64 KiB).
pub const JSON_LIMIT: usize = 64 * 1024;

/// A JSON body, deserialized and validated. Errors: 415 `unsupported_media_type` (not JSON),
/// 413 `payload_too_large`, 400 `invalid_json` (malformed), 422 `validation_failed` (wrong
/// types, unknown fields, rule violations — each naming the field).
pub struct ValidJson<T>(pub T);

fn data_error(path: String, message: String) -> ApiError {
    if let Some(name) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
    {
        let field = if path == "." || path.is_empty() {
            name.to_owned()
        } else {
            format!("{path}.{name}")
        };
        return ApiError::validation(vec![FieldError::new(field, "required", "is required")]);
    }
    let field = if path == "." || path.is_empty() {
        unknown_field_name(&message).unwrap_or_default()
    } else {
        path
    };
    let message = message
        .split(" at line ")
        .next()
        .unwrap_or(&message)
        .to_owned();
    let message = if CHRONO_ERRORS.contains(&message.as_str()) {
        DATE_TIME_HINT.to_owned()
    } else {
        message
    };
    ApiError::validation(vec![FieldError::new(field, "invalid", message)])
}

/// What chrono says about a date-time it cannot parse; none of it tells the client what to send.
const CHRONO_ERRORS: [&str; 7] = [
    "premature end of input",
    "input contains invalid characters",
    "trailing input",
    "input is out of range",
    "input is not enough for unique date and time",
    "no possible date and time matching input",
    "bad or unsupported format string",
];

/// The message for a malformed date-time.
pub const DATE_TIME_HINT: &str =
    "must be an RFC 3339 date-time with a time zone, e.g. 2026-11-30T08:00:00Z";

fn unknown_field_name(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    rest.split('`').next().map(str::to_owned)
}

/// The path of the first string (or object key) in `v` holding a NUL character, which no
/// database stores as text.
fn nul_path(v: &serde_json::Value, path: &str) -> Option<String> {
    let join = |k: &str| {
        if path.is_empty() {
            k.to_owned()
        } else {
            format!("{path}.{k}")
        }
    };
    match v {
        serde_json::Value::String(s) => s.contains('\0').then(|| path.to_owned()),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| nul_path(item, &format!("{path}[{i}]"))),
        serde_json::Value::Object(map) => map.iter().find_map(|(k, item)| {
            if k.contains('\0') {
                Some(join(k))
            } else {
                nul_path(item, &join(k))
            }
        }),
        _ => None,
    }
}

fn nul_error(field: String) -> ApiError {
    ApiError::validation(vec![FieldError::new(
        field,
        "control_character",
        "must not contain NUL characters",
    )])
}

/// Rejects a text value holding a NUL character (422 naming `field`).
pub fn reject_nul(field: &str, value: &str) -> Result<(), ApiError> {
    if value.contains('\0') {
        Err(nul_error(field.to_owned()))
    } else {
        Ok(())
    }
}

/// Parses JSON bytes into `T` with field paths, then validates. Strings holding NUL characters
/// are refused with 422 naming the field.
pub fn parse_json<T: DeserializeOwned + Validate>(body: &[u8]) -> Result<T, ApiError> {
    if body.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000"))
        && let Ok(v) = serde_json::from_slice::<serde_json::Value>(body)
        && let Some(path) = nul_path(&v, "")
    {
        return Err(nul_error(path));
    }
    let de = &mut serde_json::Deserializer::from_slice(body);
    let value: T = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let mut msg = inner.to_string();
                if let Some(name) = unknown_field_name(&msg) {
                    // The path already ends with the unknown field's name.
                    let full = if path == "." || path.is_empty() {
                        name
                    } else {
                        path
                    };
                    msg = format!("unknown field `{full}`");
                    return ApiError::validation(vec![FieldError::new(full, "unknown_field", msg)]);
                }
                msg = msg.split(" at line ").next().unwrap_or(&msg).to_owned();
                data_error(path, msg)
            }
            _ => ApiError::new(
                StatusCode::BAD_REQUEST,
                ProblemCode::InvalidJson,
                format!("The body is not valid JSON: {inner}"),
            ),
        }
    })?;
    value.validate()?;
    Ok(value)
}

fn is_json(req: &HttpRequest) -> bool {
    match req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    {
        Some(ct) => {
            let essence = ct
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            essence == "application/json" || essence.ends_with("+json")
        }
        None => false,
    }
}

impl<T: DeserializeOwned + Validate + 'static> FromRequest for ValidJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = is_json(req);
        let body = web::Bytes::from_request(req, payload);
        let key = actix_web::HttpMessage::extensions(req)
            .get::<crate::models::idempotency_key::PendingKey>()
            .cloned();
        Box::pin(async move {
            if !json {
                return Err(ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    ProblemCode::UnsupportedMediaType,
                    "Send the body as JSON with `Content-Type: application/json`.",
                ));
            }
            let body = body.await.map_err(|e| payload_error(&e.to_string()))?;
            if let Some(key) = key {
                key.read_body(&body);
            }
            parse_json(&body).map(ValidJson)
        })
    }
}

/// Parses a query string into `T` with parameter names in errors, then validates.
pub fn parse_query<T: DeserializeOwned + Validate>(query: &str) -> Result<T, ApiError> {
    for (name, value) in form_urlencoded_parse(query) {
        reject_nul(&name, &value)?;
    }
    let de = serde_urlencoded::Deserializer::new(form_urlencoded_parse(query));
    let value: T = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        data_error(path, e.into_inner().to_string())
    })?;
    value.validate()?;
    Ok(value)
}

fn form_urlencoded_parse(query: &str) -> form_urlencoded::Parse<'_> {
    form_urlencoded::parse(query.as_bytes())
}

fn payload_error(message: &str) -> ApiError {
    if message.contains("overflow") || message.contains("larger") || message.contains("limit") {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ProblemCode::PayloadTooLarge,
            format!("The body is larger than {JSON_LIMIT} bytes."),
        )
    } else {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ProblemCode::InvalidBody,
            "The body could not be read.",
        )
    }
}

/// Error handler for `web::Json` (kept for any use of actix's own extractor).
pub fn json_error(err: JsonPayloadError, _: &HttpRequest) -> actix_web::Error {
    match err {
        JsonPayloadError::ContentType => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ProblemCode::UnsupportedMediaType,
            "Send the body as JSON with `Content-Type: application/json`.",
        ),
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            payload_error("overflow")
        }
        JsonPayloadError::Deserialize(e) if e.is_data() => data_error(String::new(), e.to_string()),
        other => ApiError::new(
            StatusCode::BAD_REQUEST,
            ProblemCode::InvalidJson,
            format!("The body is not valid JSON: {other}"),
        ),
    }
    .into()
}

/// Error handler for `web::Path`: 422 naming the path parameter that is not a valid id.
pub fn path_error(err: PathError, req: &HttpRequest) -> actix_web::Error {
    let field = req
        .match_info()
        .iter()
        .find(|(_, v)| v.parse::<uuid::Uuid>().is_err())
        .map(|(k, _)| k.to_owned())
        .unwrap_or_else(|| "path".to_owned());
    let _ = err;
    ApiError::validation(vec![FieldError::new(field, "uuid", "must be a UUID")]).into()
}

/// Error handler for `web::Query`.
pub fn query_error(err: QueryPayloadError, _: &HttpRequest) -> actix_web::Error {
    data_error(String::new(), err.to_string()).into()
}

/// Error handler for `web::Form` outside the token endpoint.
pub fn form_error(err: UrlencodedError, _: &HttpRequest) -> actix_web::Error {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        ProblemCode::InvalidForm,
        format!("The form body is invalid: {err}"),
    )
    .into()
}

/// For PATCH fields where `null` means "clear": with `#[serde(default, deserialize_with =
/// "crate::extract::double_option")]` on an `Option<Option<T>>`, an absent field is `None`
/// (leave it), `null` is `Some(None)` (clear it) and a value is `Some(Some(v))`.
pub fn double_option<'de, T, D>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(de).map(Some)
}

/// A whole number sent as JSON `10` or `10.0` (JSON Schema's `integer` admits both) into `i32`;
/// a fraction or an out-of-range number is refused naming the field.
pub fn whole_number<'de, D>(de: D) -> Result<i32, D::Error>
where
    D: serde::Deserializer<'de>,
{
    use serde::Deserialize;
    use serde::de::Error;
    let n = serde_json::Number::deserialize(de)?;
    n.as_i64()
        .or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() <= 2_147_483_647.0)
                .map(|f| f as i64)
        })
        .and_then(|v| i32::try_from(v).ok())
        .ok_or_else(|| D::Error::custom(format!("must be a whole number (got {n})")))
}

/// [`whole_number`] for an optional field (`null` or absent: `None`).
pub fn whole_number_opt<'de, D>(de: D) -> Result<Option<i32>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    use serde::Deserialize;
    #[derive(Deserialize)]
    struct Whole(#[serde(deserialize_with = "whole_number")] i32);
    Ok(Option::<Whole>::deserialize(de)?.map(|w| w.0))
}
