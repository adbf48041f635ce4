//! Request hardening, built here once for both binaries: how large a gRPC message may be, how
//! long a request may run, and how many may run at once, with load shedding beyond that.
//!
//! Where each piece sits, outermost first (`Server::builder().layer(a).layer(b)` puts `a`
//! outside `b`):
//!
//! 1. [`Hardening::admission`]: a process-wide concurrency limit that sheds load rather than
//!    queueing. It sits outside authentication, so that a flood of requests cannot make the
//!    server pay a credential check (a database round trip) for each before being refused; an
//!    excess request is answered `UNAVAILABLE` at once, with `RetryInfo`, and clients that
//!    retry `UNAVAILABLE` land on another replica. Health stays exempt, so probes do not turn a
//!    busy replica into a restarted one.
//! 2. Authentication (and, on the data plane, the per-account rate limit) — not here.
//! 3. [`Hardening::deadline`]: a per-request timeout inside authentication, so a slow handler
//!    (a stuck IdP, a saturated database) is answered `DEADLINE_EXCEEDED` and its work dropped.
//!    A client's own `grpc-timeout` is enforced by tonic itself, outside every layer (it answers
//!    `CANCELLED`, "Timeout expired"; the client's own deadline usually reports first).
//! 4. [`Hardening::limit`] on each generated server: tonic's decoding and encoding limits, which
//!    refuse an oversized message before it is decoded (tonic answers `OUT_OF_RANGE`, "decoded
//!    message length too large"; grpc-core would say `RESOURCE_EXHAUSTED`).
//!
//! [`Hardening::http`] gives the data plane's HTTP listener (unauthenticated endpoints that read
//! the database: authorize, callback, JWKS) the same admission limit, with its own budget
//! (`503` with `Retry-After`; health exempt), a body limit and the same timeout.

use std::{
    collections::HashMap,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use futures::future::BoxFuture;
use http::{Request, Response};
use tokio::sync::Semaphore;
use tonic::Code;
use tower::{Layer, Service};

use crate::{config::ConfigError, status};

/// Request-hardening settings, shared by both binaries.
#[derive(clap::Args, Clone, Debug)]
pub struct HardeningArgs {
    /// Largest gRPC message, in bytes, accepted from a client or sent to one; a larger request
    /// is refused with OUT_OF_RANGE before it is decoded.
    #[arg(long, env = "MAX_MESSAGE_BYTES", default_value_t = 4 * 1024 * 1024)]
    pub max_message_bytes: usize,

    /// Seconds a request may run before it is answered DEADLINE_EXCEEDED. A client's shorter
    /// `grpc-timeout` is enforced too (tonic answers that one CANCELLED).
    #[arg(long, env = "REQUEST_TIMEOUT", default_value_t = 30)]
    pub request_timeout: u64,

    /// Requests this process serves at once, per listener (gRPC, and the data plane's HTTP);
    /// beyond that a request is refused at once with UNAVAILABLE (HTTP 503 with Retry-After)
    /// rather than queued. Health checks (and the HTTP `/metrics`) are not counted.
    #[arg(long, env = "MAX_CONCURRENT_REQUESTS", default_value_t = 1024)]
    pub max_concurrent_requests: usize,
}

/// Smallest `MAX_MESSAGE_BYTES`: below this, ordinary requests would not fit.
const MIN_MESSAGE_BYTES: usize = 16 * 1024;
/// Largest `MAX_MESSAGE_BYTES`: nothing in this API needs more.
const MAX_MESSAGE_BYTES: usize = 64 * 1024 * 1024;
/// Largest body the HTTP listener reads: its endpoints take query strings, not bodies.
const HTTP_MAX_BODY_BYTES: usize = 64 * 1024;
/// What a shed request is told to wait before retrying.
const SHED_RETRY_AFTER: Duration = Duration::from_millis(100);

impl HardeningArgs {
    /// Validates the settings.
    pub fn resolve(&self) -> Result<Hardening, ConfigError> {
        if !(MIN_MESSAGE_BYTES..=MAX_MESSAGE_BYTES).contains(&self.max_message_bytes) {
            return Err(ConfigError(format!(
                "MAX_MESSAGE_BYTES must be between {MIN_MESSAGE_BYTES} and {MAX_MESSAGE_BYTES}"
            )));
        }
        if !(1..=3600).contains(&self.request_timeout) {
            return Err(ConfigError("REQUEST_TIMEOUT must be between 1 and 3600 seconds".to_owned()));
        }
        if !(1..=Semaphore::MAX_PERMITS).contains(&self.max_concurrent_requests) {
            return Err(ConfigError(format!(
                "MAX_CONCURRENT_REQUESTS must be between 1 and {}",
                Semaphore::MAX_PERMITS
            )));
        }
        Ok(Hardening {
            max_message_bytes: self.max_message_bytes,
            request_timeout: Duration::from_secs(self.request_timeout),
            max_concurrent_requests: self.max_concurrent_requests,
        })
    }
}

/// Validated hardening settings; builds the layers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hardening {
    /// Largest gRPC message in either direction.
    pub max_message_bytes: usize,
    /// Longest a request may run.
    pub request_timeout: Duration,
    /// Requests served at once.
    pub max_concurrent_requests: usize,
}

