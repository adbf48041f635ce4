//! The cache conformance suite: every test runs against the in-process cache and against Redis,
//! so the embedded default cannot drift from production.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{sync::Arc, time::Duration};

use identity_cache::{Cache, MemoryCache, RedisCache};

async fn memory() -> Option<Arc<dyn Cache>> {
    Some(Arc::new(MemoryCache::new(10_000)))
}

async fn redis() -> Option<Arc<dyn Cache>> {
    let url = identity_testkit::redis_url().await?;
    let prefix = format!("test:{}:", identity_testkit::unique_suffix());
    Some(Arc::new(RedisCache::connect(&url, &prefix).await.unwrap()))
}

macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod in_process {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(cache) = crate::memory().await {
                        crate::$name(cache).await;
                    }
                }
            )*
        }
        mod on_redis {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(cache) = crate::redis().await {
                        crate::$name(cache).await;
                    }
                }
            )*
        }
    };
}

conformance!(
    values_round_trip,
    values_expire,
    leases_are_exclusive,
    leases_expire,
    one_of_many_racers_gets_the_lease,
    counters_count_within_a_window
);

/// Polls `check` until it holds (bounded): expiry is asynchronous in both backends.
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..500 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{what} did not happen within 5s");
}

async fn values_round_trip(cache: Arc<dyn Cache>) {
    assert_eq!(cache.get("k").await.unwrap(), None);
    cache.set("k", b"\x00ciphertext\xff", Duration::from_secs(60)).await.unwrap();
    assert_eq!(cache.get("k").await.unwrap().as_deref(), Some(&b"\x00ciphertext\xff"[..]));
    cache.set("k", b"newer", Duration::from_secs(60)).await.unwrap();
    assert_eq!(cache.get("k").await.unwrap().as_deref(), Some(&b"newer"[..]));
    cache.delete("k").await.unwrap();
    assert_eq!(cache.get("k").await.unwrap(), None);
    cache.delete("never-set").await.unwrap();
}

async fn values_expire(cache: Arc<dyn Cache>) {
    cache.set("short", b"v", Duration::from_millis(50)).await.unwrap();
    cache.set("long", b"v", Duration::from_secs(60)).await.unwrap();
    eventually("expiry", || async { cache.get("short").await.unwrap().is_none() }).await;
    assert!(cache.get("long").await.unwrap().is_some());
}

async fn leases_are_exclusive(cache: Arc<dyn Cache>) {
    let ttl = Duration::from_secs(30);
    assert!(cache.acquire("lease", "a", ttl).await.unwrap());
    assert!(!cache.acquire("lease", "b", ttl).await.unwrap());
    // Only the holder can give it back.
    cache.release("lease", "b").await.unwrap();
    assert!(!cache.acquire("lease", "b", ttl).await.unwrap());
    cache.release("lease", "a").await.unwrap();
    assert!(cache.acquire("lease", "b", ttl).await.unwrap());
}

async fn leases_expire(cache: Arc<dyn Cache>) {
    assert!(cache.acquire("lease", "crashed-holder", Duration::from_millis(50)).await.unwrap());
    eventually("lease expiry", || async { cache.acquire("lease", "next", Duration::from_secs(30)).await.unwrap() })
        .await;
}

async fn one_of_many_racers_gets_the_lease(cache: Arc<dyn Cache>) {
    let racers: Vec<_> = (0..50)
        .map(|i| {
            let cache = cache.clone();
            tokio::spawn(async move {
                cache.acquire("contended", &format!("owner-{i}"), Duration::from_secs(30)).await.unwrap()
            })
        })
        .collect();
    let mut winners = 0;
    for racer in racers {
        winners += usize::from(racer.await.unwrap());
    }
    assert_eq!(winners, 1);
}

async fn counters_count_within_a_window(cache: Arc<dyn Cache>) {
    // Long enough for six increments on a loaded machine.
    let window = Duration::from_secs(1);
    for expected in 1..=5 {
        assert_eq!(cache.increment("rate", window).await.unwrap(), expected);
    }
    assert_eq!(cache.increment("other", window).await.unwrap(), 1);
    // The window does not slide with each increment: it ends and the count starts over.
    eventually("window end", || async { cache.increment("rate", window).await.unwrap() == 1 }).await;
}

/// The in-process cache alone (Redis keys are deleted one by one by whoever knows them).
#[tokio::test]
async fn in_process_entries_are_invalidated_by_prefix() {
    let cache = MemoryCache::new(100);
    for key in ["grant:111111111111:a", "grant:111111111111:b", "grant:222222222222:a", "apikey:111111111111:x"] {
        cache.set(key, b"v", Duration::from_secs(60)).await.unwrap();
    }
    cache.invalidate_prefix("grant:111111111111:");
    for (key, kept) in [
        ("grant:111111111111:a", false),
        ("grant:111111111111:b", false),
        ("grant:222222222222:a", true),
        ("apikey:111111111111:x", true),
    ] {
        assert_eq!(cache.get(key).await.unwrap().is_some(), kept, "{key}");
    }
}

#[tokio::test]
async fn a_lazy_connection_to_a_closed_port_is_made_and_fails_per_call() {
    let url = format!("redis://{}", identity_testkit::free_addr());
    assert!(RedisCache::connect(&url, "p:").await.is_err(), "nothing listens there");
    let lazy = RedisCache::connect_lazy(&url, "p:").unwrap();
    assert!(lazy.delete("key").await.is_err());
    assert!(lazy.get("key").await.is_err(), "it tries again on the next call");
    assert!(RedisCache::connect_lazy("http://not-redis", "p:").is_err(), "the URL is checked at once");
}

#[tokio::test]
async fn a_lazy_connection_connects_on_first_use() {
    let Some(url) = identity_testkit::redis_url().await else { return };
    let prefix = format!("test:{}:", identity_testkit::unique_suffix());
    values_round_trip(Arc::new(RedisCache::connect_lazy(&url, &prefix).unwrap())).await;
}

/// Several keys go in one `DEL`, under the cache's prefix; others stay.
#[tokio::test]
async fn delete_many_deletes_exactly_those_keys() {
    let Some(url) = identity_testkit::redis_url().await else { return };
    let prefix = format!("cache-test:{}:", identity_testkit::unique_suffix());
    let cache = RedisCache::connect(&url, &prefix).await.unwrap();
    for key in ["a", "b", "c"] {
        cache.set(key, b"v", Duration::from_secs(60)).await.unwrap();
    }
    cache.delete_many(&["a".to_owned(), "c".to_owned(), "missing".to_owned()]).await.unwrap();
    cache.delete_many(&[]).await.unwrap();
    let left: Vec<_> =
        [cache.get("a").await.unwrap(), cache.get("b").await.unwrap(), cache.get("c").await.unwrap()].into();
    assert_eq!(left, [None, Some(b"v".to_vec()), None]);
}
