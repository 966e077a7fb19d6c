//! Sign-in (product.md §7): `POST /v1/auth/token` (OAuth 2.0 password and client_credentials
//! grants, RFC 6749 form bodies and error bodies), `POST /v1/auth/password` (change a password,
//! including a temporary one) and `GET /v1/me`.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use base64::Engine;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::{Principal, password};
use crate::client_address;
use crate::db::{self, AnyConnection};
use crate::domain::{ActorKind, Role, TenantKind};
use crate::error::{ApiError, FieldError, Problem};
use crate::extract::ValidJson;
use crate::models::application::ApplicationRow;
use crate::models::customer::CustomerRow;
use crate::models::ids;
use crate::models::partner::PartnerRow;
use crate::models::sign_in_throttle::{Buckets, Spent};
use crate::models::user::UserRow;
use crate::request_id::RequestId;
use crate::services::users;
use crate::state::AppState;

/// Token request (`application/x-www-form-urlencoded`, RFC 6749 §4.3 and §4.4).
#[derive(Debug, Default, Deserialize, ToSchema, IntoParams)]
pub struct TokenRequest {
    /// `password` (users) or `client_credentials` (applications).
    #[schema(example = "password")]
    pub grant_type: Option<String>,
    /// The user's sign-in name (password grant).
    #[schema(example = "sales.agent@contoso-distribution.example")]
    pub username: Option<String>,
    /// The user's password (password grant).
    #[schema(example = "Demo-Passw0rd!")]
    pub password: Option<String>,
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
}

/// An OAuth error response (RFC 6749 §5.2).
#[derive(Debug, Serialize, ToSchema)]
pub struct OAuthError {
    /// `invalid_request`, `invalid_client`, `invalid_grant`, `unsupported_grant_type`, or
    /// `password_change_required` (a temporary password must be changed with POST /v1/auth/password).
    pub error: &'static str,
    /// Human-readable explanation.
    pub error_description: String,
}

