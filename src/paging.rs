//! Keyset paging (docs/api-guide.md): `limit` (1–500, default 50) and an opaque `cursor`; collections
//! answer `{ "items", "nextCursor", "links": { "next" } }`. Pages are ordered by id (UUIDv7, so by
//! creation time) and each page is `WHERE id > :last ORDER BY id LIMIT n+1`, so the cost does not
//! depend on depth and rows inserted meanwhile are never skipped. One list is ordered by another
//! key: the billing periods, newest month first ([`ByPeriod`]).

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::error::{ApiError, FieldError, ProblemCode};
use crate::extract::parse_query;

/// Default page size.
pub const DEFAULT_LIMIT: i64 = 50;
/// Largest page size.
pub const MAX_LIMIT: i64 = 500;

/// Paging query parameters.
#[derive(Debug, Clone, Default, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500, default = 50)]
    pub limit: Option<i64>,
    /// The `nextCursor` of the previous page.
    #[param(
        pattern = "^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2,3})?$",
        max_length = 200
    )]
    pub cursor: Option<String>,
}

/// A validated page request: how many rows to fetch and where to start.
#[derive(Debug, Clone)]
pub struct PageRequest {
    /// Page size.
    pub limit: i64,
    /// The id after which the page starts.
    pub after: Option<String>,
}

impl PageRequest {
    /// How many rows a list query fetches: one more than the page holds, so that
    /// [`Paged::answer`] can tell whether another page exists without a count.
    pub fn rows_to_fetch(&self) -> i64 {
        self.limit + 1
    }
}

/// What a list is ordered by, and so what its cursors name: [`ById`] (every list but one) or
/// [`ByPeriod`] (the billing periods). A cursor of another kind is refused, so a cursor passed to
/// the wrong list is an error rather than a silently empty page.
pub trait Key {
    /// Whether `text` is a key of this kind in its canonical form.
    fn accepts(text: &str) -> bool;
}

/// Keys that are ids in their canonical UUID form.
#[derive(Debug)]
pub struct ById;

impl Key for ById {
    fn accepts(text: &str) -> bool {
        uuid::Uuid::parse_str(text).is_ok_and(|id| id.hyphenated().to_string() == text)
    }
}

/// Keys that are billing periods, `YYYY-MM`.
#[derive(Debug)]
pub struct ByPeriod;

impl Key for ByPeriod {
    fn accepts(text: &str) -> bool {
        text.parse::<crate::domain::statement::Period>()
            .is_ok_and(|p| p.to_string() == text)
    }
}

impl PageParams {
    /// Decodes `cursor` (400 `invalid_cursor` unless it is one this API handed out for a list
    /// ordered by ids) and validates `limit` (422 naming the field).
    pub fn validate(&self) -> Result<PageRequest, ApiError> {
        self.validate_by::<ById>()
    }

    /// [`PageParams::validate`] for a list ordered by keys of kind `K`.
    pub fn validate_by<K: Key>(&self) -> Result<PageRequest, ApiError> {
        let after = match self.cursor.as_deref() {
            None | Some("") => None,
            Some(c) => Some(decode_cursor::<K>(c).ok_or_else(|| {
                ApiError::field(
                    StatusCode::BAD_REQUEST,
                    ProblemCode::InvalidCursor,
                    "cursor",
                    "`cursor` is not a `nextCursor` this API returned; start again without it.",
                )
            })?),
        };
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::validation(vec![FieldError::new(
                "limit",
                "range",
                "must be between 1 and 500",
            )]));
        }
        Ok(PageRequest { limit, after })
    }
}

/// The key a cursor names: base64url (padding optional) of a row key of kind `K` as
/// [`encode_cursor`] writes it. Anything else is refused, so a mangled cursor is an error rather
/// than a page that silently starts somewhere else (or an empty page that looks like the end).
fn decode_cursor<K: Key>(cursor: &str) -> Option<String> {
    use base64::alphabet::URL_SAFE;
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &URL_SAFE,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    if cursor.len() > 200 {
        return None;
    }
    let text = String::from_utf8(LENIENT.decode(cursor).ok()?).ok()?;
    K::accepts(&text).then_some(text)
}

fn encode_cursor(id: &str) -> String {
    URL_SAFE_NO_PAD.encode(id.as_bytes())
}

