//! Sign-in (docs/api-guide.md): `POST /v1/auth/token` (OAuth 2.0 password and client_credentials
//! grants, RFC 6749 form bodies and error bodies), `POST /v1/auth/password` (change a password,
//! including a temporary one) and `GET /v1/me`. This file reads the requests and writes the
//! answers (the OAuth error forms, throttling headers, 503 `temporarily_unavailable`); the
//! workflows — throttling, the secret checked on the hashing pool, the writes — are
//! [`crate::services::sign_in`].

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use base64::Engine;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::Authenticated;
use crate::client_address;
use crate::domain::{ActorKind, Role, TenantKind};
use crate::error::{ApiError, Problem, ProblemCode};
use crate::extract::ValidJson;
use crate::oauth::{self, OAuthError};
use crate::request_id::RequestId;
use crate::respond::{Json, NoContent};
use crate::services::sign_in::{self, Grant};
use crate::services::tokens::Outcome;
use crate::state::AppState;

/// Token request (`application/x-www-form-urlencoded`, RFC 6749 §4.3, §4.4 and §6).
#[derive(Debug, Default, Deserialize, ToSchema, IntoParams)]
pub struct TokenRequest {
    /// `password` (users), `refresh_token` (users, with a refresh token from an earlier answer)
    /// or `client_credentials` (applications).
    #[schema(example = "password")]
    pub grant_type: Option<String>,
    /// The user's sign-in name (password grant).
    #[schema(example = "sales.agent@contoso-distribution.example")]
    pub username: Option<String>,
    /// The user's password (password grant).
    #[schema(example = "Demo-Passw0rd!")]
    pub password: Option<String>,
    /// The refresh token of an earlier answer (refresh_token grant).
    pub refresh_token: Option<String>,
    /// The application's client id (client_credentials grant; or HTTP Basic).
    pub client_id: Option<String>,
    /// The application's secret (client_credentials grant; or HTTP Basic).
    pub client_secret: Option<String>,
    /// Ignored (no scopes).
    pub scope: Option<String>,
}

/// A successful token response (RFC 6749 §5.1).
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// The JWT bearer access token.
    pub access_token: String,
    /// Always `Bearer`.
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Lifetime in seconds.
    #[schema(example = 3600)]
    pub expires_in: i64,
    /// Users only: exchange it (`grant_type=refresh_token`) for a new pair before it expires
    /// (`REFRESH_TOKEN_TTL_DAYS`). Each refresh token works once: the answer carries the next
    /// one, and using one twice revokes them all (sign in again).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

