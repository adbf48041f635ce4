//! The per-account rate limit (`RATE_LIMIT_PER_SECOND`): every `IdentityDataService` call counts
//! against its caller's account, one budget for all of them. The token and API-key vends are
//! what the limit is for; the flow steps (authorization URLs, completions, refresh, validation)
//! count too, because each costs the same database, cache and IdP work and a caller over its
//! budget has no business starting more of it.
//!
//! Counting is a fixed window of one second per account, keyed by the window's index (the
//! injected clock's second), in the shared cache: Redis when configured, so the limit holds
//! across every data-plane replica, or the in-process cache otherwise. A call over the limit is
//! answered `RESOURCE_EXHAUSTED` / `ThrottlingException` with `RetryInfo` naming the time left
//! until the next window. The call that spends a window (the first refused in it) is an audit
//! event ([`EdgeAudit::throttled`]); the rest of the window's refusals are only counted.
//!
//! When Redis fails, the limit is kept by an in-process counter instead, and Redis is not asked
//! again for [`SHARED_RETRY_AFTER`]. Refusing every call would turn a cache outage into a vending
//! outage (the data plane is meant to degrade to the database, not stop); letting every call
//! through would leave one account free to exhaust the IdPs and the database exactly while the
//! system is degraded. The in-process fallback keeps each replica at the limit, so the fleet
//! admits at most replicas × limit per account until Redis answers again. Skipping Redis for a
//! while keeps calls from each paying its timeout.

use std::{
    sync::{
        Arc,
        atomic::{AtomicI64, Ordering},
    },
    task::{Context, Poll},
    time::Duration,
};

use futures::future::BoxFuture;
use http::{Request, Response};
use identity_cache::{Cache, MemoryCache};
use identity_domain::{AccountId, Clock};
use identity_server::status;
use tower::{Layer, Service};

use crate::{audit::EdgeAudit, auth::CallerPrincipal};

/// The counting window.
const WINDOW_MILLIS: i64 = 1000;
/// How long a window's counter is kept: past its window, so that a replica whose clock lags a
/// little still finds it.
const COUNTER_TTL: Duration = Duration::from_secs(3);
/// After a Redis failure, how long the in-process counter is used before Redis is tried again.
pub const SHARED_RETRY_AFTER: Duration = Duration::from_secs(1);
/// Calls of this service are counted; health and reflection are not.
const LIMITED_PREFIX: &str = "/agentcore.identity.v1.IdentityDataService/";

/// What the limiter decided for one call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Within the account's budget.
    Allow,
    /// Over it; the next window opens in `retry_after`.
    Throttle {
        /// Time left until the next window.
        retry_after: Duration,
        /// This call spent the window: the first refused in it (counted one over the limit).
        first: bool,
    },
}

/// Counts calls per account and window.
#[derive(Debug)]
pub struct RateLimiter {
    /// Calls per account per second; `None`: no limit.
    per_second: Option<u64>,
    shared: Arc<dyn Cache>,
    local: MemoryCache,
    clock: Arc<dyn Clock>,
    /// Until when (Unix ms) the shared cache is not asked, after it failed.
    shared_down_until: AtomicI64,
    /// The window each account is known to have spent: further calls in it are refused without
    /// asking the shared cache, so a flood costs Redis one round trip per account and window.
    spent: moka::future::Cache<AccountId, i64>,
}

impl RateLimiter {
    /// A limiter admitting `per_second` calls per account (0: no limit), counting in `shared`.
    pub fn new(per_second: u32, shared: Arc<dyn Cache>, clock: Arc<dyn Clock>) -> Self {
        Self {
            per_second: (per_second > 0).then_some(u64::from(per_second)),
            shared,
            local: MemoryCache::new(100_000),
            clock,
            shared_down_until: AtomicI64::new(i64::MIN),
            spent: moka::future::Cache::builder().max_capacity(100_000).time_to_live(COUNTER_TTL).build(),
        }
    }

    /// Counts one call of `account` and decides on it.
    pub async fn check(&self, account: &AccountId) -> Decision {
        let Some(limit) = self.per_second else {
            return Decision::Allow;
        };
        let now = self.clock.now_millis();
        let window = now.div_euclid(WINDOW_MILLIS);
        let mut first = false;
        if self.spent.get(account).await != Some(window) {
            let key = format!("ratelimit:{account}:{window}");
            let count = self.count(&key, now).await;
            if count <= limit {
                return Decision::Allow;
            }
            first = count == limit + 1;
            self.spent.insert(account.clone(), window).await;
        }
        let left = (window + 1) * WINDOW_MILLIS - now;
        Decision::Throttle { retry_after: Duration::from_millis(u64::try_from(left).unwrap_or(1).max(1)), first }
    }

    /// Adds one to `key`, in the shared cache while it works, else in process.
    async fn count(&self, key: &str, now: i64) -> u64 {
        if now >= self.shared_down_until.load(Ordering::Relaxed) {
            match self.shared.increment(key, COUNTER_TTL).await {
                Ok(count) => return count,
                Err(e) => {
                    let retry = i64::try_from(SHARED_RETRY_AFTER.as_millis()).unwrap_or(1000);
                    self.shared_down_until.store(now + retry, Ordering::Relaxed);
                    tracing::warn!(error = %e, "rate limit: the shared cache failed; counting in process for now");
                }
            }
        }
        // The in-process cache does not fail; were it to, the call is counted as over nothing.
        self.local.increment(key, COUNTER_TTL).await.unwrap_or(0)
    }
}

/// Adds [`RateLimited`] inside authentication (it reads the caller's account).
#[derive(Clone, Debug)]
pub struct RateLimitLayer {
    limiter: Arc<RateLimiter>,
    audit: Arc<EdgeAudit>,
}

impl RateLimitLayer {
    /// A layer deciding with `limiter`, recording the calls that spend a window in `audit`.
    pub fn new(limiter: Arc<RateLimiter>, audit: Arc<EdgeAudit>) -> Self {
        Self { limiter, audit }
    }
}

impl<S> Layer<S> for RateLimitLayer {
    type Service = RateLimited<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RateLimited { inner, limiter: self.limiter.clone(), audit: self.audit.clone() }
    }
}

/// Answers `ThrottlingException` itself for calls over their account's budget.
#[derive(Clone, Debug)]
pub struct RateLimited<S> {
    inner: S,
    limiter: Arc<RateLimiter>,
    audit: Arc<EdgeAudit>,
}

impl<S, B, R> Service<Request<B>> for RateLimited<S>
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
        // Without a principal the handler refuses the call itself (authentication comes first).
        let caller = match request.extensions().get::<CallerPrincipal>() {
            Some(caller) if request.uri().path().starts_with(LIMITED_PREFIX) => caller.clone(),
            _ => return Box::pin(inner.call(request)),
        };
        let (limiter, audit) = (self.limiter.clone(), self.audit.clone());
        Box::pin(async move {
            let account = &caller.account;
            match limiter.check(account).await {
                Decision::Allow => inner.call(request).await,
                Decision::Throttle { retry_after, first } => {
                    tracing::debug!(account = %account, path = request.uri().path(), "throttled");
                    identity_server::record_throttled(request.uri().path());
                    if first {
                        audit.throttled(account, &caller.access_key_id, request.uri().path());
                    }
                    let message = format!(
                        "rate exceeded: more than {} requests per second for account {account}",
                        limiter.per_second.unwrap_or_default()
                    );
                    Ok(status::throttled(message, retry_after).into_http())
                }
            }
        })
    }
}

#[cfg(test)]
mod tests;
