//! Typed responders: a handler's return type names its status and its body
//! (`Result<Tagged<Customer>, ApiError>`, `Result<Created<CreatedUser>, ApiError>`,
//! `Result<Json<Page<Order>>, ApiError>`, `Result<NoContent, ApiError>`).
//!
//! Every body type implements [`Body`]. A body that shows a secret once (a temporary password,
//! a client secret, a link token, a webhook secret) says so with [`Body::SHOWS_SECRET`], and every
//! responder of such a body answers with `Cache-Control: no-store` and the
//! [`ShownOnce`] response extension, so the idempotency middleware stores it only sealed
//! (`crate::idempotency`). Sealing is decided by the body's type: a handler cannot forget it.
//!
//! Bodies are declared with [`bodies!`](crate::bodies) and
//! [`secret_bodies!`](crate::secret_bodies): here for the wire types of `crate::api` (which
//! stays free of actix and of this module), beside their types for the handlers' own bodies.

use actix_web::body::BoxBody;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue, TryIntoHeaderValue};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, Responder};
use serde::Serialize;

use crate::etag::etag;
use crate::idempotency::ShownOnce;
use crate::paging::Page;

/// A response body. `SHOWS_SECRET` marks a body that shows a secret once: its responses are
/// `Cache-Control: no-store` and stored by the idempotency middleware only sealed.
pub trait Body: Serialize {
    /// Whether this body shows a secret once (default: no).
    const SHOWS_SECRET: bool = false;
}

/// Implements [`Body`] for ordinary body types (no secret).
#[macro_export]
macro_rules! bodies {
    ($($t:ty),* $(,)?) => {
        $(impl $crate::respond::Body for $t {})*
    };
}

/// Implements [`Body`] for body types that show a secret once (`SHOWS_SECRET = true`).
#[macro_export]
macro_rules! secret_bodies {
    ($($t:ty),* $(,)?) => {
        $(impl $crate::respond::Body for $t {
            const SHOWS_SECRET: bool = true;
        })*
    };
}

/// A page is secret iff its items are.
impl<T: Body> Body for Page<T> {
    const SHOWS_SECRET: bool = T::SHOWS_SECRET;
}

/// A list is secret iff its items are.
impl<T: Body> Body for Vec<T> {
    const SHOWS_SECRET: bool = T::SHOWS_SECRET;
}

crate::bodies!(
    crate::api::applications::Application,
    crate::api::billing::BillingLineItem,
    crate::api::billing::BillingPeriod,
    crate::api::customers::Customer,
    crate::api::gdap::AccessAssignment,
    crate::api::gdap::DelegatedAdminRelationship,
    crate::api::gdap::DirectoryRole,
    crate::api::gdap::SecurityGroup,
    crate::api::orders::Order,
    crate::api::partner::Partner,
    crate::api::price_lists::PriceList,
    crate::api::price_lists::PriceListVersion,
    crate::api::price_lists::ResolvedPrice,
    crate::api::service_requests::ServiceRequest,
    crate::api::service_requests::Note,
    crate::api::statements::Statement,
    crate::api::statements::StatementLine,
    crate::api::subscriptions::Subscription,
    crate::api::test_clocks::TestClock,
    crate::api::webhooks::Webhook,
    crate::api::webhooks::Delivery,
    crate::api::webhooks::Queued,
    crate::api::webhooks::WebhookEventTypes,
);

crate::secret_bodies!(
    crate::api::webhooks::CreatedWebhook,
    crate::api::webhooks::RotatedSecret,
);

/// Headers a handler adds beyond those its responder sets.
#[derive(Debug, Default)]
struct Extra(Vec<(HeaderName, Result<HeaderValue, ()>)>);

impl Extra {
    fn push(&mut self, name: HeaderName, value: impl TryIntoHeaderValue) {
        self.0.push((name, value.try_into_value().map_err(|_| ())));
    }
}

/// Builds the JSON response: status, `Location`, `ETag`, extra headers, and the sealing marks
/// when `T` shows a secret.
fn json<T: Body>(
    status: StatusCode,
    location: Option<String>,
    version: Option<i64>,
    extra: Extra,
    body: &T,
) -> HttpResponse {
    let mut builder = HttpResponseBuilder::new(status);
    if let Some(location) = location {
        builder.insert_header((header::LOCATION, location));
    }
    if let Some(version) = version {
        builder.insert_header((header::ETAG, etag(version)));
    }
    for (name, value) in extra.0 {
        match value {
            Ok(value) => {
                builder.insert_header((name, value));
            }
            Err(()) => {
                log::error!("invalid value for response header {name}");
                return HttpResponse::InternalServerError().finish();
            }
        }
    }
    let res = builder.json(body);
    if T::SHOWS_SECRET { seal(res) } else { res }
}

/// `Cache-Control: no-store` and the [`ShownOnce`] extension.
fn seal(mut res: HttpResponse) -> HttpResponse {
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res.extensions_mut().insert(ShownOnce);
    res
}

/// 200 with the body and the `ETag` of a row version.
#[derive(Debug)]
pub struct Tagged<T> {
    version: i64,
    body: T,
    extra: Extra,
}

impl<T: Body> Tagged<T> {
    /// 200 with `body`, tagged `etag(version)`.
    pub fn new(version: i64, body: T) -> Self {
        Tagged {
            version,
            body,
            extra: Extra::default(),
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: HeaderName, value: impl TryIntoHeaderValue) -> Self {
        self.extra.push(name, value);
        self
    }
}

impl<T: Body> Responder for Tagged<T> {
    type Body = BoxBody;