fn oauth_error(
    status: StatusCode,
    error: &'static str,
    description: impl Into<String>,
) -> HttpResponse {
    let mut res = HttpResponse::build(status);
    res.insert_header((header::CACHE_CONTROL, "no-store"));
    if status == StatusCode::UNAUTHORIZED {
        res.insert_header((header::WWW_AUTHENTICATE, "Basic realm=\"partner-center\""));
    }
    res.json(OAuthError {
        error,
        error_description: description.into(),
    })
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

enum Grant {
    Password {
        username: String,
        password: String,
    },
    Client {
        client_id: String,
        client_secret: String,
    },
}

enum Outcome {
    Issued(String, i64),
    Refused(StatusCode, &'static str, &'static str),
    Throttled(Spent),
}

/// The throttling buckets of a sign-in attempt for `name` from `address` (issue 8).
fn attempt_buckets(state: &AppState, kind: &str, name: &str, address: &str) -> Buckets {
    Buckets::for_attempt(
        kind,
        name,
        address,
        state.config.token_rate_limit_per_minute,
        state.config.sign_in_address_limit_per_minute,
        state.config.sign_in_address_total_per_minute,
    )
}

/// Who a credential belongs to, as the first database hop of a sign-in finds it.
struct Candidate {
    /// The stored argon2 hash, `None` for an unknown name (a dummy hash is checked instead).
    hash: Option<String>,
    /// Why a correct credential still cannot sign in (disabled, temporary password).
    refusal: Option<(&'static str, &'static str)>,
    /// The token to issue for a correct credential.
    token: Option<(ActorKind, Uuid, TenantKind, Uuid, Vec<Role>, i64)>,
}

fn find_user(conn: &mut AnyConnection, username: &str) -> Result<Candidate, ApiError> {
    let Some(user) = UserRow::find_by_user_name(conn, username)? else {
        return Ok(Candidate {
            hash: None,
            refusal: None,
            token: None,
        });
    };
    let refusal = if user.disabled {
        Some(("invalid_grant", "This account is disabled."))
    } else if user.must_change_password {
        Some((
            "password_change_required",
            "This account has a temporary password: change it with POST /v1/auth/password, then sign in with the new one.",
        ))
    } else {
        None
    };
    let (tkind, tid) = match (&user.partner_id, &user.customer_id) {
        (Some(p), _) => {
            let partner = PartnerRow::find(conn, ids::parse(p))?
                .ok_or_else(|| ApiError::internal("user without partner"))?;
            (partner.tenant_kind(), ids::parse(p))
        }
        (None, Some(c)) => (TenantKind::Customer, ids::parse(c)),
        _ => return Err(ApiError::internal("user without tenant")),
    };
    Ok(Candidate {
        hash: Some(user.password_hash),
        refusal,
        token: Some((
            ActorKind::User,
            ids::parse(&user.id),
            tkind,
            tid,
            Role::split(&user.roles),
            user.credentials_version,
        )),
    })
}

fn find_application(conn: &mut AnyConnection, client_id: &str) -> Result<Candidate, ApiError> {
    let Some(app) = ApplicationRow::find_by_client_id(conn, client_id)? else {
        return Ok(Candidate {
            hash: None,
            refusal: None,
            token: None,
        });
    };
    let partner = PartnerRow::find(conn, ids::parse(&app.partner_id))?
        .ok_or_else(|| ApiError::internal("application without partner"))?;
    Ok(Candidate {
        hash: Some(app.secret_hash),
        refusal: None,
        token: Some((
            ActorKind::Application,
            ids::parse(&app.id),
            partner.tenant_kind(),
            ids::parse(&app.partner_id),
            Role::split(&app.roles),
            0,
        )),
    })
}

/// Checks `secret` against `hash` on the hashing pool; an unknown name costs as much as a wrong
/// secret.
async fn check_secret(
    state: &AppState,
    secret: String,
    hash: Option<String>,
) -> Result<bool, ApiError> {
    state
        .hasher
        .run(move || match hash {
            Some(hash) => password::verify(&secret, &hash),
            None => {
                password::burn_time();
                false
            }
        })
        .await
}

/// Signs in: reserves an attempt in the throttling buckets and finds the account (one database
/// hop), checks the secret on the hashing pool, and gives the attempt back when the secret was
/// right (a second hop). Failed attempts count; successes don't.
async fn sign_in(
    state: web::Data<AppState>,
    grant: Grant,
    address: String,
) -> Result<Outcome, ApiError> {
    let (buckets, secret, name, wrong) = match grant {
        Grant::Password { username, password } => (
            attempt_buckets(&state, "user", &username, &address),
            password,
            username,
            (
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                "The user name or password is incorrect.",
            ),
        ),
        Grant::Client {
            client_id,
            client_secret,
        } => (
            attempt_buckets(&state, "client", &client_id, &address),
            client_secret,
            client_id,
            (
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "The client id or secret is incorrect.",
            ),
        ),
    };
    let is_user = wrong.1 == "invalid_grant";
    let reserved = buckets.clone();
    let found = db::run(&state.pool, move |conn| {
        if let Err(wait) = reserved.reserve(conn)? {
            return Ok(Err(wait));
        }
        let candidate = if is_user {
            find_user(conn, &name)?
        } else {
            find_application(conn, &name)?
        };
        Ok(Ok(candidate))
    })
    .await?;
    let candidate = match found {
        Ok(candidate) => candidate,
        Err(wait) => return Ok(Outcome::Throttled(wait)),
    };
    let checked = check_secret(&state, secret, candidate.hash).await;
    let right = match checked {
        Ok(right) => right,
        Err(busy) => {
            // Not the caller's failure: give the attempt back before answering 503.
            db::run(&state.pool, move |conn| Ok(buckets.refund_all(conn)?)).await?;
            return Err(busy);
        }
    };
    if !right {
        return Ok(Outcome::Refused(wrong.0, wrong.1, wrong.2));
    }
    db::run(&state.pool, move |conn| Ok(buckets.refund(conn)?)).await?;
    if let Some((error, description)) = candidate.refusal {
        return Ok(Outcome::Refused(
            StatusCode::BAD_REQUEST,
            error,
            description,
        ));
    }
    let (act, sub, tkind, tid, roles, cv) = candidate
        .token
        .ok_or_else(|| ApiError::internal("verified credential without account"))?;
    let (token, ttl) = state.jwt.issue(act, sub, tkind, tid, roles, cv)?;
    Ok(Outcome::Issued(token, ttl))
}

/// Sign in: exchange a user's password or an application's client credentials for a bearer
/// access token (a JWT valid for `expires_in` seconds).
///
/// The body is an RFC 6749 form. Errors use the OAuth error body: `invalid_request` (a field is
/// missing), `unsupported_grant_type`, `invalid_grant` (wrong user name or password, disabled
/// account), `password_change_required` (change the temporary password first), and 401
/// `invalid_client` (wrong client credentials). Failed attempts are limited per (user name or
/// client id, client address) and per client address (`TOKEN_RATE_LIMIT_PER_MINUTE`,
/// `SIGN_IN_ADDRESS_LIMIT_PER_MINUTE`); successful ones are not counted. Past a limit the answer
/// is 429 with `Retry-After`; when every hashing thread is busy, 503 with `Retry-After`.
#[utoipa::path(
    tag = "auth",
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Signed in.", body = TokenResponse),
        (status = 400, description = "`invalid_request`, `unsupported_grant_type`, `invalid_grant` or `password_change_required`.", body = OAuthError),
        (status = 401, description = "`invalid_client`.", body = OAuthError),
        (status = 429, description = "Too many failed attempts for this user name or client id from this address, or from this address (`invalid_request`).", body = OAuthError,
            headers(("Retry-After" = u64, description = "Seconds to wait before the next attempt."))),
        (status = 503, description = "`temporarily_unavailable`: every password-hashing thread is busy (OAuth error body); or the database is unavailable (problem+json).", body = OAuthError,
            headers(("Retry-After" = u64, description = "Seconds to wait before retrying.")))
    )
)]
#[post("/auth/token")]
pub async fn create_token(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Ok(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Send the token request as application/x-www-form-urlencoded (RFC 6749), not JSON.",
        ));
    }
    let Ok(form) = serde_urlencoded::from_bytes::<TokenRequest>(&body) else {
        return Ok(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "The body must be an application/x-www-form-urlencoded token request.",
        ));
    };
    let fields = [
        &form.grant_type,
        &form.username,
        &form.password,
        &form.client_id,
        &form.client_secret,
    ];
    if fields
        .iter()
        .any(|f| f.as_deref().is_some_and(|v| v.contains('\0')))
    {
        return Ok(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "A field contains a NUL character.",
        ));
    }
    let too_long = [&form.username, &form.client_id]
        .iter()
        .any(|f| f.as_deref().is_some_and(|v| v.chars().count() > 254))
        || [&form.password, &form.client_secret]
            .iter()
            .any(|f| f.as_deref().is_some_and(|v| v.chars().count() > 1024));
    if too_long {
        return Ok(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "`username` and `client_id` take at most 254 characters; `password` and `client_secret` at most 1024.",
        ));
    }
    let grant = match form.grant_type.as_deref() {
        Some("password") => match (form.username, form.password) {
            (Some(username), Some(password)) if !username.is_empty() => {
                Grant::Password { username, password }
            }
            _ => {
                return Ok(oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "The password grant needs `username` and `password`.",
                ));
            }
        },
        Some("client_credentials") => {
            let creds = match (form.client_id, form.client_secret) {
                (Some(id), Some(secret)) if !id.is_empty() => Some((id, secret)),
                _ => basic_credentials(&req),
            };
            match creds {
                Some((client_id, client_secret)) => Grant::Client {
                    client_id,
                    client_secret,
                },
                None => {
                    return Ok(oauth_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_request",
                        "The client_credentials grant needs `client_id` and `client_secret` (form fields or HTTP Basic).",
                    ));
                }
            }
        }
        Some(other) => {
            return Ok(oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                format!(
                    "Grant type `{other}` is not supported; use `password` or `client_credentials`."
                ),
            ));
        }
        None => {
            return Ok(oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "`grant_type` is required.",
            ));
        }
    };
    let address = client_address::key(&req, &state.config.trusted_proxies);
    let outcome = match sign_in(state, grant, address).await {
        Ok(outcome) => outcome,
        Err(e) if e.code == "sign_in_busy" => {
            let mut res = oauth_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily_unavailable",
                "Too many sign-ins are being checked right now; retry in a second.",
            );
            res.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
            return Ok(res);
        }
        Err(e) => return Err(e),
    };
    Ok(match outcome {
        Outcome::Issued(access_token, expires_in) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(TokenResponse {
                access_token,
                token_type: "Bearer",
                expires_in,
            }),
        Outcome::Refused(status, error, description) => oauth_error(status, error, description),
        Outcome::Throttled(spent) => {
            let wait = spent.retry_after;
            let mut res = oauth_error(
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
    })
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
        (status = 400, description = "Malformed JSON.", body = Problem, content_type = "application/problem+json"),
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
) -> Result<HttpResponse, ApiError> {
    let change = body.0;
    if let Err(why) = password::check_policy(&change.new_password) {
        return Err(ApiError::validation(vec![FieldError::new(
            "newPassword",
            "policy",
            why,
        )]));
    }
    if change.new_password == change.current_password {
        return Err(ApiError::validation(vec![FieldError::new(
            "newPassword",
            "unchanged",
            "must differ from the current password",
        )]));
    }
    let buckets = attempt_buckets(
        &state,
        "user",
        &change.username,
        &client_address::key(&req, &state.config.trusted_proxies),
    );
    let reserved = buckets.clone();
    let username = change.username.clone();
    let found = db::run(&state.pool, move |conn| {
        if let Err(wait) = reserved.reserve(conn)? {
            return Ok(Err(wait));
        }
        Ok(Ok(UserRow::find_by_user_name(conn, &username)?))
    })
    .await?;
    let user = found.map_err(ApiError::sign_in_throttled)?;
    let hash = user
        .as_ref()
        .filter(|u| !u.disabled)
        .map(|u| u.password_hash.clone());
    let current = change.current_password;
    let right = match check_secret(&state, current, hash).await {
        Ok(right) => right,
        Err(busy) => {
            db::run(&state.pool, move |conn| Ok(buckets.refund_all(conn)?)).await?;
            return Err(busy);
        }
    };
    let user = match user {
        Some(user) if right => user,
        _ => {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "The user name or current password is incorrect.",
            ));
        }
    };
    let new_password = change.new_password;
    let new_hash = state
        .hasher
        .run(move || password::hash(&new_password))
        .await??;
    let request_id = request_id.0;
    db::run(&state.pool, move |conn| {
        buckets.refund(conn)?;
        users::change_own_password(conn, &user, new_hash, request_id)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
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
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "The caller.", body = Me),
        (status = 401, description = "Missing, invalid or expired token.", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/me")]
pub async fn get_me(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<HttpResponse, ApiError> {
    let me = db::run(&state.pool, move |conn| {
        let tenant_name = match principal.tenant_kind {
            TenantKind::Customer => {
                CustomerRow::find(conn, principal.tenant_id)?.map(|c| c.company_name)
            }
            _ => PartnerRow::find(conn, principal.tenant_id)?.map(|p| p.name),
        }
        .ok_or_else(|| ApiError::not_found("The organisation"))?;
        let user_name = match principal.actor_kind {
            ActorKind::User => UserRow::find(conn, principal.actor_id)?.map(|u| u.user_name),
            ActorKind::Application => None,
        };
        Ok(Me {
            id: principal.actor_id,
            actor_kind: principal.actor_kind,
            display_name: principal.display_name,
            user_name,
            tenant_kind: principal.tenant_kind,
            tenant_id: principal.tenant_id,
            tenant_name,
            roles: principal.roles,
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(me))
}
