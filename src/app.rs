//! Application assembly: middleware, extractor error handlers, every route (the
//! same calls collect the OpenAPI document), Swagger UI, and problem+json for unknown routes.
//! `main` serves [`build`]; every integration test mounts the same function.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, HttpRequest, HttpResponse, web};
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::error::{ApiError, ProblemCode};
use crate::rate_limit;
use crate::state::AppState;
use crate::{
    access_log, conditional, cors, extract, handlers, hardening, idempotency, metrics, oauth,
    openapi, request_id,
};

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
        .configure(handlers::problems::configure)
        .configure(handlers::well_known::configure)
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
    metrics::install();
    crate::error::set_problem_base(&state.config.public_base_url);
    let cors = cors::middleware(&state.config.cors_allowed_origins);
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
    let document = web::Data::new(served_document(&api));
    drop(api);
    app.service(web::redirect("/swagger-ui", "/swagger-ui/"))
        .service(
            SwaggerUi::new("/swagger-ui/{_:.*}")
                .config(utoipa_swagger_ui::Config::new([DOCUMENT_PATH])),
        )
        .service(
            web::resource(DOCUMENT_PATH)
                .app_data(document)
                .route(web::get().to(get_document)),
        )
        .route("/metrics", web::get().to(handlers::metrics::get_metrics))
        .app_data(web::Data::new(known))
        .default_service(web::to(unknown_route))
        .wrap(from_fn(crate::auth::authorized::confirm_refusals))
        .wrap(from_fn(idempotency::middleware))
        .wrap(from_fn(known_methods))
        .wrap(from_fn(rate_limit::layer::middleware))
        .wrap(from_fn(hardening::middleware))
        .wrap(from_fn(oauth::middleware))
        .wrap(from_fn(conditional::middleware))
        .wrap(from_fn(metrics::middleware))
        .wrap(from_fn(access_log::middleware))
        .wrap(cors)
        .wrap(from_fn(request_id::middleware))
        // Outermost, so the request-id middleware stamps problem documents before compression.
        .wrap(Compress::default())
}

/// Where the OpenAPI document is served (Swagger UI loads it from here).
const DOCUMENT_PATH: &str = "/api-docs/openapi.json";

/// The OpenAPI document as served: JSON, serialized once per process and shared by every worker
/// (each worker collects the document while registering its routes, then drops it; keeping a
/// copy per worker, as `SwaggerUi::url` does, held ~12 MiB per worker).
fn served_document(api: &utoipa::openapi::OpenApi) -> web::Bytes {
    static SERVED: std::sync::OnceLock<web::Bytes> = std::sync::OnceLock::new();
    SERVED
        .get_or_init(|| {
            web::Bytes::from(serde_json::to_vec(&openapi::to_json(api)).unwrap_or_default())
        })
        .clone()
}

/// `GET /api-docs/openapi.json`: the document (see [`served_document`]).
async fn get_document(document: web::Data<web::Bytes>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(document.get_ref().clone())
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
                    ("HEAD", item.get.is_some()),
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
        // A literal segment wins over a template (`/invitations` over `/{resellerId}`).
        let mut best: Option<(usize, Vec<&'static str>)> = None;
        for (segments, methods) in &self.0 {
            let matches = segments.len() == asked.len()
                && segments
                    .iter()
                    .zip(&asked)
                    .all(|(t, a)| t == a || (t.starts_with('{') && !a.is_empty()));
            if !matches {
                continue;
            }
            let literal = segments.iter().filter(|t| !t.starts_with('{')).count();
            match &mut best {
                Some((l, allowed)) if *l == literal => allowed.extend(methods),
                Some((l, _)) if *l > literal => {}
                _ => best = Some((literal, methods.clone())),
            }
        }
        best.map(|(_, allowed)| allowed)
    }
}

/// Middleware: a method the documented path does not answer is 405, even where a templated
/// sibling route would take the request (`DELETE /v1/indirect-resellers/invitations` is not
/// `DELETE /v1/indirect-resellers/{resellerId}`).
async fn known_methods(
    req: ServiceRequest,
    next: actix_web::middleware::Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let refused = req
        .app_data::<web::Data<KnownRoutes>>()
        .and_then(|known| known.allowed(req.path()))
        .filter(|allowed| !allowed.contains(&req.method().as_str()));
    if let Some(allowed) = refused {
        let err = method_not_allowed(req.request(), &allowed);
        return Ok(req.into_response(actix_web::ResponseError::error_response(&err)));
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_boxed_body)
}

fn method_not_allowed(req: &HttpRequest, allowed: &[&str]) -> ApiError {
    ApiError::new(
        actix_web::http::StatusCode::METHOD_NOT_ALLOWED,
        ProblemCode::MethodNotAllowed,
        format!(
            "{} {} is not an operation; this path answers {}.",
            req.method(),
            req.path(),
            allowed.join(", ")
        ),
    )
    .with_header(actix_web::http::header::ALLOW, allowed.join(", "))
}

async fn unknown_route(
    req: HttpRequest,
    known: web::Data<KnownRoutes>,
) -> Result<HttpResponse, ApiError> {
    if let Some(allowed) = known.allowed(req.path()) {
        return Err(method_not_allowed(&req, &allowed));
    }
    Err(ApiError::new(
        actix_web::http::StatusCode::NOT_FOUND,
        ProblemCode::RouteNotFound,
        format!(
            "No operation answers {} {}; see /api-docs/openapi.json.",
            req.method(),
            req.path()
        ),
    ))
}
