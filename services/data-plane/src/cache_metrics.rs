//! Cache hits and misses, counted by the kind of entry (`identity_cache_requests_total`): the
//! cache as the handlers see it, wrapped once so no lookup site has to count.

use std::{sync::Arc, time::Duration};

use futures::future::BoxFuture;
use identity_cache::{Cache, Result};

/// Counts [`Cache::get`] outcomes of `inner`; everything else passes through.
pub fn counted(inner: Arc<dyn Cache>) -> Arc<dyn Cache> {
    Arc::new(Counted(inner))
}

#[derive(Debug)]
struct Counted(Arc<dyn Cache>);

/// The kind of entry under `key`, from the prefixes this crate writes (a bounded label).
fn kind(key: &str) -> &'static str {
    match key.split(':').next() {
        Some("apikey") => "api_key",
        Some("m2m") => "m2m_token",
        Some("grant") => "grant",
        Some("obo") => "exchanged_token",
        _ => "other",
    }
}

impl Cache for Counted {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Vec<u8>>>> {
        Box::pin(async move {
            let found = self.0.get(key).await;
            if let Ok(value) = &found {
                identity_telemetry::metrics::cache_lookup(kind(key), value.is_some());
            }
            found
        })
    }

    fn set<'a>(&'a self, key: &'a str, value: &'a [u8], ttl: Duration) -> BoxFuture<'a, Result<()>> {
        self.0.set(key, value, ttl)
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<()>> {
        self.0.delete(key)
    }

    fn acquire<'a>(&'a self, key: &'a str, owner: &'a str, ttl: Duration) -> BoxFuture<'a, Result<bool>> {
        self.0.acquire(key, owner, ttl)
    }

    fn release<'a>(&'a self, key: &'a str, owner: &'a str) -> BoxFuture<'a, Result<()>> {
        self.0.release(key, owner)
    }

    fn increment<'a>(&'a self, key: &'a str, window: Duration) -> BoxFuture<'a, Result<u64>> {
        self.0.increment(key, window)
    }
}
