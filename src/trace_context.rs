//! W3C Trace Context (`traceparent`, <https://www.w3.org/TR/trace-context/>): a request that
//! carries a valid `traceparent` joins its trace — the server's work becomes a span of the same
//! `trace-id`, child of the caller's `parent-id` — and any other request starts a trace. The
//! response carries `traceparent` naming the server's span, and every log line of the request
//! carries `trace_id` (see [`crate::request_id::middleware`], which sets both ids). With tracing
//! on, the exported span's ids replace the ones made here ([`crate::otel::Tracing::start`]).

use actix_web::http::header::{HeaderName, HeaderValue};

/// The `traceparent` header.
pub const TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");

/// The trace a request belongs to and the server's span in it (in request extensions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceContext {
    /// 32 lowercase hex digits.
    pub trace_id: String,
    /// The server's span: 16 lowercase hex digits.
    pub span_id: String,
    /// The caller's span, when the request carried a valid `traceparent`.
    pub parent_id: Option<String>,
    /// Trace flags (bit 0: sampled), as the caller sent them; `00` for a trace started here.
    pub flags: u8,
}

fn hex_id(s: &str, len: usize) -> Option<&str> {
    let ok = s.len() == len
        && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        && s.bytes().any(|b| b != b'0');
    ok.then_some(s)
}

impl TraceContext {
    /// The context of a request with this `traceparent` value: joined when it is valid (version
    /// `00`, or a later version whose first four fields read as `00`'s), else a new trace.
    pub fn from_header(value: Option<&HeaderValue>) -> TraceContext {
        let span_id = format!("{:016x}", rand::random::<u64>().max(1));
        let joined = value.and_then(|v| v.to_str().ok()).and_then(|v| {
            let mut parts = v.trim().split('-');
            let version = parts.next()?;
            let trace_id = hex_id(parts.next()?, 32)?;
            let parent_id = hex_id(parts.next()?, 16)?;
            let flags = parts.next().filter(|f| f.len() == 2)?;
            let flags = u8::from_str_radix(flags, 16).ok()?;
            let rest_ok = if version == "00" {
                parts.next().is_none()
            } else {
                version.len() == 2 && version != "ff" && u8::from_str_radix(version, 16).is_ok()
            };
            rest_ok.then(|| (trace_id.to_owned(), parent_id.to_owned(), flags))
        });
        match joined {
            Some((trace_id, parent_id, flags)) => TraceContext {
                trace_id,
                span_id,
                parent_id: Some(parent_id),
                flags,
            },
            None => TraceContext {
                trace_id: format!("{:032x}", rand::random::<u128>().max(1)),
                span_id,
                parent_id: None,
                flags: 0,
            },
        }
    }

    /// The `traceparent` naming the server's span, for the response (and outgoing calls).
    pub fn traceparent(&self) -> String {
        format!("00-{}-{}-{:02x}", self.trace_id, self.span_id, self.flags)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: &str) -> TraceContext {
        TraceContext::from_header(Some(&HeaderValue::from_str(v).unwrap()))
    }

    #[test]
    fn a_valid_traceparent_is_joined_with_a_new_span() {
        let t = parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        assert_eq!(t.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(t.parent_id.as_deref(), Some("00f067aa0ba902b7"));
        assert_ne!(t.span_id, "00f067aa0ba902b7");
        assert_eq!(t.flags, 1);
        assert!(
            t.traceparent()
                .starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-")
        );
        assert!(t.traceparent().ends_with("-01"));
    }

    #[test]
    fn an_invalid_traceparent_starts_a_new_trace() {
        for bad in [
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "garbage",
        ] {
            let t = parse(bad);
            assert_eq!(t.parent_id, None, "{bad}");
            assert_ne!(t.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736", "{bad}");
            assert_eq!(t.trace_id.len(), 32);
        }
    }
}
