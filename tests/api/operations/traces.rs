//! Traces: with an OTLP endpoint configured, each request is exported as a server span in the
//! caller's trace, to a real HTTP receiver (a thread in the test answering like a collector).

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;

use actix_web::test::TestRequest;
use partner_center::otel::Tracing;

use crate::harness::*;

/// An OTLP/HTTP receiver on a free local port: its URL for spans and the bodies it was sent.
fn receiver() -> (String, mpsc::Receiver<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind the receiver");
    let url = format!(
        "http://{}/v1/traces",
        listener.local_addr().expect("receiver address")
    );
    let (sent, bodies) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut request = Vec::new();
            let mut chunk = [0u8; 16 * 1024];
            let body = loop {
                let n = stream.read(&mut chunk).unwrap_or(0);
                request.extend_from_slice(&chunk[..n]);
                let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") else {
                    if n == 0 {
                        break Vec::new();
                    }
                    continue;
                };
                let head = String::from_utf8_lossy(&request[..end]).to_ascii_lowercase();
                let length: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0);
                if request.len() >= end + 4 + length || n == 0 {
                    break request[end + 4..].to_vec();
                }
            };
            // Recorded before answering, so a flush that saw the answer finds the body.
            if sent.send(body).is_err() {
                return;
            }
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\n\
                  content-length: 0\r\nconnection: close\r\n\r\n",
            );
        }
    });
    (url, bodies)
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Everything the receiver was sent, once it holds `needle` (or after 10 s without it).
fn sent_with(bodies: &mpsc::Receiver<Vec<u8>>, needle: &[u8]) -> Vec<u8> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut sent = Vec::new();
    while !contains(&sent, needle) {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match bodies.recv_timeout(left) {
            Ok(body) => sent.extend(body),
            Err(_) => break,
        }
    }
    sent
}

#[actix_rt::test]
async fn request_with_traceparent_exports_a_server_span_in_the_callers_trace() {
    let (url, bodies) = receiver();
    let tracing = Tracing::to_url(&url).expect("tracing");
    let app = TestApp::with_tracing(tracing.clone()).await;
    let token = app.token(PROVIDER_SA).await;
    let customer = app.customer_id("adatum.example").await;
    let trace_id = format!("{:032x}", uuid::Uuid::new_v4().as_u128());
    let parent_id = "00f067aa0ba902b7";
    let request_id = format!("trace-test-{}", uuid::Uuid::new_v4().simple());
    let res = app
        .send(
            TestRequest::get()
                .uri(&format!("/v1/customers/{customer}"))
                .insert_header(("Authorization", format!("Bearer {token}")))
                .insert_header(("X-Request-Id", request_id.as_str()))
                .insert_header(("traceparent", format!("00-{trace_id}-{parent_id}-01"))),
        )
        .await;
    res.assert(200);
    let traceparent = res.header("traceparent").expect("traceparent returned");
    let parts: Vec<&str> = traceparent.split('-').collect();
    assert_eq!(parts[1], trace_id, "{traceparent}");
    assert_eq!(parts[3], "01", "{traceparent}");
    let span_id = parts[2];
    assert_ne!(span_id, parent_id);

    tracing.flush().expect("spans sent");
    // One protobuf `Span` message: trace_id (field 1), span_id (2), then parent_span_id (4)
    // (the empty trace_state, field 3, is not written).
    let mut span = vec![0x0a, 16];
    span.extend(hex(&trace_id));
    span.extend([0x12, 8]);
    span.extend(hex(span_id));
    span.extend([0x22, 8]);
    span.extend(hex(parent_id));
    let sent = sent_with(&bodies, &span);
    assert!(
        contains(&sent, &span),
        "no exported span with the trace id {trace_id}, the returned span id and the caller's \
         span as parent ({} bytes sent)",
        sent.len()
    );
    for text in [
        "GET /v1/customers/{customerId}".to_owned(),
        "http.route".to_owned(),
        "http.response.status_code".to_owned(),
        request_id.clone(),
        app.tenant_id(PROVIDER_SA).await,
    ] {
        assert!(contains(&sent, text.as_bytes()), "{text} not exported");
    }
    // The access line names the same trace.
    let lines = logs::lines_with(&request_id);
    let access = lines
        .iter()
        .find(|l| l["target"] == "access")
        .expect("access line");
    assert_eq!(access["trace_id"], trace_id.as_str());
}

#[actix_rt::test]
async fn request_without_traceparent_starts_a_sampled_trace_when_tracing_is_on() {
    let (url, bodies) = receiver();
    let tracing = Tracing::to_url(&url).expect("tracing");
    let app = TestApp::with_tracing(tracing.clone()).await;
    let res = app.send(TestRequest::get().uri("/health/live")).await;
    res.assert(200);
    let traceparent = res.header("traceparent").expect("traceparent returned");
    let parts: Vec<&str> = traceparent.split('-').collect();
    assert_eq!(parts[3], "01", "sampled: {traceparent}");
    tracing.flush().expect("spans sent");
    let mut span = vec![0x0a, 16];
    span.extend(hex(parts[1]));
    span.extend([0x12, 8]);
    span.extend(hex(parts[2]));
    let sent = sent_with(&bodies, &span);
    assert!(contains(&sent, &span), "the returned span was not exported");
}
