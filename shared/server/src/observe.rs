//! The serving layer every request passes first: one span per RPC (continuing the caller's W3C
//! trace context) with the attributes handlers record through `identity_telemetry::request`,
//! and the call counters and latency histograms by RPC and code. It sits outermost, so that
//! requests refused by authentication, rate limits or load shedding are traced and counted too.

use std::{
    collections::HashMap,
    sync::OnceLock,
    task::{Context, Poll},
};

use futures::future::BoxFuture;
use http::{Request, Response};
use identity_proto::code_name;
use identity_telemetry::{
    metrics::{FlowLabels, Outcome, OutcomeLabels, RpcLabels, metrics},
    request::RequestScope,
};
use prost::Message as _;
use tonic::Code;
use tonic_types::StatusExt as _;
use tower::{Layer, Service};
use tracing::{Instrument as _, field::Empty};

/// Label of a path that is no RPC of ours (a caller may send anything).
const OTHER: &str = "other";

/// `package.Service/Method` of every RPC this project serves, by request path.
fn known_rpcs() -> &'static HashMap<String, &'static str> {
    static RPCS: OnceLock<HashMap<String, &'static str>> = OnceLock::new();
    RPCS.get_or_init(|| {
        let mut names = vec!["grpc.health.v1.Health/Check".to_owned(), "grpc.health.v1.Health/Watch".to_owned()];
        if let Ok(set) = prost_types::FileDescriptorSet::decode(identity_proto::FILE_DESCRIPTOR_SET) {
            for file in set.file {
                let package = file.package.unwrap_or_default();
                for service in file.service {
                    let service_name = service.name.unwrap_or_default();
                    for method in service.method {
                        names.push(format!("{package}.{service_name}/{}", method.name.unwrap_or_default()));
                    }
                }
            }
        }
        // Built once per process: the leaked names are the label values of every metric.
        names.into_iter().map(|name| (format!("/{name}"), &*Box::leak(name.into_boxed_str()))).collect()
    })
}

/// The metric label of a request path: `package.Service/Method` for the API's RPCs, `other`
/// for anything else (reflection, unknown paths).
pub fn rpc_label(path: &str) -> &'static str {
    known_rpcs().get(path).copied().unwrap_or(OTHER)
}

/// Counts a call refused by a rate limit, by the RPC of its path.
pub fn record_throttled(path: &str) {
    identity_telemetry::metrics::throttled(rpc_label(path));
}

/// The HTTP listener's probes and scrape (`/healthz`, `/readyz`, `/metrics`): counted, not
/// traced, and never shed.
pub(crate) fn is_probe(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics")
}

/// Adds [`Observe`] around a service.
#[derive(Clone, Copy, Debug, Default)]
pub struct ObserveLayer;

impl<S> Layer<S> for ObserveLayer {
    type Service = Observe<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Observe { inner }
    }
}

/// Traces and counts each call (see the module).
#[derive(Clone, Debug)]
pub struct Observe<S> {
    inner: S,
}

impl<S, B, R> Service<Request<B>> for Observe<S>
where
    S: Service<Request<B>, Response = Response<R>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
    R: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        // Call the instance that was polled ready, leaving a fresh clone in its place.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let rpc = rpc_label(request.uri().path());
        // Probes call health every few seconds: counted, not traced.
        let span = if rpc.starts_with("grpc.health.") {
            tracing::Span::none()
        } else {
            let (service, method) = rpc.split_once('/').unwrap_or((rpc, ""));
            tracing::info_span!(
                "rpc",
                otel.name = rpc,
                otel.kind = "server",
                otel.status_code = Empty,
                rpc.system = "grpc",
                rpc.service = service,
                rpc.method = method,
                rpc.grpc.status_code = Empty,
                outcome = Empty,
                error.reason = Empty,
                account = Empty,
                workload = Empty,
                provider = Empty,
                flow = Empty,
                user_hash = Empty,
            )
        };
        identity_telemetry::propagation::continue_trace(&span, request.headers());
        let scope = RequestScope::new(span.clone());
        // Elapsed time for the latency histogram: a measurement, not a time the logic depends on.
        #[allow(clippy::disallowed_methods)]
        let started = std::time::Instant::now();
        let call = scope.clone().scope(inner.call(request)).instrument(span.clone());
        Box::pin(async move {
            let result = call.await;
            let (code, reason) = match &result {
                Ok(response) => status_of(response.headers()),
                Err(_) => (Code::Unknown, None),
            };
            let code_name = code_name(code);
            span.record("rpc.grpc.status_code", code as i32);
            span.record("outcome", code_name);
            span.record("otel.status_code", if is_server_error(code) { "ERROR" } else { "OK" });
            if let Some(reason) = &reason {
                span.record("error.reason", reason.as_str());
            }
            let m = metrics();
            let labels = RpcLabels { rpc, code: code_name };
            m.rpc_requests.get_or_create(&labels).inc();
            m.rpc_duration.get_or_create(&labels).observe(started.elapsed().as_secs_f64());
            count_token_fetch(rpc, scope.flow(), code == Code::Ok);
            result
        })
    }
}