impl Hardening {
    /// The concurrency limit with load shedding (outside authentication). Call once per
    /// server: each layer has its own budget.
    pub fn admission(&self) -> AdmissionLayer {
        AdmissionLayer { permits: Arc::new(Semaphore::new(self.max_concurrent_requests)) }
    }

    /// The per-request timeout (inside authentication).
    pub fn deadline(&self) -> DeadlineLayer {
        DeadlineLayer { timeout: self.request_timeout }
    }

    /// `server` (a generated service) with the message-size limits applied.
    pub fn limit<S: MessageLimits>(&self, server: S) -> S {
        server.with_message_limits(self.max_message_bytes)
    }

    /// `router` (the data plane's HTTP listener) with the admission limit outermost (its own
    /// budget of `max_concurrent_requests`; `/healthz` and `/readyz` exempt), then a body limit
    /// and the request timeout. Shed and timed-out requests are answered `503 Service
    /// Unavailable`, shed ones with `Retry-After`.
    pub fn http(&self, router: axum::Router) -> axum::Router {
        let timeout = tower::ServiceBuilder::new()
            .layer(axum::error_handling::HandleErrorLayer::new(|_: tower::BoxError| async {
                (http::StatusCode::SERVICE_UNAVAILABLE, "the request took too long")
            }))
            .layer(tower::timeout::TimeoutLayer::new(self.request_timeout));
        let permits = Arc::new(Semaphore::new(self.max_concurrent_requests));
        router
            .layer(timeout)
            .layer(axum::extract::DefaultBodyLimit::max(HTTP_MAX_BODY_BYTES))
            .layer(axum::middleware::from_fn_with_state(permits, admit_http))
    }
}

/// A generated tonic server whose message sizes can be limited.
pub trait MessageLimits: Sized {
    /// Refuses to decode or encode messages larger than `bytes`.
    fn with_message_limits(self, bytes: usize) -> Self;
}

/// Every generated server of `proto/`; a new service is added here.
macro_rules! message_limits {
    ($($module:ident :: $server:ident),* $(,)?) => {$(
        impl<T> MessageLimits for identity_proto::v1::$module::$server<T> {
            fn with_message_limits(self, bytes: usize) -> Self {
                self.max_decoding_message_size(bytes).max_encoding_message_size(bytes)
            }
        }
    )*};
}

message_limits!(
    access_key_service_server::AccessKeyServiceServer,
    audit_service_server::AuditServiceServer,
    credential_provider_service_server::CredentialProviderServiceServer,
    identity_data_service_server::IdentityDataServiceServer,
    jwt_authorizer_service_server::JwtAuthorizerServiceServer,
    token_vault_service_server::TokenVaultServiceServer,
    workload_identity_service_server::WorkloadIdentityServiceServer,
);

/// Health checks pass the admission limit: a busy replica must not fail its probes.
fn is_exempt(path: &str) -> bool {
    path.starts_with("/grpc.health.v1.")
}

