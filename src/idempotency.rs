//! `Idempotency-Key` (alias `MS-RequestId`) on creating POSTs (product.md §7): the first request
//! with a key runs and, when it succeeds (2xx), its response is stored in the database — shared by
//! every replica — for 24 hours. A retry with the same key and the same method, path and body gets
//! the stored response with `Idempotent-Replayed: true`; the same key with another request is 422
//! `idempotency_key_reused`; the same key while the first is still running is 409
//! `idempotency_request_in_progress`. Keys are scoped to the caller (the token's subject). A
//! failed first attempt releases its key so a corrected retry can run.
//!
//! Responses that show a secret once (temporary passwords, client secrets, link tokens; their
//! body type says so, `crate::respond::Body::SHOWS_SECRET`, and its responder marks them
//! [`ShownOnce`]) are stored encrypted (`crate::sealing`), so the database never holds those secrets in clear (product.md
//! §1) while a retry still gets the first response — a script that lost the answer to "enroll"
//! or "create customer" is not locked out. The request is compared by a canonical form of its
//! JSON body (key order and whitespace do not matter).
//!
//! The change a keyed request makes and the key's `committed_at` mark commit together: the
//! middleware puts the claimed key in the request's extensions, the authorized caller carries it
//! into its `crate::change::Change`, which marks it at commit; the response is stored right after. If the
//! process dies in between, a retry is not run again (that would repeat the change) but answered
//! 409 `idempotency_response_unavailable`. Expired keys (`models::idempotency_key::RETENTION_HOURS`) are purged by
//! [`purge_periodically`].

use actix_web::HttpMessage;
use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse, ResponseError, web};

use crate::auth::{password::sha256_hex, principal};
use crate::db;
use crate::error::{ApiError, FieldError, ProblemCode};
use crate::models::idempotency_key::{self as keys, Claim, ClaimedKey, KeyRow};
use crate::sealing::{open, seal};
use crate::state::AppState;

/// The header naming the key.
pub const HEADER: HeaderName = HeaderName::from_static("idempotency-key");
/// Partner Center's name for the same header.
pub const ALIAS: HeaderName = HeaderName::from_static("ms-requestid");
/// Set on a replayed response.
pub const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");
/// How often `serve` purges expired keys.
pub const PURGE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// Purges expired keys now and then every [`PURGE_INTERVAL`], for as long as the server runs
/// (spawned by `serve`). A failed purge is logged and retried at the next tick.
pub async fn purge_periodically(pool: db::Pool) {
    let mut tick = actix_web::rt::time::interval(PURGE_INTERVAL);
    loop {
        tick.tick().await;
        match db::run(&pool, keys::purge_expired).await {
            Ok(0) => {}
            Ok(n) => log::info!("purged {n} expired idempotency keys"),
            Err(e) => log::warn!("idempotency purge failed: {e}"),
        }
    }
}

/// The key this request claimed, if any, for a workflow without an authorized caller (the
/// anonymous enrolment) to carry into its change; `Authorized` carries it for every other one.
#[derive(Debug, Clone)]
pub struct Claimed(pub Option<ClaimedKey>);

impl actix_web::FromRequest for Claimed {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Claimed, ApiError>>;

    fn from_request(req: &actix_web::HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(Claimed(req.extensions().get::<ClaimedKey>().cloned())))
    }
}

/// Marks a response as carrying secrets shown once: a response extension set by every
/// `crate::respond` responder of a body with `SHOWS_SECRET` (with `Cache-Control: no-store`).
#[derive(Debug, Clone, Copy)]
pub struct ShownOnce;

/// A canonical form of a JSON body (object keys sorted, no whitespace); other bodies as they are.
fn canonical_body(body: &[u8]) -> Vec<u8> {
    fn sort(v: serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::Object(map) => {
                let mut entries: Vec<_> = map.into_iter().map(|(k, v)| (k, sort(v))).collect();
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                serde_json::Value::Object(entries.into_iter().collect())
            }
            serde_json::Value::Array(items) => {
                serde_json::Value::Array(items.into_iter().map(sort).collect())
            }
            other => other,
        }
    }
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(v) => serde_json::to_vec(&sort(v)).unwrap_or_else(|_| body.to_vec()),
        Err(_) => body.to_vec(),
    }
}

const KEPT_HEADERS: [HeaderName; 3] = [header::CONTENT_TYPE, header::LOCATION, header::ETAG];

fn replay(row: KeyRow, jwt_secret: &str) -> HttpResponse {
    let status = row
        .response_status
        .and_then(|s| u16::try_from(s).ok())
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    let mut res = HttpResponse::build(status);
    let headers: Vec<(String, String)> = row
        .response_headers
        .as_deref()
        .and_then(|h| serde_json::from_str(h).ok())
        .unwrap_or_default();
    for (name, value) in headers {
        if let (Ok(n), Ok(v)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            res.insert_header((n, v));
        }
    }
    res.insert_header((REPLAYED, "true"));
    match open(jwt_secret, row.response_body.unwrap_or_default()) {
        Some(body) => res.body(body),
        None => ApiError::conflict(
            ProblemCode::IdempotencyResponseUnavailable,
            "The first response to this Idempotency-Key can no longer be read (the server key changed); use a new key.",
        )
        .error_response(),
    }
}

