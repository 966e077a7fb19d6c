//! HEAD and conditional GET for every GET route (RFC 9110 §9.3.2, §13.1.2): a `HEAD` request is
//! served as the `GET` it names and answered with the same status and headers but no body; a
//! `GET`/`HEAD` whose `If-None-Match` matches the `ETag` of a 200 answer gets `304 Not Modified`
//! with the same headers and no body. Handlers only set `ETag`; nothing else needs to know.

use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{Error, HttpRequest};

/// A body that declares the size of the one it replaces and yields nothing: the answer to a
/// `HEAD` (the HTTP/1 encoder then writes the `Content-Length` a `GET` would have had).
struct Bodiless(BodySize);

impl MessageBody for Bodiless {
    type Error = std::convert::Infallible;

    fn size(&self) -> BodySize {
        self.0
    }

    fn poll_next(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Poll::Ready(None)
    }
}

/// Whether `If-None-Match` of `req` names `etag` (weak comparison, `*` matches any).
fn none_match(req: &HttpRequest, etag: &str) -> bool {
    let opaque = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
    let current = opaque(etag);
    req.headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| tag.trim() == "*" || opaque(tag) == current)
}

/// Middleware: HEAD as GET without a body; 304 for a matching `If-None-Match`.
pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let head = req.method() == Method::HEAD;
    if head {
        req.head_mut().method = Method::GET;
    }
    let conditional =
        req.method() == Method::GET && req.headers().contains_key(header::IF_NONE_MATCH);
    let res = next.call(req).await?;
    let not_modified = conditional
        && res.status() == StatusCode::OK
        && res
            .headers()
            .get(header::ETAG)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|etag| none_match(res.request(), etag));
    if not_modified {
        let mut res = res.map_body(|_, _| BoxBody::new(()));
        *res.response_mut().status_mut() = StatusCode::NOT_MODIFIED;
        for name in [
            header::CONTENT_TYPE,
            header::CONTENT_LENGTH,
            header::CONTENT_ENCODING,
        ] {
            res.headers_mut().remove(name);
        }
        return Ok(res);
    }
    if head {
        return Ok(res.map_body(|_, body| BoxBody::new(Bodiless(body.size()))));
    }
    Ok(res.map_into_boxed_body())
}