/// Errors of ours (not the caller's) mark the span as failed.
fn is_server_error(code: Code) -> bool {
    matches!(code, Code::Unknown | Code::Internal | Code::Unavailable | Code::DataLoss | Code::DeadlineExceeded)
}

/// The code and `ErrorInfo.reason` of a response. A unary call's error travels in the headers
/// (trailers-only response); a success has no `grpc-status` header, its `OK` is in the trailers.
fn status_of(headers: &http::HeaderMap) -> (Code, Option<String>) {
    match tonic::Status::from_header_map(headers) {
        Some(status) => {
            let reason = status.get_error_details().error_info().map(|info| info.reason.clone());
            (status.code(), reason)
        }
        None => (Code::Ok, None),
    }
}

/// The token-fetch counters: workload access tokens by RPC, OAuth2 tokens by the flow the
/// handler recorded.
fn count_token_fetch(rpc: &str, flow: Option<&'static str>, ok: bool) {
    let Some(method) = rpc.strip_prefix("agentcore.identity.v1.IdentityDataService/") else { return };
    let outcome = Outcome::of(ok);
    let m = metrics();
    match method {
        "GetWorkloadAccessToken" | "GetWorkloadAccessTokenForJwt" | "GetWorkloadAccessTokenForUserId" => {
            m.workload_access_token_fetches.get_or_create(&OutcomeLabels { outcome }).inc();
        }
        "GetResourceOauth2AccessToken" | "CompleteAuthorization" | "RefreshToken" => {
            let flow = flow.unwrap_or("UNSPECIFIED");
            m.oauth2_token_fetches.get_or_create(&FlowLabels { flow, outcome }).inc();
        }
        _ => {}
    }
}

/// Axum middleware (as a `route_layer`, so the matched route is known): one span per HTTP
/// request, continuing the caller's trace, and `identity_http_requests_total`. The span names
/// the route's pattern, never the path or query (a callback's query carries an authorization
/// code). Probes and scrapes are counted, not traced.
pub async fn trace_http(request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| OTHER.to_owned(), |path| path.as_str().to_owned());
    let span = if is_probe(&route) {
        tracing::Span::none()
    } else {
        let method = request.method().as_str();
        tracing::info_span!(
            "http",
            otel.name = format!("{method} {route}"),
            otel.kind = "server",
            otel.status_code = Empty,
            http.request.method = method,
            http.route = route.as_str(),
            http.response.status_code = Empty,
            account = Empty,
            workload = Empty,
            provider = Empty,
            flow = Empty,
            user_hash = Empty,
        )
    };
    identity_telemetry::propagation::continue_trace(&span, request.headers());
    let scope = RequestScope::new(span.clone());
    let response = scope.scope(next.run(request)).instrument(span.clone()).await;
    let status = response.status().as_u16();
    span.record("http.response.status_code", status);
    span.record("otel.status_code", if status >= 500 { "ERROR" } else { "OK" });
    metrics().http_requests.get_or_create(&identity_telemetry::metrics::HttpLabels { route, status }).inc();
    response
}

/// `GET /metrics`: every metric of the process, in the OpenMetrics text format Prometheus reads.
pub fn metrics_router<S: Clone + Send + Sync + 'static>() -> axum::Router<S> {
    axum::Router::new().route(
        "/metrics",
        axum::routing::get(|| async {
            (
                [(http::header::CONTENT_TYPE, identity_telemetry::metrics::CONTENT_TYPE)],
                identity_telemetry::metrics::encode(),
            )
        }),
    )
}

#[cfg(test)]
mod tests;
