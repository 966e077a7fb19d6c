//! CSV exports that stream (`Accept: text/csv` on the billing line items and on a statement's
//! lines): the rows are read [`CHUNK`] at a time in key order and each chunk is written as one
//! piece of the body before the next is read, so the server's memory stays constant however
//! many rows the export has. Records are serialized with the `csv` crate (quoting, one header
//! row of the record's camelCase field names).

use std::future::Future;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use crate::error::ApiError;

/// Rows read per query while an export streams.
pub const CHUNK: i64 = 1000;

/// Whether the request asks for CSV (`Accept` names `text/csv`).
pub fn wants_csv(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/csv"))
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