fn basic_credentials(req: &HttpRequest) -> Option<(String, String)> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// Sign in: exchange a user's password, a refresh token or an application's client credentials
/// for a bearer access token (a JWT valid for `expires_in` seconds).
///
/// A user's answer also carries a `refresh_token`: send it back with
/// `grant_type=refresh_token` for a new pair without the password. Each refresh token works
/// once; using one twice revokes the whole chain, and so do a password change, disabling the
/// user or changing its roles (`invalid_grant`: sign in again).
///
/// The body is an RFC 6749 form. Errors use the OAuth error body: `invalid_request` (a field is
/// missing), `unsupported_grant_type`, `invalid_grant` (wrong user name or password, disabled
/// account, a refresh token that is unknown, expired, revoked or reused), `password_change_required` (change the temporary password first), and 401
/// `invalid_client` (wrong client credentials). Failed attempts are limited per (user name or
/// client id, client address) and per client address (`TOKEN_RATE_LIMIT_PER_MINUTE`,
/// `SIGN_IN_ADDRESS_LIMIT_PER_MINUTE`); successful ones are not counted. Past a limit the answer
/// is 429 with `Retry-After`; when every hashing thread is busy, 503 with `Retry-After`. Every
/// error of this endpoint, including the request budget's 429, a 500 and the database's 503, is
/// an OAuth error body (never problem+json).
#[utoipa::path(
    tag = "auth",
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Signed in.", body = TokenResponse),
        (status = 400, description = "`invalid_request`, `unsupported_grant_type`, `invalid_grant` or `password_change_required`.", body = OAuthError),
        (status = 401, description = "`invalid_client`.", body = OAuthError),
        (status = 413, description = "`invalid_request`: the body is larger than 64 KiB.", body = OAuthError),
        (status = 429, description = "Too many failed attempts for this user name or client id from this address, or from this address; or too many requests from this caller (`invalid_request`).", body = OAuthError,
            headers(("Retry-After" = u64, description = "Seconds to wait before the next attempt."))),
        (status = 500, description = "`server_error`: an unexpected error; quote the `X-Request-Id` when reporting it.", body = OAuthError),
        (status = 503, description = "`temporarily_unavailable`: every password-hashing thread is busy, or the database is unavailable.", body = OAuthError,
            headers(("Retry-After" = u64, description = "Seconds to wait before retrying.")))
    )
)]
#[post("/auth/token")]
pub async fn create_token(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let grant = match parse_grant(&req, &body) {
        Ok(grant) => grant,
        Err((error, description)) => {
            crate::metrics::count_token_request("invalid", "refused");
            return Ok(oauth::error_response(
                StatusCode::BAD_REQUEST,
                error,
                description,
            ));
        }
    };
    let address = client_address::key(&req, &state.config.trusted_proxies);
    let grant_type = match &grant {
        Grant::Password { .. } => "password",
        Grant::Refresh { .. } => "refresh_token",
        Grant::Client { .. } => "client_credentials",
    };
    let answer = sign_in::token(&state, grant, &address).await;
    let outcome = match &answer {
        Ok(Outcome::Issued(..)) => "issued",
        Ok(Outcome::Refused(..)) => "refused",
        Ok(Outcome::Throttled(_)) => "throttled",
        Err(e) if e.code == ProblemCode::SignInBusy => "busy",
        Err(_) => "error",
    };
    crate::metrics::count_token_request(grant_type, outcome);
    match answer {
        Ok(outcome) => Ok(token_response(outcome)),
        Err(e) if e.code == ProblemCode::SignInBusy => Ok(busy()),
        Err(e) => Err(e),
    }
}

/// The grant of a token request, or the OAuth 400 error (`invalid_request` or
/// `unsupported_grant_type`, and its description). The request must be a form (not JSON), with
/// no NUL, `username`/`client_id` of at most 254 and `password`/`client_secret` of at most 1024
/// characters, and the grant's fields present (client credentials also from HTTP Basic).
fn parse_grant(req: &HttpRequest, body: &[u8]) -> Result<Grant, (&'static str, String)> {
    let invalid = |description: &str| ("invalid_request", description.to_owned());
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(invalid(
            "Send the token request as application/x-www-form-urlencoded (RFC 6749), not JSON.",
        ));
    }
    let Ok(form) = serde_urlencoded::from_bytes::<TokenRequest>(body) else {
        return Err(invalid(
            "The body must be an application/x-www-form-urlencoded token request.",
        ));
    };
    let fields = [
        &form.grant_type,
        &form.username,
        &form.password,
        &form.client_id,
        &form.client_secret,
        &form.refresh_token,
    ];
    if fields
        .iter()
        .any(|f| f.as_deref().is_some_and(|v| v.contains('\0')))
    {
        return Err(invalid("A field contains a NUL character."));
    }
    let too_long = [&form.username, &form.client_id]
        .iter()
        .any(|f| f.as_deref().is_some_and(|v| v.chars().count() > 254))
        || [&form.password, &form.client_secret]
            .iter()
            .any(|f| f.as_deref().is_some_and(|v| v.chars().count() > 1024));
    if too_long {
        return Err(invalid(
            "`username` and `client_id` take at most 254 characters; `password` and `client_secret` at most 1024.",
        ));
    }
    match form.grant_type.as_deref() {
        Some("password") => match (form.username, form.password) {
            (Some(username), Some(password)) if !username.is_empty() => {
                Ok(Grant::Password { username, password })
            }
            _ => Err(invalid(
                "The password grant needs `username` and `password`.",
            )),
        },
        Some("refresh_token") => match form.refresh_token {
            Some(refresh_token) if !refresh_token.is_empty() && refresh_token.len() <= 1024 => {
                Ok(Grant::Refresh { refresh_token })
            }
            _ => Err(invalid("The refresh_token grant needs `refresh_token`.")),
        },
        Some("client_credentials") => {
            let creds = match (form.client_id, form.client_secret) {
                (Some(id), Some(secret)) if !id.is_empty() => Some((id, secret)),
                _ => basic_credentials(req),
            };
            creds
                .map(|(client_id, client_secret)| Grant::Client {
                    client_id,
                    client_secret,
                })
                .ok_or_else(|| {
                    invalid(
                        "The client_credentials grant needs `client_id` and `client_secret` (form fields or HTTP Basic).",
                    )
                })
        }
        Some(other) => Err((
            "unsupported_grant_type",
            format!(
                "Grant type `{other}` is not supported; use `password`, `refresh_token` or `client_credentials`."
            ),
        )),
        None => Err(invalid("`grant_type` is required.")),
    }
}

