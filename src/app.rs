//! Application assembly: [`AppState`], middleware, extractor error handlers, every route (the
//! same calls collect the OpenAPI document), Swagger UI, and problem+json for unknown routes.
//! `main` serves [`build`]; every integration test mounts the same function.

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{Compress, Logger, from_fn};
use actix_web::{App, HttpRequest, HttpResponse, web};
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::jwt::JwtKeys;
use crate::auth::password::Hasher;
use crate::config::Config;
use crate::db::Pool;
use crate::error::ApiError;
use crate::rate_limit::{self, RequestLimiter};
use crate::{extract, handlers, hardening, idempotency, openapi, request_id};

/// Shared state of every request.
pub struct AppState {
    /// Database pool.
    pub pool: Pool,
    /// Token keys.
    pub jwt: JwtKeys,
    /// Per-caller request budget (`None`: disabled).
    pub request_limiter: Option<RequestLimiter>,
    /// Password hashing threads, apart from the database pool.
    pub hasher: Hasher,
    /// Configuration.
    pub config: Arc<Config>,
}

impl AppState {
    /// State for a pool and configuration.
    pub fn new(pool: Pool, config: Config) -> web::Data<AppState> {
        web::Data::new(AppState {
            pool,
            jwt: JwtKeys::new(config.jwt_secret.as_bytes(), config.token_ttl_seconds),
            request_limiter: RequestLimiter::new(config.request_rate_limit_per_minute),
            hasher: Hasher::new(config.hashing_threads, config.hashing_queue),
            config: Arc::new(config),
        })
    }
}

/// The OpenAPI document, collected from the registered handlers.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    let (_, mut api) = routes(App::new().into_utoipa_app()).split_for_parts();
    openapi::add_common_responses(&mut api);
    api
}

fn routes<T>(app: utoipa_actix_web::UtoipaApp<T>) -> utoipa_actix_web::UtoipaApp<T>
where
    T: ServiceFactory<ServiceRequest, Config = (), Error = actix_web::Error, InitError = ()>,
{
    app.openapi(openapi::ApiDoc::openapi())
        .configure(handlers::health::configure)
        .service(utoipa_actix_web::scope("/v1").configure(handlers::configure))
}

/// The whole application for `state`.
pub fn build(
    state: web::Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let app = App::new()
        .app_data(state)
        .app_data(
            web::JsonConfig::default()
                .limit(extract::JSON_LIMIT)
                .error_handler(extract::json_error),
        )
        .app_data(web::PayloadConfig::default().limit(extract::JSON_LIMIT))
        .app_data(web::PathConfig::default().error_handler(extract::path_error))
        .app_data(web::QueryConfig::default().error_handler(extract::query_error))
        .app_data(
            web::FormConfig::default()
                .limit(extract::JSON_LIMIT)
                .error_handler(extract::form_error),
        )
        .into_utoipa_app();
    let (app, mut api) = routes(app).split_for_parts();
    openapi::add_common_responses(&mut api);
    let known = KnownRoutes::of(&api);
    app.service(web::redirect("/swagger-ui", "/swagger-ui/"))
        .service(SwaggerUi::new("/swagger-ui/{_:.*}").url("/api-docs/openapi.json", api))
        .app_data(web::Data::new(known))
        .default_service(web::to(unknown_route))
        .wrap(from_fn(idempotency::middleware))
        .wrap(from_fn(rate_limit::middleware))
        .wrap(from_fn(hardening::middleware))
        .wrap(Compress::default())
        .wrap(
            // The path only (`%U`): query strings may carry link tokens, which must not be logged.
            Logger::new("%a %{method}xi %U %s %b %Dms rid=%{x-request-id}o")
                .custom_request_replace("method", |req| req.method().to_string()),
        )
        .wrap(from_fn(request_id::middleware))
}

/// The documented paths with their methods, to tell 405 (known path, other method) from 404.
struct KnownRoutes(Vec<(Vec<String>, Vec<&'static str>)>);

impl KnownRoutes {
    fn of(api: &utoipa::openapi::OpenApi) -> KnownRoutes {
        let routes = api
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let segments = path.split('/').map(str::to_owned).collect();
                let methods = [
                    ("GET", item.get.is_some()),
                    ("POST", item.post.is_some()),
                    ("PUT", item.put.is_some()),
                    ("PATCH", item.patch.is_some()),
                    ("DELETE", item.delete.is_some()),
                ]
                .into_iter()
                .filter_map(|(m, present)| present.then_some(m))
                .collect();
                (segments, methods)
            })
            .collect();
        KnownRoutes(routes)
    }

    /// The methods `path` answers to, if it is a documented path.
    fn allowed(&self, path: &str) -> Option<Vec<&'static str>> {
        let asked: Vec<&str> = path.split('/').collect();
        let mut allowed: Vec<&'static str> = Vec::new();
        for (segments, methods) in &self.0 {
            let matches = segments.len() == asked.len()
                && segments
                    .iter()
                    .zip(&asked)
                    .all(|(t, a)| t == a || (t.starts_with('{') && !a.is_empty()));
            if matches {
                allowed.extend(methods);
            }
        }
        (!allowed.is_empty()).then_some(allowed)
    }
}

async fn unknown_route(
    req: HttpRequest,
    known: web::Data<KnownRoutes>,
) -> Result<HttpResponse, ApiError> {
    if let Some(allowed) = known.allowed(req.path()) {
        return Err(ApiError::new(
            actix_web::http::StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            format!(
                "{} {} is not an operation; this path answers {}.",
                req.method(),
                req.path(),
                allowed.join(", ")
            ),
        )
        .with_header(actix_web::http::header::ALLOW, allowed.join(", ")));
    }
    Err(ApiError::new(
        actix_web::http::StatusCode::NOT_FOUND,
        "route_not_found",
        format!(
            "No operation answers {} {}; see /api-docs/openapi.json.",
            req.method(),
            req.path()
        ),
    ))
}
