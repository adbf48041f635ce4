//! The OTLP receiver, the `/metrics` parser and the process helpers of the observability test.

use std::{
    collections::HashMap,
    net::SocketAddr,
    process::{Child, Command},
    sync::{Arc, Mutex},
    time::Duration,
};

use opentelemetry_proto::tonic::{
    collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse, trace_service_server::TraceService},
    common::v1::{AnyValue, KeyValue, any_value::Value},
    trace::v1::Span,
};
use tonic::metadata::MetadataValue;

use super::M2M_TOKEN;
use crate::support::bin_dir;

/// Receives spans over OTLP/gRPC and keeps them.
#[derive(Clone, Default)]
pub struct Receiver(pub Arc<Mutex<Vec<ExportTraceServiceRequest>>>);

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        self.0.lock().unwrap().push(request.into_inner());
        Ok(tonic::Response::new(ExportTraceServiceResponse { partial_success: None }))
    }
}

/// A span as received, with its service and attributes as strings.
#[derive(Debug)]
pub struct Received {
    pub service: String,
    pub version: String,
    pub span: Span,
    pub attributes: HashMap<String, String>,
}

fn text(value: &Option<AnyValue>) -> String {
    match value.as_ref().and_then(|v| v.value.as_ref()) {
        Some(Value::StringValue(s)) => s.clone(),
        Some(Value::IntValue(i)) => i.to_string(),
        Some(Value::BoolValue(b)) => b.to_string(),
        Some(Value::DoubleValue(d)) => d.to_string(),
        other => format!("{other:?}"),
    }
}

fn attributes(list: &[KeyValue]) -> HashMap<String, String> {
    list.iter().map(|kv| (kv.key.clone(), text(&kv.value))).collect()
}

impl Receiver {
    pub fn spans(&self) -> Vec<Received> {
        let mut out = Vec::new();
        for request in self.0.lock().unwrap().iter() {
            for resource_spans in &request.resource_spans {
                let resource = attributes(&resource_spans.resource.as_ref().unwrap().attributes);
                for scope in &resource_spans.scope_spans {
                    for span in &scope.spans {
                        out.push(Received {
                            service: resource.get("service.name").cloned().unwrap_or_default(),
                            version: resource.get("service.version").cloned().unwrap_or_default(),
                            span: span.clone(),
                            attributes: attributes(&span.attributes),
                        });
                    }
                }
            }
        }
        out
    }
}

pub fn authed<T>(message: T, token: &str, traceparent: Option<&str>) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert("authorization", MetadataValue::try_from(format!("Bearer {token}")).unwrap());
    if let Some(traceparent) = traceparent {
        request.metadata_mut().insert("traceparent", MetadataValue::try_from(traceparent).unwrap());
    }
    request
}

/// `binary` at trace level with `env` (stdio is set by `start_serving`: stderr to the log).
pub fn command(binary: &str, env: &[(&str, String)]) -> Command {
    let mut command = Command::new(bin_dir().join(binary));
    command.env_clear().env("RUST_LOG", "trace");
    for (key, value) in env {
        command.env(key, value);
    }
    command
}

/// SIGTERM, then wait for exit 0 (spans are flushed on the way out).
pub async fn stop(mut child: Child) {
    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    for _ in 0..1500 {
        if let Some(status) = child.try_wait().unwrap() {
            assert_eq!(status.code(), Some(0), "{status:?}");
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = child.kill();
    panic!("process did not exit");
}

/// An OAuth2 token endpoint answering every request with [`M2M_TOKEN`], keeping the
/// `traceparent` headers it received.
pub async fn token_endpoint() -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let kept = seen.clone();
    let router = axum::Router::new().route(
        "/token",
        axum::routing::post(move |headers: axum::http::HeaderMap| {
            let kept = kept.clone();
            async move {
                if let Some(value) = headers.get("traceparent").and_then(|v| v.to_str().ok()) {
                    kept.lock().unwrap().push(value.to_owned());
                }
                axum::Json(serde_json::json!({"access_token": M2M_TOKEN, "token_type": "Bearer", "expires_in": 3600}))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    (addr, seen)
}

/// `name{labels} value` samples of an OpenMetrics text, checked line by line.
pub fn parse_metrics(text: &str) -> HashMap<String, f64> {
    assert!(text.ends_with("# EOF\n"), "OpenMetrics text ends with # EOF");
    let mut samples = HashMap::new();
    for line in text.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("malformed sample: {line}"));
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("malformed value: {line}"));
        if let Some((name, labels)) = series.split_once('{') {
            assert!(labels.ends_with('}'), "malformed labels: {line}");
            assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "malformed name: {line}");
        }
        assert!(samples.insert(series.to_owned(), value).is_none(), "duplicate series: {line}");
    }
    samples
}

pub async fn scrape(addr: SocketAddr) -> (String, HashMap<String, f64>) {
    let response = reqwest::get(format!("http://{addr}/metrics")).await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/openmetrics-text"));
    let text = response.text().await.unwrap();
    let samples = parse_metrics(&text);
    (text, samples)
}

pub fn sample(samples: &HashMap<String, f64>, series: &str) -> f64 {
    samples.get(series).copied().unwrap_or(0.0)
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