/// The token endpoint's answer to a sign-in outcome: the token, the OAuth refusal, or 429 with
/// `Retry-After` and the `RateLimit` headers of the spent bucket.
fn token_response(outcome: Outcome) -> HttpResponse {
    match outcome {
        Outcome::Issued(issued) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(TokenResponse {
                access_token: issued.access_token,
                token_type: "Bearer",
                expires_in: issued.expires_in,
                refresh_token: issued.refresh_token,
            }),
        Outcome::Refused(status, error, description) => {
            oauth::error_response(status, error, description)
        }
        Outcome::Throttled(spent) => {
            let wait = spent.retry_after;
            let mut res = oauth::error_response(
                StatusCode::TOO_MANY_REQUESTS,
                "invalid_request",
                format!(
                    "Too many sign-in attempts from this address (limit `{}`); retry in {wait} seconds.",
                    spent.policy
                ),
            );
            let headers =
                std::iter::once((header::RETRY_AFTER, wait.to_string())).chain(spent.headers());
            for (name, value) in headers {
                if let Ok(value) = header::HeaderValue::from_str(&value) {
                    res.headers_mut().insert(name, value);
                }
            }
            res
        }
    }
}

/// 503 `temporarily_unavailable` with `Retry-After: 1`: every password-hashing thread is busy.
fn busy() -> HttpResponse {
    let mut res = oauth::error_response(
        StatusCode::SERVICE_UNAVAILABLE,
        "temporarily_unavailable",
        "Too many sign-ins are being checked right now; retry in a second.",
    );
    res.headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
    res
}

/// Token revocation request (`application/x-www-form-urlencoded`, RFC 7009).
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct RevocationRequest {
    /// The refresh token to revoke.
    #[schema(
        example = "the-refresh-token-from-the-token-answer",
        min_length = 1,
        max_length = 1024
    )]
    pub token: String,
    /// `refresh_token` (the only kind this server revokes; access tokens expire on their own).
    pub token_type_hint: Option<String>,
}

/// Revoke a refresh token, and every token rotated from the same sign-in (RFC 7009).
///
/// The answer is 200 whether or not the token was known (RFC 7009 §2.2), so it tells nothing
/// about tokens. Access tokens are not revoked here (they expire within `TOKEN_TTL_SECONDS`; a
/// password change revokes them at once): `token_type_hint=access_token` answers 400
/// `unsupported_token_type`.
#[utoipa::path(
    tag = "auth",
    request_body(content = RevocationRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Revoked, or not a refresh token of this server."),
        (status = 400, description = "`invalid_request` (no `token`) or `unsupported_token_type`.", body = OAuthError),
        (status = 413, description = "`invalid_request`: the body is larger than 64 KiB.", body = OAuthError),
        (status = 429, description = "Too many requests from this caller (`invalid_request`).", body = OAuthError,
            headers(("Retry-After" = u64, description = "Seconds to wait before the next attempt."))),
        (status = 500, description = "`server_error`: an unexpected error; quote the `X-Request-Id` when reporting it.", body = OAuthError),
        (status = 503, description = "`temporarily_unavailable`: the database is unavailable.", body = OAuthError,
            headers(("Retry-After" = u64, description = "Seconds to wait before retrying.")))
    )
)]
#[post("/auth/revoke")]
pub async fn create_revocation(
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let form = serde_urlencoded::from_bytes::<RevocationRequest>(&body).ok();
    let Some(form) = form.filter(|f| !f.token.is_empty() && f.token.len() <= 1024) else {
        return Ok(oauth::error_response(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Send `token` (the refresh token) as an application/x-www-form-urlencoded body.",
        ));
    };
    if form.token_type_hint.as_deref() == Some("access_token") {
        return Ok(oauth::error_response(
            StatusCode::BAD_REQUEST,
            "unsupported_token_type",
            "Access tokens are not revoked; they expire on their own. Revoke the refresh token.",
        ));
    }
    crate::services::refresh_tokens::revoke(&state, form.token).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}

