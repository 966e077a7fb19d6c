//! `Idempotency-Key` (alias `MS-RequestId`) on creating POSTs (docs/api-guide.md): the first request
//! with a key runs and, when it succeeds (2xx), its response is stored in the database — shared by
//! every replica — for 24 hours. A retry with the same key and the same method, path and body gets
//! the stored response with `Idempotent-Replayed: true`; the same key with another request is 422
//! `idempotency_key_reused`; the same key while the first is still running is 409
//! `idempotency_request_in_progress`. Keys are scoped to the caller (the token's subject). A
//! failed first attempt releases its key so a corrected retry can run.
//!
//! Responses that show a secret once (temporary passwords, client secrets, link tokens; their
//! body type says so, `crate::respond::Body::SHOWS_SECRET`, and its responder marks them
//! [`ShownOnce`]) are stored encrypted (`crate::sealing`), so the database never holds those secrets in clear
//! while a retry still gets the first response — a script that lost the answer to "enroll"
//! or "create customer" is not locked out. The request is compared by a canonical form of its
//! JSON body (key order and whitespace do not matter).
//!
//! The key is looked at in the order of the checks: only once the caller is authenticated and
//! authorized (a malformed key is 422 after any 401/403), and before the body's own validation.
//! The middleware puts a `PendingKey` in the request's extensions without I/O; the authorized
//! caller admits it and claims it in the request's one hop, right after reloading itself (so a
//! revoked token never replays the answers, secrets included, it was given before), and its
//! `crate::change::Change` marks it at commit: the change and the key's `committed_at` mark
//! commit together; the response is stored right after. If the
//! process dies in between, a retry is not run again (that would repeat the change) but answered
//! 409 `idempotency_response_unavailable`.
//!
//! A claim is a lease (`models::idempotency_key::LEASE_SECONDS`, 30 s) that the middleware renews
//! every `RENEW_EVERY` while its request runs ([`keep_leased`]), however long that takes. A process
//! that dies stops renewing, so a key its request held is free again within 30 s: a retry takes
//! the claim over and runs — or, when the change had committed, is answered 409
//! `idempotency_response_unavailable` as above. Expired keys (`models::idempotency_key::RETENTION_HOURS`) are purged by
//! [`purge_periodically`].

use actix_web::HttpMessage;
use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse, ResponseError, web};

use crate::db;
use crate::error::{ApiError, ProblemCode};
use crate::models::idempotency_key::{self as keys, KeyRow, KeyState, PendingKey};
use crate::sealing::{open, seal};
use crate::state::AppState;

/// The header naming the key.
pub const HEADER: HeaderName = HeaderName::from_static("idempotency-key");
/// Partner Center's name for the same header.
pub const ALIAS: HeaderName = HeaderName::from_static("ms-requestid");
/// Set on a replayed response.
pub const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");
/// How often a running request renews its claim's lease.
pub const RENEW_EVERY: std::time::Duration =
    std::time::Duration::from_secs(keys::RENEW_EVERY_SECONDS);
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

/// Renews the lease of the claim a request holds while the request runs: dropping it (the
/// request answered, or its future was dropped) stops the renewals, and a process that dies
/// stops them with it, so its claims' leases run out within `keys::LEASE_SECONDS`.
#[must_use = "renewals stop when the keeper is dropped"]
pub struct LeaseKeeper(actix_web::rt::task::JoinHandle<()>);

impl Drop for LeaseKeeper {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Every `every`, renews the lease of the claim `pending` holds then (none before the request's
/// hop claims it, none after it is answered), until the returned keeper is dropped. A failed
/// renewal is logged and tried again at the next tick.
pub fn keep_leased(pending: PendingKey, pool: db::Pool, every: std::time::Duration) -> LeaseKeeper {
    LeaseKeeper(actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(every);
        tick.tick().await;
        loop {
            tick.tick().await;
            let Some(claim) = pending.claimed() else {
                continue;
            };
            match db::run(&pool, move |conn| keys::renew(conn, &claim)).await {
                Ok(true) => {}
                Ok(false) => log::warn!("an Idempotency-Key claim was lost while its request ran"),
                Err(e) => log::warn!("renewing an Idempotency-Key claim failed: {e}"),
            }
        }
    }))
}

/// The pending key of an operation without an authorized caller (the anonymous enrolment), its
/// format checked (422) at extraction; `Authorized` carries it for every other operation.
#[derive(Debug, Clone)]
pub struct Claimed(pub Option<PendingKey>);

impl actix_web::FromRequest for Claimed {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Claimed, ApiError>>;

