use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use futures::{FutureExt as _, future::BoxFuture};
use identity_cache::{Cache, CacheError, MemoryCache};
use identity_domain::{AccountId, ManualClock};

use super::{Decision, RateLimiter, SHARED_RETRY_AFTER};

/// 12:00:00.250 on some day: a quarter into a window.
const START: i64 = 1_790_000_000_250;

fn account(id: &str) -> AccountId {
    AccountId::parse(id).unwrap()
}

fn limiter(per_second: u32, shared: Arc<dyn Cache>) -> (RateLimiter, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(START));
    (RateLimiter::new(per_second, shared, clock.clone()), clock)
}

async fn admitted(limiter: &RateLimiter, account: &AccountId, calls: usize) -> usize {
    let mut admitted = 0;
    for _ in 0..calls {
        if limiter.check(account).await == Decision::Allow {
            admitted += 1;
        }
    }
    admitted
}

#[tokio::test]
async fn an_account_gets_its_limit_per_window_then_a_retry_delay_until_the_next() {
    let (limiter, clock) = limiter(3, Arc::new(MemoryCache::new(100)));
    let a = account("111111111111");
    assert_eq!(admitted(&limiter, &a, 3).await, 3);
    // 250 ms into the window: the next opens in 750 ms.
    // The call that spends the window is told so (its refusal is audited), no later one.
    assert_eq!(limiter.check(&a).await, Decision::Throttle { retry_after: Duration::from_millis(750), first: true });
    clock.advance(700);
    assert_eq!(limiter.check(&a).await, Decision::Throttle { retry_after: Duration::from_millis(50), first: false });
    clock.advance(50);
    assert_eq!(admitted(&limiter, &a, 5).await, 3, "a new window, a new budget");
}

/// Replicas sharing the counter: of all the calls refused in a window, only the one that took
/// the count one over the limit spends it, whichever replica served it.
#[tokio::test]
async fn one_call_per_window_spends_it_across_replicas() {
    let shared: Arc<dyn Cache> = Arc::new(MemoryCache::new(100));
    let (one, clock) = limiter(2, shared.clone());
    let two = RateLimiter::new(2, shared, clock.clone());
    let a = account("111111111111");
    let mut firsts = 0;
    for window in 0..3 {
        for call in 0..10 {
            let replica = if call % 2 == 0 { &one } else { &two };
            if let Decision::Throttle { first: true, .. } = replica.check(&a).await {
                firsts += 1;
            }
        }
        assert_eq!(firsts, window + 1, "window {window}");
        clock.advance(1000);
    }
}

/// A memory cache counting its `increment` calls.
#[derive(Debug)]
struct Counting {
    inner: MemoryCache,
    increments: AtomicU64,
}

impl Cache for Counting {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, identity_cache::Result<Option<Vec<u8>>>> {
        self.inner.get(key)
    }
    fn set<'a>(&'a self, key: &'a str, value: &'a [u8], ttl: Duration) -> BoxFuture<'a, identity_cache::Result<()>> {
        self.inner.set(key, value, ttl)
    }
    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, identity_cache::Result<()>> {
        self.inner.delete(key)
    }
    fn acquire<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, identity_cache::Result<bool>> {
        self.inner.acquire(key, owner, ttl)
    }
    fn release<'a>(&'a self, key: &'a str, owner: &'a str) -> BoxFuture<'a, identity_cache::Result<()>> {
        self.inner.release(key, owner)
    }
    fn increment<'a>(&'a self, key: &'a str, window: Duration) -> BoxFuture<'a, identity_cache::Result<u64>> {
        self.increments.fetch_add(1, Ordering::SeqCst);
        self.inner.increment(key, window)
    }
}

#[tokio::test]
async fn once_a_window_is_spent_the_shared_cache_is_not_asked_until_the_next() {
    let shared = Arc::new(Counting { inner: MemoryCache::new(100), increments: AtomicU64::new(0) });
    let (limiter, clock) = limiter(3, shared.clone());
    let a = account("111111111111");
    assert_eq!(admitted(&limiter, &a, 100).await, 3);
    assert_eq!(shared.increments.load(Ordering::SeqCst), 4, "3 admitted, 1 found over, then none");
    clock.advance(750);
    assert_eq!(admitted(&limiter, &a, 1).await, 1, "the next window asks again");
    assert_eq!(shared.increments.load(Ordering::SeqCst), 5);
}

#[tokio::test]
async fn accounts_are_limited_separately() {
    let (limiter, _) = limiter(2, Arc::new(MemoryCache::new(100)));
    let (a, b) = (account("111111111111"), account("222222222222"));
    assert_eq!(admitted(&limiter, &a, 5).await, 2);
    assert_eq!(admitted(&limiter, &b, 5).await, 2);
}

#[tokio::test]
async fn zero_means_no_limit() {
    let (limiter, _) = limiter(0, Arc::new(MemoryCache::new(100)));
    assert_eq!(admitted(&limiter, &account("111111111111"), 1000).await, 1000);
}

/// A shared cache that is down: every call fails, and is counted.
#[derive(Debug, Default)]
struct Down {
    calls: AtomicU64,
}

impl Cache for Down {
    fn get<'a>(&'a self, _: &'a str) -> BoxFuture<'a, identity_cache::Result<Option<Vec<u8>>>> {
        unreachable!()
    }
    fn set<'a>(&'a self, _: &'a str, _: &'a [u8], _: Duration) -> BoxFuture<'a, identity_cache::Result<()>> {
        unreachable!()
    }
    fn delete<'a>(&'a self, _: &'a str) -> BoxFuture<'a, identity_cache::Result<()>> {
        unreachable!()
    }
    fn acquire<'a>(&'a self, _: &'a str, _: &'a str, _: Duration) -> BoxFuture<'a, identity_cache::Result<bool>> {
        unreachable!()
    }
    fn release<'a>(&'a self, _: &'a str, _: &'a str) -> BoxFuture<'a, identity_cache::Result<()>> {
        unreachable!()
    }
    fn increment<'a>(&'a self, _: &'a str, _: Duration) -> BoxFuture<'a, identity_cache::Result<u64>> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        async { Err(CacheError("connection refused".to_owned())) }.boxed()
    }
}

#[tokio::test]
async fn with_the_shared_cache_down_the_limit_is_kept_in_process_and_the_cache_is_retried_later() {
    let down = Arc::new(Down::default());
    let (limiter, clock) = limiter(3, down.clone());
    let a = account("111111111111");
    // Neither refused wholesale nor let through unbounded: the limit holds in process.
    assert_eq!(admitted(&limiter, &a, 10).await, 3);
    assert_eq!(down.calls.load(Ordering::SeqCst), 1, "the failed cache is not asked again at once");
    clock.advance(i64::try_from(SHARED_RETRY_AFTER.as_millis()).unwrap());
    assert_eq!(admitted(&limiter, &a, 10).await, 3);
    assert_eq!(down.calls.load(Ordering::SeqCst), 2, "asked again once the pause is over");
}