fn key_of(req: &ServiceRequest) -> Option<Result<String, ApiError>> {
    let value = req
        .headers()
        .get(&HEADER)
        .or_else(|| req.headers().get(&ALIAS))?;
    let ok = value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 255)
        .map(str::to_owned);
    Some(ok.ok_or_else(|| {
        ApiError::validation(vec![FieldError::new(
            "Idempotency-Key",
            "invalid",
            "must be 1 to 255 visible ASCII characters",
        )])
    }))
}

/// Middleware applying the rules above to every POST outside `/v1/auth/` that carries a key.
pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let applies = req.method() == Method::POST && !req.path().starts_with("/v1/auth/");
    let key = if applies { key_of(&req) } else { None };
    let Some(key) = key else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    let key = match key {
        Ok(k) => k,
        Err(e) => return Ok(req.into_response(e.error_response())),
    };
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    let mut caller = None;
    let scope = match principal::bearer(req.request()) {
        Some(token) => match state.jwt.verify(token) {
            Ok(claims) => {
                let scope = format!("{}:{}", claims.act.as_str(), claims.sub);
                caller = Some(claims);
                scope
            }
            // An invalid token: let the handler answer 401.
            Err(_) => {
                return next
                    .call(req)
                    .await
                    .map(ServiceResponse::map_into_boxed_body);
            }
        },
        None => "anonymous".to_owned(),
    };
    let body = match req.extract::<web::Bytes>().await {
        Ok(b) => b,
        Err(e) => return Ok(req.into_response(e.error_response())),
    };
    let hash = sha256_hex(&format!(
        "{} {}?{}\n{}",
        req.method(),
        req.path(),
        req.query_string(),
        String::from_utf8_lossy(&canonical_body(&body))
    ));
    req.set_payload(Payload::from(body));

    let claimed = {
        let (scope, key, hash) = (scope.clone(), key.clone(), hash.clone());
        db::run(&state.pool, move |conn| {
            // A revoked token (password changed, disabled, role changed) must not replay the
            // answers, secrets included, that it was given before.
            if let Some(claims) = &caller {
                match principal::Principal::load(conn, claims, String::new(), None) {
                    Ok(_) => {}
                    Err(e) if e.status == actix_web::http::StatusCode::UNAUTHORIZED => {
                        return Ok(Claim::Revoked);
                    }
                    Err(e) => return Err(e),
                }
            }
            keys::claim(conn, &scope, &key, &hash)
        })
        .await
    };
    match claimed {
        Err(e) => Ok(req.into_response(e.error_response())),
        Ok(Claim::Revoked) => next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body),
        Ok(Claim::Replay(row)) => {
            crate::metrics::count_idempotency_replay();
            Ok(req.into_response(replay(row, &state.config.jwt_secret)))
        }
        Ok(Claim::Run) => {
            req.extensions_mut().insert(ClaimedKey {
                scope: scope.clone(),
                key: key.clone(),
            });
            let res = next.call(req).await;
            let res = match res {
                Ok(r) => r,
                Err(e) => {
                    let (scope, key) = (scope.clone(), key.clone());
                    let _ =
                        db::run(&state.pool, move |conn| keys::release(conn, &scope, &key)).await;
                    return Err(e);
                }
            };
            let status = res.status();
            let headers: Vec<(String, String)> = KEPT_HEADERS
                .iter()
                .filter_map(|h| {
                    res.headers()
                        .get(h)
                        .and_then(|v| v.to_str().ok())
                        .map(|v| (h.as_str().to_owned(), v.to_owned()))
                })
                .collect();
            let secret = res.response().extensions().get::<ShownOnce>().is_some();
            let (http_req, http_res) = res.into_parts();
            let (http_res, body) = http_res.into_parts();
            let bytes = body::to_bytes(body).await.unwrap_or_default();
            let outcome = if status.is_success() {
                let stored = if secret {
                    seal(&state.config.jwt_secret, &bytes)
                } else {
                    Ok(String::from_utf8_lossy(&bytes).into_owned())
                };
                let headers = serde_json::to_string(&headers).unwrap_or_default();
                db::run(&state.pool, move |conn| {
                    keys::complete(conn, &scope, &key, status.as_u16(), headers, stored?)
                })
                .await
            } else {
                db::run(&state.pool, move |conn| keys::release(conn, &scope, &key)).await
            };
            if let Err(e) = outcome {
                log::error!("idempotency bookkeeping failed: {e}");
            }
            let http_res = http_res.set_body(BoxBody::new(bytes));
            Ok(ServiceResponse::new(http_req, http_res))
        }
    }
}
