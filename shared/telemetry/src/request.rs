//! The request scope: the span of the RPC or HTTP request being served, which handlers and the
//! functions they call record attributes on as they learn them (account, workload identity,
//! provider, flow, user hash), wherever they are in the call tree and whatever spans they opened
//! in between. Outside a request (background work, tests calling a handler directly) recording
//! does nothing.

use std::sync::{Arc, OnceLock};

tokio::task_local! {
    static CURRENT: Arc<RequestScope>;
}

/// What a request in flight carries.
#[derive(Debug)]
pub struct RequestScope {
    span: tracing::Span,
    flow: OnceLock<&'static str>,
}

impl RequestScope {
    /// The scope of a request served under `span`.
    pub fn new(span: tracing::Span) -> Arc<Self> {
        Arc::new(Self { span, flow: OnceLock::new() })
    }

    /// The flow a handler recorded, if any (metrics label).
    pub fn flow(&self) -> Option<&'static str> {
        self.flow.get().copied()
    }

    /// Runs `future` (the request's handling) inside this scope.
    pub fn scope<F: Future>(self: Arc<Self>, future: F) -> impl Future<Output = F::Output> {
        CURRENT.scope(self, future)
    }
}

fn with_span(record: impl FnOnce(&tracing::Span)) {
    let _ = CURRENT.try_with(|scope| record(&scope.span));
}

/// The caller's account.
pub fn record_account(account: &str) {
    with_span(|span| {
        span.record("account", account);
    });
}

/// The workload identity acted for.
pub fn record_workload(name: &str) {
    with_span(|span| {
        span.record("workload", name);
    });
}

/// The credential provider named.
pub fn record_provider(name: &str) {
    with_span(|span| {
        span.record("provider", name);
    });
}

/// The OAuth2 flow (`M2M`, `USER_FEDERATION`, …) or vend kind (`API_KEY`); also labels the
/// token-fetch metrics. Only the first flow recorded counts.
pub fn record_flow(flow: &'static str) {
    let _ = CURRENT.try_with(|scope| {
        if scope.flow.set(flow).is_ok() {
            scope.span.record("flow", flow);
        }
    });
}

/// The end user, as the stable hash audit events use (`identity_crypto::audit_user_hash`),
/// never the user id itself.
pub fn record_user_hash(hash: &str) {
    with_span(|span| {
        span.record("user_hash", hash);
    });
}