    fn from_request(req: &actix_web::HttpRequest, _: &mut Payload) -> Self::Future {
        let pending = req.extensions().get::<PendingKey>().cloned();
        let admitted = match &pending {
            Some(p) => p.admit("anonymous".to_owned()),
            None => Ok(()),
        };
        std::future::ready(admitted.map(|()| Claimed(pending)))
    }
}

/// Marks a response as carrying secrets shown once: a response extension set by every
/// `crate::respond` responder of a body with `SHOWS_SECRET` (with `Cache-Control: no-store`).
#[derive(Debug, Clone, Copy)]
pub struct ShownOnce;

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

fn key_of(req: &ServiceRequest) -> Option<Option<String>> {
    let value = req
        .headers()
        .get(&HEADER)
        .or_else(|| req.headers().get(&ALIAS))?;
    Some(
        value
            .to_str()
            .ok()
            .map(str::trim)
            .filter(|k| !k.is_empty() && k.len() <= 255)
            .map(str::to_owned),
    )
}

/// Middleware applying the rules above to every POST outside `/v1/auth/` that carries a key: it
/// puts a [`PendingKey`] in the request (checked and claimed later, see there) and, once the
/// handler answered, replays the first response of a completed key, stores the response of a
/// claimed one (2xx) or releases it (anything else). When the request failed before its hop (a
/// path, query or body the operation refuses) and its caller was authorized, the key is looked at
/// then, so a reused key or one still running is told before the body's own problem.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let applies = req.method() == Method::POST && !req.path().starts_with("/v1/auth/");
    let key = if applies { key_of(&req) } else { None };
    let (Some(key), Some(state)) = (key, req.app_data::<web::Data<AppState>>().cloned()) else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    let pending = PendingKey::new(
        key,
        format!("{} {}?{}", req.method(), req.path(), req.query_string()),
    );
    req.extensions_mut().insert(pending.clone());
    let lease = keep_leased(pending.clone(), state.pool.clone(), RENEW_EVERY);
    let called = next.call(req).await;
    drop(lease);
    let res = match called {
        Ok(r) => r.map_into_boxed_body(),
        Err(e) => {
            if let KeyState::Claimed(claim) = pending.take() {
                let _ = db::run(&state.pool, move |conn| keys::release(conn, &claim)).await;
            }
            return Err(e);
        }
    };
    let taken = pending.take();
    match taken {
        KeyState::Open => Ok(res),
        KeyState::Replay(row) => {
            crate::metrics::count_idempotency_replay();
            let (http_req, _) = res.into_parts();
            Ok(ServiceResponse::new(
                http_req,
                replay(row, &state.config.jwt_secret),
            ))
        }
        KeyState::Scoped(scope) => before_validation(res, &pending, scope, &state).await,
        KeyState::Claimed(claim) => {
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
                    keys::complete(conn, &claim, status.as_u16(), headers, stored?)
                })
                .await
            } else {
                db::run(&state.pool, move |conn| keys::release(conn, &claim)).await
            };
            if let Err(e) = outcome {
                log::warn!("idempotency bookkeeping failed: {e}");
            }
            let http_res = http_res.set_body(BoxBody::new(bytes));
            Ok(ServiceResponse::new(http_req, http_res))
        }
    }
}

/// A keyed request whose caller was authorized but that failed before its hop claimed the key
/// (its path, query or body refused, or its caller found revoked): when the failure is the
/// request's own (4xx other than 401/403), the key's state answers first — its first response, or
/// 422 `idempotency_key_reused` / 409 `idempotency_request_in_progress` — without claiming it.
async fn before_validation(
    res: ServiceResponse<BoxBody>,
    pending: &PendingKey,
    scope: String,
    state: &AppState,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let status = res.status();
    let Some(key) = pending.key() else {
        return Ok(res);
    };
    if !status.is_client_error()
        || status == StatusCode::UNAUTHORIZED
        || status == StatusCode::FORBIDDEN
    {
        return Ok(res);
    }
    let hash = pending.hash();
    let known = db::run(&state.pool, move |conn| {
        keys::peek(conn, &scope, &key, &hash)
    })
    .await;
    match known {
        Ok(None) => Ok(res),
        Ok(Some(row)) => {
            crate::metrics::count_idempotency_replay();
            let (http_req, _) = res.into_parts();
            Ok(ServiceResponse::new(
                http_req,
                replay(row, &state.config.jwt_secret),
            ))
        }
        Err(e) => {
            let (http_req, _) = res.into_parts();
            Ok(ServiceResponse::new(http_req, e.error_response()))
        }
    }
}
