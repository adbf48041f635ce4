//! The cache in front of the database: one interface, two backends. Redis in production
//! (shared by every data-plane replica, so leases and counters hold across replicas), an
//! in-process cache as the embedded default. Values are opaque bytes: callers store ciphertext
//! only. A cache failure is never fatal to a caller: the data plane falls back to the database.

mod memory;
mod redis_cache;

use std::{fmt, time::Duration};

use futures::future::BoxFuture;

pub use memory::MemoryCache;
pub use redis_cache::RedisCache;

/// Why a cache operation failed (the backend is unreachable or answered nonsense).
#[derive(Debug, thiserror::Error)]
#[error("cache: {0}")]
pub struct CacheError(pub String);

/// Result of cache operations.
pub type Result<T> = std::result::Result<T, CacheError>;

/// A key-value cache with expiry, leases and windowed counters. Keys are namespaced by the
/// implementation's prefix.
pub trait Cache: Send + Sync + fmt::Debug {
    /// The value under `key`, if present and not expired.
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Vec<u8>>>>;

    /// Stores `value` under `key` for `ttl`.
    fn set<'a>(&'a self, key: &'a str, value: &'a [u8], ttl: Duration) -> BoxFuture<'a, Result<()>>;

    /// Removes `key`.
    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<()>>;

    /// Takes the lease `key` for `owner` unless someone holds it; true when taken.
    fn acquire<'a>(&'a self, key: &'a str, owner: &'a str, ttl: Duration) -> BoxFuture<'a, Result<bool>>;

    /// Gives the lease back, only if `owner` still holds it.
    fn release<'a>(&'a self, key: &'a str, owner: &'a str) -> BoxFuture<'a, Result<()>>;

    /// Adds one to the counter `key`, which expires `window` after its first increment; returns
    /// the new count (fixed-window rate limiting).
    fn increment<'a>(&'a self, key: &'a str, window: Duration) -> BoxFuture<'a, Result<u64>>;
}