/// Password change request.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PasswordChange {
    /// The sign-in name.
    #[validate(length(min = 1, max = 254))]
    #[schema(min_length = 1, max_length = 254, example = "admin@adatum.example")]
    pub username: String,
    /// The current (possibly temporary) password.
    #[validate(length(min = 1, max = 128))]
    #[schema(min_length = 1, max_length = 128, example = "Demo-Passw0rd!")]
    pub current_password: String,
    /// The new password: 12–128 characters mixing at least three of lower case, upper case,
    /// digits and symbols; different from the current one.
    #[validate(length(min = 12, max = 128))]
    #[schema(
        min_length = 12,
        max_length = 128,
        pattern = r"^(?:(?=[\s\S]*[a-z])(?=[\s\S]*[A-Z])(?=[\s\S]*[0-9])|(?=[\s\S]*[a-z])(?=[\s\S]*[A-Z])(?=[\s\S]*[^A-Za-z0-9])|(?=[\s\S]*[a-z])(?=[\s\S]*[0-9])(?=[\s\S]*[^A-Za-z0-9])|(?=[\s\S]*[A-Z])(?=[\s\S]*[0-9])(?=[\s\S]*[^A-Za-z0-9]))[\s\S]{12,128}$"
    )]
    pub new_password: String,
}

/// Change a password — also a temporary one, so it needs no bearer token. After this the user
/// signs in with the new password; every access token issued before answers 401
/// `token_revoked`. Failed attempts count against the same limits as sign-in.
#[utoipa::path(
    tag = "auth",
    request_body = PasswordChange,
    responses(
        (status = 204, description = "Changed."),
        (status = 401, description = "Wrong user name or current password (`invalid_credentials`).", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The new password breaks the policy.", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts for this user name from this address, or from this address (`rate_limited`).", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait before the next attempt."))),
        (status = 503, description = "`sign_in_busy`: every password-hashing thread is busy; or the database is unavailable.", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait before retrying.")))
    )
)]
#[post("/auth/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    request_id: RequestId,
    body: ValidJson<PasswordChange>,
) -> Result<NoContent, ApiError> {
    let change = sign_in::PasswordChange {
        username: body.0.username,
        current_password: body.0.current_password,
        new_password: body.0.new_password,
    };
    let address = client_address::key(&req, &state.config.trusted_proxies);
    sign_in::change_password(&state, change, &address, request_id.0).await?;
    Ok(NoContent)
}

/// The caller: who signed in, for which organisation, with which roles.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Me {
    /// The user's or application's id.
    pub id: Uuid,
    /// `user` or `application`.
    pub actor_kind: ActorKind,
    /// Display name.
    pub display_name: String,
    /// The sign-in name (users only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    /// The organisation's kind.
    pub tenant_kind: TenantKind,
    /// The organisation's id (partner or customer).
    pub tenant_id: Uuid,
    /// The organisation's name.
    pub tenant_name: String,
    /// Current roles.
    pub roles: Vec<Role>,
}

/// The caller, as the API sees it now (roles are reloaded on every request).
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller.", body = Me)
    )
)]
#[get("/me")]
pub async fn get_me(
    caller: Authenticated,
    state: web::Data<AppState>,
) -> Result<Json<Me>, ApiError> {
    let principal = caller
        .run(&state.pool, |_, caller| Ok(caller.clone()))
        .await?;
    Ok(Json::new(Me {
        id: principal.actor_id,
        actor_kind: principal.actor_kind,
        display_name: principal.display_name,
        user_name: principal.user_name,
        tenant_kind: principal.tenant_kind,
        tenant_id: principal.tenant_id,
        tenant_name: principal.tenant_name,
        roles: principal.roles,
    }))
}

crate::bodies!(Me);
