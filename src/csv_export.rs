//! CSV exports that stream (`Accept: text/csv` on the billing line items and on a statement's
//! lines): the rows are read [`CHUNK`] at a time in key order and each chunk is written as one
//! piece of the body before the next is read, so the server's memory stays constant however
//! many rows the export has. Records are serialized with the `csv` crate (quoting, one header
//! row of the record's camelCase field names).

use std::cmp::Reverse;
use std::future::Future;

use actix_web::http::header::{self, Header, Quality};
use actix_web::mime;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use crate::error::ApiError;

/// Rows read per query while an export streams.
pub const CHUNK: i64 = 1000;

/// Whether the request prefers CSV to JSON by its `Accept` header (RFC 9110 §12.5.1): each of
/// the two gets the quality of the most specific media range that names it (`text/csv` over
/// `text/*` over `*/*`; media types compare case-insensitively); the higher quality wins, and
/// between equal ones the type whose range comes first in the header; ranges that do not parse
/// are skipped. So no header, `*/*` or a browser's default answer JSON, `TEXT/CSV`,
/// `text/csv; charset=utf-8` or `text/csv, application/json` answer CSV, and
/// `text/csv;q=0.5, application/json` answers JSON.
pub fn wants_csv(req: &HttpRequest) -> bool {
    let Ok(accept) = header::Accept::parse(req) else {
        return false;
    };
    let csv = preference(&accept, &mime::TEXT_CSV);
    csv.0 > Quality::ZERO && csv > preference(&accept, &mime::APPLICATION_JSON)
}

/// How much `accept` wants `wanted`: the quality of the most specific range matching it (zero
/// when none does), then that range's position, earlier being more.
fn preference(accept: &header::Accept, wanted: &mime::Mime) -> (Quality, Reverse<usize>) {
    accept
        .iter()
        .enumerate()
        .filter_map(|(position, range)| {
            let r = &range.item;
            let specificity = if r.type_() == mime::STAR {
                0
            } else if r.type_() != wanted.type_() {
                return None;
            } else if r.subtype() == mime::STAR {
                1
            } else if r.subtype() == wanted.subtype() {
                2
            } else {
                return None;
            };
            Some((specificity, Reverse(position), range.quality))
        })
        .max_by_key(|(specificity, position, _)| (*specificity, *position))
        .map_or((Quality::ZERO, Reverse(usize::MAX)), |(_, position, q)| {
            (q, position)
        })
}

/// One chunk read by an export: its records (at most [`CHUNK`]; fewer ends the export) and the
/// key of the last row read, from which the next chunk starts.
pub struct Chunk<T> {
    pub records: Vec<T>,
    pub last: Option<String>,
}

/// Where an export is: the key of the last row written, whether the header is still to write,
/// and whether the last chunk was short.
struct Cursor {
    after: Option<String>,
    header: bool,
    done: bool,
}

/// A `200 text/csv` answer whose body is every record `read` returns, chunk after chunk:
/// `read(after)` reads the [`CHUNK`] rows after the key `after` (`None`: from the first). The
/// header row comes first; with no record at all it is `columns` alone. An error while
/// streaming ends the body early (the status is already sent).
pub fn stream<T, F, Fut>(columns: &'static [&'static str], read: F) -> HttpResponse
where
    T: Serialize + 'static,
    F: Fn(Option<String>) -> Fut + 'static,
    Fut: Future<Output = Result<Chunk<T>, ApiError>> + 'static,
{
    let start = Cursor {
        after: None,
        header: true,
        done: false,
    };
    let body = futures_util::stream::try_unfold(start, move |cursor| {
        let chunk = (!cursor.done).then(|| read(cursor.after.clone()));
        async move {
            let Some(chunk) = chunk else {
                return Ok::<_, ApiError>(None);
            };
            let Chunk { records, last } = chunk.await?;
            let csv_error = |e: csv::Error| ApiError::internal(format!("csv: {e}"));
            let done = (records.len() as i64) < CHUNK;
            let mut out = csv::WriterBuilder::new()
                .has_headers(cursor.header)
                .from_writer(Vec::with_capacity(records.len() * 256));
            if cursor.header && records.is_empty() {
                out.write_record(columns).map_err(csv_error)?;
            }
            for r in &records {
                out.serialize(r).map_err(csv_error)?;
            }
            let bytes = out
                .into_inner()
                .map_err(|e| ApiError::internal(format!("csv: {e}")))?;
            let next = Cursor {
                after: last,
                header: false,
                done,
            };
            Ok(Some((web::Bytes::from(bytes), next)))
        }
    });
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .streaming(body)
}
