//! Prometheus metrics of both binaries, in one process-wide registry served at `/metrics` in the
//! OpenMetrics text format. Label values come from fixed sets (RPC names from the API's own
//! descriptors, gRPC codes, flows, outcomes, cache kinds): never a secret, a user or a name a
//! caller chose, so their number stays bounded.

use std::sync::OnceLock;

use prometheus_client::{
    encoding::{EncodeLabelSet, EncodeLabelValue},
    metrics::{
        counter::Counter,
        family::Family,
        gauge::Gauge,
        histogram::{Histogram, exponential_buckets},
    },
    registry::Registry,
};

/// `Content-Type` of [`encode`]'s output.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Whether something succeeded.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum Outcome {
    /// It did.
    success,
    /// It did not.
    failure,
}

impl Outcome {
    /// `success` when `ok`.
    pub fn of(ok: bool) -> Self {
        if ok { Self::success } else { Self::failure }
    }
}

/// An RPC (`package.Service/Method`) and its gRPC code (`OK`, `PERMISSION_DENIED`, …).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RpcLabels {
    pub rpc: &'static str,
    pub code: &'static str,
}

/// An RPC alone.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RpcOnly {
    pub rpc: &'static str,
}

/// An outcome alone.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub outcome: Outcome,
}

/// An OAuth2 flow (`M2M`, `USER_FEDERATION`, …) and its outcome.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FlowLabels {
    pub flow: &'static str,
    pub outcome: Outcome,
}

/// A cache lookup: the kind of entry (`api_key`, `m2m_token`, `grant`, `exchanged_token`) and
/// `hit` or `miss`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CacheLabels {
    pub cache: &'static str,
    pub result: &'static str,
}

/// A request to an identity provider's token endpoint: its grant type.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct GrantLabels {
    pub grant: &'static str,
}

/// A request to an identity provider's token endpoint: its grant type and outcome.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct GrantOutcomeLabels {
    pub grant: &'static str,
    pub outcome: Outcome,
}

/// An HTTP request: the route's pattern (not the path: it may carry ids) and the status.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    pub route: String,
    pub status: u16,
}

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

fn latency() -> Histogram {
    // 0.5 ms to about 16 s.
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

/// Every metric. Get it with [`metrics`].
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// `identity_rpc_requests_total{rpc, code}`: gRPC calls answered.
    pub rpc_requests: Family<RpcLabels, Counter>,
    /// `identity_rpc_duration_seconds{rpc, code}`: their latency.
    pub rpc_duration: Histograms<RpcLabels>,
    /// `identity_rpc_throttled_total{rpc}`: calls refused by a rate limit.
    pub throttled: Family<RpcOnly, Counter>,
    /// `identity_http_requests_total{route, status}`: HTTP requests answered.
    pub http_requests: Family<HttpLabels, Counter>,
    /// `identity_workload_access_token_fetches_total{outcome}`: GetWorkloadAccessToken* calls.
    pub workload_access_token_fetches: Family<OutcomeLabels, Counter>,
    /// `identity_oauth2_token_fetches_total{flow, outcome}`: OAuth2 token requests by flow.
    pub oauth2_token_fetches: Family<FlowLabels, Counter>,
    /// `identity_token_refreshes_total{outcome}`: refresh-token grants at providers.
    pub token_refreshes: Family<OutcomeLabels, Counter>,
    /// `identity_cache_requests_total{cache, result}`: cache lookups, hits and misses.
    pub cache_requests: Family<CacheLabels, Counter>,
    /// `identity_idp_requests_total{grant, outcome}`: token-endpoint requests to providers.
    pub idp_requests: Family<GrantOutcomeLabels, Counter>,
    /// `identity_idp_request_duration_seconds{grant}`: their latency.
    pub idp_duration: Histograms<GrantLabels>,
    /// `identity_audit_queue_depth`: audit events waiting to be written.
    pub audit_queue_depth: Gauge,
}

impl Metrics {
    fn new() -> Self {
        let mut registry = Registry::default();
        let rpc_requests = Family::default();
        registry.register("identity_rpc_requests", "gRPC calls answered, by RPC and code", rpc_requests.clone());
        let rpc_duration = Histograms::new_with_constructor(latency as fn() -> Histogram);
        registry.register("identity_rpc_duration_seconds", "gRPC call latency, by RPC and code", rpc_duration.clone());
        let throttled = Family::default();
        registry.register("identity_rpc_throttled", "gRPC calls refused by a rate limit, by RPC", throttled.clone());
        let http_requests = Family::default();
        registry.register(
            "identity_http_requests",
            "HTTP requests answered, by route and status",
            http_requests.clone(),
        );
        let workload_access_token_fetches = Family::default();
        registry.register(
            "identity_workload_access_token_fetches",
            "Workload access token requests, by outcome",
            workload_access_token_fetches.clone(),
        );
        let oauth2_token_fetches = Family::default();
        registry.register(
            "identity_oauth2_token_fetches",
            "OAuth2 token requests, by flow and outcome",
            oauth2_token_fetches.clone(),
        );
        let token_refreshes = Family::default();
        registry.register(
            "identity_token_refreshes",
            "Refresh-token grants at providers, by outcome",
            token_refreshes.clone(),
        );
        let cache_requests = Family::default();
        registry.register("identity_cache_requests", "Cache lookups, by kind and hit or miss", cache_requests.clone());
        let idp_requests = Family::default();
        registry.register(
            "identity_idp_requests",
            "Token-endpoint requests to identity providers, by grant and outcome",
            idp_requests.clone(),
        );
        let idp_duration = Histograms::new_with_constructor(latency as fn() -> Histogram);
        registry.register(
            "identity_idp_request_duration_seconds",
            "Token-endpoint latency of identity providers, by grant",
            idp_duration.clone(),
        );
        let audit_queue_depth = Gauge::default();
        registry.register(
            "identity_audit_queue_depth",
            "Audit events waiting to be written",
            audit_queue_depth.clone(),
        );
        Self {
            registry,
            rpc_requests,
            rpc_duration,
            throttled,
            http_requests,
            workload_access_token_fetches,
            oauth2_token_fetches,
            token_refreshes,
            cache_requests,
            idp_requests,
            idp_duration,
            audit_queue_depth,
        }
    }
}

/// The process's metrics.
pub fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::new)
}

/// Counts a call to `rpc` refused by a rate limit. `rpc` is a bounded label: pass
/// `identity_server::rpc_label(path)`, not a path a caller sent.
pub fn throttled(rpc: &'static str) {
    metrics().throttled.get_or_create(&RpcOnly { rpc }).inc();
}

/// Sets the number of audit events waiting to be written.
pub fn set_audit_queue_depth(depth: usize) {
    metrics().audit_queue_depth.set(i64::try_from(depth).unwrap_or(i64::MAX));
}

/// Counts a cache lookup of an entry of kind `cache`.
pub fn cache_lookup(cache: &'static str, hit: bool) {
    let result = if hit { "hit" } else { "miss" };
    metrics().cache_requests.get_or_create(&CacheLabels { cache, result }).inc();
}

/// Every metric in the OpenMetrics text format.
pub fn encode() -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = prometheus_client::encoding::text::encode(&mut out, &metrics().registry);
    out
}

#[cfg(test)]
mod tests;
