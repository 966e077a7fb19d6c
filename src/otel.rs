//! Traces with OpenTelemetry, exported over OTLP (HTTP with protobuf bodies), off unless
//! `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set.
//!
//! Each request becomes one server span, named `METHOD ROUTE` (`GET /v1/customers/{customerId}`),
//! with the attributes `http.request.method`, `http.route`, `http.response.status_code`,
//! `request_id`, and `caller` and `tenant` when a valid token was presented (the same names as
//! the access log's fields). The span's parent is the caller's span when the request carries a
//! valid `traceparent` ([`crate::trace_context`] parses it, in one place); the response's
//! `traceparent` and the log lines' `trace_id` name the exported span.
//!
//! The standard OpenTelemetry variables apply: `OTEL_SERVICE_NAME` (default `partner-center`),
//! `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_EXPORTER_OTLP_TIMEOUT`,
//! `OTEL_TRACES_SAMPLER`(`_ARG`) (default: follow the caller's sampled flag, sample new traces),
//! and `OTEL_BSP_*` for the batch that a background thread sends. Endpoints are plain `http://`
//! (a collector beside the server); a failed export is logged as a warning and the spans dropped.

use std::time::SystemTime;

use opentelemetry::trace::{
    Span as _, SpanContext, SpanId, SpanKind, Status, TraceContextExt, TraceFlags, TraceId,
    TraceState, Tracer as _, TracerProvider as _,
};
use opentelemetry::{Context, KeyValue};
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider, SpanData, SpanExporter};

use crate::trace_context::TraceContext;

/// The variable that turns tracing on.
pub const ENDPOINT_VAR: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";
const TRACES_ENDPOINT_VAR: &str = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";

/// The tracer requests are traced with, and its provider (to flush and shut down).
#[derive(Debug, Clone)]
pub struct Tracing {
    provider: SdkTracerProvider,
    tracer: SdkTracer,
}

/// The server span of one request (see [`Tracing::start`]).
pub type RequestSpan = opentelemetry_sdk::trace::Span;

impl Tracing {
    /// Tracing as the environment configures it: `None` unless an OTLP endpoint is set.
    pub fn from_env() -> Result<Option<Tracing>, String> {
        let set = |name: &str| std::env::var(name).is_ok_and(|v| !v.trim().is_empty());
        if !set(ENDPOINT_VAR) && !set(TRACES_ENDPOINT_VAR) {
            return Ok(None);
        }
        Self::build(None).map(Some)
    }

    /// Tracing that sends to `url`, the full address spans are posted to (for example
    /// `http://127.0.0.1:4318/v1/traces`), whatever the environment says.
    pub fn to_url(url: &str) -> Result<Tracing, String> {
        Self::build(Some(url))
    }

    fn build(url: Option<&str>) -> Result<Tracing, String> {
        let mut builder = opentelemetry_otlp::SpanExporter::builder().with_http();
        if let Some(url) = url {
            builder = builder.with_endpoint(url);
        }
        let exporter = builder
            .build()
            .map_err(|e| format!("cannot set up the OTLP trace exporter: {e}"))?;
        let mut resource = Resource::builder();
        if std::env::var("OTEL_SERVICE_NAME").is_err() {
            resource = resource.with_service_name(env!("CARGO_PKG_NAME"));
        }
        let resource = resource
            .with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
            .build();
        let provider = SdkTracerProvider::builder()
            .with_batch_exporter(LoggedExporter(exporter))
            .with_resource(resource)
            .build();
        let tracer = provider.tracer(env!("CARGO_PKG_NAME"));
        Ok(Tracing { provider, tracer })
    }

    /// Starts the server span of a request whose trace context is `trace` (parsed from its
    /// `traceparent`), and makes `trace` name that span: its trace id (the caller's, or a new
    /// one), its span id, and the sampling decision in its flags.
    pub fn start(&self, trace: &mut TraceContext, method: &str) -> RequestSpan {
        let parent = remote_parent(trace).map_or_else(Context::new, |sc| {
            Context::new().with_remote_span_context(sc)
        });
        let span = self
            .tracer
            .span_builder(method.to_owned())
            .with_kind(SpanKind::Server)
            .with_start_time(SystemTime::now())
            .with_attributes([KeyValue::new("http.request.method", method.to_owned())])
            .start_with_context(&self.tracer, &parent);
        let sc = span.span_context();
        if sc.is_valid() {
            trace.trace_id = sc.trace_id().to_string();
            trace.span_id = sc.span_id().to_string();
            trace.flags = sc.trace_flags().to_u8();
        }
        span
    }

    /// Sends the spans ended so far now, waiting for the answer (tests; shutdown).
    pub fn flush(&self) -> Result<(), String> {
        self.provider.force_flush().map_err(|e| e.to_string())
    }

    /// Sends what is left and stops the background thread.
    pub fn shutdown(&self) -> Result<(), String> {
        self.provider.shutdown().map_err(|e| e.to_string())
    }
}

/// Ends a request's span: named after the matched route, with the answer's status and the ids
/// the access log carries.
pub fn finish(
    mut span: RequestSpan,
    method: &str,
    route: &str,
    status: u16,
    request_id: &str,
    caller: Option<(&str, &str)>,
) {
    span.update_name(format!("{method} {route}"));
    span.set_attribute(KeyValue::new("http.route", route.to_owned()));
    span.set_attribute(KeyValue::new(
        "http.response.status_code",
        i64::from(status),
    ));
    span.set_attribute(KeyValue::new("request_id", request_id.to_owned()));
    if let Some((caller, tenant)) = caller {
        span.set_attribute(KeyValue::new("caller", caller.to_owned()));
        span.set_attribute(KeyValue::new("tenant", tenant.to_owned()));
    }
    if status >= 500 {
        span.set_status(Status::error(""));
    }
    span.end();
}

/// The caller's span as a remote parent, when the request joined a trace.
fn remote_parent(trace: &TraceContext) -> Option<SpanContext> {
    let parent = trace.parent_id.as_deref()?;
    let trace_id = TraceId::from_hex(&trace.trace_id).ok()?;
    let span_id = SpanId::from_hex(parent).ok()?;
    Some(SpanContext::new(
        trace_id,
        span_id,
        TraceFlags::new(trace.flags),
        true,
        TraceState::default(),
    ))
}

/// The OTLP exporter, with a warning in the log when a batch cannot be sent (the SDK's own
/// diagnostics go to the `tracing` crate, which this server does not install).
#[derive(Debug)]
struct LoggedExporter(opentelemetry_otlp::SpanExporter);

impl SpanExporter for LoggedExporter {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let spans = batch.len();
        let result = self.0.export(batch).await;
        if let Err(e) = &result {
            log::warn!(target: "otel", spans; "could not export {spans} span(s): {e}");
        }
        result
    }

    fn shutdown_with_timeout(&self, timeout: std::time::Duration) -> OTelSdkResult {
        self.0.shutdown_with_timeout(timeout)
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.0.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.0.set_resource(resource);
    }
}
