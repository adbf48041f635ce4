//! W3C trace context (`traceparent`, `tracestate`) in and out: an incoming request's span
//! continues the caller's trace, and outbound calls carry the current span's context.

use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator as _};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

struct Headers<'a>(&'a http::HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

/// Makes `span` a child of the trace context in `headers` (gRPC metadata or HTTP headers), when
/// they carry a valid `traceparent`; otherwise `span` starts a trace of its own.
pub fn continue_trace(span: &tracing::Span, headers: &http::HeaderMap) {
    if !headers.contains_key("traceparent") {
        return;
    }
    let parent = TraceContextPropagator::new().extract(&Headers(headers));
    // Fails only when the span is disabled (not exported): nothing to continue then.
    let _ = span.set_parent(parent);
}

#[derive(Default)]
struct Pairs(Vec<(&'static str, String)>);

impl Injector for Pairs {
    fn set(&mut self, key: &str, value: String) {
        let key = match key {
            "traceparent" => "traceparent",
            "tracestate" => "tracestate",
            _ => return,
        };
        self.0.push((key, value));
    }
}

/// The current span's trace context as headers for an outbound request (empty when no trace is
/// being exported).
pub fn outbound_headers() -> Vec<(&'static str, String)> {
    let context = tracing::Span::current().context();
    let mut pairs = Pairs::default();
    TraceContextPropagator::new().inject_context(&context, &mut pairs);
    pairs.0
}

/// The trace id (32 hex digits) of the current span, when traces are exported; for audit
/// events, so an event leads to its trace.
pub fn current_trace_id() -> Option<String> {
    use opentelemetry::trace::TraceContextExt as _;
    let context = tracing::Span::current().context();
    let span_context = context.span().span_context().clone();
    span_context.is_valid().then(|| span_context.trace_id().to_string())
}