/// Links of a collection page.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageLinks {
    /// The URL of the next page (absent on the last page).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// One page of a collection.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// Navigation links.
    pub links: PageLinks,
}

impl<T, E> Page<Result<T, E>> {
    /// The page of the items' values, or the first item's error.
    pub fn transpose(self) -> Result<Page<T>, E> {
        Ok(Page {
            items: self.items.into_iter().collect::<Result<_, _>>()?,
            next_cursor: self.next_cursor,
            links: self.links,
        })
    }
}

impl<T> Page<T> {
    /// A bounded collection answered whole, in the same envelope (no `nextCursor`).
    pub fn whole(items: Vec<T>) -> Page<T> {
        Page {
            items,
            next_cursor: None,
            links: PageLinks { next: None },
        }
    }
}

fn link_after(path: &str, query: &str, cursor: &str) -> String {
    let mut pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
    pairs.retain(|(k, _)| k != "cursor");
    pairs.push(("cursor".to_owned(), cursor.to_owned()));
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    format!("{path}?{query}")
}

/// A list without filters of its own: any other query parameter is ignored.
#[derive(Debug, Default, Deserialize, Validate)]
pub struct NoFilters {}

/// The query of a list operation, the one paging extractor every list uses: `limit` and
/// `cursor` ([`PageParams`], validated into a [`PageRequest`]) and the list's own filters `F`
/// (deserialized and validated from the remaining parameters). Errors are 400 `invalid_cursor`
/// for a cursor this API did not hand out, else 422 `validation_failed` naming the parameter.
/// Document it with `params(PageParams, F)` (the document adds the 400). `K` is what the list
/// is ordered by ([`ById`] unless said otherwise).
#[derive(Debug)]
pub struct Paged<F = NoFilters, K = ById> {
    /// The list's own filters.
    pub filters: F,
    /// Page size and start.
    pub page: PageRequest,
    path: String,
    query: String,
    key: std::marker::PhantomData<K>,
}

impl<F, K> Paged<F, K> {
    /// Builds the page from up to `limit + 1` rows fetched in id order (the extra row only tells
    /// that another page exists), with `links.next` on this request's path.
    pub fn answer<R, T>(
        &self,
        mut rows: Vec<R>,
        id_of: impl Fn(&R) -> &str,
        map: impl FnMut(R) -> T,
    ) -> Page<T> {
        let more = rows.len() as i64 > self.page.limit;
        rows.truncate(self.page.limit as usize);
        let next_cursor = if more {
            rows.last().map(|r| encode_cursor(id_of(r)))
        } else {
            None
        };
        let next = next_cursor
            .as_ref()
            .map(|c| link_after(&self.path, &self.query, c));
        Page {
            items: rows.into_iter().map(map).collect(),
            next_cursor,
            links: PageLinks { next },
        }
    }

    /// As [`Paged::answer`], with a `map` that may fail (the first error is the answer).
    pub fn try_answer<R, T, E>(
        &self,
        rows: Vec<R>,
        id_of: impl Fn(&R) -> &str,
        map: impl FnMut(R) -> Result<T, E>,
    ) -> Result<Page<T>, E> {
        let page = self.answer(rows, id_of, map);
        Ok(Page {
            items: page.items.into_iter().collect::<Result<_, E>>()?,
            next_cursor: page.next_cursor,
            links: page.links,
        })
    }
}

impl<F: DeserializeOwned + Validate + 'static, K: Key + 'static> FromRequest for Paged<F, K> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Paged::parse(req.path(), req.query_string()))
    }
}

impl<F: DeserializeOwned + Validate, K: Key> Paged<F, K> {
    fn parse(path: &str, query: &str) -> Result<Paged<F, K>, ApiError> {
        let (paging, rest): (Vec<_>, Vec<_>) = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .partition(|(k, _)| k == "limit" || k == "cursor");
        let encode =
            |pairs: Vec<(String, String)>| serde_urlencoded::to_string(pairs).unwrap_or_default();
        let page = parse_query::<PageParams>(&encode(paging))?.validate_by::<K>()?;
        let filters = parse_query::<F>(&encode(rest))?;
        Ok(Paged {
            filters,
            page,
            path: path.to_owned(),
            query: query.to_owned(),
            key: std::marker::PhantomData,
        })
    }
}
