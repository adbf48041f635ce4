//! Redis: shared by every data-plane replica, so leases and counters hold across replicas.
//! The connection manager reconnects on its own; calls time out quickly so a Redis outage
//! degrades to the database instead of stalling callers.

use std::time::Duration;

use futures::{FutureExt as _, future::BoxFuture};
use redis::{
    AsyncCommands as _, Script,
    aio::{ConnectionManager, ConnectionManagerConfig},
};

use crate::{Cache, CacheError, Result};

/// Deletes the lease only if `owner` still holds it.
const RELEASE: &str =
    r"if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";
/// Increments and, on the first increment, starts the window.
const INCREMENT: &str =
    r"local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end return n";

/// A Redis-backed cache; every key is prefixed with `prefix`.
#[derive(Clone)]
pub struct RedisCache {
    conn: ConnectionManager,
    prefix: String,
    release: Script,
    increment: Script,
}

impl std::fmt::Debug for RedisCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisCache").field("prefix", &self.prefix).finish_non_exhaustive()
    }
}

fn err(e: redis::RedisError) -> CacheError {
    CacheError(e.to_string())
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

impl RedisCache {
    /// Connects to `url` (`redis://…` or `rediss://…`); keys get `prefix`.
    pub async fn connect(url: &str, prefix: &str) -> Result<Self> {
        let conn = ConnectionManager::new_with_config(redis::Client::open(url).map_err(err)?, Self::config())
            .await
            .map_err(err)?;
        Ok(Self::with(conn, prefix))
    }

    /// Like [`connect`](Self::connect), but connects on first use (and again after a failure):
    /// only the URL is checked now, so an unreachable Redis does not stop the caller starting.
    /// Needs a Tokio runtime.
    pub fn connect_lazy(url: &str, prefix: &str) -> Result<Self> {
        let conn = ConnectionManager::new_lazy_with_config(redis::Client::open(url).map_err(err)?, Self::config())
            .map_err(err)?;
        Ok(Self::with(conn, prefix))
    }

    fn config() -> ConnectionManagerConfig {
        ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_millis(500)))
            .set_number_of_retries(1)
    }

    fn with(conn: ConnectionManager, prefix: &str) -> Self {
        Self { conn, prefix: prefix.to_owned(), release: Script::new(RELEASE), increment: Script::new(INCREMENT) }
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    /// Deletes `keys` in one round trip (one `DEL`).
    pub async fn delete_many(&self, keys: &[String]) -> Result<()> {
        if keys.is_empty() {
            return Ok(());
        }
        let keys: Vec<String> = keys.iter().map(|key| self.key(key)).collect();
        self.conn.clone().del(keys).await.map_err(err)
    }
}

impl Cache for RedisCache {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Vec<u8>>>> {
        async move { self.conn.clone().get(self.key(key)).await.map_err(err) }.boxed()
    }

    fn set<'a>(&'a self, key: &'a str, value: &'a [u8], ttl: Duration) -> BoxFuture<'a, Result<()>> {
        async move { self.conn.clone().pset_ex(self.key(key), value, millis(ttl)).await.map_err(err) }.boxed()
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<()>> {
        async move { self.conn.clone().del(self.key(key)).await.map_err(err) }.boxed()
    }

    fn acquire<'a>(&'a self, key: &'a str, owner: &'a str, ttl: Duration) -> BoxFuture<'a, Result<bool>> {
        async move {
            let options = redis::SetOptions::default()
                .conditional_set(redis::ExistenceCheck::NX)
                .with_expiration(redis::SetExpiry::PX(millis(ttl)));
            let set: Option<String> =
                self.conn.clone().set_options(self.key(key), owner, options).await.map_err(err)?;
            Ok(set.is_some())
        }
        .boxed()
    }

    fn release<'a>(&'a self, key: &'a str, owner: &'a str) -> BoxFuture<'a, Result<()>> {
        async move {
            let _: i64 =
                self.release.key(self.key(key)).arg(owner).invoke_async(&mut self.conn.clone()).await.map_err(err)?;
            Ok(())
        }
        .boxed()
    }

    fn increment<'a>(&'a self, key: &'a str, window: Duration) -> BoxFuture<'a, Result<u64>> {
        async move {
            self.increment
                .key(self.key(key))
                .arg(millis(window))
                .invoke_async(&mut self.conn.clone())
                .await
                .map_err(err)
        }
        .boxed()
    }
}