/// HTTP probes and scrapes pass the HTTP listener's admission limit: metrics matter most when
/// the replica is overloaded.
fn is_exempt_http(path: &str) -> bool {
    crate::observe::is_probe(path)
}

/// The HTTP listener's admission: serves a request while a permit is free (holding it until the
/// response is ready), answers `503` with `Retry-After` at once otherwise.
async fn admit_http(
    axum::extract::State(permits): axum::extract::State<Arc<Semaphore>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    if is_exempt_http(request.uri().path()) {
        return next.run(request).await;
    }
    match permits.try_acquire_owned() {
        Ok(permit) => {
            let response = next.run(request).await;
            drop(permit);
            response
        }
        Err(_) => {
            tracing::debug!(path = request.uri().path(), "overloaded: HTTP request shed");
            let retry_after = SHED_RETRY_AFTER.as_secs().max(1).to_string();
            (
                http::StatusCode::SERVICE_UNAVAILABLE,
                [(http::header::RETRY_AFTER, retry_after)],
                "the server is at its concurrency limit; retry",
            )
                .into_response()
        }
    }
}

/// Adds [`Admission`] around a service; every service it wraps shares one budget.
#[derive(Clone, Debug)]
pub struct AdmissionLayer {
    permits: Arc<Semaphore>,
}

impl<S> Layer<S> for AdmissionLayer {
    type Service = Admission<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Admission { inner, permits: self.permits.clone() }
    }
}

/// Serves a request while a permit is free, holding it until the response is ready; answers
/// `UNAVAILABLE` at once otherwise. (tower's `ConcurrencyLimit` + `LoadShed` would do the same
/// but take the permit in `poll_ready`, before the path is known, so health could not be exempt,
/// and tonic would answer the shed request with a message about "the connection".)
#[derive(Clone, Debug)]
pub struct Admission<S> {
    inner: S,
    permits: Arc<Semaphore>,
}

impl<S, B, R> Service<Request<B>> for Admission<S>
where
    S: Service<Request<B>, Response = Response<R>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
    R: Default + Send + 'static,
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
        if is_exempt(request.uri().path()) {
            return Box::pin(inner.call(request));
        }
        match self.permits.clone().try_acquire_owned() {
            Ok(permit) => Box::pin(async move {
                let response = inner.call(request).await;
                drop(permit);
                response
            }),
            Err(_) => {
                tracing::debug!(path = request.uri().path(), "overloaded: request shed");
                let status = status::retry_later(
                    Code::Unavailable,
                    "ServiceUnavailableException",
                    "the server is at its concurrency limit; retry",
                    SHED_RETRY_AFTER,
                );
                Box::pin(async move { Ok(status.into_http()) })
            }
        }
    }
}

/// Adds [`Deadline`] around a service.
#[derive(Clone, Debug)]
pub struct DeadlineLayer {
    timeout: Duration,
}

impl<S> Layer<S> for DeadlineLayer {
    type Service = Deadline<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Deadline { inner, timeout: self.timeout }
    }
}

/// Answers `DEADLINE_EXCEEDED` when the inner service takes longer than the timeout, dropping
/// its work.
#[derive(Clone, Debug)]
pub struct Deadline<S> {
    inner: S,
    timeout: Duration,
}

impl<S, B, R> Service<Request<B>> for Deadline<S>
where
    S: Service<Request<B>, Response = Response<R>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
    R: Default + Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let timeout = self.timeout;
        let rpc = crate::rpc_label(request.uri().path());
        Box::pin(async move {
            match tokio::time::timeout(timeout, inner.call(request)).await {
                Ok(response) => response,
                Err(_) => {
                    tracing::warn!(rpc, timeout_ms = timeout.as_millis() as u64, "request timed out");
                    let metadata = HashMap::from([("timeout_ms".to_owned(), timeout.as_millis().to_string())]);
                    let status = status::with_reason(
                        Code::DeadlineExceeded,
                        "RequestTimeoutException",
                        format!("the request took longer than {} ms", timeout.as_millis()),
                        metadata,
                    );
                    Ok(status.into_http())
                }
            }
        })
    }
}

#[cfg(test)]
mod tests;
