//! The embedded default: an in-process cache (moka) with per-entry expiry. Leases and counters
//! use moka's atomic compute, so they are exact within the process.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use futures::{FutureExt as _, future::BoxFuture};
use moka::{
    Expiry,
    future::Cache as Moka,
    ops::compute::{CompResult, Op},
};

use crate::{Cache, Result};

#[derive(Clone, Debug)]
enum Slot {
    Value(Arc<[u8]>),
    Lease(Arc<str>),
    Counter(u64),
}

#[derive(Clone, Debug)]
struct Entry {
    slot: Slot,
    ttl: Duration,
}

/// Each entry lives for its own TTL; a counter keeps the window it started with.
struct PerEntry;

impl Expiry<String, Entry> for PerEntry {
    fn expire_after_create(&self, _key: &String, entry: &Entry, _at: Instant) -> Option<Duration> {
        Some(entry.ttl)
    }

    fn expire_after_update(
        &self,
        _key: &String,
        entry: &Entry,
        _at: Instant,
        left: Option<Duration>,
    ) -> Option<Duration> {
        match entry.slot {
            Slot::Counter(_) => left,
            _ => Some(entry.ttl),
        }
    }
}

/// An in-process cache bounded to `capacity` entries.
#[derive(Clone)]
pub struct MemoryCache {
    inner: Moka<String, Entry>,
}

impl std::fmt::Debug for MemoryCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryCache").field("entries", &self.inner.entry_count()).finish()
    }
}

impl MemoryCache {
    /// A cache holding at most `capacity` entries (least recently used go first).
    pub fn new(capacity: u64) -> Self {
        Self {
            inner: Moka::builder()
                .max_capacity(capacity)
                .expire_after(PerEntry)
                .support_invalidation_closures()
                .build(),
        }
    }

    /// Drops every entry whose key starts with `prefix`: for entries whose source was deleted by
    /// another process, which cannot reach this one's memory (e.g. a user's grants after a
    /// disconnect). Entries stop being returned at once and are evicted in the background.
    pub fn invalidate_prefix(&self, prefix: &str) {
        let prefix = prefix.to_owned();
        if let Err(e) = self.inner.invalidate_entries_if(move |key, _| key.starts_with(&prefix)) {
            // Only possible without `support_invalidation_closures`, which `new` sets.
            tracing::error!(error = %e, "in-process cache: cannot invalidate by prefix");
        }
    }
}

impl Cache for MemoryCache {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Vec<u8>>>> {
        async move {
            Ok(match self.inner.get(key).await {
                Some(Entry { slot: Slot::Value(bytes), .. }) => Some(bytes.to_vec()),
                _ => None,
            })
        }
        .boxed()
    }

    fn set<'a>(&'a self, key: &'a str, value: &'a [u8], ttl: Duration) -> BoxFuture<'a, Result<()>> {
        async move {
            self.inner.insert(key.to_owned(), Entry { slot: Slot::Value(Arc::from(value)), ttl }).await;
            Ok(())
        }
        .boxed()
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<()>> {
        async move {
            self.inner.invalidate(key).await;
            Ok(())
        }
        .boxed()
    }

    fn acquire<'a>(&'a self, key: &'a str, owner: &'a str, ttl: Duration) -> BoxFuture<'a, Result<bool>> {
        async move {
            let result = self
                .inner
                .entry(key.to_owned())
                .and_compute_with(|existing| {
                    let op = match existing {
                        None => Op::Put(Entry { slot: Slot::Lease(Arc::from(owner)), ttl }),
                        Some(_) => Op::Nop,
                    };
                    std::future::ready(op)
                })
                .await;
            Ok(matches!(result, CompResult::Inserted(_)))
        }
        .boxed()
    }

    fn release<'a>(&'a self, key: &'a str, owner: &'a str) -> BoxFuture<'a, Result<()>> {
        async move {
            self.inner
                .entry(key.to_owned())
                .and_compute_with(|existing| {
                    let ours = existing.is_some_and(|e| matches!(&e.value().slot, Slot::Lease(o) if &**o == owner));
                    std::future::ready(if ours { Op::Remove } else { Op::Nop })
                })
                .await;
            Ok(())
        }
        .boxed()
    }

    fn increment<'a>(&'a self, key: &'a str, window: Duration) -> BoxFuture<'a, Result<u64>> {
        async move {
            let result = self
                .inner
                .entry(key.to_owned())
                .and_compute_with(|existing| {
                    let count = match existing.map(|e| e.into_value().slot) {
                        Some(Slot::Counter(n)) => n + 1,
                        _ => 1,
                    };
                    std::future::ready(Op::Put(Entry { slot: Slot::Counter(count), ttl: window }))
                })
                .await;
            Ok(match result {
                CompResult::Inserted(e) | CompResult::ReplacedWith(e) => match e.into_value().slot {
                    Slot::Counter(n) => n,
                    _ => 0,
                },
                _ => 0,
            })
        }
        .boxed()
    }
}