    fn respond_to(self, _: &HttpRequest) -> HttpResponse {
        json(
            StatusCode::OK,
            None,
            Some(self.version),
            self.extra,
            &self.body,
        )
    }
}

/// 201 with the body, `Location` (unless the created thing has no address of its own to read),
/// and (when given) the `ETag` of a row version.
#[derive(Debug)]
pub struct Created<T> {
    location: Option<String>,
    version: Option<i64>,
    body: T,
    extra: Extra,
}

impl<T: Body> Created<T> {
    /// 201 with `body` at `location`.
    pub fn new(location: impl Into<String>, body: T) -> Self {
        Created {
            location: Some(location.into()),
            version: None,
            body,
            extra: Extra::default(),
        }
    }

    /// 201 with `body` and no `Location`.
    pub fn unlocated(body: T) -> Self {
        Created {
            location: None,
            version: None,
            body,
            extra: Extra::default(),
        }
    }

    /// Also tags the response `etag(version)`.
    pub fn tagged(mut self, version: i64) -> Self {
        self.version = Some(version);
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: HeaderName, value: impl TryIntoHeaderValue) -> Self {
        self.extra.push(name, value);
        self
    }
}

impl<T: Body> Responder for Created<T> {
    type Body = BoxBody;

    fn respond_to(self, _: &HttpRequest) -> HttpResponse {
        json(
            StatusCode::CREATED,
            self.location,
            self.version,
            self.extra,
            &self.body,
        )
    }
}

/// 200 with the body and no `ETag` (pages, lists, results of actions).
#[derive(Debug)]
pub struct Json<T> {
    body: T,
    extra: Extra,
}

impl<T: Body> Json<T> {
    /// 200 with `body`.
    pub fn new(body: T) -> Self {
        Json {
            body,
            extra: Extra::default(),
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: HeaderName, value: impl TryIntoHeaderValue) -> Self {
        self.extra.push(name, value);
        self
    }
}

impl<T: Body> Responder for Json<T> {
    type Body = BoxBody;

    fn respond_to(self, _: &HttpRequest) -> HttpResponse {
        json(StatusCode::OK, None, None, self.extra, &self.body)
    }
}

/// 202 with the body (work queued).
#[derive(Debug)]
pub struct Accepted<T> {
    body: T,
    extra: Extra,
}

impl<T: Body> Accepted<T> {
    /// 202 with `body`.
    pub fn new(body: T) -> Self {
        Accepted {
            body,
            extra: Extra::default(),
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: HeaderName, value: impl TryIntoHeaderValue) -> Self {
        self.extra.push(name, value);
        self
    }
}

impl<T: Body> Responder for Accepted<T> {
    type Body = BoxBody;

    fn respond_to(self, _: &HttpRequest) -> HttpResponse {
        json(StatusCode::ACCEPTED, None, None, self.extra, &self.body)
    }
}

/// 204, no body.
#[derive(Debug, Clone, Copy)]
pub struct NoContent;

impl Responder for NoContent {
    type Body = BoxBody;

    fn respond_to(self, _: &HttpRequest) -> HttpResponse {
        HttpResponse::NoContent().finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[derive(Serialize)]
    struct Plain {
        name: &'static str,
    }

    #[derive(Serialize)]
    struct Secret {
        password: &'static str,
    }

    crate::bodies!(Plain);
    crate::secret_bodies!(Secret);

    fn sealed(res: &HttpResponse) -> bool {
        let no_store = res
            .headers()
            .get(header::CACHE_CONTROL)
            .is_some_and(|v| v == "no-store");
        let marked = res.extensions().get::<ShownOnce>().is_some();
        assert_eq!(no_store, marked, "no-store and ShownOnce go together");
        marked
    }

    fn answer(r: impl Responder<Body = BoxBody>) -> HttpResponse {
        r.respond_to(&TestRequest::default().to_http_request())
    }

    #[test]
    fn a_secret_body_is_sealed_by_every_responder() {
        let created = answer(Created::new("/v1/x/1", Secret { password: "p" }).tagged(3));
        assert_eq!(created.status(), StatusCode::CREATED);
        assert_eq!(created.headers().get(header::LOCATION).unwrap(), "/v1/x/1");
        assert_eq!(created.headers().get(header::ETAG).unwrap(), "\"v3\"");
        assert!(sealed(&created));

        let tagged = answer(Tagged::new(4, Secret { password: "p" }));
        assert_eq!(tagged.status(), StatusCode::OK);
        assert_eq!(tagged.headers().get(header::ETAG).unwrap(), "\"v4\"");
        assert!(sealed(&tagged));

        assert!(sealed(&answer(Json::new(Secret { password: "p" }))));
        assert!(sealed(&answer(Created::unlocated(Secret {
            password: "p"
        }))));
        assert!(sealed(&answer(Accepted::new(Secret { password: "p" }))));
        assert!(sealed(&answer(Json::new(Page::whole(vec![Secret {
            password: "p"
        }])))));
    }

    #[test]
    fn an_ordinary_body_is_not_sealed() {
        assert!(!sealed(&answer(
            Created::new("/v1/x/1", Plain { name: "n" }).tagged(1)
        )));
        assert!(!sealed(&answer(Tagged::new(1, Plain { name: "n" }))));
        assert!(!sealed(&answer(Json::new(Plain { name: "n" }))));
        assert!(!sealed(&answer(Json::new(Page::whole(vec![Plain {
            name: "n"
        }])))));
        assert!(!sealed(&answer(NoContent)));
    }

    #[test]
    fn extra_headers_are_kept() {
        let res = answer(Json::new(Plain { name: "n" }).header(header::RETRY_AFTER, "1"));
        assert_eq!(res.headers().get(header::RETRY_AFTER).unwrap(), "1");
        assert!(res.headers().get(header::ETAG).is_none());
    }
}
